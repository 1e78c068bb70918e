"""UK Open Banking v4.0 Account Information endpoints (the subset the gateway needs).

Consent resources are managed with a client-credentials token; account data needs a customer's
token bound to an AUTH consent, and serves only the accounts and permissions that consent granted.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from sarraf.sandbox_bank import render
from sarraf.sandbox_bank.beneficiaries import beneficiaries_of
from sarraf.sandbox_bank.context import Sandbox, sandbox
from sarraf.sandbox_bank.errors import OBError
from sarraf.sandbox_bank.seed import SeededAccount
from sarraf.sandbox_bank.store import Consent, Token

PREFIX = "/open-banking/v4.0/aisp"
router = APIRouter(prefix=PREFIX)

PERMISSIONS = frozenset({
    "ReadAccountsBasic", "ReadAccountsDetail", "ReadBalances", "ReadBeneficiariesBasic", "ReadBeneficiariesDetail",
    "ReadDirectDebits", "ReadOffers", "ReadPAN", "ReadParty", "ReadPartyPSU", "ReadProducts",
    "ReadScheduledPaymentsBasic", "ReadScheduledPaymentsDetail", "ReadStandingOrdersBasic",
    "ReadStandingOrdersDetail", "ReadStatementsBasic", "ReadStatementsDetail", "ReadTransactionsBasic",
    "ReadTransactionsCredits", "ReadTransactionsDebits", "ReadTransactionsDetail",
})
SB = Annotated[Sandbox, Depends(sandbox)]


@dataclass(frozen=True, slots=True)
class Grant:
    token: Token
    consent: Consent

    def has(self, *any_of: str) -> bool:
        return any(p in self.consent.permissions for p in any_of)


def _access_token(request: Request, sb: Sandbox) -> Token:
    header = request.headers.get("authorization", "")
    if header[:7].lower() != "bearer ":
        raise OBError(401, "U006", "a Bearer access token is required")
    token = sb.store.token(header[7:].strip(), "access")
    if token is None or token.revoked or (token.expires_at is not None and sb.now() >= token.expires_at):
        raise OBError(401, "U006", "the access token is unknown, revoked or expired")
    return token


def _client(request: Request, sb: Sandbox) -> Token:
    token = _access_token(request, sb)
    if token.consent_id is not None:
        raise OBError(403, "U004", "consent resources need a client-credentials token")
    return token


def _grant(request: Request, sb: Sandbox) -> Grant:
    token = _access_token(request, sb)
    if token.consent_id is None:
        raise OBError(403, "U004", "account data needs a token authorised by the customer")
    consent = sb.consent(token.consent_id)
    if consent is None or consent.status != "AUTH":
        status = consent.status if consent else "missing"
        raise OBError(403, "U004", f"the consent behind this token is not authorised (status {status})")
    return Grant(token, consent)


def _owned_consent(sb: Sandbox, consent_id: str, client: Token) -> Consent:
    consent = sb.consent(consent_id)
    if consent is None or consent.client_id != client.client_id:
        raise OBError(404, "U005", f"no account-access-consent {consent_id}")
    return consent


def _account(sb: Sandbox, grant: Grant, account_id: str) -> SeededAccount:
    account = sb.bank.accounts.get(account_id)
    if account is None or account_id not in grant.consent.account_ids:
        raise OBError(403, "U004", f"account {account_id} is not covered by this consent")
    if sb.ledger is not None:  # the seeded ledger plus the payments booked since (ledger.py)
        account = replace(account, entries=sb.ledger.entries(account))
    if sb.activity is not None:  # standard-events mode: the card activity the admin API made up (activity.py)
        account = sb.activity.merged(account)
    return account


def _body(data: dict[str, Any], request: Request, **extra: Any) -> dict[str, Any]:
    return {"Data": data, **extra, "Links": {"Self": str(request.url)}, "Meta": {}}


def _datetime(raw: str, path: str) -> datetime:
    """ISO 8601 date or date-time; OB says a time zone, if any, is ignored and the value read as UTC."""
    try:
        parsed = datetime.fromisoformat(raw.strip().replace(" ", "+").replace("Z", "+00:00"))
    except ValueError as exc:
        raise OBError(400, "U001", f"{path} is not an ISO 8601 date-time", path) from exc
    return parsed.replace(tzinfo=UTC)


def _new_consent(raw: Any, client: Token, now: datetime) -> Consent:
    if not isinstance(raw, dict) or not isinstance(raw.get("Data"), dict):
        raise OBError(400, "U002", "Data is required", "Data")
    if not isinstance(raw.get("Risk"), dict):
        raise OBError(400, "U002", "Risk is required", "Risk")
    data = raw["Data"]
    permissions = data.get("Permissions")
    if not isinstance(permissions, list) or not permissions:
        raise OBError(400, "U002", "Permissions must list at least one permission", "Data.Permissions")
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise OBError(400, "U001", f"unknown permission {unknown[0]}", "Data.Permissions")
    reads_transactions = {"ReadTransactionsBasic", "ReadTransactionsDetail"} & set(permissions)
    if reads_transactions and not {"ReadTransactionsCredits", "ReadTransactionsDebits"} & set(permissions):
        raise OBError(400, "U001", "transaction permissions need ReadTransactionsCredits and/or Debits",
                      "Data.Permissions")
    moments: dict[str, datetime | None] = {}
    for key in ("ExpirationDateTime", "TransactionFromDateTime", "TransactionToDateTime"):
        value = data.get(key)
        moments[key] = None if value is None else _datetime(str(value), f"Data.{key}")
    expires = moments["ExpirationDateTime"]
    if expires is not None and expires <= now:
        raise OBError(400, "U001", "ExpirationDateTime must be in the future", "Data.ExpirationDateTime")
    return Consent(
        consent_id="aac-" + uuid.uuid4().hex, client_id=client.client_id, status="AWAU",
        permissions=tuple(dict.fromkeys(permissions)), created_at=now, status_updated_at=now, expires_at=expires,
        tx_from=moments["TransactionFromDateTime"], tx_to=moments["TransactionToDateTime"], customer_id=None,
        account_ids=(),
    )


@router.post("/account-access-consents", status_code=201)
async def create_consent(request: Request, sb: SB) -> JSONResponse:
    client = _client(request, sb)
    try:
        raw = json.loads(await request.body())
    except ValueError as exc:
        raise OBError(400, "U001", "the request body is not JSON") from exc
    consent = _new_consent(raw, client, sb.now())
    sb.store.add_consent(consent)
    self_url = str(request.url_for("get_consent", ConsentId=consent.consent_id))
    body = {"Data": render.consent_data(consent), "Risk": {}, "Links": {"Self": self_url}, "Meta": {}}
    return JSONResponse(body, status_code=201)


@router.get("/account-access-consents/{ConsentId}", name="get_consent")
async def get_consent(ConsentId: str, request: Request, sb: SB) -> dict[str, Any]:
    consent = _owned_consent(sb, ConsentId, _client(request, sb))
    return _body(render.consent_data(consent), request, Risk={})


@router.delete("/account-access-consents/{ConsentId}", status_code=204)
async def delete_consent(ConsentId: str, request: Request, sb: SB) -> Response:
    consent = _owned_consent(sb, ConsentId, _client(request, sb))
    sb.store.set_consent_status(consent.consent_id, "CANC", sb.now(), only_from=("AWAU", "AUTH"))
    return Response(status_code=204)


def _accounts_body(request: Request, sb: Sandbox, grant: Grant, ids: list[str]) -> dict[str, Any]:
    if not grant.has("ReadAccountsBasic", "ReadAccountsDetail"):
        raise OBError(403, "U003", "the consent does not grant ReadAccountsBasic or ReadAccountsDetail")
    detail = grant.has("ReadAccountsDetail")
    return _body({"Account": [render.account(_account(sb, grant, i), detail=detail) for i in ids]}, request)


@router.get("/accounts")
async def list_accounts(request: Request, sb: SB) -> dict[str, Any]:
    grant = _grant(request, sb)
    return _accounts_body(request, sb, grant, list(grant.consent.account_ids))


@router.get("/accounts/{AccountId}")
async def get_account(AccountId: str, request: Request, sb: SB) -> dict[str, Any]:
    grant = _grant(request, sb)
    return _accounts_body(request, sb, grant, [AccountId])


@router.get("/accounts/{AccountId}/balances")
async def get_balances(AccountId: str, request: Request, sb: SB) -> dict[str, Any]:
    grant = _grant(request, sb)
    if not grant.has("ReadBalances"):
        raise OBError(403, "U003", "the consent does not grant ReadBalances")
    return _body({"Balance": render.balances(_account(sb, grant, AccountId), sb.now())}, request)


@router.get("/accounts/{AccountId}/beneficiaries")
async def get_beneficiaries(AccountId: str, request: Request, sb: SB) -> dict[str, Any]:
    grant = _grant(request, sb)
    if not grant.has("ReadBeneficiariesBasic", "ReadBeneficiariesDetail"):
        raise OBError(403, "U003", "the consent does not grant ReadBeneficiariesBasic or ReadBeneficiariesDetail")
    account = _account(sb, grant, AccountId)
    detail = grant.has("ReadBeneficiariesDetail")
    rows = [b.rendered(detail=detail) for b in beneficiaries_of(account.account_id)]
    return _body({"Beneficiary": rows}, request)


@router.get("/accounts/{AccountId}/transactions")
async def get_transactions(AccountId: str, request: Request, sb: SB) -> dict[str, Any]:
    grant = _grant(request, sb)
    if not grant.has("ReadTransactionsBasic", "ReadTransactionsDetail"):
        raise OBError(403, "U003", "the consent does not grant ReadTransactionsBasic or ReadTransactionsDetail")
    account = _account(sb, grant, AccountId)
    q = request.query_params
    lower = [m for m in (grant.consent.tx_from,) if m]
    upper = [m for m in (grant.consent.tx_to,) if m]
    if "fromBookingDateTime" in q:
        lower.append(_datetime(q["fromBookingDateTime"], "fromBookingDateTime"))
    if "toBookingDateTime" in q:
        upper.append(_datetime(q["toBookingDateTime"], "toBookingDateTime"))
    credits, debits = grant.has("ReadTransactionsCredits"), grant.has("ReadTransactionsDebits")
    selected = [
        e for e in account.entries
        if (credits if e.credit else debits)
        and all(e.booked_at >= m for m in lower) and all(e.booked_at <= m for m in upper)
    ]
    try:
        page = int(q.get("page", "1"))
    except ValueError as exc:
        raise OBError(400, "U001", "page must be a positive integer", "page") from exc
    size = request.app.state.page_size
    pages = max(1, math.ceil(len(selected) / size))
    if not 1 <= page <= pages:
        raise OBError(400, "U001", f"page must be between 1 and {pages}", "page")
    detail = grant.has("ReadTransactionsDetail")
    rows = [render.transaction(e, account.currency, detail=detail) for e in selected[(page - 1) * size:page * size]]
    links = {"Self": str(request.url), "First": str(request.url.include_query_params(page=1)),
             "Last": str(request.url.include_query_params(page=pages))}
    if page < pages:
        links["Next"] = str(request.url.include_query_params(page=page + 1))
    if page > 1:
        links["Prev"] = str(request.url.include_query_params(page=page - 1))
    meta: dict[str, Any] = {"TotalPages": pages}
    if selected:
        meta["FirstAvailableDateTime"] = render.iso(selected[0].booked_at)
        meta["LastAvailableDateTime"] = render.iso(selected[-1].booked_at)
    return {"Data": {"Transaction": rows}, "Links": links, "Meta": meta}
