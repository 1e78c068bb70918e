"""An alert pipeline without the web layer, for the crash test and the bench: a database holding customers
with bank links and alert opt-in, a bank key signing SETs, intake and routing (real code, real agreement)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.intake import EventIntake
from sarraf.alerts.router import AlertRouter, DecisionLog
from sarraf.alerts.sets import SetVerifier
from sarraf.config import load_settings
from sarraf.domain.disclosure import Decision, DisclosureRequest
from sarraf.policy.audit.log import AuditLog
from sarraf.policy.decision_cache import CachedDecider
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.alerts_prefs import SqlFraudCases
from sarraf.store.audit_store import open_audit_log
from sarraf.store.identity_sealing import FIELD as IDENTITY_FIELD
from sarraf.store.messages import CHAT_MESSAGE
from sarraf.store.metadata import metadata
from sarraf.store.sealing import JsonSealer
from sarraf.store.tables import all as _all  # noqa: F401
from sarraf.store.tables.alerts import alert_preferences
from sarraf.store.tables.core import bank_links, channel_identities, channel_outbox, customers
from tests.support.sealing import addresses_for_tests, opened, sealer_for_tests

AGREEMENT = Path(__file__).resolve().parents[2] / "src" / "sarraf" / "policy" / "agreements" / "default.cedar"
PERMISSIONS = ["ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances", "ReadTransactionsBasic",
               "ReadTransactionsDetail", "ReadTransactionsCredits", "ReadTransactionsDebits"]


@dataclass
class RecordedDecisions:
    """The audit trail's append, counted (the real Merkle log is tested in tests/policy and tests/store)."""

    decisions: list[tuple[DisclosureRequest, Decision]] = field(default_factory=list)

    async def record_many(self, decisions: Any) -> None:
        self.decisions.extend(decisions)


class NoLinks:
    def issue(self, tenant: str, customer_id: str, view: str, start: str | None, end: str | None) -> str:
        return f"https://gateway.example/secure/{view}"


class Bank:
    """Signs as OB UK banks must (PS256, RSA 2048), or with ES256 for banks under OB's PS256 waiver (W003)."""

    def __init__(self, alg: str = "PS256") -> None:
        self.alg = alg
        self.key: ECKey | RSAKey = (RSAKey.generate_key(2048, parameters={"kid": "bench"}, private=True)
                                    if alg == "PS256" else ECKey.generate_key("P-256", parameters={"kid": "bench"},
                                                                              private=True))
        self._jwks = {"keys": [self.key.as_dict(private=False)]}

    def jwks(self) -> dict[str, Any]:
        return self._jwks

    def card_payment(self, customer: int, n: int) -> str:
        """Event n for customer: amounts vary (as they do), so no cache of formatted amounts flatters a figure."""
        now = int(time.time())
        amount = f"{(n * 7919) % 50000 / 100 + 1:.2f}"
        return jwt.encode({"alg": self.alg, "kid": "bench"}, {
            "iss": "bench-bank", "iat": now, "jti": f"evt-{n}", "aud": "sarraf", "sub": f"urn:consent/c{customer}",
            "txn": uuid.uuid4().hex, "toe": now, "events": {"urn:sarraf:alerts:card-payment": {
                "amount": amount, "currency": "GBP", "merchant": f"M{n}#", "card_last4": "4321"}}}, self.key,
            algorithms=[self.alg])


async def create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)


async def add_customers(engine: AsyncEngine, count: int, sealer: JsonSealer | None = None) -> None:
    """`sealer`: the keys their identities are sealed with (the tests' own by default)."""
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        await conn.execute(insert(customers), [{"id": f"cust{i}", "tenant": "bank", "lang": "en", "created_at": now}
                                               for i in range(count)])
        keys = await (sealer or sealer_for_tests()).keys(conn, [f"cust{i}" for i in range(count)], create=True)
        await conn.execute(insert(channel_identities), [  # as store/customers.py writes them
            {"tenant": "bank", "channel": "webchat", "sender": f"session-{i:04d}-xxxxxxxx", "customer_id": f"cust{i}",
             "sender_sealed": keys.seal_bytes(f"cust{i}", IDENTITY_FIELD, f"session-{i:04d}-xxxxxxxx".encode())}
            for i in range(count)])
        await conn.execute(insert(bank_links), [
            {"tenant": "bank", "customer_id": f"cust{i}", "consent_id": f"c{i}", "status": "AUTH",
             "permissions": PERMISSIONS, "expires_at": None, "tokens_sealed": b"sealed", "updated_at": now}
            for i in range(count)])
        await conn.execute(insert(alert_preferences), [
            {"tenant": "bank", "customer_id": f"cust{i}", "opted_in": True, "disabled": [], "channel": None,
             "sender": None, "quiet_start": None, "quiet_end": None, "timezone": "UTC", "low_balance_below": None,
             "large_from": None, "updated_at": now} for i in range(count)])


def router_for(engine: AsyncEngine, outbox: SqlAlertOutbox, audit: DecisionLog | None = None) -> AlertRouter:
    """The real router and agreement; `audit` defaults to a counting stand-in (see RecordedDecisions)."""
    cases = SqlFraudCases(engine, sealer_for_tests(), addresses_for_tests())
    return AlertRouter(outbox, CachedDecider.from_path(AGREEMENT), audit or RecordedDecisions(), NoLinks(),
                       cases, outbox, bank_names={"bank": "Bench Bank"},
                       default_langs={"bank": "en"})


def pipeline(engine: AsyncEngine, bank: Bank, audit: DecisionLog | None = None
             ) -> tuple[EventIntake, AlertRouter, SqlAlertOutbox]:
    outbox = SqlAlertOutbox(engine, sealer_for_tests(), addresses_for_tests())

    async def jwks(refresh: bool) -> dict[str, Any]:
        return bank.jwks()

    intake = EventIntake({"bank": SetVerifier("bank", "sarraf", jwks)}, outbox)
    return intake, router_for(engine, outbox, audit), outbox


async def open_audit(engine: AsyncEngine, home: Path) -> AuditLog:
    """The real Merkle audit log in the pipeline's database; keys and checkpoint mirror under `home` (every
    process writing the log must share it)."""
    return await open_audit_log(load_settings(home), engine)


async def delivered_texts(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        stored = [r.payload for r in await conn.execute(select(channel_outbox.c.payload).order_by(channel_outbox.c.id))]
    return [payload["text"] for payload in await opened(engine, CHAT_MESSAGE, stored)]
