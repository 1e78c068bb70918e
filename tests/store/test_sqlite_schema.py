"""A new SQLite database takes its schema from store/sqlite_schema.sql, which must be exactly what the Alembic
migrations build (regenerate: python -m sarraf.store.sqlite_schema); anything else still goes through Alembic."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

from alembic import command

from sarraf.store import database, sqlite_schema
from sarraf.store.database import alembic_config, migrate, stored_revision, upgrade_with_alembic
from sarraf.store.schema_version import HEAD_REVISION


def test_the_script_is_what_the_migrations_build(tmp_path: Path) -> None:
    path = tmp_path / "migrated.db"
    upgrade_with_alembic(f"sqlite+aiosqlite:///{path}", None)
    assert sqlite_schema.dump(path) == sqlite_schema.SCRIPT.read_text(encoding="utf-8"), \
        "a migration changed the schema: run python -m sarraf.store.sqlite_schema"
    assert sqlite_schema.revision_of(sqlite_schema.SCRIPT.read_text(encoding="utf-8")) == HEAD_REVISION


def test_a_new_file_gets_the_schema_from_the_script_and_alembic_agrees(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'gateway.db'}"
    before = database.upgrades_run
    asyncio.run(migrate(url))
    assert database.upgrades_run == before + 1
    assert asyncio.run(stored_revision(url)) == HEAD_REVISION
    command.check(alembic_config(url))  # no difference between the tables and the database the script made
    command.downgrade(alembic_config(url), "base")  # and the migrations can take it from there both ways
    command.upgrade(alembic_config(url), "head")
    connection = sqlite3.connect(tmp_path / "gateway.db")
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    connection.close()


def test_only_an_empty_file_at_the_scripts_revision_takes_it(tmp_path: Path) -> None:
    held = tmp_path / "holds.db"
    connection = sqlite3.connect(held)
    connection.execute("CREATE TABLE mine (x INTEGER)")
    connection.commit()
    connection.close()
    assert not sqlite_schema.create(held, HEAD_REVISION)  # a half-made or foreign database: Alembic decides
    assert not sqlite_schema.create(tmp_path / "other.db", "0000older000")  # not the revision asked for
    assert not (tmp_path / "other.db").exists()


def test_a_failure_half_way_leaves_the_file_empty(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    script = sqlite_schema.SCRIPT.read_text(encoding="utf-8")
    broken = tmp_path / "broken.sql"
    broken.write_text(script.replace("CREATE INDEX", "CREATE NONSENSE", 1), encoding="utf-8")
    monkeypatch.setattr(sqlite_schema, "SCRIPT", broken)
    path = tmp_path / "gateway.db"
    try:
        sqlite_schema.create(path, HEAD_REVISION)
    except sqlite3.OperationalError:
        pass
    else:
        raise AssertionError("a broken statement must raise")
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)  # nothing half-written
    connection.close()


def test_two_processes_starting_at_once_build_it_once(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    results: list[bool] = []
    threads = [threading.Thread(target=lambda: results.append(sqlite_schema.create(path, HEAD_REVISION)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    connection = sqlite3.connect(path)
    assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD_REVISION,)]
    connection.close()


def test_other_databases_are_not_for_the_script() -> None:
    assert database.sqlite_file("postgresql+asyncpg://u@127.0.0.1/test") is None
    assert database.sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert database.sqlite_file("sqlite+aiosqlite://") is None
    assert database.sqlite_file("sqlite+aiosqlite:////srv/sarraf/gateway.db?timeout=5") == Path(
        "/srv/sarraf/gateway.db")
