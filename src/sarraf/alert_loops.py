"""The alert loops of one gateway: intake, router, delivery worker, pollers and the payment status follower.

`start_alerts(gateway)` assembles them from what `bootstrap.build` made (the alert outbox and stores in
`gateway.alerts`, the agreements, audit log and channels in `gateway.web`) and starts the AlertRuntime; the
web app's lifespan calls it and `AlertServices.stop()`. `run_alert_worker` is `sarraf alerts worker`: a
process that routes and delivers instead of the gateway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time as clock_time
from datetime import timedelta

import httpx

from sarraf.alerts.ais_polling import AisPoller, PollSchedule
from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.alerts.derive import FraudRules, Rules
from sarraf.alerts.fraud import FraudDesk
from sarraf.alerts.intake import Backlog, EventIntake
from sarraf.alerts.offers import OfferGate
from sarraf.alerts.payment_follow import Backoff
from sarraf.alerts.polling import EventPoller
from sarraf.alerts.ports import ROUTED
from sarraf.alerts.router import AlertRouter
from sarraf.alerts.runtime import AlertRuntime
from sarraf.alerts.sets import SetVerifier
from sarraf.alerts.standard import StandardAlerts, StandardConfig
from sarraf.banks.event_feed import ConnectorEvents, JwksCache
from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.bootstrap import Container, Gateway
from sarraf.bootstrap_alerts import offer_rules
from sarraf.bootstrap_payments import payment_follower
from sarraf.config import BankConfig, DerivedAlerts
from sarraf.heap import settle_after_start_up
from sarraf.policy.actions import CardActionPoint
from sarraf.store.alert_derivation import SqlDerivationMemory, linked_consents
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.alerts_prefs import SqlAlertPreferences, SqlFraudCases
from sarraf.store.offers import SqlOffers

log = logging.getLogger(__name__)


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
    """Register our intake URL at the bank, retrying while the bank does not answer."""
    connector = container.connectors[bank.id]
    if not isinstance(connector, OpenBankingConnector):
        return
    if bank.embedded:
        await _until_serving(container.http, bank.reached_at(container.settings.public_url))
    for attempt in range(30):
        try:
            await connector.subscribe_events(f"{container.settings.public_url}/banks/{bank.id}/events")
            return
        except Exception as exc:  # the bank may still be starting: try again a little later
            log.info("event subscription at %s failed (%s); retrying", bank.id, exc)
            await asyncio.sleep(min(5.0, 0.2 * (attempt + 1)))


async def _until_serving(http: httpx.AsyncClient, base: str) -> None:
    """The embedded bank is this very server, which listens only once the lifespan start-up that runs us is
    over: wait, quietly, until it answers at all — a refused connection until then is the normal start, not a
    failure worth a log line."""
    pause = 0.02
    while True:
        try:
            await http.get(base + "/.well-known/openid-configuration")
            return
        except httpx.TransportError:
            await asyncio.sleep(pause)
            pause = min(1.0, pause * 2)


def _router(container: Container, outbox: SqlAlertOutbox, cases: SqlFraudCases,
            deriver: StandardAlerts | None = None) -> AlertRouter:
    offers = OfferGate(SqlOffers(container.engine, container.row_sealer), offer_rules(container.banks),
                       container.windows)
    router = AlertRouter(outbox, container.decider, container.audit, container.secure_links, cases,
                         outbox, bank_names=container.bank_names,
                         default_langs={b.id: b.default_language for b in container.banks.values()}, offers=offers)
    deriver = deriver or standard_alerts(container, outbox)
    if deriver is not None:
        router.derive_with(deriver)
    return router


def standard_config(d: DerivedAlerts) -> StandardConfig:
    night = d.fraud_night_card_not_present
    nights = (clock_time.fromisoformat(night[0]), clock_time.fromisoformat(night[1])) if night else None
    fraud = FraudRules(d.fraud_new_merchant_abroad_above, d.fraud_declined_attempts,
                       timedelta(minutes=d.fraud_declined_window_minutes), nights, d.fraud_timezone)
    return StandardConfig(Rules(d.home_country, d.large_from, d.low_balance_below, fraud), d.fraud_feed)


def standard_alerts(container: Container, outbox: SqlAlertOutbox) -> StandardAlerts | None:
    """Alerts derived from standard OB events, for the banks configured so (banks.yaml `alerts: {derive: true}`)."""
    configs = {b.id: standard_config(b.derived_alerts) for b in container.banks.values() if b.derived_alerts}
    if not configs:
        return None
    return StandardAlerts(container.point, SqlDerivationMemory(container.engine), outbox, configs)


def _ais_pollers(container: Container, outbox: SqlAlertOutbox, deriver: StandardAlerts | None,
                 on_accept: Callable[[], None]) -> list[asyncio.Task[None]]:
    """AIS polling for the banks that cannot push (`alerts.poll_transactions_seconds`), one task per bank."""
    schedules = {b.id: PollSchedule(b.derived_alerts.poll_transactions_seconds, b.derived_alerts.max_calls_per_minute)
                 for b in container.banks.values() if b.derived_alerts and b.derived_alerts.poll_transactions_seconds}
    if not schedules or deriver is None:
        return []
    engine = container.engine
    poller = AisPoller(outbox, lambda tenant: linked_consents(engine, tenant), schedules, deriver,
                       on_accept=on_accept)
    stop = asyncio.Event()  # the tasks are cancelled with the subscriptions when the services stop
    return [asyncio.create_task(poller.run(tenant, stop), name=f"alerts-ais-poll-{tenant}") for tenant in schedules]


async def start_alerts(gateway: Gateway, *, in_process_worker: bool = True, route_in_process: bool = True,
                       policy: DeliveryPolicy | None = None) -> AlertServices:
    """`route_in_process=False` when `run_alert_worker(route=True)` processes route instead (scale-out): this
    process then only takes events in, holding the bank back while the store's unrouted count is high."""
    container, parts = gateway.web, gateway.alerts
    outbox = parts.outbox
    deriver = standard_alerts(container, outbox)
    routing = _router(container, outbox, parts.cases, deriver) if route_in_process else None
    public = container.settings.public_url
    verifiers = {
        b.id: SetVerifier(b.id, b.events_audience or b.client_id,
                          JwksCache(container.http, b.events_jwks_url or b.reached_at(public) + "/sarraf/v1/jwks.json"),
                          issuer=b.events_issuer)
        for b in container.banks.values()
    }
    worker = (DeliveryWorker(outbox, gateway.channels, policy, pace=gateway.rate_limits, bell=parts.bell)
              if in_process_worker else None)
    runtime_box: list[AlertRuntime] = []
    backlog = Backlog()
    intake = EventIntake(verifiers, outbox, on_accept=lambda: runtime_box[0].notify() if runtime_box else None,
                         backlog=backlog)
    polled = [b.id for b in container.banks.values() if b.events_poll_seconds > 0]
    poller = EventPoller(ConnectorEvents(container.connectors), intake, polled,
                         interval_s=min(b.events_poll_seconds for b in container.banks.values() if b.id in polled)
                         ) if polled else None
    runtime = AlertRuntime(routing, worker, parts.fraud, poller, backlog=backlog, unrouted=outbox.unrouted,
                           routed_signal=lambda wake: outbox.listen(wake, ROUTED))
    runtime_box.append(runtime)
    await runtime.start()
    subscriptions = [asyncio.create_task(_subscribe(container, b)) for b in container.banks.values() if b.events_push]
    if routing is not None:
        subscriptions += _ais_pollers(container, outbox, deriver, runtime.notify)
    # payments left pending at the bank: asked after, the outcome told once
    subscriptions.append(_follow_payments(container, outbox, runtime.notify))
    return AlertServices(runtime, intake, outbox, parts.preferences, parts.fraud, parts.actions, container,
                         subscriptions)


