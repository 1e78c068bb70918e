"""The alert services' composition: intake, router, fraud desk, delivery worker and poller for one gateway.

`start_alerts(container)` builds them from the container's own links, agreements, audit log and channels and
starts the AlertRuntime; the web app's lifespan calls it and `AlertServices.stop()`. `run_alert_worker` is
`sarraf alerts worker`: a process that routes and delivers instead of the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time as clock_time
from datetime import timedelta
from typing import Any

import httpx

from sarraf.alerts.ais_polling import AisPoller, PollSchedule
from sarraf.alerts.delivery import DeliveryPolicy, DeliveryWorker
from sarraf.alerts.derive import FraudRules, Rules
from sarraf.alerts.fraud import Answer, FraudDesk
from sarraf.alerts.intake import Backlog, EventIntake
from sarraf.alerts.offers import OfferGate
from sarraf.alerts.payment_follow import Backoff
from sarraf.alerts.polling import EventPoller
from sarraf.alerts.ports import ROUTED
from sarraf.alerts.router import AlertRouter
from sarraf.alerts.runtime import AlertRuntime
from sarraf.alerts.sets import SetVerifier
from sarraf.alerts.standard import StandardAlerts, StandardConfig
from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.bootstrap import Container
from sarraf.bootstrap_payments import payment_follower
from sarraf.channels import webchat
from sarraf.config import BankConfig, DerivedAlerts
from sarraf.conversation.flows.alert_chat import AlertsInChat
from sarraf.conversation.flows.alerts import AlertFlows
from sarraf.conversation.flows.offers import OfferFlows
from sarraf.conversation.step_up import StepUpGate, device_confirmed
from sarraf.domain.messages import Outbound
from sarraf.domain.offers import OfferRules
from sarraf.heap import settle_after_start_up
from sarraf.policy.actions import CardActionPoint
from sarraf.policy.step_up import Sensitive, StepUpPolicy
from sarraf.store.alert_derivation import SqlDerivationMemory, linked_consents
from sarraf.store.alert_receipts import SqlAlertReceipts
from sarraf.store.alerts_outbox import SqlAlertOutbox
from sarraf.store.alerts_prefs import SqlAlertPreferences, SqlFraudCases
from sarraf.store.card_confirmations import SqlCardConfirmations
from sarraf.store.held_actions import SqlHeldActions
from sarraf.store.messages import SqlHandoffs
from sarraf.store.offers import SqlOffers

log = logging.getLogger(__name__)
SANDBOX_MOUNT = "/bank"  # where web/app.py mounts the embedded sandbox bank
JWKS_TTL_S = 300


class ChannelTransport:
    """The gateway's channels for the delivery worker; web chat is handed over inside the outbox commit."""

    def __init__(self, container: Container) -> None:
        self._container = container

    def pull(self, channel: str) -> bool:
        return channel == webchat.NAME

    def render_pull(self, channel: str, messages: list[Outbound]) -> list[dict[str, Any]]:
        return [webchat.render(m) for m in messages]

    async def send(self, channel: str, sender: str, messages: list[Outbound]) -> list[str]:
        found = self._container.channels.channels.get(channel)
        if found is None:
            raise LookupError(f"channel {channel} is not enabled")
        return await found.deliver(sender, messages)


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
    """Register our intake URL at the bank, retrying while the bank does not answer."""
    connector = container.connectors[bank.id]
    if not isinstance(connector, OpenBankingConnector):
        return
    if bank.embedded:
        await _until_serving(container.http, bank_base(container, bank))
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


def offer_rules(container: Container) -> dict[str, OfferRules]:
    return {b.id: OfferRules(b.offers_per_customer_per_week, b.offers_per_bank_per_day, b.offers_marketing_templates)
            for b in container.banks.values()}


