"""Bank events in (POST /banks/{bank}/events), alert preferences API, and the wiring of the alert services.

The intake answers 202 only once the event is in the outbox; any bad SET gets a 4xx with an RFC 8935 error
code and a description, never a 500. ``start_alerts(container)`` builds and starts the AlertRuntime; the
app's lifespan calls it and ``AlertServices.stop()``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.alerts.fraud import Answer, FraudDesk
from sarraf.alerts.intake import Backlog, EventIntake, UnknownBank
from sarraf.alerts.polling import EventPoller
from sarraf.alerts.preferences import AlertPreferences
from sarraf.alerts.router import AlertRouter
from sarraf.alerts.runtime import AlertRuntime
from sarraf.alerts.sets import SetRejected, SetVerifier
from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.bootstrap import Container, TenantDecider
from sarraf.channels import webchat
from sarraf.config import BankConfig
from sarraf.conversation.flows_alerts import AlertFlows
from sarraf.domain.events import AlertGroup
from sarraf.domain.messages import Outbound
from sarraf.policy.actions import CardActionPoint
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.alerts_prefs import SqlAlertPreferences, SqlFraudCases
from sarraf.store.messages import SqlHandoffs

log = logging.getLogger(__name__)
router = APIRouter(tags=["alerts"])
SANDBOX_MOUNT = "/bank"  # where web/app.py mounts the embedded sandbox bank
JWKS_TTL_S = 300
MAX_SET_BYTES = 64_000
MAX_BATCH_SETS = 1000
MAX_BATCH_BYTES = 8_000_000


class ChannelTransport:
    """The gateway's channels for the delivery worker; web chat is handed over inside the outbox commit."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def pull(self, channel: str) -> bool:
        return channel == webchat.NAME

    def render_pull(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]]:
        return [webchat.render(m) for m in messages]

    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> None:
        found = self._container.channels.channels.get(channel)
        if found is None:
            raise LookupError(f"channel {channel} is not enabled")
        await found.deliver(sender, messages)


class JwksCache:
    def __init__(self, http: httpx.AsyncClient, url: str) -> None:
        self._http, self._url = http, url
        self._keys: dict[str, Any] | None = None
        self._at = 0.0

    async def __call__(self, refresh: bool) -> dict[str, Any]:
        if self._keys is None or refresh or time.monotonic() - self._at > JWKS_TTL_S:
            response = await self._http.get(self._url)
            response.raise_for_status()
            self._keys, self._at = response.json(), time.monotonic()
        return self._keys


class ConnectorEvents:
    """EventSource over each bank's OpenBankingConnector."""

    def __init__(self, container: Container) -> None:
        self._container = container

    async def poll(self, tenant: str, ack: Any, errors: dict[str, dict[str, str]],
                   max_events: int) -> tuple[dict[str, str], bool]:
        connector = self._container.connectors[tenant]
        assert isinstance(connector, OpenBankingConnector)
        return await connector.poll_events(ack, errors, max_events)


def bank_base(container: Container, bank: BankConfig) -> str:
    return container.settings.public_url + SANDBOX_MOUNT if bank.embedded else bank.base_url


@dataclass
class AlertServices:
    runtime: AlertRuntime
    intake: EventIntake
    outbox: SqlAlertOutbox
    preferences: SqlAlertPreferences
    fraud: FraudDesk
    actions: CardActionPoint
    container: Container
    _subscriptions: list[asyncio.Task[None]]

    async def stop(self) -> None:
        for task in self._subscriptions:
            task.cancel()
        await self.runtime.stop()


async def _subscribe(container: Container, bank: BankConfig) -> None:
    """Register our intake URL at the bank; retried because an embedded bank starts with us."""
    connector = container.connectors[bank.id]
    if not isinstance(connector, OpenBankingConnector):
        return
    for attempt in range(30):
        try:
            await connector.subscribe_events(f"{container.settings.public_url}/banks/{bank.id}/events")
            return
        except Exception as exc:  # the bank may still be starting: try again a little later
            log.info("event subscription at %s failed (%s); retrying", bank.id, exc)
            await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))