def _follow_payments(container: Container, outbox: SqlAlertOutbox, on_ready: Callable[[], None]) -> asyncio.Task[None]:
    s = container.settings
    follower = payment_follower(container.payments, container.engine, outbox, container.bank_names,
                                Backoff(s.payment_check_first_s, s.payment_check_max_s), on_ready)
    stop = asyncio.Event()  # the task is cancelled with the subscriptions when the services stop
    return asyncio.create_task(follower.run(stop, min(1.0, s.payment_check_first_s)), name="payments-follow")


async def run_alert_worker(gateway: Gateway, stop: asyncio.Event, *, route: bool = False,
                           policy: DeliveryPolicy | None = None, settle_heap: bool = False) -> None:
    """An alerts worker process (`sarraf alerts worker`): delivers due rows until `stop`; with `route`, it
    also routes (policy decision, audit entry in the gateway's log, rendering). Routing is single-flight
    across processes, so several workers may all be started with `route`; on SQLite run one worker process
    in all (delivery there has no row locks), routing in it or in the gateway."""
    outbox = gateway.alerts.outbox
    router = _router(gateway.web, outbox, gateway.alerts.cases) if route else None
    worker = DeliveryWorker(outbox, gateway.channels, policy, pace=gateway.rate_limits, bell=gateway.alerts.bell)
    runtime = AlertRuntime(router, worker, None, route_idle_s=worker.policy.idle_poll_s)
    await runtime.start()
    if settle_heap:  # the process runs only this worker (`sarraf alerts worker`): see sarraf.heap
        await runtime.warmed.wait()  # what routing loads at its start belongs in the frozen part too
        settle_after_start_up()
    try:
        await stop.wait()
    finally:
        await runtime.stop()
