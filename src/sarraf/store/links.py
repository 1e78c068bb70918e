"""Bank links and linking sessions; tokens, PKCE verifiers and the customer's pending question are sealed with
the customer's data key (so erasing the key erases them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import RowMapping, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.domain.consent import BankLink, ConsentStatus, LinkSession, PendingLogin, Tokens
from sarraf.policy.crypto import DataKeyShredded, EnvelopeCipher, WrappedKey, open_with
from sarraf.store.sealing import Sealer
from sarraf.store.tables.core import bank_links, link_sessions
from sarraf.store.tables.keys import data_keys

TOKENS_FIELD = "bank-tokens"
SENDER_FIELD = "link-sender"  # the channel address a pending login answers, sealed like the PKCE verifier


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


# Every disclosure reads the link (twice: sealed to decide, unsealed to read the bank): built once
_LINK_KEY = (bank_links.c.tenant == bindparam("tenant"), bank_links.c.customer_id == bindparam("customer_id"))
_LINK = select(bank_links).where(*_LINK_KEY)
_LINK_AND_KEY = (select(bank_links, data_keys.c.key_id.label("data_key_id"), data_keys.c.wrapped.label("data_key"))
                 .outerjoin(data_keys, data_keys.c.owner == bank_links.c.customer_id).where(*_LINK_KEY))


class SqlLinkRepository:
    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self._engine = engine
        self._sealer = sealer

    async def get(self, tenant: str, customer_id: str, *, unseal: bool = True) -> BankLink | None:
        # Unsealing with the envelope cipher: the customer's wrapped data key comes with the link, in one
        # statement (it was a second SELECT on every read of the bank; issue #15).
        query = _LINK_AND_KEY if unseal and isinstance(self._sealer, EnvelopeCipher) else _LINK
        async with self._engine.connect() as conn:
            row = (await conn.execute(query, {"tenant": tenant, "customer_id": customer_id})).mappings().first()
        if row is None:
            return None
        tokens = None
        if row["tokens_sealed"] is not None and unseal:
            raw = json.loads(await self._unseal(customer_id, row))
            tokens = Tokens(raw["access"], raw["refresh"], datetime.fromisoformat(raw["expires_at"]))
        return BankLink(
            tenant=tenant,
            customer_id=customer_id,
            consent_id=row["consent_id"],
            status=ConsentStatus(row["status"]),
            permissions=tuple(row["permissions"]),
            expires_at=_utc(row["expires_at"]),
            tokens=tokens,
            tokens_withheld=row["tokens_sealed"] is not None and not unseal,
        )

    async def _unseal(self, customer_id: str, row: RowMapping) -> bytes:
        token = bytes(row["tokens_sealed"])
        if not isinstance(self._sealer, EnvelopeCipher):
            return await self._sealer.decrypt(customer_id, TOKENS_FIELD, token)
        if row["data_key"] is None:  # as EnvelopeCipher.decrypt says it
            raise DataKeyShredded(f"no data key for {customer_id!r}: it was shredded (or never created), "
                                  "so this data is gone")
        wrapped = WrappedKey(row["data_key_id"], bytes(row["data_key"]))
        return open_with(await self._sealer.keys.unwrap(wrapped, customer_id.encode()), customer_id, TOKENS_FIELD,
                         token)

    async def save(self, link: BankLink) -> None:
        if link.tokens_withheld:
            # saving it would silently drop the stored tokens
            raise ValueError("a link read without its tokens cannot be saved")
        sealed = None
        if link.tokens is not None:
            body = {
                "access": link.tokens.access_token,
                "refresh": link.tokens.refresh_token,
                "expires_at": link.tokens.expires_at.isoformat(),
            }
            sealed = await self._sealer.encrypt(link.customer_id, TOKENS_FIELD, json.dumps(body).encode())
        values = {
            "tenant": link.tenant,
            "customer_id": link.customer_id,
            "consent_id": link.consent_id,
            "status": link.status.value,
            "permissions": list(link.permissions),
            "expires_at": link.expires_at,
            "tokens_sealed": sealed,
            "updated_at": datetime.now(UTC),
        }
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(bank_links).where(
                    bank_links.c.tenant == link.tenant, bank_links.c.customer_id == link.customer_id
                )
            )
            await conn.execute(insert(bank_links).values(**values))

    async def expiring(self, before: datetime, not_reminded_since: datetime) -> list[tuple[str, str]]:
        """Usable links whose consent ends before `before` and whose customer was not reminded lately."""
        query = select(bank_links.c.tenant, bank_links.c.customer_id).where(
            bank_links.c.status == ConsentStatus.AUTHORISED.value,
            bank_links.c.expires_at.is_not(None),
            bank_links.c.expires_at < before,
            (bank_links.c.reminded_at.is_(None)) | (bank_links.c.reminded_at < not_reminded_since),
        )
        async with self._engine.connect() as conn:
            return [(r.tenant, r.customer_id) for r in await conn.execute(query)]

    async def mark_reminded(self, tenant: str, customer_id: str, at: datetime) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(bank_links)
                .where(bank_links.c.tenant == tenant, bank_links.c.customer_id == customer_id)
                .values(reminded_at=at)
            )

    async def find_by_consent(self, tenant: str, consent_id: str) -> str | None:
        """The customer id holding this bank consent, if any."""
        query = select(bank_links.c.customer_id).where(
            bank_links.c.tenant == tenant, bank_links.c.consent_id == consent_id
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return row.customer_id if row else None

    async def delete(self, tenant: str, customer_id: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(bank_links).where(bank_links.c.tenant == tenant, bank_links.c.customer_id == customer_id)
            )


class SqlLinkSessions:
    """Pending bank logins, keyed by the OAuth `state`; each can be taken exactly once."""

    def __init__(self, engine: AsyncEngine, sealer: Sealer) -> None:
        self._engine = engine
        self._sealer = sealer

    async def put(self, session: LinkSession) -> None:
        sealed = await self._sealer.encrypt(session.customer_id, "pkce-verifier", session.code_verifier.encode())
        sender = await self._sealer.encrypt(session.customer_id, SENDER_FIELD, session.sender)
        resume = (await self._sealer.encrypt(session.customer_id, "resume-text", session.resume_text)
                  if session.resume_text is not None else None)
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(link_sessions).values(
                    state=session.state,
                    tenant=session.tenant,
                    customer_id=session.customer_id,
                    channel=session.channel,
                    sender_sealed=sender,
                    consent_id=session.consent_id,
                    verifier_sealed=sealed,
                    resume_sealed=resume,
                    authorize_url=session.authorize_url,
                    return_to=session.return_to,
                    browser=session.browser,
                    created_at=session.created_at,
                )
            )

    async def begin(self, state: str, return_to: str | None) -> str | None:
        """The bank login URL for a pending session (None if unknown), remembering the platform's return URL.
        For in-process callers with no browser (the terminal); browsers go through `bind`."""
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    select(link_sessions.c.authorize_url, link_sessions.c.created_at).where(
                        link_sessions.c.state == state
                    )
                )
            ).first()
            if row is None:
                return None
            if return_to:
                await conn.execute(
                    update(link_sessions).where(link_sessions.c.state == state).values(return_to=return_to)
                )
        return str(row.authorize_url)

    async def pending(self, state: str) -> PendingLogin | None:
        t = link_sessions.c
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(t.state, t.tenant, t.customer_id, t.channel, t.sender_sealed,
                                             t.browser, t.created_at).where(t.state == state))).first()
        if row is None:
            return None
        sender = await self._sealer.decrypt(row.customer_id, SENDER_FIELD, bytes(row.sender_sealed))
        return PendingLogin(row.state, row.tenant, row.customer_id, row.channel, sender.decode(), row.browser,
                            _utc(row.created_at) or datetime.now(UTC))

    async def bind(self, state: str, browser: str, return_to: str | None) -> str | None:
        """One conditional UPDATE: of two browsers racing for an unbound login exactly one wins."""
        t = link_sessions.c
        values: dict[str, str] = {"browser": browser}
        if return_to:
            values["return_to"] = return_to
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(link_sessions)
                .where(t.state == state, (t.browser.is_(None)) | (t.browser == browser))
                .values(**values)
            )
            if result.rowcount != 1:
                return None
            url = (await conn.execute(select(t.authorize_url).where(t.state == state))).scalar_one()
        return str(url)

    async def take(self, state: str) -> LinkSession | None:
        """Return and delete the session in one transaction, so a replayed callback finds nothing."""
        async with self._engine.begin() as conn:
            row = (await conn.execute(select(link_sessions).where(link_sessions.c.state == state))).mappings().first()
            if row is None:
                return None
            result = await conn.execute(delete(link_sessions).where(link_sessions.c.state == state))
            if result.rowcount != 1:  # a concurrent callback took it first
                return None
        verifier = await self._sealer.decrypt(row["customer_id"], "pkce-verifier", row["verifier_sealed"])
        sender = await self._sealer.decrypt(row["customer_id"], SENDER_FIELD, bytes(row["sender_sealed"]))
        resume = (None if row["resume_sealed"] is None
                  else (await self._sealer.decrypt(row["customer_id"], "resume-text", row["resume_sealed"])).decode())
        return LinkSession(
            state=row["state"],
            tenant=row["tenant"],
            customer_id=row["customer_id"],
            channel=row["channel"],
            sender=sender.decode(),
            consent_id=row["consent_id"],
            code_verifier=verifier.decode(),
            resume_text=resume,
            created_at=_utc(row["created_at"]) or datetime.now(UTC),
            authorize_url=row["authorize_url"],
            return_to=row["return_to"],
            browser=row["browser"],
        )

    async def prune(self, created_before: datetime) -> int:
        """Forget logins that were never completed; their consents lapse at the bank on their own."""
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(link_sessions).where(link_sessions.c.created_at < created_before))
            return int(result.rowcount or 0)