async def start_alerts(container: Container, *, in_process_worker: bool = True,
                       policy: DeliveryPolicy | None = None) -> AlertServices:
    engine = container.engine
    outbox = SqlAlertOutbox(engine)
    prefs = SqlAlertPreferences(engine)
    cases = SqlFraudCases(engine)
    # The same links and agreements the conversation uses: one reload (housekeeping) updates both.
    links = container.links
    decider = TenantDecider(container.deciders)
    actions = CardActionPoint(decider, container.audit, links, container.connectors)
    fraud = FraudDesk(cases, actions, outbox, SqlHandoffs(engine), bank_names=container.bank_names)
    routing = AlertRouter(outbox, decider, container.audit, container.secure_links, cases, outbox,
                          bank_names=container.bank_names,
                          default_langs={b.id: b.default_language for b in container.banks.values()})
    verifiers = {
        b.id: SetVerifier(b.id, b.events_audience or b.client_id,
                          JwksCache(container.http,
                                    b.events_jwks_url or bank_base(container, b) + "/sarraf/v1/jwks.json"),
                          issuer=b.events_issuer)
        for b in container.banks.values()
    }
    worker = DeliveryWorker(outbox, ChannelTransport(container), policy) if in_process_worker else None
    runtime_box: list[AlertRuntime] = []
    backlog = Backlog()
    intake = EventIntake(verifiers, outbox, on_accept=lambda: runtime_box[0].notify() if runtime_box else None,
                         backlog=backlog)
    polled = [b.id for b in container.banks.values() if b.events_poll_seconds > 0]
    poller = EventPoller(ConnectorEvents(container), intake, polled,
                         interval_s=min(b.events_poll_seconds for b in container.banks.values() if b.id in polled)
                         ) if polled else None
    runtime = AlertRuntime(routing, worker, fraud, poller, backlog=backlog)
    runtime_box.append(runtime)
    container.conversation.alerts = AlertFlows(prefs, fraud, actions, Answer, container.bank_names)
    await runtime.start()
    subscriptions = [asyncio.create_task(_subscribe(container, b)) for b in container.banks.values() if b.events_push]
    return AlertServices(runtime, intake, outbox, prefs, fraud, actions, container, subscriptions)


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
    return JSONResponse({"jti": accepted.event_id, "duplicate": accepted.duplicate}, status_code=202)


async def _receive_batch(services: AlertServices, bank: str, body: bytes) -> JSONResponse:
    try:
        sets = json.loads(body).get("sets")
    except (ValueError, AttributeError):
        sets = None
    if not isinstance(sets, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in sets.items()):
        return JSONResponse({"err": "invalid_request", "description": 'expected {"sets": {jti: SET}}'},
                            status_code=400)
    if len(sets) > MAX_BATCH_SETS:
        return JSONResponse({"err": "invalid_request", "description": f"at most {MAX_BATCH_SETS} SETs per batch"},
                            status_code=413)
    acked, errors = await services.intake.accept_many(bank, sets)
    return JSONResponse({"ack": acked, "setErrs": errors}, status_code=200)


class PreferencesBody(BaseModel):
    opted_in: bool | None = None
    disabled: list[AlertGroup] | None = None
    channel: str | None = Field(default=None, max_length=32)
    sender: str | None = Field(default=None, max_length=255)
    quiet_start: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str | None = Field(default=None, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    timezone: str | None = Field(default=None, max_length=64)
    low_balance_below: str | None = Field(default=None, max_length=32)
    large_from: str | None = Field(default=None, max_length=32)


def _prefs_json(p: AlertPreferences) -> dict[str, Any]:
    return {"opted_in": p.opted_in, "disabled": sorted(g.value for g in p.disabled), "channel": p.channel,
            "sender": p.sender, "quiet_start": p.quiet_start, "quiet_end": p.quiet_end, "timezone": p.timezone,
            "low_balance_below": str(p.low_balance_below) if p.low_balance_below is not None else None,
            "large_from": str(p.large_from) if p.large_from is not None else None}


def _operator(request: Request) -> None:
    """The preferences API is for the bank's own systems: a bearer token from SARRAF_ALERTS_API_TOKEN.
    Customers change their preferences by chatting."""
    expected = os.environ.get("SARRAF_ALERTS_API_TOKEN", "")
    if not expected:
        raise HTTPException(503, "the alert preferences API is off (set SARRAF_ALERTS_API_TOKEN)")
    given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(401, "a valid bearer token is required")


@router.get("/alerts/api/preferences/{bank}/{customer_id}")
async def read_preferences(bank: str, customer_id: str, request: Request) -> dict[str, Any]:
    _operator(request)
    return _prefs_json(await _services(request).preferences.get(bank, customer_id))


@router.put("/alerts/api/preferences/{bank}/{customer_id}")
async def change_preferences(bank: str, customer_id: str, body: PreferencesBody, request: Request) -> dict[str, Any]:
    _operator(request)
    services = _services(request)
    current = await services.preferences.get(bank, customer_id)
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    if "disabled" in changes:
        changes["disabled"] = frozenset(AlertGroup(g) for g in changes["disabled"] or ()) - {AlertGroup.FRAUD}
    for key in ("low_balance_below", "large_from"):
        if changes.get(key) is not None:
            try:
                changes[key] = Decimal(changes[key])
            except InvalidOperation as exc:
                raise HTTPException(422, f"{key} is not a number") from exc
    updated = current.with_changes(**changes)
    await services.preferences.save(bank, customer_id, updated)
    return _prefs_json(updated)
