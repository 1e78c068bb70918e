"""The composition root: `build` reads configuration, builds every adapter and service once and returns a
frozen `Gateway` of typed services grouped by who uses them (docs/architecture.md, "One composition root").

The whole wiring of the house starts here (bootstrap_alerts.py, bootstrap_payments.py, bootstrap_service.py and
channel_wiring.py build their parts for it); the web app, the terminal, `sarraf alerts worker`, the benchmarks
and the tests all call `build`, the tests against 127.0.0.1 peers.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.alerts.outbound import Addressee, OutOfTurn
from sarraf.banks.openbanking import OpenBankingConnector
from sarraf.bootstrap_alerts import AlertParts, alert_parts
from sarraf.bootstrap_alerts import chat_alerts as chat_alerts_of
from sarraf.bootstrap_payments import PaymentsWiring, wire_payments
from sarraf.bootstrap_service import wire_service
from sarraf.channel_wiring import build_channels
from sarraf.channels import terminal
from sarraf.channels.messenger import NAME as MESSENGER
from sarraf.channels.messenger import MessengerChannel
from sarraf.channels.messenger_handover import PageInboxHandoffs
from sarraf.channels.ratelimit import RateLimits
from sarraf.channels.registry import ChannelSet, open_rate_limits
from sarraf.config import BankConfig, Settings, load_banks
from sarraf.console.changes import Changes
from sarraf.console.desk import AgentDesk
from sarraf.console.ports import ConversationRef
from sarraf.console.satisfaction import SatisfactionFlow
from sarraf.conversation.engine import Conversation
from sarraf.conversation.flows.alert_chat import NoAlerts
from sarraf.conversation.nlu import load_default as load_nlu
from sarraf.conversation.nlu import user_cache_dir
from sarraf.conversation.service_grounding import ServiceGrounding
from sarraf.conversation.step_up import StepUpGate
from sarraf.domain.messages import Outbound
from sarraf.domain.ports import BankConnector
from sarraf.http_client import outbound_client
from sarraf.policy.audit.log import PSEUDONYM_SECRET, SIGNING_SECRET, AuditLog
from sarraf.policy.consent_grant import Scope, permissions_for
from sarraf.policy.consents import ConsentService
from sarraf.policy.crypto.envelope import EnvelopeCipher
from sarraf.policy.decision_cache import CachedDecider
from sarraf.policy.point import BankDataPoint
from sarraf.policy.secure_links import SignedLinks
from sarraf.policy.tenants import TenantDecider
from sarraf.store.address_sealing import Addresses
from sarraf.store.audit_store import open_audit_log
from sarraf.store.channel_state import SqlWindowStore
from sarraf.store.console_desk import SqlDesk
from sarraf.store.console_figures import SqlSatisfaction, SqlServiceOutcomes
from sarraf.store.conversation_context import SqlConversationContext
from sarraf.store.customers import SqlCustomers
from sarraf.store.data_rights import SqlDataRights
from sarraf.store.database import make_engine, migrate, private_folder
from sarraf.store.identity_sealing import LOOKUP_SECRET as IDENTITY_LOOKUP_SECRET
from sarraf.store.identity_sealing import IdentityCodec
from sarraf.store.key_store import KEYS_HINT, KeysDoNotMatchDatabase, SqlDataKeyStore, check_keys_match, key_provider
from sarraf.store.links import SqlLinkRepository, SqlLinkSessions
from sarraf.store.messages import SqlHandoffs, SqlMessageLog
from sarraf.store.sealing import JsonSealer
from sarraf.store.turn_locks import TurnLocks

LINKED_SCOPES = (Scope.BALANCES, Scope.TRANSACTIONS, Scope.PAYEES)
SECURE_LINKS_SECRET = "secure-links"
# What every process on one database must hold alike, besides the master key (see README, several replicas).
SHARED_SECRETS = (SECURE_LINKS_SECRET, SIGNING_SECRET, PSEUDONYM_SECRET, IDENTITY_LOOKUP_SECRET)


@dataclass(frozen=True)
class Container:
    """What the web routes and pages read (web/deps.py), built once by `build`; nothing is set on it later."""

    settings: Settings
    banks: dict[str, BankConfig]
    engine: AsyncEngine
    http: httpx.AsyncClient
    customers: SqlCustomers
    message_log: SqlMessageLog
    consents: ConsentService
    point: BankDataPoint
    audit: AuditLog
    secure_links: SignedLinks
    conversation: Conversation
    connectors: dict[str, BankConnector]
    data_rights: SqlDataRights
    links: SqlLinkRepository
    link_sessions: SqlLinkSessions
    deciders: dict[str, CachedDecider]
    decider: TenantDecider  # the one router over the deciders: every policy door of this gateway uses it
    windows: SqlWindowStore
    row_sealer: JsonSealer
    # platform addresses as the stores keep them: keyed hashes, opened from channel identities (one codec, so the
    # lookup secret is read once)
    addresses: Addresses
    channels: ChannelSet
    service: ServiceGrounding  # the customer's data behind service answers (bootstrap_service.py)
    payments: PaymentsWiring  # payments in chat (bootstrap_payments.py)
    step_up: StepUpGate | None  # sensitive actions held for a bank login; None when built without chat alerts
    turn_locks: TurnLocks  # one turn at a time per conversation, across processes
    # every message that is not an in-turn reply: through the alert outbox and its worker (alerts/outbound.py)
    outbound: OutOfTurn

    @asynccontextmanager
    async def one_turn(self, channel: str, sender: str) -> AsyncIterator[None]:
        """Answer one inbound message: after any other turn of this conversation in any process, its id
        recorded once the replies are out (so a process dying mid-turn leaves it to the platform's re-delivery)."""
        async with self.turn_locks.hold(f"{channel}\x1f{sender}"), self.message_log.answered_after():
            yield

    @property
    def bank_names(self) -> dict[str, str]:
        return {b.id: b.name for b in self.banks.values()}

    @property
    def default_tenant(self) -> str:
        return next(iter(self.banks))

    @property
    def default_lang(self) -> str:
        return self.banks[self.default_tenant].default_language

    async def deliver(self, to: Addressee, messages: list[Outbound], key: str) -> None:
        """A message outside a turn (after a bank login, a payment's outcome, a reminder): see alerts/outbound.py.
        `key` names this telling: told again under the same key, nothing is sent twice."""
        await self.outbound.send(to, messages, key)

    async def lang_of(self, customer_id: str) -> str | None:
        return await self.customers.lang_of(customer_id)

    def channel_status(self) -> dict[str, Any]:
        return self.channels.status()


@dataclass(frozen=True)
class Lifecycle:
    """What holds connections and files open: closed together, once, by whoever built the gateway."""

    engine: AsyncEngine
    http: httpx.AsyncClient
    audit: AuditLog
    rate_limits: RateLimits
    turn_locks: TurnLocks

    async def aclose(self) -> None:
        await self.turn_locks.close()
        await self.rate_limits.close()
        await self.audit.close()
        await self.http.aclose()
        await self.engine.dispose()


@dataclass(frozen=True)
class AgentsDesk:
    """The agents' console as the conversation sees it (`build(console=True)`): the web app's pages use it."""

    desk: AgentDesk
    changes: Changes  # wakes this process's live streams
    satisfaction: SatisfactionFlow


@dataclass(frozen=True)
class Gateway:
    """What `build` returns, grouped by who uses it; callers take what they need."""

    conversation: Conversation  # every channel's turns: the webhook routes, the terminal, the benchmarks
    channels: ChannelSet  # the platforms, for the webhook routes and delivery
    web: Container  # what the web routes and pages read
    alerts: AlertParts  # the alert stores and services the alert loops start from (alert_loops.py)
    outbound: OutOfTurn  # every message outside a turn
    rate_limits: RateLimits  # platform send quotas, shared by the channels and the delivery worker
    lifecycle: Lifecycle
    console: AgentsDesk | None = None  # the agents' desk, where the gateway runs one (the web app)

    async def aclose(self) -> None:
        await self.lifecycle.aclose()


async def prepare_shared_state(settings: Settings) -> None:
    """What the first process of a database creates and every later one only joins: the schema (migrated),
    the master key and the shared secrets, the check key planted in the database, the audit log's state.
    `sarraf serve --workers N` runs this once before starting the workers, so they never race to create them."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys = key_provider(settings)
    await migrate(settings.database_url, keys)
    engine = make_engine(settings.database_url)
    try:
        await check_keys_match(keys, SqlDataKeyStore(engine), SHARED_SECRETS)
        for name in SHARED_SECRETS:
            await keys.secret(name)
        audit = await open_audit_log(settings, engine=engine)
        await audit.close()
    finally:
        await engine.dispose()


async def build(settings: Settings, *, bank_urls: Mapping[str, str] | None = None,
                chat_alerts: bool = True, console: bool = False) -> Gateway:
    """Build the gateway, every part once. `bank_urls` gives the base URL of banks configured as "embedded";
    `chat_alerts=False` builds the conversation of a gateway without alerts (alert_chat.NoAlerts: card and
    alert requests answered "not in chat yet", no step-up), as the conversation tests' gateway is; `console=True`
    gives the conversation the agents' desk (the web app's: the bot stays silent where an agent took over)."""
    private_folder(settings.data_dir)  # 0700: database, keys and secrets inside (#17)
    banks = load_banks(settings.banks_file)
    keys = key_provider(settings)
    await migrate(settings.database_url, keys)
    engine = make_engine(settings.database_url)
    key_store = SqlDataKeyStore(engine)
    try:
        # Before anything can create a key: a process with keys of its own would break everyone's data.
        await check_keys_match(keys, key_store, SHARED_SECRETS)
    except Exception:
        await engine.dispose()
        raise
    cipher = EnvelopeCipher(keys, key_store)
    http = outbound_client()
    connectors: dict[str, BankConnector] = {}
    for bank in banks.values():
        base_url = (bank_urls or {}).get(bank.id, bank.base_url) if bank.embedded else bank.base_url
        connectors[bank.id] = OpenBankingConnector(
            http,
            tenant=bank.id,
            base_url=base_url,
            client_id=bank.client_id,
            client_secret=bank.client_secret,
            financial_id=bank.financial_id,
            timeout_s=bank.timeout_seconds,
        )
    deciders = {bank.id: CachedDecider.from_path(bank.agreement) for bank in banks.values()}
    audit = await open_audit_log(settings, engine=engine)
    latest = await audit.store.latest_checkpoint()
    if latest is not None and latest.key_id != audit.signer.key_id:
        await http.aclose()
        await engine.dispose()
        raise KeysDoNotMatchDatabase(
            f"the audit log's checkpoints are signed by {latest.key_id}, this process would sign with "
            f"{audit.signer.key_id}; {KEYS_HINT}"
        )
    links = SqlLinkRepository(engine, cipher)
    decider = TenantDecider(deciders)  # built once: the data door, service, payments, alerts and cards share it
    point = BankDataPoint(decider, audit, links, connectors)
    link_sessions = SqlLinkSessions(engine, cipher)
    consents = ConsentService(
        connectors,
        links,
        link_sessions,
        redirect_uri=f"{settings.public_url}/link/callback",
        start_url=f"{settings.public_url}/link/start",
        permissions=permissions_for(LINKED_SCOPES),
    )
    identity_codec = IdentityCodec(keys)  # channel identities: keyed hash + sealed platform id
    customers = SqlCustomers(engine, identity_codec)
    row_sealer = JsonSealer(keys)  # the bulk paths' sealing (alerts, the web chat's outbox)
    message_log = SqlMessageLog(engine, row_sealer, identity_codec)
    data_rights = SqlDataRights(engine, cipher, row_sealer)
    secure_links = SignedLinks(await keys.secret(SECURE_LINKS_SECRET), settings.public_url)
    # Connected once here, closed by Container.aclose (the app's lifespan); never fails start-up (see open_rate_limits).
    rate_limits = await open_rate_limits(settings.nats_url)
    windows = SqlWindowStore(engine, identity_codec)
    addresses = Addresses(identity_codec)  # platform addresses in the other tables: store/address_sealing.py
    channels = build_channels(
        message_log, settings=settings, banks=banks, http=http, engine=engine, identities=customers,
        limits=rate_limits, windows=windows, addresses=addresses,
    )
    bank_names = {b.id: b.name for b in banks.values()}
    default_langs = {b.id: b.default_language for b in banks.values()}
    alerts = alert_parts(engine=engine, sealer=row_sealer, addresses=addresses, decider=decider, audit=audit,
                         links=links, connectors=connectors, bank_names=bank_names)
    in_chat = chat_alerts_of(alerts, engine=engine, sealer=row_sealer, addresses=addresses, consents=consents,
                             audit=audit, banks=banks, bank_names=bank_names) if chat_alerts else None
    outbound = OutOfTurn(alerts.outbox, channels, channels.channels, bell=alerts.bell,
                         direct={terminal.NAME: channels})
    desk = _agents_desk(engine, row_sealer, addresses, outbound, point, bank_names, default_langs,
                        customers) if console else None
    messenger = channels.channels.get(MESSENGER)
    # A customer who asks for a person: our agents' console, or the Page Inbox for banks that chose it.
    handoffs = PageInboxHandoffs(SqlHandoffs(engine, addresses),
                                 messenger if isinstance(messenger, MessengerChannel) else None)
    conversation = Conversation(
        nlu=load_nlu(user_cache_dir()),
        customers=customers,
        messages=message_log,
        consents=consents,
        point=point,
        secure_links=secure_links,
        handoffs=handoffs,
        data_rights=data_rights,
        context=SqlConversationContext(engine),
        bank_names=bank_names,
        default_langs=default_langs,
        alerts=in_chat.flows if in_chat is not None else NoAlerts(),
        console=desk.desk if desk is not None else None,
    )
    # The flows beyond the engine's own, through the flow seam (conversation/flows/__init__.py).
    grounding = wire_service(conversation, banks, point, decider, audit, links, connectors,
                             secure_links, handoffs, consents, SqlServiceOutcomes(engine))
    payments = wire_payments(engine=engine, sealer=cipher, addresses=addresses, decider=decider,
                             audit=audit, links=links,
                             connectors=connectors, banks=banks, public_url=settings.public_url,
                             secure_links=secure_links)
    conversation.register_flow(payments.flow)  # "send £20 to Alice": conversation/flows/payments.py
    if in_chat is not None:
        conversation.register_flow(in_chat.offers)  # the offers' buttons: conversation/flows/offers.py
    if desk is not None:
        conversation.register_flow(desk.satisfaction)  # the "how did we do?" buttons
    turn_locks = TurnLocks(settings.database_url)
    web = Container(
        settings=settings, banks=banks, engine=engine, http=http, customers=customers, message_log=message_log,
        consents=consents, point=point, audit=audit, secure_links=secure_links, conversation=conversation,
        connectors=connectors, data_rights=data_rights, links=links, link_sessions=link_sessions,
        deciders=deciders, decider=decider, windows=windows, row_sealer=row_sealer, addresses=addresses,
        channels=channels, service=grounding, payments=payments,
        step_up=in_chat.step_up if in_chat is not None else None, turn_locks=turn_locks, outbound=outbound,
    )
    return Gateway(conversation, channels, web, alerts, outbound, rate_limits,
                   Lifecycle(engine, http, audit, rate_limits, turn_locks), desk)


def _agents_desk(engine: AsyncEngine, sealer: JsonSealer, addresses: Addresses, outbound: OutOfTurn,
                 point: BankDataPoint, bank_names: Mapping[str, str], default_langs: Mapping[str, str],
                 customers: SqlCustomers) -> AgentsDesk:
    async def to_customer(ref: ConversationRef, messages: list[Outbound]) -> None:
        # every message an agent sends is a telling of its own: a fresh key
        await outbound.send(Addressee(ref.tenant, ref.customer_id, ref.channel, ref.sender), messages,
                            f"agent:{ref.handoff_id}:{uuid.uuid4().hex}")

    changes = Changes()
    satisfaction = SqlSatisfaction(engine, addresses)
    desk = AgentDesk(SqlDesk(engine, sealer, addresses), to_customer, point, bank_names, customers.lang_of,
                     default_langs, satisfaction=satisfaction, changed=changes.notify)
    return AgentsDesk(desk, changes, SatisfactionFlow(satisfaction))
