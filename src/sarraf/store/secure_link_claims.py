"""Secure links are single-device (#17 finding 10): the first browser to open one claims it, and the link then
opens only in that browser until it expires. Both sides are stored as digests (a copy of the database holds
neither a usable link nor a usable cookie); expired claims are deleted as new ones are made."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.store.tables.channels import secure_link_claims


def token_hash(token: str) -> str:
    return hashlib.sha256(f"sarraf:secure-link:{token}".encode()).hexdigest()


class SqlSecureLinkClaims:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def claim(self, token: str, browser_hash: str, valid_for: timedelta) -> bool:
        """True when this browser may open the link: it is the first to open it, or the one that did."""
        key = token_hash(token)
        now = datetime.now(UTC)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(delete(secure_link_claims).where(secure_link_claims.c.expires_at < now))
                await conn.execute(insert(secure_link_claims).values(
                    token_hash=key, browser_hash=browser_hash, expires_at=now + valid_for))
            return True
        except IntegrityError:  # claimed before (possibly a moment ago, by a racing request)
            async with self._engine.connect() as conn:
                owner = (await conn.execute(select(secure_link_claims.c.browser_hash).where(
                    secure_link_claims.c.token_hash == key))).scalar()
            return owner == browser_hash
