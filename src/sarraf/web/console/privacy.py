"""The customer's privacy page: every decision about their data (when, which category, to whom, why, allowed or
denied, by which policy), each with its inclusion proof against the signed checkpoint, and their consent with a
button to withdraw it. Reached from the chat ("who has seen my data?") through a short-lived signed link; the
link's token is the page's only credential, and the withdraw form carries it back (so a forged form from another
site, which cannot know it, changes nothing)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from sarraf.policy.audit.merkle import ProofError
from sarraf.policy.secure_links import InvalidLink, SecureView
from sarraf.store.console_audit import AuditFilter
from sarraf.web import secure_device
from sarraf.web.console.pages import render
from sarraf.web.console.services import services_of

router = APIRouter(include_in_schema=False)
SHOWN = 500  # the newest decisions shown on the page


def _view(request: Request, token: str) -> SecureView | None:
    try:
        view = services_of(request).container.secure_links.verify(token)
    except InvalidLink:
        return None
    return view if view.view == "privacy" else None


async def privacy_page(request: Request, view: SecureView, token: str, extra: dict[str, Any] | None = None
                       ) -> Response:
    services = services_of(request)
    container = services.container
    lang = await container.lang_of(view.customer_id) or container.default_lang
    pseudonym = container.audit.pseudonymise(view.tenant, view.customer_id)
    rows = await services.audit_search.search(AuditFilter(view.tenant, customer=pseudonym), limit=SHOWN)
    latest = await container.audit.store.latest_checkpoint()
    link = await container.consents.link_of(view.tenant, view.customer_id)
    context = {"lang": lang, "bank": container.bank_names[view.tenant], "rows": rows, "token": token,
               "signed_size": latest.tree_size if latest else 0, "link": link, **(extra or {})}
    return render(request, "privacy.html", context)


@router.post("/privacy/revoke", response_class=HTMLResponse)
async def revoke(request: Request, token: Annotated[str, Form(max_length=2048)] = "") -> Response:
    view = _view(request, token)
    if view is None:
        return _expired(request)
    if not (await secure_device.claim(request, token))[0]:  # the link belongs to another browser
        return secure_device.other_device_page(request, services_of(request).container.default_lang)
    revoked = await services_of(request).container.consents.revoke(view.tenant, view.customer_id)
    return await privacy_page(request, view, token, {"revoked": revoked})


@router.get("/privacy/{token}/proof/{index}")
async def entry_proof(request: Request, token: str, index: int) -> Response:
    """The inclusion proof of one of the customer's own decisions, as JSON anyone can check (RFC 9162)."""
    view = _view(request, token)
    if view is None:
        return JSONResponse({"error": "this link has expired"}, status_code=410)
    if not (await secure_device.claim(request, token))[0]:
        return JSONResponse({"error": "this link was opened on another device"}, status_code=403)
    services = services_of(request)
    audit = services.container.audit
    leaf = await services.audit_search.leaf(index)
    if leaf is None or leaf.get("customer") != audit.pseudonymise(view.tenant, view.customer_id):
        return JSONResponse({"error": "no such decision about you"}, status_code=404)
    try:
        found = await audit.prove_inclusion(index)
    except ProofError as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    return JSONResponse({**found.to_json(), "verified": True}, headers={"Cache-Control": "no-store"})


def _expired(request: Request) -> Response:
    return render(request, "refused.html", {"reason_key": "secure_page_expired", "values": {}, "session": None}, 410)
