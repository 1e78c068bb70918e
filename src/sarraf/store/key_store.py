"""SQLAlchemy (async) adapter of the DataKeyStore port, and the EnvelopeCipher factory."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.config import Settings
from sarraf.policy.crypto import (
    KEY_CHECK_OWNER,
    CryptoError,
    EnvelopeCipher,
    KeyProvider,
    LocalFileKeyProvider,
    WrappedKey,
)
from sarraf.store.tables.keys import data_keys


class SqlDataKeyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, owner: str) -> WrappedKey | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(data_keys.c.key_id, data_keys.c.wrapped).where(data_keys.c.owner == owner))
            ).first()
        return WrappedKey(row.key_id, bytes(row.wrapped)) if row else None

    async def add(self, owner: str, wrapped: WrappedKey) -> WrappedKey:
        try:
            async with self.engine.begin() as conn:
                await conn.execute(insert(data_keys).values(owner=owner, key_id=wrapped.key_id, wrapped=wrapped.blob))
            return wrapped
        except IntegrityError:
            existing = await self.get(owner)  # another worker created it first: everyone uses that one
            if existing is None:
                raise
            return existing

    async def replace(self, owner: str, wrapped: WrappedKey) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(data_keys).where(data_keys.c.owner == owner).values(key_id=wrapped.key_id, wrapped=wrapped.blob)
            )

    async def delete(self, owner: str) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(data_keys).where(data_keys.c.owner == owner))
        return bool(result.rowcount)

    async def page(self, after: str | None, limit: int) -> Sequence[tuple[str, WrappedKey]]:
        query = select(data_keys.c.owner, data_keys.c.key_id, data_keys.c.wrapped).order_by(data_keys.c.owner)
        if after is not None:
            query = query.where(data_keys.c.owner > after)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query.limit(limit))).all()
        return [(r.owner, WrappedKey(r.key_id, bytes(r.wrapped))) for r in rows]


KEYS_HINT = (
    "every process on one database must use the same state folder: point SARRAF_HOME (--data-dir) at the "
    "folder the others use, whose keys/ holds the master key and secrets (see README, several replicas)"
)


class KeysDoNotMatchDatabase(CryptoError):
    """This process's keys are not the ones the database's data was written with; it must not start."""


def key_provider(settings: Settings) -> LocalFileKeyProvider:
    """The default KeyProvider: key files under data_dir/keys (0700 folder, 0600 files)."""
    return LocalFileKeyProvider(settings.data_dir / "keys")


async def check_keys_match(keys: KeyProvider, store: SqlDataKeyStore, secret_names: Iterable[str]) -> None:
    """Refuse to run with keys other than those the database was written with (e.g. a replica that would
    generate its own in its own data folder and break everyone's data), and plant the check key that lets
    the next process tell.

    Nothing is created before the check passes, so a refused process leaves no stray master key behind.
    """
    planted = await store.get(KEY_CHECK_OWNER)
    # A database written before the check key existed: any customer's data key tells as well.
    sample = (KEY_CHECK_OWNER, planted) if planted else next(iter(await store.page(None, 1)), None)
    if sample is not None:
        await unwrap_or_refuse(keys, *sample)
        if isinstance(keys, LocalFileKeyProvider):
            # The secrets were created with the master key by the first process; making new ones here
            # would sign links and checkpoints no other replica accepts.
            missing = [name for name in secret_names if not keys.holds_secret(name)]
            if missing:
                raise KeysDoNotMatchDatabase(
                    f"{keys.directory} holds the master key but not the secret(s) {', '.join(missing)} that "
                    f"the database's other processes use; {KEYS_HINT}"
                )
    else:
        # The first process on this database: its secrets exist before the check key says they do, so a
        # crash in between never locks out its own restart.
        for name in secret_names:
            await keys.secret(name)
    if planted is None:
        # Two first processes racing here: add() keeps one key, and the loser's unwrap below refuses it.
        fresh = await keys.wrap(secrets.token_bytes(32), KEY_CHECK_OWNER.encode())
        await unwrap_or_refuse(keys, KEY_CHECK_OWNER, await store.add(KEY_CHECK_OWNER, fresh))


async def unwrap_or_refuse(keys: KeyProvider, owner: str, wrapped: WrappedKey) -> None:
    """Refuse, naming the master key the database needs, when these keys cannot open its data keys."""
    try:
        await keys.unwrap(wrapped, owner.encode())
    except CryptoError as exc:
        raise KeysDoNotMatchDatabase(
            f"the database holds data keys wrapped under master key {wrapped.key_id} that this process cannot "
            f"unwrap ({exc}); {KEYS_HINT}"
        ) from exc


def open_envelope_cipher(settings: Settings, engine: AsyncEngine) -> EnvelopeCipher:
    return EnvelopeCipher(key_provider(settings), SqlDataKeyStore(engine))
