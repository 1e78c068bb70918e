"""Alexa account-linking grants: authorisations waiting for their bank login, authorisation codes and tokens.

Codes and tokens are stored as SHA-256 digests only. A code is marked used (not deleted) so that a replay
can be recognised and the tokens it produced revoked; a refresh token is deleted when used (rotation).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.channels.alexa.linking import CodeGrant, PendingAuthorization, TokenOwner
from sarraf.store.channel_state import digest, utc
from sarraf.store.tables.channels import alexa_oauth_codes, alexa_oauth_requests, alexa_oauth_tokens


class SqlAlexaGrants:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def remember(self, pending: PendingAuthorization, prune_before: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(alexa_oauth_requests).where(alexa_oauth_requests.c.created_at < prune_before))
            await conn.execute(insert(alexa_oauth_requests).values(
                link_state=pending.link_state, tenant=pending.tenant, customer_id=pending.customer_id,
                client_id=pending.client_id, redirect_uri=pending.redirect_uri, alexa_state=pending.alexa_state,
                code_challenge=pending.code_challenge, created_at=pending.created_at))

    async def take_request(self, link_state: str) -> PendingAuthorization | None:
        key = alexa_oauth_requests.c.link_state == link_state
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(alexa_oauth_requests).where(key))).mappings().first()
            if row is None or (await conn.execute(delete(alexa_oauth_requests).where(key))).rowcount != 1:
                return None
        return PendingAuthorization(row["link_state"], row["tenant"], row["customer_id"], row["client_id"],
                                    row["redirect_uri"], row["alexa_state"], row["code_challenge"],
                                    utc(row["created_at"]))

    async def put_code(self, code: str, grant: CodeGrant, prune_before: datetime) -> None:
        async with self._engine.begin() as conn:
            # Used or expired codes are kept a while to recognise replays, then forgotten.
            await conn.execute(delete(alexa_oauth_codes).where(alexa_oauth_codes.c.expires_at < prune_before))
            await conn.execute(insert(alexa_oauth_codes).values(
                code_hash=digest(code), tenant=grant.tenant, customer_id=grant.customer_id,
                client_id=grant.client_id, redirect_uri=grant.redirect_uri, code_challenge=grant.code_challenge,
                grant_id=grant.grant_id, expires_at=grant.expires_at, used_at=None))

    async def use_code(self, code: str, now: datetime) -> tuple[CodeGrant, bool] | None:
        key = alexa_oauth_codes.c.code_hash == digest(code)
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(alexa_oauth_codes).where(key))).mappings().first()
            if row is None:
                return None
            marked = await conn.execute(
                update(alexa_oauth_codes).where(key, alexa_oauth_codes.c.used_at.is_(None)).values(used_at=now))
        grant = CodeGrant(row["tenant"], row["customer_id"], row["client_id"], row["redirect_uri"],
                          row["code_challenge"], row["grant_id"], utc(row["expires_at"]))
        return grant, marked.rowcount == 1

    async def put_tokens(self, owner: TokenOwner, access: str, access_expires: datetime, refresh: str,
                         refresh_expires: datetime) -> None:
        common = {"tenant": owner.tenant, "customer_id": owner.customer_id, "client_id": owner.client_id,
                  "grant_id": owner.grant_id}
        async with self._engine.begin() as conn:
            await conn.execute(delete(alexa_oauth_tokens).where(
                alexa_oauth_tokens.c.grant_id == owner.grant_id, alexa_oauth_tokens.c.kind == "access",
                alexa_oauth_tokens.c.expires_at < access_expires))  # a refreshed grant keeps one access token
            await conn.execute(insert(alexa_oauth_tokens).values(
                token_hash=digest(access), kind="access", expires_at=access_expires, **common))
            await conn.execute(insert(alexa_oauth_tokens).values(
                token_hash=digest(refresh), kind="refresh", expires_at=refresh_expires, **common))

    async def take_refresh(self, refresh: str, now: datetime) -> TokenOwner | None:
        key = (alexa_oauth_tokens.c.token_hash == digest(refresh), alexa_oauth_tokens.c.kind == "refresh")
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(alexa_oauth_tokens).where(*key))).mappings().first()
            if row is None or (await conn.execute(delete(alexa_oauth_tokens).where(*key))).rowcount != 1:
                return None
        if utc(row["expires_at"]) <= now:
            return None
        return TokenOwner(row["tenant"], row["customer_id"], row["client_id"], row["grant_id"])

    async def owner_of_access(self, access: str, now: datetime) -> TokenOwner | None:
        query = select(alexa_oauth_tokens).where(alexa_oauth_tokens.c.token_hash == digest(access),
                                                 alexa_oauth_tokens.c.kind == "access")
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).mappings().first()
        if row is None or utc(row["expires_at"]) <= now:
            return None
        return TokenOwner(row["tenant"], row["customer_id"], row["client_id"], row["grant_id"])

    async def revoke_grant(self, grant_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(alexa_oauth_tokens).where(alexa_oauth_tokens.c.grant_id == grant_id))

    async def has_live_tokens(self, tenant: str, customer_id: str, now: datetime) -> bool:
        query = select(alexa_oauth_tokens.c.token_hash).where(
            alexa_oauth_tokens.c.tenant == tenant, alexa_oauth_tokens.c.customer_id == customer_id,
            alexa_oauth_tokens.c.expires_at > now).limit(1)
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def revoke_customer(self, tenant: str, customer_id: str) -> int:
        """Every token of a customer (unlinking, erasure): Alexa's next request asks them to link again."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(alexa_oauth_tokens).where(
                alexa_oauth_tokens.c.tenant == tenant, alexa_oauth_tokens.c.customer_id == customer_id))
            return int(result.rowcount or 0)
