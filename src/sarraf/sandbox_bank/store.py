"""The sandbox's own state (consents, pending logins, codes, tokens, card statuses, dispute cases and event
subscriptions) in one SQLite file.

Stdlib sqlite3 rather than SQLAlchemy: the sandbox is a separate bank with a few small tables,
no migrations and no async needs, and it must not share the gateway's engine or models. One
connection behind a lock keeps it safe under uvicorn's worker threads; ":memory:" when no path
is given. Secrets (codes, tokens) are stored only as SHA-256 hashes, as a real bank would.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS consents (
    consent_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, status TEXT NOT NULL, permissions TEXT NOT NULL,
    created_at TEXT NOT NULL, status_updated_at TEXT NOT NULL, expires_at TEXT,
    tx_from TEXT, tx_to TEXT, customer_id TEXT, account_ids TEXT
);
CREATE TABLE IF NOT EXISTS auth_requests (
    request_id TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL, state TEXT NOT NULL,
    code_challenge TEXT NOT NULL, consent_id TEXT NOT NULL, scope TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS codes (
    code_hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
    code_challenge TEXT NOT NULL, consent_id TEXT NOT NULL, customer_id TEXT NOT NULL,
    scope TEXT NOT NULL, expires_at TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, client_id TEXT NOT NULL, consent_id TEXT,
    customer_id TEXT, scope TEXT NOT NULL, expires_at TEXT, revoked INTEGER NOT NULL DEFAULT 0,
    code_hash TEXT
);
CREATE TABLE IF NOT EXISTS card_statuses (
    card_id TEXT PRIMARY KEY, status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    customer_id TEXT NOT NULL, reference TEXT NOT NULL, case_id TEXT NOT NULL UNIQUE, card_id TEXT NOT NULL,
    reason TEXT NOT NULL, status TEXT NOT NULL, opened_at TEXT NOT NULL, PRIMARY KEY (customer_id, reference)
);
CREATE TABLE IF NOT EXISTS event_subscriptions (
    client_id TEXT PRIMARY KEY, subscription_id TEXT NOT NULL, callback_url TEXT NOT NULL
);
"""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Consent:
    consent_id: str
    client_id: str
    status: str
    permissions: tuple[str, ...]
    created_at: datetime
    status_updated_at: datetime
    expires_at: datetime | None
    tx_from: datetime | None
    tx_to: datetime | None
    customer_id: str | None
    account_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AuthRequest:
    request_id: str
    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str
    consent_id: str
    scope: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Code:
    client_id: str
    redirect_uri: str
    code_challenge: str
    consent_id: str
    customer_id: str
    scope: str
    expires_at: datetime
    used: bool


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "access" | "refresh"
    client_id: str
    consent_id: str | None  # None for client-credentials tokens
    customer_id: str | None
    scope: str
    expires_at: datetime | None
    revoked: bool
    code_hash: str | None  # the authorization code this token descends from


