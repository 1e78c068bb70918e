"""Bank events in (POST /banks/{bank}/events), alert preferences API, and the wiring of the alert services.

The intake answers 202 only once the event is in the outbox; any bad SET gets a 4xx with an RFC 8935 error
code and a description, never a 500. The services themselves are composed in alert_loops.py.
"""

from __future__ import annotations

import logging
import os
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import available_timezones

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.exc import SQLAlchemyError

from sarraf.alert_loops import AlertServices
from sarraf.alerts.intake import UnknownBank
from sarraf.alerts.preferences import AlertPreferences
from sarraf.alerts.sets import SetRejected
from sarraf.domain.events import AlertGroup
from sarraf.json_body import JsonRefused, parse_json_object
from sarraf.web.tenant_tokens import Api, authorise

log = logging.getLogger(__name__)
router = APIRouter(tags=["alerts"])
MAX_SET_BYTES = 64_000
MAX_BATCH_SETS = 1000
MAX_BATCH_BYTES = 8_000_000


def _services(request: Request) -> AlertServices:
    found = getattr(request.app.state, "alerts", None)
    if found is None:
        raise HTTPException(503, "alerts are not running")
    return found  # type: ignore[no-any-return]


@router.post("/banks/{bank}/events", status_code=202, summary="Receive bank events: one signed SET (RFC 8935), "
             "or a batch of them as JSON")
async def receive_event(bank: str, request: Request) -> JSONResponse:
    """``application/secevent+jwt``: one SET, answered 202 (RFC 8935). ``application/json``: a batch,
    ``{"sets": {jti: SET, ...}}`` (the shape of OB's aggregated-polling answer), for a bank with a backlog;
    answered 200 ``{"ack": [jti, ...], "setErrs": {jti: {"err", "description"}}}`` once every acknowledged
    event is committed to the outbox, so the bank may drop exactly the acknowledged ones and keep the rest."""
    services = _services(request)
    batch = request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/json"
    body = await request.body()
    if len(body) > (MAX_BATCH_BYTES if batch else MAX_SET_BYTES):
        return JSONResponse({"err": "invalid_request", "description": "SET too large"}, status_code=413)
    try:
        if batch:
            return await _receive_batch(services, bank, body)
        accepted = await services.intake.accept(bank, body.decode("ascii"))
    except UnicodeDecodeError:
        return JSONResponse({"err": "invalid_request", "description": "a SET is ASCII"}, status_code=400)
    except UnknownBank:
        return JSONResponse({"err": "invalid_issuer", "description": f"unknown bank {bank!r}"}, status_code=404)
    except SetRejected as exc:
        status = 401 if exc.err == "invalid_key" else 400
        return JSONResponse({"err": exc.err, "description": exc.description}, status_code=status)
    except (httpx.HTTPError, ValueError) as exc:
        return JSONResponse({"err": "invalid_key", "description": f"cannot fetch the bank's keys: {exc}"},
                            status_code=400)
    except SQLAlchemyError:
        # Our store is failing: nothing unacknowledged was kept, so the bank should send again. Events of a
        # batch committed before the failure are absorbed as re-sends then (their jti is held).
        log.exception("storing bank events failed")
        return JSONResponse({"err": "temporarily_unavailable", "description": "events could not be stored; "
                             "send them again shortly"}, status_code=503, headers={"Retry-After": "1"})
    return JSONResponse({"jti": accepted.event_id, "duplicate": accepted.duplicate}, status_code=202)


async def _receive_batch(services: AlertServices, bank: str, body: bytes) -> JSONResponse:
    if not services.intake.serves(bank):  # the bank first: a body for no bank is never parsed
        raise UnknownBank(bank)
    try:
        sets = parse_json_object(body).get("sets")
    except JsonRefused as exc:
        return JSONResponse({"err": "invalid_request", "description": exc.reason}, status_code=400)
    if not isinstance(sets, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in sets.items()):
        return JSONResponse({"err": "invalid_request", "description": 'expected {"sets": {jti: SET}}'},
                            status_code=400)
    if len(sets) > MAX_BATCH_SETS:
        return JSONResponse({"err": "invalid_request", "description": f"at most {MAX_BATCH_SETS} SETs per batch"},
                            status_code=413)
    acked, errors = await services.intake.accept_many(bank, sets)
    return JSONResponse({"ack": acked, "setErrs": errors}, status_code=200)


