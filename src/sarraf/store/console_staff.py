"""Staff accounts, their server-side sessions and the record of what staff did (store/tables/console.py).

A session cookie is a random token; only its SHA-256 is stored, with the session's CSRF token and its expiry.
The TOTP secret is envelope-encrypted with a data key of the account's own (policy/crypto/envelope.py)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.console.staff import StaffAccount, lock_for
from sarraf.policy.crypto.envelope import EnvelopeCipher
from sarraf.store.channel_state import utc
from sarraf.store.tables.console import staff_accounts, staff_events, staff_sessions

TOTP_FIELD = "staff-totp"


class StaffExists(ValueError):
    """This bank already has a staff account with that e-mail."""


@dataclass(frozen=True, slots=True)
class StaffSession:
    account: StaffAccount
    csrf: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StaffEvent:
    id: int
    staff_id: str | None
    email: str
    action: str
    detail: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Colleague:
    id: str
    email: str
    role: str


async def forget_expired_sessions(engine: AsyncEngine, now: datetime) -> int:
    """Sessions past their end already log nobody in; housekeeping deletes them so the table stays small."""
    async with engine.begin() as conn:
        return (await conn.execute(delete(staff_sessions).where(staff_sessions.c.expires_at <= now))).rowcount


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SqlStaff:
    def __init__(self, engine: AsyncEngine, cipher: EnvelopeCipher) -> None:
        self._engine = engine
        self._cipher = cipher

    async def add(self, tenant: str, email: str, role: str, password_hash: str, totp_secret: str,
                  now: datetime | None = None) -> str:
        staff_id = str(uuid.uuid4())
        sealed = await self._cipher.encrypt(f"staff:{staff_id}", TOTP_FIELD, totp_secret)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(insert(staff_accounts).values(
                    id=staff_id, tenant=tenant, email=email, role=role, password_hash=password_hash,
                    totp_sealed=sealed, last_totp_step=0, failed_logins=0, created_at=now or datetime.now(UTC)))
        except IntegrityError as exc:
            await self._cipher.shred(f"staff:{staff_id}")
            raise StaffExists(f"{tenant} already has a staff account {email}") from exc
        return staff_id

    async def find(self, tenant: str, email: str) -> StaffAccount | None:
        return await self._one((staff_accounts.c.tenant == tenant) & (staff_accounts.c.email == email))

    async def colleagues(self, tenant: str) -> list[Colleague]:
        """This bank's staff by e-mail, without their secrets: whom a conversation can be passed to, and whose
        figures a supervisor reads."""
        query = (select(staff_accounts.c.id, staff_accounts.c.email, staff_accounts.c.role)
                 .where(staff_accounts.c.tenant == tenant).order_by(staff_accounts.c.email))
        async with self._engine.connect() as conn:
            return [Colleague(r.id, r.email, r.role) for r in (await conn.execute(query)).all()]

    async def get(self, staff_id: str) -> StaffAccount | None:
        return await self._one(staff_accounts.c.id == staff_id)

    async def _one(self, where: Any) -> StaffAccount | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(staff_accounts).where(where))).first()
        if row is None:
            return None
        secret = await self._cipher.decrypt_str(f"staff:{row.id}", TOTP_FIELD, bytes(row.totp_sealed))
        return StaffAccount(row.id, row.tenant, row.email, row.role, row.password_hash, secret, row.last_totp_step,
                            row.failed_logins, utc(row.locked_until) if row.locked_until else None)

    async def failed(self, account: StaffAccount, now: datetime) -> datetime | None:
        """Count a failed login; returns until when the account is now locked (None: not locked)."""
        async with self._engine.begin() as conn:
            failures = (await conn.execute(
                update(staff_accounts).where(staff_accounts.c.id == account.id)
                .values(failed_logins=staff_accounts.c.failed_logins + 1)
                .returning(staff_accounts.c.failed_logins))).scalar_one()
            lock = lock_for(failures)
            until = now + lock if lock is not None else None
            if until is not None:
                await conn.execute(update(staff_accounts).where(staff_accounts.c.id == account.id)
                                   .values(locked_until=until))
        return until

    async def succeeded(self, account: StaffAccount, totp_step: int) -> bool:
        """Remember the code's step and clear the failures; False when another login used this step first."""
        async with self._engine.begin() as conn:
            done = await conn.execute(
                update(staff_accounts)
                .where(staff_accounts.c.id == account.id, staff_accounts.c.last_totp_step < totp_step)
                .values(last_totp_step=totp_step, failed_logins=0, locked_until=None))
        return done.rowcount == 1

    async def open_session(self, account: StaffAccount, now: datetime, ttl: timedelta) -> tuple[str, str]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with self._engine.begin() as conn:
            await conn.execute(insert(staff_sessions).values(
                token_hash=_digest(token), staff_id=account.id, csrf=csrf, created_at=now, expires_at=now + ttl))
        return token, csrf

    async def session(self, token: str, now: datetime) -> StaffSession | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(staff_sessions).where(
                staff_sessions.c.token_hash == _digest(token)))).first()
        if row is None or utc(row.expires_at) <= now:
            return None
        account = await self.get(row.staff_id)
        return StaffSession(account, row.csrf, utc(row.expires_at)) if account is not None else None

    async def close_session(self, token: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(staff_sessions).where(staff_sessions.c.token_hash == _digest(token)))

    async def expire_sessions(self, now: datetime) -> int:
        return await forget_expired_sessions(self._engine, now)

    async def note(self, tenant: str, staff_id: str | None, email: str, action: str, detail: str = "",
                   now: datetime | None = None) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(insert(staff_events).values(
                tenant=tenant, staff_id=staff_id, email=email[:255], action=action, detail=detail[:255],
                created_at=now or datetime.now(UTC)))

    async def events(self, tenant: str, limit: int = 50) -> list[StaffEvent]:
        query = (select(staff_events).where(staff_events.c.tenant == tenant)
                 .order_by(staff_events.c.id.desc()).limit(limit))
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [StaffEvent(r.id, r.staff_id, r.email, r.action, r.detail, utc(r.created_at)) for r in rows]
