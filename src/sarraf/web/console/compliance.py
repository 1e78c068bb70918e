"""Compliance: the audit log browser (filters), verifying the whole log and its signed checkpoints from the page,
and the inclusion proof of one entry. Every search is confined to the staff member's bank."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from sarraf.policy.audit.merkle import ProofError
from sarraf.policy.vocabulary import RECIPIENTS
from sarraf.store.console_audit import AuditFilter
from sarraf.store.console_staff import StaffSession
from sarraf.web.console.auth import Refusal, require
from sarraf.web.console.pages import refusal, render
from sarraf.web.console.services import services_of

router = APIRouter(prefix="/console", include_in_schema=False)
COMPLIANCE = ("compliance", "supervisor")
_KEY = re.compile(r"^[a-z0-9_.]{0,128}$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?)?$")
_PSEUDONYM = re.compile(r"^[0-9a-f]{0,64}$")


def _filter(session: StaffSession, params: dict[str, str]) -> AuditFilter | str:
    """The filter asked for, or the name of the field that is malformed."""
    checks = {"customer": _PSEUDONYM, "purpose": _KEY, "category": _KEY, "recipient": _KEY, "outcome": _KEY,
              "since": _DATE, "until": _DATE}
    for name, pattern in checks.items():
        if not pattern.match(params.get(name, "")):
            return name
    return AuditFilter(session.account.tenant, **{k: params.get(k, "").replace(" ", "T") for k in checks})


async def _page(request: Request, session: StaffSession, params: dict[str, str], extra: dict[str, Any] | None = None,
                status: int = 200) -> Response:
    services = services_of(request)
    wanted = _filter(session, params)
    if isinstance(wanted, str):
        return refusal(request, "console_bad_filter", 422, session=session, field=wanted)
    rows = await services.audit_search.search(wanted, limit=100)
    latest = await services.container.audit.store.latest_checkpoint()
    context = {"session": session, "rows": rows, "params": params, "recipients": sorted(RECIPIENTS),
               "latest": latest, "events": await services.staff.events(session.account.tenant, 20),
               **(extra or {})}
    return render(request, "audit.html", context, status)


def _params(request: Request) -> dict[str, str]:
    names = ("customer", "purpose", "category", "recipient", "outcome", "since", "until")
    return {n: request.query_params.get(n, "").strip()[:128] for n in names}


@router.get("/audit", response_class=HTMLResponse)
async def audit_page(request: Request) -> Response:
    try:
        session = await require(request, COMPLIANCE)
    except Refusal as refused:
        return refused.response
    return await _page(request, session, _params(request))


@router.post("/audit/verify", response_class=HTMLResponse)
async def verify(request: Request, csrf: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Recompute the whole tree from the stored entries and check every signed checkpoint against it."""
    try:
        session = await require(request, COMPLIANCE, csrf)
    except Refusal as refused:
        return refused.response
    services = services_of(request)
    report = await services.container.audit.verify()
    await services.staff.note(session.account.tenant, session.account.id, session.account.email, "audit_verify",
                              "ok" if report.ok else f"{len(report.problems)} problems")
    return await _page(request, session, _params(request), {"report": report})


@router.get("/audit/{index}/proof", response_class=HTMLResponse)
async def proof(request: Request, index: Annotated[int, Path(ge=0)]) -> Response:
    try:
        session = await require(request, COMPLIANCE)
    except Refusal as refused:
        return refused.response
    services = services_of(request)
    leaf = await services.audit_search.leaf(index)
    if leaf is None or leaf.get("tenant") != session.account.tenant:
        return refusal(request, "console_no_entry", 404, session=session)
    audit = services.container.audit
    latest = await audit.store.latest_checkpoint()
    if latest is None or latest.tree_size <= index:
        await audit.checkpoint()  # sign what is there (as at shutdown), so the entry has a checkpoint to prove against
    try:
        found = await audit.prove_inclusion(index)
    except ProofError as exc:
        return render(request, "proof.html", {"session": session, "index": index, "problem": str(exc)}, 409)
    return render(request, "proof.html", {"session": session, "index": index, "proof": found})