# A threshold is an amount of money: finite, not negative, at most a billion, at most 3 decimal places (the
# dinar's fils). "NaN", "Infinity" and "1E+999999" are refused here, so routing never meets them.
Threshold = Annotated[Decimal, Field(ge=0, le=Decimal("1000000000"), decimal_places=3, allow_inf_nan=False)]
ZONE_HINT = "an IANA time zone such as Europe/Warsaw"


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


class PreferencesBody(BaseModel):
    """What the bank's systems may change; a field left out is kept. `opted_in` and `timezone` are never null
    (their defaults here are never applied: only the fields given are used)."""

    model_config = ConfigDict(extra="forbid")

    opted_in: bool = False
    disabled: list[AlertGroup] | None = None
    channel: str | None = Field(default=None, max_length=32)
    sender: str | None = Field(default=None, min_length=1, max_length=255)
    quiet_start: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str = Field(default="UTC", max_length=64, description=ZONE_HINT)
    low_balance_below: Threshold | None = None
    large_from: Threshold | None = None

    @field_validator("timezone")
    @classmethod
    def _real_zone(cls, value: str) -> str:
        if value not in _zones():
            raise ValueError(f"unknown time zone {value!r}: expected {ZONE_HINT}")
        return value


def _prefs_json(p: AlertPreferences) -> dict[str, Any]:
    return {"opted_in": p.opted_in, "disabled": sorted(g.value for g in p.disabled), "channel": p.channel,
            "sender": p.sender, "quiet_start": p.quiet_start, "quiet_end": p.quiet_end, "timezone": p.timezone,
            "low_balance_below": str(p.low_balance_below) if p.low_balance_below is not None else None,
            "large_from": str(p.large_from) if p.large_from is not None else None}


def _operator(request: Request, bank: str) -> AlertServices:
    """The preferences API is for the bank's own systems: a bearer token scoped to the bank
    (SARRAF_ALERTS_API_TOKEN_<BANK> or `alerts_api_token` in the banks file), or SARRAF_ALERTS_API_TOKEN for
    every bank. Customers change their preferences by chatting. An unknown bank is a 404 once authorised."""
    services = _services(request)
    banks = services.container.banks
    authorise(request, Api.ALERTS, bank, banks, os.environ.get(Api.ALERTS.value) or None)
    if bank not in banks:
        raise HTTPException(404, f"unknown bank {bank!r}")
    return services


def _check_channel(services: AlertServices, bank: str, channel: str | None) -> None:
    channels = services.container.channels
    if channel is not None and (channel not in channels.channels or f"{channel}/{bank}" in channels.disabled):
        running = sorted(name for name in channels.channels if f"{name}/{bank}" not in channels.disabled)
        raise HTTPException(422, f"channel {channel!r} is not configured for bank {bank!r}; "
                                 f"configured: {', '.join(running)}")


@router.get("/alerts/api/preferences/{bank}/{customer_id}")
async def read_preferences(bank: str, customer_id: str, request: Request) -> dict[str, Any]:
    try:
        return _prefs_json(await _operator(request, bank).preferences.get(bank, customer_id, strict=True))
    except ValueError as exc:  # written past this API; a PUT of valid values repairs it
        raise HTTPException(409, f"the stored preferences cannot be read ({exc}); PUT valid values to replace "
                                 "them") from exc


@router.put("/alerts/api/preferences/{bank}/{customer_id}")
async def change_preferences(bank: str, customer_id: str, body: PreferencesBody, request: Request) -> dict[str, Any]:
    services = _operator(request, bank)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    _check_channel(services, bank, changes.get("channel"))
    if "disabled" in changes:
        changes["disabled"] = frozenset(AlertGroup(g) for g in changes["disabled"] or ()) - {AlertGroup.FRAUD}
    current = await services.preferences.get(bank, customer_id)
    updated = current.with_changes(**changes)
    await services.preferences.save(bank, customer_id, updated)
    return _prefs_json(updated)
