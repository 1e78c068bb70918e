"""The bank-hosted strong customer authentication of a payment consent: log in, then a one-time code.

Reached through /oauth/authorize with scope `payments` and the consent's id (authorize.py hands it over): the
page shows what is to be paid, takes the customer's login (knowledge), then a one-time code (in the sandbox shown
on the page itself, where a real bank would send it to the customer's phone: possession). Three wrong codes
end the attempt. Only then is the consent AUTH and an authorization code, bound to the request's PKCE challenge,
sent back to the TPP's redirect_uri. The TPP never sees the credentials or the code.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import QueryParams

from sarraf.sandbox_bank.context import Sandbox, sandbox
from sarraf.sandbox_bank.ledger import PaymentConsent
from sarraf.sandbox_bank.pages.i18n import TEXT, pick_language
from sarraf.sandbox_bank.profiles import SANDBOX_PASSWORD
from sarraf.sandbox_bank.store import AuthRequest, Code, digest

router = APIRouter()
PAGES = Environment(loader=FileSystemLoader(Path(__file__).with_name("pages")), autoescape=select_autoescape())
MAX_ATTEMPTS = 3
OTP_TTL = timedelta(minutes=5)
SCHEMA = """
CREATE TABLE IF NOT EXISTS sca_codes (
    request_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, otp_hash TEXT NOT NULL, expires_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
"""
SCA_TEXT: dict[str, dict[str, str]] = {
    "en": {"asks": "{client} asks you to authorise this payment:", "amount": "Amount", "payee": "Payee",
           "reference": "Reference", "otp_sent": "Your one-time code (a real bank sends it to your phone):",
           "otp": "One-time code", "bad_otp": "That code is not right. Try again.",
           "too_many": "Too many wrong codes: start the payment again in the chat.",
           "not_yours": "This payment is not from an account of this customer.",
           "title": "Sarraf Sandbox Bank — authorise a payment"},
    "pl": {"asks": "{client} prosi o autoryzację tego przelewu:", "amount": "Kwota", "payee": "Odbiorca",
           "reference": "Tytuł", "otp_sent": "Twój kod jednorazowy (prawdziwy bank wysyła go SMS-em):",
           "otp": "Kod jednorazowy", "bad_otp": "Ten kod jest nieprawidłowy. Spróbuj ponownie.",
           "too_many": "Zbyt wiele błędnych kodów: zacznij przelew od nowa na czacie.",
           "not_yours": "Ten przelew nie jest z rachunku tego klienta.",
           "title": "Sarraf Sandbox Bank — autoryzacja przelewu"},
    "ar": {"asks": "يطلب {client} منك اعتماد هذه الدفعة:", "amount": "المبلغ", "payee": "المستفيد",
           "reference": "المرجع", "otp_sent": "رمزك لمرة واحدة (يرسله البنك الحقيقي إلى هاتفك):",
           "otp": "الرمز لمرة واحدة", "bad_otp": "هذا الرمز غير صحيح. حاول مرة أخرى.",
           "too_many": "رموز خاطئة كثيرة: ابدأ الدفعة من جديد في المحادثة.",
           "not_yours": "هذه الدفعة ليست من حساب لهذا العميل.",
           "title": "بنك صرّاف التجريبي — اعتماد دفعة"},
}


def _with_params(uri: str, **params: str) -> str:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _texts(lang: str) -> dict[str, str]:
    return {**TEXT[lang], **SCA_TEXT[lang]}


def _page(request: Request, sb: Sandbox, lang: str, status: int = 200, *, consent: PaymentConsent | None = None,
          pending: AuthRequest | None = None, step: str = "login", otp: str = "", error: str = "",
          fatal: str = "", username: str = "") -> HTMLResponse:
    init = consent.initiation if consent is not None else {}
    amount = init.get("InstructedAmount", {})
    lines = (init.get("RemittanceInformation") or {}).get("Unstructured") or [""]
    creditor = init.get("CreditorAccount", {})
    html = PAGES.get_template("sca.html").render(
        lang=lang, t=_texts(lang), fatal=fatal, error=error, step=step, otp=otp, username=username,
        client_name=sb.client.name, action=str(request.url_for("sca_step")),
        auth_request=pending.request_id if pending else "",
        amount=f"{amount.get('Amount', '')} {amount.get('Currency', '')}",
        payee=f"{creditor.get('Name', '')} ({creditor.get('Identification', '')[-4:]})", reference=lines[0],
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def start(request: Request, sb: Sandbox, q: QueryParams, lang: str, redirect_uri: str, state: str,
          scopes: set[str]) -> Response:
    """The first page for a payment consent (authorize.py has checked the client, redirect_uri, PKCE)."""
    ledger = sb.ledger
    consent = ledger.consent(q.get("consent_id", "")) if ledger is not None else None
    if consent is None or consent.client_id != sb.client.client_id or consent.status != "AWAU" \
            or not scopes <= {"openid", "payments"}:
        params = {"error": "invalid_request", "error_description": "consent_id is not a payment consent "
                  "awaiting authorisation", "state": state}
        return RedirectResponse(_with_params(redirect_uri, **params), 302)
    pending = AuthRequest(
        request_id=secrets.token_urlsafe(32), client_id=consent.client_id, redirect_uri=redirect_uri, state=state,
        code_challenge=q["code_challenge"], consent_id=consent.consent_id, scope=" ".join(sorted(scopes)),
        expires_at=sb.now() + timedelta(seconds=sb.auth_request_ttl),
    )
    sb.store.add_auth_request(pending)
    return _page(request, sb, lang, consent=consent, pending=pending)


def _debtor(sb: Sandbox, consent: PaymentConsent, username: str) -> str | None:
    owned = sb.bank.accounts_of(username)
    if consent.debtor_account_id is not None:
        return consent.debtor_account_id if any(a.account_id == consent.debtor_account_id for a in owned) else None
    currency = consent.initiation["InstructedAmount"]["Currency"]
    return next((a.account_id for a in owned if a.spec.kind == "current" and a.currency == currency), None)


@router.post("/sca/payment", name="sca_step")
async def step(request: Request, sb: Annotated[Sandbox, Depends(sandbox)]) -> Response:
    field = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    lang = pick_language(field.get("lang"), request.headers.get("accept-language"))
    t = _texts(lang)
    pending = sb.store.auth_request(field.get("auth_request", ""))
    consent = sb.ledger.consent(pending.consent_id) if pending is not None and sb.ledger is not None else None
    now = sb.now()
    if pending is None or consent is None or now >= pending.expires_at:
        return _page(request, sb, lang, 400, fatal="this authorisation request has expired; start again")
    if field.get("decision") == "deny":
        sb.ledger.reject(consent.consent_id, now)  # type: ignore[union-attr]
        sb.store.drop_auth_request(pending.request_id)
        return RedirectResponse(_with_params(pending.redirect_uri, error="access_denied",
                                             error_description="the customer refused the payment",
                                             state=pending.state), 302)
    if field.get("step") == "login":
        username = field.get("username", "").strip()
        password_ok = hmac.compare_digest(field.get("password", "").encode(), SANDBOX_PASSWORD.encode())
        if username not in sb.bank.profiles or not password_ok:
            return _page(request, sb, lang, 401, consent=consent, pending=pending, error=t["bad_login"],
                         username=username)
        if _debtor(sb, consent, username) is None:
            return _page(request, sb, lang, 403, consent=consent, pending=pending, error=t["not_yours"])
        otp = f"{secrets.randbelow(10**6):06d}"
        with sb.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO sca_codes VALUES (?,?,?,?,0)",
                       (pending.request_id, username, digest(otp), (now + OTP_TTL).isoformat()))
        return _page(request, sb, lang, consent=consent, pending=pending, step="code", otp=otp)
    return _confirm(request, sb, lang, pending, consent, field.get("otp", "").strip(), now)


def _confirm(request: Request, sb: Sandbox, lang: str, pending: AuthRequest, consent: PaymentConsent, otp: str,
             now: datetime) -> Response:
    t = _texts(lang)
    with sb.store.transaction() as db:
        row = db.execute("SELECT * FROM sca_codes WHERE request_id = ?", (pending.request_id,)).fetchone()
        if row is not None:
            db.execute("UPDATE sca_codes SET attempts = attempts + 1 WHERE request_id = ?", (pending.request_id,))
    if row is None or now >= datetime.fromisoformat(row["expires_at"]) or row["attempts"] >= MAX_ATTEMPTS:
        sb.store.drop_auth_request(pending.request_id)
        return _page(request, sb, lang, 400, fatal=t["too_many"])
    if not hmac.compare_digest(digest(otp), row["otp_hash"]):
        return _page(request, sb, lang, 401, consent=consent, pending=pending, step="code", error=t["bad_otp"])
    customer = row["customer_id"]
    debtor = _debtor(sb, consent, customer)
    moved = debtor is not None and sb.ledger is not None and sb.ledger.authorise(consent.consent_id, customer,
                                                                                   debtor, now)
    sb.store.drop_auth_request(pending.request_id)
    with sb.store.transaction() as db:
        db.execute("DELETE FROM sca_codes WHERE request_id = ?", (pending.request_id,))
    if not moved:
        return RedirectResponse(_with_params(pending.redirect_uri, error="access_denied",
                                             error_description="the consent is no longer awaiting authorisation",
                                             state=pending.state), 302)
    code = secrets.token_urlsafe(32)
    sb.store.add_code(code, Code(
        client_id=pending.client_id, redirect_uri=pending.redirect_uri, code_challenge=pending.code_challenge,
        consent_id=pending.consent_id, customer_id=customer, scope=pending.scope,
        expires_at=now + timedelta(seconds=sb.code_ttl), used=False,
    ))
    return RedirectResponse(_with_params(pending.redirect_uri, code=code, state=pending.state), 302)
