"""The wiring of payments in chat (issue #12): the payment door, its state machine's store and the chat flow.

Called from bootstrap.build; the flow is registered on the conversation through the flow seam
(conversation/flows/__init__.py), the callback and start routes live in web/routes_payments.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.payment_follow import Backoff, OutcomeOutbox, PaymentFollower
from sarraf.config import BankConfig
from sarraf.conversation.flows.payments import PaymentsFlow
from sarraf.conversation.payment_runs import PaymentRuns
from sarraf.conversation.payment_texts import PaymentLinks, PaymentTexts
from sarraf.domain.payments import PaymentInitiation
from sarraf.domain.ports import LinkRepository
from sarraf.policy.gate import AuditTrail, Decider
from sarraf.policy.payments import PaymentLimits, PaymentPoint
from sarraf.store.address_sealing import Addresses
from sarraf.store.payment_follow import SqlPaymentFollow
from sarraf.store.payments import Sealer, SqlPayments

CALLBACK_PATH = "/pay/callback"
START_PATH = "/pay/start"


@dataclass
class PaymentsWiring:
    repo: SqlPayments
    point: PaymentPoint
    runs: PaymentRuns
    texts: PaymentTexts
    flow: PaymentsFlow


def wire_payments(*, engine: AsyncEngine, sealer: Sealer, addresses: Addresses, decider: Decider,
                  audit: AuditTrail,
                  links: LinkRepository, connectors: Mapping[str, Any], banks: Mapping[str, BankConfig],
                  public_url: str, secure_links: PaymentLinks) -> PaymentsWiring:
    repo = SqlPayments(engine, sealer, addresses)
    pis: dict[str, PaymentInitiation] = dict(connectors)
    limits = {b.id: PaymentLimits(b.payment_max_single, b.payment_max_daily, b.payment_max_new_payee)
              for b in banks.values()}
    point = PaymentPoint(decider, audit, links, pis, limits, redirect_uri=public_url.rstrip("/") + CALLBACK_PATH,
                         totals=repo)
    runs = PaymentRuns(point, repo)
    texts = PaymentTexts(public_url.rstrip("/") + START_PATH, secure_links)
    flow = PaymentsFlow(point, runs, repo, texts)
    return PaymentsWiring(repo, point, runs, texts, flow)


def payment_follower(wiring: PaymentsWiring, engine: AsyncEngine, outbox: OutcomeOutbox,
                     bank_names: Mapping[str, str], backoff: Backoff, on_ready: Callable[[], None]) -> PaymentFollower:
    """The status follower of payments left pending at the bank; started with the alert loops (start_alerts),
    whose outbox and delivery tell the customer the outcome."""
    return PaymentFollower(SqlPaymentFollow(engine, wiring.repo), wiring.runs, outbox, bank_names, backoff=backoff,
                           on_ready=on_ready)
