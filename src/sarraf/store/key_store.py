"""SQLAlchemy (async) adapter of the DataKeyStore port, and the EnvelopeCipher factory."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.config import Settings
from sarraf.policy.crypto import EnvelopeCipher, LocalFileKeyProvider, WrappedKey
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


def key_provider(settings: Settings) -> LocalFileKeyProvider:
    """The default KeyProvider: key files under data_dir/keys (0700 folder, 0600 files)."""
    return LocalFileKeyProvider(settings.data_dir / "keys")


def open_envelope_cipher(settings: Settings, engine: AsyncEngine) -> EnvelopeCipher:
    return EnvelopeCipher(key_provider(settings), SqlDataKeyStore(engine))
