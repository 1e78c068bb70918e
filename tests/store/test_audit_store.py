"""The SQL adapters of the audit log and the data-key store, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from sarraf.domain.disclosure import Decision, DisclosureRequest, Minimisation, Outcome
from sarraf.policy.audit import AuditLog, FileCheckpointMirror, StoredLeaf, TreeState
from sarraf.policy.audit.merkle import root_from_leaf_hashes, verify_consistency, verify_inclusion
from sarraf.policy.crypto import DataKeyShredded, EnvelopeCipher, LocalFileKeyProvider, rotate_master_key
from sarraf.store.audit_store import SqlAuditStore, create_audit_tables
from sarraf.store.database import make_engine
from sarraf.store.key_store import SqlDataKeyStore

PG_URL = "postgresql+asyncpg://127.0.0.1:5432/test"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}")
        await create_audit_tables(eng)
        yield eng
        await eng.dispose()
        return
    # A schema of its own per test, so parallel or repeated runs never see each other's rows.
    schema = f"sarraf_audit_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(PG_URL)
    async with admin.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = create_async_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    try:
        await create_audit_tables(eng)
        yield eng
    finally:
        await eng.dispose()
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


def _decision(i: int) -> tuple[DisclosureRequest, Decision]:
    request = DisclosureRequest("bank-a", f"cust-{i % 5}", "essential.service.operations.support",
                                ("user.financial.bank_account.balance", "user.financial.bank_account"),
                                "messenger" if i % 2 else "webchat")
    if i % 4 == 0:
        return request, Decision(Outcome.DENY, None, "default-deny")
    return request, Decision(Outcome.ALLOW, Minimisation.LINK_ONLY, "messenger-link-only")


async def _open(engine: AsyncEngine, tmp_path: Path, **options: object) -> AuditLog:
    keys = LocalFileKeyProvider(tmp_path / "keys")
    mirror = FileCheckpointMirror(tmp_path / "mirror.json")
    clock = lambda: datetime(2026, 11, 1, 12, 0, tzinfo=UTC)  # noqa: E731
    return await AuditLog.open(SqlAuditStore(engine), keys, mirror, clock=clock, **options)


async def test_append_resume_prove_and_verify(engine: AsyncEngine, tmp_path: Path) -> None:
    log = await _open(engine, tmp_path, checkpoint_every=50)
    assert await log.record_many(_decision(i) for i in range(120)) == range(0, 120)
    first = await log.store.latest_checkpoint()
    assert first is not None and first.tree_size == 120

    # A new process resumes from the stored compact range without re-reading the leaves.
    again = await _open(engine, tmp_path, checkpoint_every=50)
    assert again.size == 120 and again.root() == log.root()
    assert await again.record(*_decision(120)) == 120
    second = await again.checkpoint()
    assert second is not None and second.seq == 2 and second.previous == first.digest()

    hashes = await again.store.leaf_hashes(121)
    assert root_from_leaf_hashes(hashes) == second.root
    proof = await again.prove_inclusion(37)
    verify_inclusion(37, 121, proof.leaf_hash, proof.proof, second.root)
    assert proof.leaf["seq"] == 37 and proof.leaf["outcome"] == "allow"
    assert proof.leaf["time"] == "2026-11-01T12:00:00.000Z"
    verify_consistency(120, 121, await again.prove_consistency(first, second), first.root, second.root)

    report = await again.verify()
    assert report.ok, report.problems
    assert (report.size, report.checkpoints) == (121, 2)


async def test_leaves_hold_pseudonyms_not_customer_ids(engine: AsyncEngine, tmp_path: Path) -> None:
    log = await _open(engine, tmp_path)
    await log.record_many([_decision(1), _decision(6)])  # the same customer, cust-1
    (_, newest), (_, oldest) = await log.recent(2)
    assert newest["customer"] == oldest["customer"] and len(newest["customer"]) == 64
    async for batch in log.store.leaves():
        assert all(b"cust-" not in leaf.data for leaf in batch)
    assert set(newest) == {"v", "seq", "time", "tenant", "customer", "purpose", "categories", "recipient",
                           "outcome", "minimisation", "policy_id"}


async def test_store_refuses_a_taken_index(engine: AsyncEngine, tmp_path: Path) -> None:
    log = await _open(engine, tmp_path)
    await log.record(*_decision(0))
    clash = StoredLeaf(0, b"{}", bytes(32))
    with pytest.raises(IntegrityError):
        await log.store.extend(lambda state: ([clash], TreeState(1, (bytes(32),))))


async def test_two_writers_share_one_log(engine: AsyncEngine, tmp_path: Path) -> None:
    """Two gateway replicas (each its own AuditLog and connection pool) append concurrently: every decision
    lands exactly once, positions never collide, and the log verifies against checkpoints both signed."""
    import asyncio

    other_engine = (
        make_engine(str(engine.url)) if engine.dialect.name == "sqlite"
        else create_async_engine(engine.url, connect_args={"server_settings": {
            "search_path": (await _search_path(engine))}})
    )
    try:
        first = await _open(engine, tmp_path, checkpoint_every=7)
        second = await _open(other_engine, tmp_path, checkpoint_every=5)

        async def write(log: AuditLog, offset: int) -> None:
            for i in range(offset, offset + 40, 4):
                await log.record_many([_decision(j) for j in range(i, i + 4)])

        await asyncio.gather(write(first, 0), write(second, 1000))
        await first.checkpoint()
        report = await first.verify()
        assert report.ok, report.lines()
        stored = [leaf async for batch in first.store.leaves() for leaf in batch]
        assert [leaf.index for leaf in stored] == list(range(80))
    finally:
        await other_engine.dispose()


async def test_concurrent_appends_of_one_process_are_committed_together(engine: AsyncEngine, tmp_path: Path
                                                                          ) -> None:
    """Turns of many customers at once: the appends queued while one is written go into the store as one
    transaction (group commit), each caller gets its own indices, in the order it asked, and only once they
    are committed; the log verifies."""
    import asyncio

    log = await _open(engine, tmp_path, checkpoint_every=10)
    extends = 0
    extend = log.store.extend

    async def counted(build, expected=None):  # type: ignore[no-untyped-def]
        nonlocal extends
        extends += 1
        return await extend(build, expected)

    log.store.extend = counted  # type: ignore[method-assign]
    ranges = await asyncio.gather(*(log.record_many([_decision(i), _decision(i + 1)]) for i in range(0, 64, 2)))
    assert sorted(r.start for r in ranges) == list(range(0, 64, 2)) and all(len(r) == 2 for r in ranges)
    assert [r.start for r in ranges] == list(range(0, 64, 2))  # asked in this order, appended in this order
    assert extends < 32 / 4, f"{extends} transactions for 32 concurrent appends"
    stored = [leaf async for batch in log.store.leaves() for leaf in batch]
    assert [leaf.index for leaf in stored] == list(range(64))
    await log.checkpoint()
    report = await log.verify()
    assert report.ok, report.lines()


async def test_an_append_failing_leaves_the_others_queued_behind_it_to_write_their_own(
        engine: AsyncEngine, tmp_path: Path) -> None:
    import asyncio

    log = await _open(engine, tmp_path)
    extend = log.store.extend
    failed = False

    async def once_down(build, expected=None):  # type: ignore[no-untyped-def]
        nonlocal failed
        if not failed:
            failed = True
            await asyncio.sleep(0.01)  # the others queue meanwhile
            raise ConnectionError("the database went away")
        return await extend(build, expected)

    log.store.extend = once_down  # type: ignore[method-assign]
    results = await asyncio.gather(*(log.record(*_decision(i)) for i in range(6)), return_exceptions=True)
    assert isinstance(results[0], ConnectionError)
    assert sorted(r for r in results[1:] if isinstance(r, int)) == list(range(5))
    assert [leaf.index for batch in [b async for b in log.store.leaves()] for leaf in batch] == list(range(5))


async def _search_path(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        return str((await conn.execute(text("SHOW search_path"))).scalar())


async def test_data_keys_rotate_and_shred(engine: AsyncEngine, tmp_path: Path) -> None:
    keys = LocalFileKeyProvider(tmp_path / "keys")
    store = SqlDataKeyStore(engine)
    cipher = EnvelopeCipher(keys, store)
    tokens = {f"cust-{i}": await cipher.encrypt(f"cust-{i}", "iban", f"PL61 1090 {i:04d}") for i in range(7)}
    assert await rotate_master_key(keys, store, page_size=3) == 7
    assert {w.key_id for _, w in await store.page(None, 100)} == {"local:v2"}
    for owner, token in tokens.items():
        assert (await cipher.decrypt_str(owner, "iban", token)).startswith("PL61 1090")
    assert await cipher.shred("cust-3") is True
    assert await cipher.shred("cust-3") is False
    with pytest.raises(DataKeyShredded, match="shredded"):
        await cipher.decrypt("cust-3", "iban", tokens["cust-3"])
    assert await cipher.decrypt_str("cust-4", "iban", tokens["cust-4"]) == "PL61 1090 0004"


async def test_shredding_a_customer_leaves_the_audit_log_verifiable(engine: AsyncEngine, tmp_path: Path) -> None:
    log = await _open(engine, tmp_path)
    cipher = EnvelopeCipher(LocalFileKeyProvider(tmp_path / "keys"), SqlDataKeyStore(engine))
    token = await cipher.encrypt("cust-1", "name", "Jan Kowalski")
    await log.record_many(_decision(i) for i in range(10))
    await log.checkpoint()
    await cipher.shred("cust-1")
    with pytest.raises(DataKeyShredded):
        await cipher.decrypt("cust-1", "name", token)
    report = await log.verify()
    assert report.ok and report.size == 10
