"""The standard-events side of the alert pipeline for the crash test and the bench: a bank's AIS ledger served
as OB v4.0 JSON over HTTP, the policy door's two reads against it (real agreement, counted audit), and the OB
`resource-update` SET the bank signs when an account changes."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from joserfc import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sarraf.banks import ob_json
from sarraf.domain.banking import Account, Transaction
from sarraf.domain.disclosure import DisclosureRequest, Minimisation
from sarraf.policy.consent_grant import ConsentGrant, GrantStatus, Scope
from sarraf.policy.decision_cache import CachedDecider
from sarraf.policy.point import AccountBalances, Disclosure, Subject
from tests.alerts.pipeline import AGREEMENT, Bank, RecordedDecisions


class Ledger:
    """The bank's AIS side: each customer's current account, as OB v4.0 JSON."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.reads = 0

    def book(self, customer: int, n: int) -> None:
        amount = f"{(n * 7919) % 50000 / 100 + 1:.2f}"
        self.rows.setdefault(f"acc{customer}", []).append({
            "AccountId": f"acc{customer}", "TransactionId": f"tx-{n}", "CreditDebitIndicator": "Debit",
            "Status": "BOOK", "BookingDateTime": datetime.now(UTC).isoformat(),
            "Amount": {"Amount": amount, "Currency": "GBP"}, "MerchantDetails": {"MerchantName": f"M{n}#"},
            "ProprietaryBankTransactionCode": {"Code": "CardPayment"},
            "CardInstrument": {"AuthorisationType": "Contactless", "Identification": "************4321"}})

    async def transactions(self, request: Request) -> JSONResponse:
        self.reads += 1
        rows = self.rows.get(request.path_params["account"], [])
        return JSONResponse({"Data": {"Transaction": rows}, "Links": {}, "Meta": {}})

    async def balances(self, request: Request) -> JSONResponse:
        account = request.path_params["account"]
        balance = {"AccountId": account, "CreditDebitIndicator": "Credit", "Type": "InterimAvailable",
                   "DateTime": datetime.now(UTC).isoformat(), "Amount": {"Amount": "5000.00", "Currency": "GBP"}}
        return JSONResponse({"Data": {"Balance": [balance]}})


class HttpReader:
    """The policy door's two reads for the bench: decide with the real agreement, record, read over HTTP."""

    def __init__(self, base: str, http: httpx.AsyncClient) -> None:
        self._base, self._http = base, http
        self._decider = CachedDecider.from_path(AGREEMENT)
        self.audit = RecordedDecisions()

    async def _decide(self, subject: Subject, category: str) -> Any:
        request = DisclosureRequest(subject.tenant, subject.customer_id, subject.purpose, (category,),
                                    subject.recipient)
        grant = ConsentGrant(subject.tenant, subject.customer_id, frozenset({Scope.BALANCES, Scope.TRANSACTIONS}),
                             GrantStatus.ACTIVE, None)
        decision = self._decider.decide(request, grant)
        await self.audit.record_many([(request, decision)])
        return decision

    async def balances(self, subject: Subject) -> Disclosure[list[AccountBalances]]:
        decision = await self._decide(subject, "user.financial.bank_account.balance")
        account_id = "acc" + subject.customer_id.removeprefix("cust")
        body = (await self._http.get(f"{self._base}/accounts/{account_id}/balances")).json()
        account = Account(account_id, "GBP", "Current", "Personal/CurrentAccount", "00000000000000")
        return Disclosure(decision, [AccountBalances(account, tuple(ob_json.balances(body)))])

    async def transactions(self, subject: Subject, since: datetime | None, until: datetime | None
                           ) -> Disclosure[list[Transaction]]:
        decision = await self._decide(subject, "user.financial.bank_account.transactions")
        account_id = "acc" + subject.customer_id.removeprefix("cust")
        body = (await self._http.get(f"{self._base}/accounts/{account_id}/transactions")).json()
        assert decision.minimisation in (Minimisation.FULL, None)
        return Disclosure(decision, ob_json.transactions(body))


def resource_update(bank: Bank, customer: int, n: int) -> str:
    now = int(time.time())
    return jwt.encode({"alg": bank.alg, "kid": "bench"}, {
        "iss": "bench-bank", "iat": now, "jti": f"ru-{n}", "aud": "sarraf", "sub": f"urn:consent/c{customer}",
        "txn": uuid.uuid4().hex, "toe": now, "events": {"urn:uk:org:openbanking:events:resource-update": {}}},
        bank.key, algorithms=[bank.alg])


def ais_app(ledger: Ledger) -> Starlette:
    return Starlette(routes=[Route("/accounts/{account}/transactions", ledger.transactions),
                             Route("/accounts/{account}/balances", ledger.balances)])
