"""Payments in chat, the browser's side: on to the bank's strong authentication, back from it, and the secure
page where a link_only channel's customer checks and confirms a payment (issue #12).

/pay/callback submits the payment once (conversation/payment_runs.py: a replayed callback finds the payment
already moved and only shows where it stands) and tells the chat the outcome.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sarraf.alerts.outbound import Addressee
from sarraf.bootstrap_payments import PaymentsWiring
from sarraf.conversation.payment_texts import Payer
from sarraf.domain.payments import Payment, PaymentState
from sarraf.i18n.replies import catalog
from sarraf.policy.point import Subject
from sarraf.policy.secure_links import InvalidLink, SecureView
from sarraf.web.deps import container_of
from sarraf.web.pages import templates

router = APIRouter(tags=["payments"])
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _wiring(request: Request) -> PaymentsWiring:
    wiring = container_of(request).payments
    assert wiring is not None, "payments are wired by bootstrap.build"
    return wiring


def _who(request: Request, p: Payment) -> Payer:
    return Payer(p.tenant, p.customer_id, p.lang, container_of(request).bank_names[p.tenant])


def _page(request: Request, lang: str, title: str, body: str, status: int = 200) -> HTMLResponse:
    return templates.TemplateResponse(request, "notice.html", {"lang": lang, "title": title, "body": body},
                                      status_code=status, headers=NO_STORE)


def _gone(request: Request, lang: str) -> HTMLResponse:
    c = catalog()
    return _page(request, lang, c.text(lang, "pay_page_title"), c.text(lang, "pay_gone"), 410)


@router.get("/pay/start/{state}")
async def start(request: Request, state: str) -> Response:
    """The Authorise button's target: on to the bank's own page, while the payment still waits for it."""
    p = await _wiring(request).repo.by_auth_state(state[:128])
    if p is None or p.state is not PaymentState.AUTHORISING or not p.auth_url:
        return _gone(request, p.lang if p else container_of(request).default_lang)
    return RedirectResponse(p.auth_url, status_code=303, headers=NO_STORE)


@router.get("/pay/callback")
async def callback(
    request: Request,
    state: str = Query(default="", max_length=256),
    code: str | None = Query(default=None, max_length=2048),
    error: str | None = Query(default=None, max_length=256),
) -> Response:
    """The bank sends the customer back here: submit the payment (once) and tell the chat how it went."""
    container = container_of(request)
    wiring = _wiring(request)
    step = await wiring.runs.complete(state, code, error)
    if step is None:
        return _gone(request, container.default_lang)
    p = step.payment
    who = _who(request, p)
    told = wiring.texts.status(who, p, in_chat=False)  # this page is the bank's browser: the figures may show
    if step.moved:  # a replayed callback changes nothing, and the chat has heard it already
        await container.deliver(Addressee(p.tenant, p.customer_id, p.channel, p.sender), [wiring.texts.status(who, p)],
                                f"payment-status:{p.payment_id}:{p.state.value}")
    c = catalog()
    return _page(request, p.lang, c.text(p.lang, "pay_page_title"), f"{told.text} {c.text(p.lang, 'pay_page_done')}")


async def review_page(request: Request, view: SecureView, token: str, notice: str = "") -> Response:
    """/secure/{token} for a payment (link_only channels): the details and the Confirm button, here only."""
    wiring = _wiring(request)
    p = await wiring.repo.get(view.start or "")
    lang = p.lang if p else container_of(request).default_lang
    if p is None or p.customer_id != view.customer_id or p.state is not PaymentState.AWAITING_CONFIRMATION:
        return _gone(request, lang)
    c = catalog()
    _, card = wiring.texts.summary(_who(request, p), p)
    return templates.TemplateResponse(request, "payment_review.html", {
        "lang": lang, "card": card, "token": token, "notice": notice, "confirm": c.text(lang, "pay_button_confirm"),
        "cancel": c.text(lang, "pay_button_cancel")}, headers=NO_STORE)


@router.post("/pay/review/{token}")
async def review_decision(request: Request, token: str, decision: str = Form(max_length=16)) -> Response:
    """Confirm (on to the bank's authentication) or cancel, from the secure page."""
    container = container_of(request)
    wiring = _wiring(request)
    try:
        view = container.secure_links.verify(token)
    except InvalidLink:
        return _gone(request, container.default_lang)
    p = await wiring.repo.get(view.start or "") if view.view == "payment" else None
    if p is None or p.customer_id != view.customer_id:
        return _gone(request, container.default_lang)
    who = _who(request, p)
    if decision != "confirm":
        step = await wiring.runs.cancel(p)
        return _page(request, p.lang, catalog().text(p.lang, "pay_page_title"),
                     wiring.texts.status(who, step.payment).text)
    subject = Subject(p.tenant, p.customer_id, recipient="bank_page")
    step = await wiring.runs.confirm(p, subject)
    if step.problem == "quote_expired":  # never paid at a stale rate: the page shows a fresh quote to confirm
        fresh = await wiring.runs.quote(step.payment, subject, step.payment.extra.get("transfer", ""))
        if not fresh.problem and fresh.payment.state is PaymentState.AWAITING_CONFIRMATION:
            return await review_page(request, view, token, wiring.texts.after_confirm(who, step).text)
        step = fresh
    q = step.payment
    if q.state is PaymentState.AUTHORISING and q.auth_url and not step.problem:
        return RedirectResponse(q.auth_url, status_code=303, headers=NO_STORE)
    return _page(request, p.lang, catalog().text(p.lang, "pay_page_title"), wiring.texts.after_confirm(who, step).text)