class Store:
    def __init__(self, path: Path | None) -> None:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False,
                                     isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        """One locked write transaction on the sandbox's connection (the payment ledger shares it)."""
        return self._tx()

    def ensure_schema(self, script: str) -> None:
        with self._lock:
            self._conn.executescript(script)

    def _one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._conn.execute(sql, args).fetchone()
            return row

    # consents
    def add_consent(self, c: Consent) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO consents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (c.consent_id, c.client_id, c.status, json.dumps(c.permissions), c.created_at.isoformat(),
                 c.status_updated_at.isoformat(), _iso(c.expires_at), _iso(c.tx_from), _iso(c.tx_to),
                 c.customer_id, json.dumps(c.account_ids)),
            )

    def consent(self, consent_id: str) -> Consent | None:
        row = self._one("SELECT * FROM consents WHERE consent_id = ?", consent_id)
        if row is None:
            return None
        return Consent(
            consent_id=row["consent_id"], client_id=row["client_id"], status=row["status"],
            permissions=tuple(json.loads(row["permissions"])), created_at=datetime.fromisoformat(row["created_at"]),
            status_updated_at=datetime.fromisoformat(row["status_updated_at"]), expires_at=_dt(row["expires_at"]),
            tx_from=_dt(row["tx_from"]), tx_to=_dt(row["tx_to"]), customer_id=row["customer_id"],
            account_ids=tuple(json.loads(row["account_ids"] or "[]")),
        )

    def set_consent_status(self, consent_id: str, status: str, at: datetime, *, only_from: tuple[str, ...],
                           customer_id: str | None = None, account_ids: tuple[str, ...] | None = None) -> bool:
        """Move a consent to `status` if it is currently in one of `only_from`; True when it moved."""
        with self._tx() as db:
            marks = ",".join("?" * len(only_from))
            cur = db.execute(
                f"UPDATE consents SET status = ?, status_updated_at = ?,"
                f" customer_id = COALESCE(?, customer_id), account_ids = COALESCE(?, account_ids)"
                f" WHERE consent_id = ? AND status IN ({marks})",
                (status, at.isoformat(), customer_id, json.dumps(account_ids) if account_ids is not None else None,
                 consent_id, *only_from),
            )
            return cur.rowcount == 1

    def authorised_consents_of(self, customer_id: str) -> list[Consent]:
        """Every AUTH consent a customer gave (the TPPs to tell when something happens on their accounts)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT consent_id FROM consents WHERE customer_id = ? AND status = 'AUTH' ORDER BY created_at",
                (customer_id,),
            ).fetchall()
        return [c for c in (self.consent(r["consent_id"]) for r in rows) if c is not None]

    # pending authorisation requests (the opaque `auth_request` form field)
    def add_auth_request(self, r: AuthRequest) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO auth_requests VALUES (?,?,?,?,?,?,?,?)",
                       (r.request_id, r.client_id, r.redirect_uri, r.state, r.code_challenge, r.consent_id,
                        r.scope, r.expires_at.isoformat()))

    def auth_request(self, request_id: str) -> AuthRequest | None:
        row = self._one("SELECT * FROM auth_requests WHERE request_id = ?", request_id)
        if row is None:
            return None
        return AuthRequest(**{**dict(row), "expires_at": datetime.fromisoformat(row["expires_at"])})

    def drop_auth_request(self, request_id: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM auth_requests WHERE request_id = ?", (request_id,))

    # authorization codes
    def add_code(self, code: str, c: Code) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO codes VALUES (?,?,?,?,?,?,?,?,0)",
                       (digest(code), c.client_id, c.redirect_uri, c.code_challenge, c.consent_id, c.customer_id,
                        c.scope, c.expires_at.isoformat()))

    def take_code(self, code: str) -> Code | None:
        """Return the code's grant and mark it used in one step (a second call sees used=True)."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM codes WHERE code_hash = ?", (digest(code),)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE codes SET used = 1 WHERE code_hash = ?", (digest(code),))
        return Code(client_id=row["client_id"], redirect_uri=row["redirect_uri"],
                    code_challenge=row["code_challenge"], consent_id=row["consent_id"],
                    customer_id=row["customer_id"], scope=row["scope"],
                    expires_at=datetime.fromisoformat(row["expires_at"]), used=bool(row["used"]))

    # tokens
    def add_token(self, token: str, t: Token) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO tokens VALUES (?,?,?,?,?,?,?,?,?)",
                       (digest(token), t.kind, t.client_id, t.consent_id, t.customer_id, t.scope,
                        _iso(t.expires_at), int(t.revoked), t.code_hash))

    def token(self, token: str, kind: str) -> Token | None:
        row = self._one("SELECT * FROM tokens WHERE token_hash = ? AND kind = ?", digest(token), kind)
        if row is None:
            return None
        return Token(kind=row["kind"], client_id=row["client_id"], consent_id=row["consent_id"],
                     customer_id=row["customer_id"], scope=row["scope"], expires_at=_dt(row["expires_at"]),
                     revoked=bool(row["revoked"]), code_hash=row["code_hash"])

    def revoke_token(self, token: str) -> bool:
        """Revoke one token; True only for the caller that revoked it (refresh rotation is single-use)."""
        with self._tx() as db:
            cur = db.execute("UPDATE tokens SET revoked = 1 WHERE token_hash = ? AND revoked = 0", (digest(token),))
            return cur.rowcount == 1

    def revoke_descendants(self, code: str) -> None:
        """A replayed authorization code may be stolen: revoke every token that came from it (RFC 6749 4.1.2)."""
        with self._tx() as db:
            db.execute("UPDATE tokens SET revoked = 1 WHERE code_hash = ?", (digest(code),))


    # card controls: only what customers changed is stored; the cards themselves come from the seed
    def card_statuses(self) -> dict[str, str]:
        with self._lock:
            rows = self._conn.execute("SELECT card_id, status FROM card_statuses").fetchall()
        return {r["card_id"]: r["status"] for r in rows}

    def card_status(self, card_id: str) -> str | None:
        row = self._one("SELECT status FROM card_statuses WHERE card_id = ?", card_id)
        return row["status"] if row is not None else None

    def set_card_status(self, card_id: str, status: str) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO card_statuses VALUES (?, ?) ON CONFLICT(card_id) DO UPDATE SET status = ?",
                       (card_id, status, status))

    def open_case(self, customer_id: str, reference: str, case_id: str, card_id: str, reason: str,
                  at: datetime) -> dict[str, str]:
        """The customer's case for `reference`: created with `case_id` the first time, the same one after."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO cases VALUES (?,?,?,?,?,'Open',?)",
                       (customer_id, reference, case_id, card_id, reason, at.isoformat()))
            row = db.execute("SELECT * FROM cases WHERE customer_id = ? AND reference = ?",
                             (customer_id, reference)).fetchone()
        return _case(row)

    def cases(self) -> list[dict[str, str]]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM cases ORDER BY opened_at, rowid").fetchall()
        return [_case(r) for r in rows]

    # event subscriptions: one per TPP (a new one replaces it)
    def subscribe(self, client_id: str, subscription_id: str, callback_url: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO event_subscriptions VALUES (?,?,?)",
                       (client_id, subscription_id, callback_url))

    def unsubscribe(self, client_id: str, subscription_id: str) -> bool:
        with self._tx() as db:
            return db.execute("DELETE FROM event_subscriptions WHERE client_id = ? AND subscription_id = ?",
                              (client_id, subscription_id)).rowcount > 0

    def subscriptions(self) -> dict[str, tuple[str, str]]:
        """client_id → (subscription_id, callback_url)."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM event_subscriptions").fetchall()
        return {r["client_id"]: (r["subscription_id"], r["callback_url"]) for r in rows}


def _case(row: sqlite3.Row) -> dict[str, str]:
    """A case as the card-control API shows it."""
    return {"CaseId": row["case_id"], "CardId": row["card_id"], "Reason": row["reason"],
            "Reference": row["reference"], "Status": row["status"]}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
