"""Alerts for banks whose only events are OB v4.0's standard ones (`resource-update`, consent revocation).

On a resource-update for a customer's consent (pushed, polled from /events, or made up by the AIS poller for a
bank that cannot push), read what changed through the policy door — balances and the transactions since a
while before the newest booking seen (`LOOKBACK`) — derive the alerts (alerts/derive.py) and put them in the
outbox as ordinary bank events with stable ids. From there they take the same road as a bank's own alert
events: preferences, disclosure decision, audit, rendering, delivery, the fraud loop.

Exactly once: the outbox refuses an event id it holds, and the memory of the account is written only after the
derived events are in the outbox, so a crash in between derives the same ids again.

The read is for fraud detection (purpose essential.fraud_detection, which the transactions scope covers) and
is itself decided and audited; each derived alert is decided again, for notification, when it is routed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sarraf.alerts.derive import Memory, Observed, Rules, derive, forget_before
from sarraf.alerts.ports import AlertOutbox, Recipient
from sarraf.alerts.standard_ports import AccountReader, DerivationMemory, Remembered
from sarraf.domain.banking import Balance, CreditDebit, Transaction
from sarraf.domain.consent import ConsentStatus
from sarraf.domain.errors import BankUnavailable, ConsentUnusable, NotLinked
from sarraf.domain.events import BankEvent
from sarraf.policy.point import Subject

log = logging.getLogger(__name__)
FRAUD_DETECTION = "essential.fraud_detection"
LOOKBACK = timedelta(days=3)  # pending rows book (and declines repeat) within this; re-read, never re-alerted
FIRST_LOOK = timedelta(minutes=30)  # an account seen for the first time: only what happened just before alerts
MAX_EVENT_ID = 160  # alert_outbox.event_id
READS_IN_FLIGHT = 16  # consents read at once in a routing round (each read is a few calls to the bank)


@dataclass(frozen=True, slots=True)
class StandardConfig:
    """One bank's derivation settings (banks.yaml `alerts:`)."""

    rules: Rules = field(default_factory=Rules)
    fraud_feed: bool = False  # the bank sends its own fraud events: they win, no rule-based question


def observed(t: Transaction) -> Observed:
    """A transaction from the policy door, as derivation reads it."""
    extra = t.extra
    how = extra.get("authorisation", "")
    return Observed(
        transaction_id=t.transaction_id, account_id=t.account_id, booked_at=t.booked_at, amount=t.amount.amount,
        currency=t.amount.currency, credit=t.credit_debit is CreditDebit.CREDIT, status=extra.get("status") or "BOOK",
        merchant=t.merchant_name or t.description or "", country=extra.get("country", ""),
        code=extra.get("bank_code", ""), card_last4=t.card_last4 or "",
        card_present=None if not how else how not in ("ConsumerDevice", "None"),
        instructed_currency=extra.get("instructed_currency", ""))


def event_id(alert_id: str) -> str:
    return alert_id if len(alert_id) <= MAX_EVENT_ID else "std:" + hashlib.sha256(alert_id.encode()).hexdigest()


