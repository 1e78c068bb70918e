"""The start-up key check: a process whose keys differ from those the database was written with refuses to run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.policy.crypto import KEY_CHECK_OWNER, EnvelopeCipher, LocalFileKeyProvider, rotate_master_key
from sarraf.store.audit_store import create_audit_tables
from sarraf.store.database import make_engine
from sarraf.store.key_store import KeysDoNotMatchDatabase, SqlDataKeyStore, check_keys_match

SECRETS = ("secure-links", "audit-signing")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqlDataKeyStore]:
    engine: AsyncEngine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    await create_audit_tables(engine)
    yield SqlDataKeyStore(engine)
    await engine.dispose()


async def test_the_first_process_plants_the_check_and_its_restart_passes(
    store: SqlDataKeyStore, tmp_path: Path
) -> None:
    keys = LocalFileKeyProvider(tmp_path / "keys")
    await check_keys_match(keys, store, SECRETS)
    assert await store.get(KEY_CHECK_OWNER) is not None
    assert all(keys.holds_secret(name) for name in SECRETS)
    await check_keys_match(LocalFileKeyProvider(tmp_path / "keys"), store, SECRETS)


async def test_other_keys_are_refused_and_nothing_is_created(store: SqlDataKeyStore, tmp_path: Path) -> None:
    await check_keys_match(LocalFileKeyProvider(tmp_path / "keys"), store, SECRETS)
    with pytest.raises(KeysDoNotMatchDatabase, match="SARRAF_HOME"):
        await check_keys_match(LocalFileKeyProvider(tmp_path / "elsewhere"), store, SECRETS)
    assert not (tmp_path / "elsewhere").exists()


async def test_a_database_from_before_the_check_is_checked_against_a_customers_key(
    store: SqlDataKeyStore, tmp_path: Path
) -> None:
    await EnvelopeCipher(LocalFileKeyProvider(tmp_path / "keys"), store).encrypt("customer-1", "tokens", b"x")
    with pytest.raises(KeysDoNotMatchDatabase):
        await check_keys_match(LocalFileKeyProvider(tmp_path / "elsewhere"), store, SECRETS)
    assert await store.get(KEY_CHECK_OWNER) is None


async def test_the_master_key_without_the_secrets_is_refused(store: SqlDataKeyStore, tmp_path: Path) -> None:
    await check_keys_match(LocalFileKeyProvider(tmp_path / "keys"), store, SECRETS)
    copy = tmp_path / "copy"
    copy.mkdir(mode=0o700)
    (copy / "master-v1.key").write_bytes((tmp_path / "keys" / "master-v1.key").read_bytes())
    (copy / "master-v1.key").chmod(0o600)
    with pytest.raises(KeysDoNotMatchDatabase, match="secure-links"):
        await check_keys_match(LocalFileKeyProvider(copy), store, SECRETS)


async def test_rotation_rewraps_the_check_without_counting_it(store: SqlDataKeyStore, tmp_path: Path) -> None:
    keys = LocalFileKeyProvider(tmp_path / "keys")
    await check_keys_match(keys, store, SECRETS)
    await EnvelopeCipher(keys, store).encrypt("customer-1", "tokens", b"x")
    assert await rotate_master_key(keys, store) == 1
    (tmp_path / "keys" / "master-v1.key").unlink()  # rotation done: the old version may go
    await check_keys_match(LocalFileKeyProvider(tmp_path / "keys"), store, SECRETS)
