"""The supervisors' page: how the desk is doing today — who waits now, how long people waited before an agent
took them (p50 / p90), conversations taken per agent, those finished and handed back, and the customers' answers
to "how did we do?"."""

from __future__ import annotations

import math
from datetime import datetime, time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from sarraf.i18n.replies import format_date
from sarraf.web.console.auth import Refusal, require
from sarraf.web.console.pages import console_lang, render
from sarraf.web.console.services import services_of

router = APIRouter(prefix="/console", include_in_schema=False)
SUPERVISORS = ("supervisor",)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (the value below which `share` of the waits fall), None with no waits."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * share)) - 1]


def minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} min"


@router.get("/figures", response_class=HTMLResponse)
async def figures_page(request: Request) -> Response:
    try:
        session = await require(request, SUPERVISORS)
    except Refusal as refused:
        return refused.response
    services = services_of(request)
    tenant = session.account.tenant
    now = services.clock()
    since = datetime.combine(now.date(), time.min, now.tzinfo)  # today, in the console clock's zone (UTC)
    day = await services.figures.day(tenant, since)
    emails = {c.id: c.email for c in await services.staff.colleagues(tenant)}
    lang = console_lang(request)
    context = {
        "session": session,
        "since": format_date(since, lang),
        "waiting_now": len(await services.desk.queue(tenant)),
        "requests": day.requests,
        "wait_p50": minutes(percentile(day.waits, 0.5)),
        "wait_p90": minutes(percentile(day.waits, 0.9)),
        "handled": sorted(((emails.get(staff, staff), n) for staff, n in day.handled_by.items()),
                          key=lambda row: (-row[1], row[0])),
        "handed_back": day.handed_back,
        "resolved_by_bot": day.resolved_by_bot,
        "not_helped": day.not_helped,
        "csat_count": len(day.scores),
        "csat_average": f"{sum(day.scores) / len(day.scores):.1f}" if day.scores else "—",
    }
    return render(request, "figures.html", context)