class StandardAlerts:
    def __init__(self, point: AccountReader, memory: DerivationMemory, outbox: AlertOutbox,
                 configs: Mapping[str, StandardConfig], *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._point = point
        self._memory = memory
        self._outbox = outbox
        self._configs = configs
        self._clock = clock
        self._failing: dict[str, int] = {}  # bank → reads failed in a row (AIS polling backs off on it)
        self._events: list[BankEvent] = []  # derived in this routing round, not yet in the outbox (`flush`)
        self._kept: dict[tuple[str, str], Remembered] = {}  # (bank, account) → memory to write at `flush`
        self._prepared: dict[tuple[str, str], tuple[str, str | None]] = {}  # (bank, consent) → (update id, why)

    def failures(self, tenant: str) -> int:
        return self._failing.get(tenant, 0)

    def serves(self, tenant: str) -> bool:
        return tenant in self._configs

    async def prepare(self, updates: Sequence[tuple[BankEvent, Recipient]]) -> None:
        """A routing round's resource-updates, read and derived before the round is planned: one read per consent
        (a second update of the round would read the same), `READS_IN_FLIGHT` consents at a time — reads are
        round trips to the bank, and one after another they bounded the throughput (bench/alerts.py --mode
        standard). Different consents hold different accounts, so their derivations touch disjoint memories."""
        first: dict[tuple[str, str], tuple[BankEvent, Recipient]] = {}
        for event, recipient in updates:
            first.setdefault((event.tenant, event.consent_id), (event, recipient))
        gate = asyncio.Semaphore(READS_IN_FLIGHT)

        async def one(event: BankEvent, recipient: Recipient) -> str | None:
            async with gate:
                return await self._update(event, recipient)

        outcomes = await asyncio.gather(*(one(e, r) for e, r in first.values()), return_exceptions=True)
        whys: list[str | None] = []
        for outcome in outcomes:  # all finished; the round fails on the first error (the store away)
            if isinstance(outcome, BaseException):
                raise outcome
            whys.append(outcome)
        self._prepared = {key: (event.event_id, why)
                          for (key, (event, _)), why in zip(first.items(), whys, strict=True)}

    async def on_update(self, event: BankEvent, recipient: Recipient) -> str | None:
        """Derive and enqueue the alerts a resource-update stands for. Returns why the update itself is not
        sent on as a message, or None when this bank is not derived from (the update is worded as today)."""
        prepared = self._prepared.get((event.tenant, event.consent_id))
        if prepared is None:
            return await self._update(event, recipient)
        first_id, why = prepared
        if why is None or first_id == event.event_id:
            return why
        return f"derivation: read once with {first_id}, an update of this consent in the same round"

    async def _update(self, event: BankEvent, recipient: Recipient) -> str | None:
        config = self._configs.get(event.tenant)
        if config is None:
            return None
        rules = config.rules
        if recipient.preferences.low_balance_below is not None:
            rules = Rules(rules.home_country, rules.large_from, recipient.preferences.low_balance_below, rules.fraud)
        fraud_rules = not config.fraud_feed and rules.fraud.any
        if config.fraud_feed:
            rules = Rules(rules.home_country, rules.large_from, rules.low_balance_below)
        if not recipient.preferences.opted_in and not fraud_rules:
            return "derivation: customer has not opted in to alerts and the bank has no fraud rules"
        if not recipient.has_tokens or recipient.link_status is not ConsentStatus.AUTHORISED:
            return "derivation: the customer's consent is not usable"
        try:
            made = await self.derive_for(event.tenant, recipient.customer_id, event.consent_id,
                                         recipient.preferences.channel or _first_channel(recipient), rules,
                                         event.occurred_at)
        except (ConsentUnusable, NotLinked) as exc:
            return f"derivation: consent unusable ({type(exc).__name__})"
        except BankUnavailable as exc:
            self._failing[event.tenant] = self._failing.get(event.tenant, 0) + 1
            # Nothing is remembered as read: the next update or poll reads the same window again.
            log.warning("derivation for %s/%s: bank unavailable: %s", event.tenant, recipient.customer_id, exc)
            return f"derivation: bank unavailable ({exc}); the next update or poll reads the same window"
        self._failing.pop(event.tenant, None)
        return made

    async def derive_for(self, tenant: str, customer_id: str, consent_id: str, recipient: str, rules: Rules,
                         occurred_at: datetime) -> str:
        subject = Subject(tenant, customer_id, recipient, FRAUD_DETECTION)
        balances = await self._point.balances(subject)
        if balances.data is None:
            return f"derivation: balances not disclosed ({balances.decision.reason})"
        accounts = {ab.account.account_id: ab for ab in balances.data}
        remembered = {a: await self._recall(tenant, a) for a in accounts}
        now = self._clock()
        windows = {a: _window(r, now) for a, r in remembered.items()}
        since = min(windows.values(), default=now - LOOKBACK)
        txns = await self._point.transactions(subject, since, None)
        if txns.data is None:
            return f"derivation: transactions not disclosed ({txns.decision.reason})"
        rows = [observed(t) for t in txns.data]
        events: list[BankEvent] = []
        kept: dict[str, Remembered] = {}
        for account_id, ab in accounts.items():
            held, start = remembered[account_id], windows[account_id]
            # The fetch covers every account's window at once: another account's older rows are not read here.
            mine = [r for r in rows if r.account_id == account_id and r.booked_at >= start]
            memory = held.memory if held else Memory()
            # A credit card's balance is what is owed: "low" says nothing there.
            balance = None if "CreditCard" in ab.account.account_type else _available(ab.balances)
            derived, memory = derive(mine, account_id, ab.account.currency, balance, rules, memory,
                                     alert_from=None if held else occurred_at - FIRST_LOOK)
            newest = max([*(r.booked_at for r in mine), *([held.last_booking_at] if held and held.last_booking_at
                                                          else [])], default=None)
            kept[account_id] = Remembered(customer_id, forget_before(memory, start - LOOKBACK), newest)
            for d in derived:
                at = datetime.fromisoformat(d.data["booked_at"]) if "booked_at" in d.data else occurred_at
                events.append(BankEvent(tenant, event_id(d.alert_id), d.kind, consent_id, at, dict(d.data)))
        self._events.extend(events)
        self._kept.update({(tenant, a): r for a, r in kept.items()})
        kinds = sorted({e.kind.value for e in events})
        return f"derivation: {len(events)} alert(s) derived ({', '.join(kinds) or 'none'}; the outbox drops repeats)"

    async def _recall(self, tenant: str, account_id: str) -> Remembered | None:
        """This round's memory of the account if an earlier update of the round read it, else the stored one."""
        held = self._kept.get((tenant, account_id))
        return held if held is not None else await self._memory.recall(tenant, account_id)

    async def flush(self) -> None:
        """End of a routing round, before its outcomes commit: the round's derived alerts go into the outbox (one
        commit; ids it holds are dropped), then the accounts' memories (one more). A crash before the memories
        are written derives the same ids again; one before the round's outcomes commit routes the same
        resource-updates again: neither adds an alert. Two commits a round instead of two per update: on this
        machine's disk a commit costs ~25 ms (bench/alerts.py --mode standard)."""
        events, kept = self._events, self._kept
        self._events, self._kept, self._prepared = [], {}, {}
        if events:
            await self._outbox.accept(events)
        if kept:
            await self._memory.keep_many(kept, self._clock())


def _window(held: Remembered | None, now: datetime) -> datetime:
    """Where an account's read starts: LOOKBACK before its newest booking (pending rows book, declines repeat,
    late rows arrive within it). What was booked before the first look is history (derive's horizon)."""
    if held is None or held.last_booking_at is None:
        return now - LOOKBACK
    return held.last_booking_at - LOOKBACK


def _available(balances: tuple[Balance, ...]) -> Decimal | None:
    """The balance the customer can spend: an Available one when the bank gives it, else the first."""
    for b in balances:
        if "Available" in b.balance_type:
            return b.amount.amount
    return balances[0].amount.amount if balances else None


def _first_channel(r: Recipient) -> str:
    return r.identities[0][0] if r.identities else "webchat"