def _router(container: Container, outbox: SqlAlertOutbox, cases: SqlFraudCases,
            deriver: StandardAlerts | None = None) -> AlertRouter:
    offers = OfferGate(SqlOffers(container.engine, container.row_sealer), offer_rules(container),
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


@dataclass
class ConversationAlerts:
    """What the conversation's card and alert flows stand on; start_alerts adds intake and delivery to it."""

    outbox: SqlAlertOutbox
    preferences: SqlAlertPreferences
    cases: SqlFraudCases
    actions: CardActionPoint
    fraud: FraudDesk


def wire_conversation_alerts(container: Container) -> ConversationAlerts:
    """Give the container's conversation its card actions, alert preferences and fraud answers. Every channel's
    conversation is composed by this one function: the web app's (through start_alerts) and the terminal's,
    which runs no intake, delivery or bank subscription of its own."""
    engine = container.engine
    outbox = SqlAlertOutbox(engine, container.row_sealer)
    addresses = container.addresses
    prefs = SqlAlertPreferences(engine, addresses)
    cases = SqlFraudCases(engine, container.row_sealer)
    # The same links and agreements the conversation uses: one reload (housekeeping) updates both.
    actions = CardActionPoint(container.decider, container.audit, container.links,
                              container.connectors)
    fraud = FraudDesk(cases, actions, outbox, SqlHandoffs(engine, addresses), bank_names=container.bank_names)
    # Step-up before sensitive actions, per bank (policy/step_up.py): the same bank login linking uses.
    container.step_up = StepUpGate({b.id: StepUpPolicy.from_config(b.step_up) for b in container.banks.values()},
                                   SqlHeldActions(engine, addresses), container.consents, container.audit,
                                   container.bank_names)
    container.step_up.runs(Sensitive.SECURE_PAGE_NEW_DEVICE, device_confirmed)
    # The conversation was built with no alerts (alert_chat.NoAlerts); from here on it answers with these.
    container.conversation.alerts = AlertsInChat(AlertFlows(
        prefs, fraud, actions, Answer, container.bank_names, receipts=SqlAlertReceipts(engine, addresses),
        zones={b.id: b.time_zones for b in container.banks.values()},
        confirmations=SqlCardConfirmations(engine), step_up=container.step_up))
    container.conversation.register_flow(OfferFlows(SqlOffers(engine, container.row_sealer), offer_rules(container)))
    return ConversationAlerts(outbox, prefs, cases, actions, fraud)


async def start_alerts(container: Container, *, in_process_worker: bool = True, route_in_process: bool = True,
                       policy: DeliveryPolicy | None = None) -> AlertServices:
    """`route_in_process=False` when `run_alert_worker(route=True)` processes route instead (scale-out): this
    process then only takes events in, holding the bank back while the store's unrouted count is high."""
    flows = wire_conversation_alerts(container)
    outbox, prefs, cases, actions, fraud = flows.outbox, flows.preferences, flows.cases, flows.actions, flows.fraud
    deriver = standard_alerts(container, outbox)
    routing = _router(container, outbox, cases, deriver) if route_in_process else None
    verifiers = {
        b.id: SetVerifier(b.id, b.events_audience or b.client_id,
                          JwksCache(container.http,
                                    b.events_jwks_url or bank_base(container, b) + "/sarraf/v1/jwks.json"),
                          issuer=b.events_issuer)
        for b in container.banks.values()
    }
    worker = (DeliveryWorker(outbox, ChannelTransport(container), policy, pace=container.rate_limits)
              if in_process_worker else None)
    runtime_box: list[AlertRuntime] = []
    backlog = Backlog()
    intake = EventIntake(verifiers, outbox, on_accept=lambda: runtime_box[0].notify() if runtime_box else None,
                         backlog=backlog)
    polled = [b.id for b in container.banks.values() if b.events_poll_seconds > 0]
    poller = EventPoller(ConnectorEvents(container), intake, polled,
                         interval_s=min(b.events_poll_seconds for b in container.banks.values() if b.id in polled)
                         ) if polled else None
    runtime = AlertRuntime(routing, worker, fraud, poller, backlog=backlog, unrouted=outbox.unrouted,
                           routed_signal=lambda wake: outbox.listen(wake, ROUTED))
    runtime_box.append(runtime)
    await runtime.start()
    subscriptions = [asyncio.create_task(_subscribe(container, b)) for b in container.banks.values() if b.events_push]
    if routing is not None:
        subscriptions += _ais_pollers(container, outbox, deriver, runtime.notify)
    if container.payments is not None:  # payments left pending at the bank: asked after, the outcome told once
        subscriptions.append(_follow_payments(container, outbox, runtime.notify))
    return AlertServices(runtime, intake, outbox, prefs, fraud, actions, container, subscriptions)


def _follow_payments(container: Container, outbox: SqlAlertOutbox, on_ready: Callable[[], None]) -> asyncio.Task[None]:
    s = container.settings
    assert container.payments is not None
    follower = payment_follower(container.payments, container.engine, outbox, container.bank_names,
                                Backoff(s.payment_check_first_s, s.payment_check_max_s), on_ready)
    stop = asyncio.Event()  # the task is cancelled with the subscriptions when the services stop
    return asyncio.create_task(follower.run(stop, min(1.0, s.payment_check_first_s)), name="payments-follow")


async def run_alert_worker(container: Container, stop: asyncio.Event, *, route: bool = False,
                           policy: DeliveryPolicy | None = None, settle_heap: bool = False) -> None:
    """An alerts worker process (`sarraf alerts worker`): delivers due rows until `stop`; with `route`, it
    also routes (policy decision, audit entry in the container's log, rendering). Routing is single-flight
    across processes, so several workers may all be started with `route`; on SQLite run one worker process
    in all (delivery there has no row locks), routing in it or in the gateway."""
    outbox = SqlAlertOutbox(container.engine, container.row_sealer)
    router = _router(container, outbox, SqlFraudCases(container.engine, container.row_sealer)) if route else None
    worker = DeliveryWorker(outbox, ChannelTransport(container), policy, pace=container.rate_limits)
    runtime = AlertRuntime(router, worker, None, route_idle_s=worker.policy.idle_poll_s)
    await runtime.start()
    if settle_heap:  # the process runs only this worker (`sarraf alerts worker`): see sarraf.heap
        settle_after_start_up()
    try:
        await stop.wait()
    finally:
        await runtime.stop()
