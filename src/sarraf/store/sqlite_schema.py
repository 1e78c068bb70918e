"""A new SQLite database gets the newest schema from one script instead of from every migration in turn.

On an empty SQLite file, Alembic's import and the 20 migrations (each with its own DDL, batch copies and
bookkeeping) cost ~0.5 s of a first start — a fifth of the time to the first answer (issue #15, bench/cold_start.py).
`sqlite_schema.sql` beside this module is what those migrations leave in an empty file, as sqlite3's
`iterdump()` writes it: every table and index and the `alembic_version` row. tests/store/test_sqlite_schema.py
runs the migrations and fails when the script differs, so the migrations stay the one source of the schema;
regenerate it with `python -m sarraf.store.sqlite_schema`.

Only an empty file takes the script, in one IMMEDIATE transaction (a second process starting at the same time
waits, then finds the tables and leaves them). Anything else — an older revision, a half-made database,
PostgreSQL — goes through Alembic as before.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

SCRIPT = Path(__file__).with_name("sqlite_schema.sql")
HEADER = "-- The schema the Alembic migrations build on SQLite; generated: python -m sarraf.store.sqlite_schema\n"
_VERSION = 'INSERT INTO "alembic_version" VALUES('
_BUSY_TIMEOUT_S = 30.0  # as store/database.py gives every connection


def dump(path: Path) -> str:
    """The script that rebuilds the database at `path`: its schema and rows, one statement per item."""
    connection = sqlite3.connect(path)
    try:
        return HEADER + "\n".join(connection.iterdump()) + "\n"
    finally:
        connection.close()


def statements(script: str) -> list[str]:
    """The script's statements, without its own BEGIN and COMMIT (create() holds the transaction)."""
    out: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        if not pending and line.startswith("--"):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            statement = pending.strip()
            pending = ""
            if statement not in ("BEGIN TRANSACTION;", "COMMIT;"):
                out.append(statement)
    return out


def revision_of(script: str) -> str | None:
    """The Alembic revision the script stamps."""
    for line in script.splitlines():
        if line.startswith(_VERSION):
            return line[len(_VERSION):].strip("');")
    return None


def create(path: Path, revision: str) -> bool:
    """Build the schema at `revision` in the empty database file `path`; False (nothing done) when the script
    is not at that revision or the file already holds tables."""
    try:
        script = SCRIPT.read_text(encoding="utf-8")
    except OSError:
        return False
    if revision_of(script) != revision:
        return False
    connection = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    try:  # closing before COMMIT rolls the transaction back: nothing half-made is left
        connection.execute("PRAGMA journal_mode=WAL")  # as every engine connection sets it (store/database.py)
        connection.execute("BEGIN IMMEDIATE")
        if connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            return False
        for statement in statements(script):
            connection.execute(statement)
        connection.execute("COMMIT")
        return True
    finally:
        connection.close()


def regenerate() -> None:
    """Run the migrations on an empty file and write what they built to SCRIPT."""
    import tempfile

    from sarraf.store.database import upgrade_with_alembic

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schema.db"
        upgrade_with_alembic(f"sqlite+aiosqlite:///{path}", None)
        SCRIPT.write_text(dump(path), encoding="utf-8")
    print(f"wrote {SCRIPT}", file=sys.stderr)


if __name__ == "__main__":
    regenerate()
