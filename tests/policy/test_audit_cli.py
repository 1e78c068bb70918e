"""`sarraf audit verify|prove|show` on a seeded SQLite log, including raw-SQL tampering of the file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarraf.cli.audit import app
from sarraf.config import load_settings
from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation, Outcome
from sarraf.policy.audit.merkle import verify_inclusion
from sarraf.store.audit_store import MIRROR_FILE, create_audit_tables, open_audit_log
from sarraf.store.database import make_engine

runner = CliRunner()
ENTRIES = 25


async def _seed(home: Path) -> None:
    settings = load_settings(home)
    engine = make_engine(settings.database_url)
    await create_audit_tables(engine)
    log = await open_audit_log(settings, engine, checkpoint_every=10)
    for i in range(ENTRIES):
        allowed = i % 3 != 0
        await log.record(
            DisclosureRequest("bank-a", f"customer-{i % 4}", "essential.service.operations.support",
                              ("user.financial.bank_account.balance",), "webchat"),
            Decision(Outcome.ALLOW if allowed else Outcome.DENY,
                     Minimisation.MASKED if allowed else None, "balance-masked" if allowed else "default-deny"),
        )
    await log.close()
    await engine.dispose()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SARRAF_DATABASE_URL", raising=False)
    monkeypatch.setenv("SARRAF_HOME", str(tmp_path))
    asyncio.run(_seed(tmp_path))
    return tmp_path


def _sql(home: Path, *statements: str) -> None:
    with sqlite3.connect(home / "sarraf.db") as db:
        for statement in statements:
            db.execute(statement)


def _verify(home: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["verify", "--data-dir", str(home)], terminal_width=400)
    return result.exit_code, result.output


def test_intact_log_verifies(home: Path) -> None:
    code, out = _verify(home)
    assert code == 0, out
    assert f"{ENTRIES} entries match 3 signed checkpoints" in out


def test_modified_leaf_is_named(home: Path) -> None:
    _sql(home, "UPDATE audit_leaves SET data = replace(data, '\"deny\"', '\"allow\"') WHERE idx = 3")
    code, out = _verify(home)
    assert code == 1
    assert "entry 3: content does not match its stored hash (modified)" in out


def test_modified_leaf_with_recomputed_hash_is_caught_by_checkpoint(home: Path) -> None:
    import hashlib

    with sqlite3.connect(home / "sarraf.db") as db:
        (data,) = db.execute("SELECT data FROM audit_leaves WHERE idx = 12").fetchone()
        forged = data.replace('"deny"', '"allow"').replace('"minimisation":null', '"minimisation":"full"')
        assert forged != data
        digest = hashlib.sha256(b"\x00" + forged.encode()).digest()
        db.execute("UPDATE audit_leaves SET data = ?, leaf_hash = ? WHERE idx = 12", (forged, digest))
    code, out = _verify(home)
    assert code == 1
    assert "entries 10..19 no longer hash to the root signed in checkpoint #2" in out


def test_deleted_row_is_named(home: Path) -> None:
    _sql(home, "DELETE FROM audit_leaves WHERE idx = 7")
    code, out = _verify(home)
    assert code == 1
    assert "entries 7 are missing: removed" in out


def test_deleted_newest_rows_are_caught(home: Path) -> None:
    _sql(home, "DELETE FROM audit_leaves WHERE idx >= 20")
    code, out = _verify(home)
    assert code == 1
    assert "entries from 20 on were removed" in out


def test_swapped_rows_are_named(home: Path) -> None:
    _sql(
        home,
        "UPDATE audit_leaves SET idx = -1 WHERE idx = 4",
        "UPDATE audit_leaves SET idx = 4 WHERE idx = 5",
        "UPDATE audit_leaves SET idx = 5 WHERE idx = -1",
    )
    code, out = _verify(home)
    assert code == 1
    assert "entry 4 holds the record written as entry 5 (moved or swapped)" in out
    assert "entry 5 holds the record written as entry 4" in out


def test_edited_checkpoint_is_named(home: Path) -> None:
    _sql(home, "UPDATE audit_checkpoints SET tree_size = 9 WHERE seq = 1")
    code, out = _verify(home)
    assert code == 1
    assert "checkpoint #1 (size 9" in out and "signature does not match its contents (edited)" in out


def test_removed_middle_checkpoint_is_named(home: Path) -> None:
    _sql(home, "DELETE FROM audit_checkpoints WHERE seq = 2")
    code, out = _verify(home)
    assert code == 1
    assert "checkpoint #2 is missing (next stored is #3): removed" in out


def test_removed_latest_checkpoint_is_caught_by_mirror(home: Path) -> None:
    _sql(home, "DELETE FROM audit_checkpoints WHERE seq = 3", "DELETE FROM audit_leaves WHERE idx >= 20")
    code, out = _verify(home)
    assert code == 1
    assert "checkpoint #3 (size 25" in out and "is missing from the database" in out


def test_deleted_mirror_is_reported(home: Path) -> None:
    (home / MIRROR_FILE).unlink()
    code, out = _verify(home)
    assert code == 1
    assert "mirror outside the database is missing" in out


def test_prove_prints_a_proof_that_verifies(home: Path) -> None:
    result = runner.invoke(app, ["prove", "17", "--data-dir", str(home)])
    assert result.exit_code == 0, result.output
    proof = json.loads(result.output)
    assert proof["index"] == 17 and proof["tree_size"] == ENTRIES
    assert proof["leaf"]["seq"] == 17 and not proof["leaf"]["customer"].startswith("customer-")
    root = __import__("base64").b64decode(proof["checkpoint"]["root"])
    verify_inclusion(17, ENTRIES, bytes.fromhex(proof["leaf_hash"]), [bytes.fromhex(p) for p in proof["proof"]], root)


def test_prove_out_of_range_fails_clearly(home: Path) -> None:
    result = runner.invoke(app, ["prove", "99", "--data-dir", str(home)])
    assert result.exit_code == 1
    assert "entry 99 is not covered by checkpoint #3" in result.output


def test_show_lists_recent_decisions(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # Rich sizes its table from the terminal width
    result = runner.invoke(app, ["show", "--limit", "5", "--data-dir", str(home)], terminal_width=250)
    assert result.exit_code == 0, result.output
    assert "24" in result.output and "default-deny" in result.output and "balance-masked" in result.output
    assert "customer-" not in result.output


def test_a_folder_without_a_database_has_nothing_to_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SARRAF_DATABASE_URL", raising=False)
    result = runner.invoke(app, ["verify", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert "nothing to verify" in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_database_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SARRAF_DATABASE_URL", raising=False)
    (tmp_path / "sarraf.db").write_bytes(b"this is not a database file, but it is where one should be" * 100)
    result = runner.invoke(app, ["verify", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "cannot read the audit log" in result.output
