"""Conversation flows for alerts: "Was this you?" answers and alert preferences changed by chatting ("turn
off shopping alerts", "wyłącz powiadomienia w nocy", "أوقف التنبيهات", "alert me about payments over 100"),
with the card flows (flows/cards.py) they share their wiring with.

The engine hands over postbacks starting with ``alert:`` or ``card:`` and the card / alert intents;
preference changes are recognised by keywords before the intent classifier, because the customer's words
name exactly what to change. A threshold the customer names is stored in the account's currency, or the
reply says plainly that it was not set and why — never silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any, Protocol, cast

from sarraf.conversation.flows.cards import CARD_INTENTS, CARD_PREFIX, CardActions, CardFlows, Confirmations
from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.entities.money import find_money
from sarraf.conversation.nlu.keywords import alternatives, language_tables
from sarraf.conversation.step_up import Requester, StepUpGate
from sarraf.conversation.turn import Party
from sarraf.conversation.zones import customer_zone
from sarraf.domain.events import AlertGroup
from sarraf.domain.messages import Outbound, Receipt
from sarraf.domain.money import Money
from sarraf.i18n.languages import CODES, DEFAULT
from sarraf.i18n.replies import catalog, format_money, format_number, format_zone
from sarraf.policy.step_up import Sensitive

FRAUD_PREFIX = "alert:fraud:"
INTENTS = frozenset({*CARD_INTENTS, "manage_alerts"})

# Clauses: split at punctuation ("turn off balance and shopping alerts" stays one request).
_CLAUSES = re.compile(r"[,.;:!?؟،؛\n]+")



@dataclass(frozen=True, slots=True)
class _Words:
    """The preference-change patterns, compiled once from the keyword tables (nlu/data/keywords, `alerts:`).

    Matched case-insensitively on the raw text. "no"/"without" count as off in each language: "no alerts
    at night", „bez powiadomień", «لا تنبيهات بالليل»; "over 100" is a large-purchase threshold, "below 50"
    a low-balance one."""

    off: re.Pattern[str]
    on: re.Pattern[str]
    alerts: re.Pattern[str]
    night: re.Pattern[str]
    groups: dict[AlertGroup, re.Pattern[str]]
    over: re.Pattern[str]
    under: re.Pattern[str]
    language_hints: tuple[tuple[str, re.Pattern[str]], ...]  # the first language whose hint matches answers


def _compiled(table: str, symbols: str = "") -> re.Pattern[str]:
    return re.compile(symbols + alternatives(table), re.IGNORECASE)


@cache
def _words() -> _Words:
    groups = (AlertGroup.SHOPPING, AlertGroup.BALANCE, AlertGroup.ACCOUNT)
    hints = tuple(
        (code, re.compile("|".join(language_tables(code)["alerts.language_hint"]), re.IGNORECASE))
        for code in CODES
        if language_tables(code)["alerts.language_hint"]
    )
    return _Words(
        off=_compiled("alerts.turn_off"),
        on=_compiled("alerts.turn_on"),
        alerts=_compiled("alerts.alerts"),
        night=_compiled("alerts.night"),
        groups={group: _compiled(f"alerts.{group.value}") for group in groups},
        over=_compiled("alerts.over", ">|"),
        under=_compiled("alerts.under", "<|"),
        language_hints=hints,
    )


@dataclass(frozen=True, slots=True)
class PreferenceChange:
    on: bool
    group: AlertGroup | None = None  # None: every alert
    night: bool = False
    lang: str | None = None
    amount: Decimal | None = None  # a threshold the customer named ("over 100")
    currency: str | None = None  # its currency when they said one ("100 zł"); else the account's
    over: bool | None = None  # True: "over/above", False: "under/below", None: neither said


def preference_change(text: str) -> PreferenceChange | None:
    """What the customer asked to change about alerts, or None when the message is about something else."""
    words = _words()
    if not words.alerts.search(text):
        return None
    # Only the words in the same clause as "alerts" switch them: in "tell me my balance, I never get alerts"
    # the "tell me" asks for the balance, and nothing about alerts changes (issue 17, finding 8).
    about_alerts = " ".join(c for c in _CLAUSES.split(text) if words.alerts.search(c))
    off, on = bool(words.off.search(about_alerts)), bool(words.on.search(about_alerts))
    if off == on:
        return None
    lang = next((code for code, pattern in words.language_hints if pattern.search(text)), DEFAULT)
    text = about_alerts  # what the change says, not the rest of the message
    group = next((g for g, pattern in words.groups.items() if pattern.search(text)), None)
    money = find_money(text, fold(text), bare_numbers=True, default_currency="")
    # {"amount": Decimal, "currency": str}, the currency "" when none was said
    amount: dict[str, Any] = cast("dict[str, Any]", money[0].value) if money else {"amount": None, "currency": ""}
    over = True if words.over.search(text) else False if words.under.search(text) else None
    return PreferenceChange(on=on, group=group, night=bool(words.night.search(text)), lang=lang,
                            amount=amount["amount"], currency=amount["currency"] or None, over=over)


class PreferencesPort(Protocol):
    async def get(self, tenant: str, customer_id: str): ...  # type: ignore[no-untyped-def]

    async def save(self, tenant: str, customer_id: str, preferences) -> None: ...  # type: ignore[no-untyped-def]


class FraudAnswers(Protocol):
    async def answer(self, a: Any) -> Any: ...

    async def awaiting(self, tenant: str, customer_id: str) -> str | None: ...


Who = Party  # the customer an alert flow answers, now or later


class ReceiptsPort(Protocol):
    async def record_receipt(self, channel: str, sender: str, receipt: Receipt) -> int: ...


class AlertFlows:
    def __init__(self, preferences: PreferencesPort, fraud: FraudAnswers, actions: CardActions,
                 answer_type: type, bank_names: Mapping[str, str], receipts: ReceiptsPort | None = None,
                 zones: Mapping[str, Mapping[str, str]] | None = None, *, confirmations: Confirmations,
                 step_up: StepUpGate | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._zones = zones or {}  # per bank: reply language → IANA zone (banks file `time_zones`)
        self._receipts = receipts
        self._prefs = preferences
        self._fraud = fraud
        self.cards = CardFlows(actions, confirmations, clock, step_up=step_up)
        self._step_up = step_up
        if step_up is not None:  # a stepped-up move of the alerts comes back here, from the login's callback
            step_up.runs(Sensitive.ALERT_DESTINATION, self._moved_here)
        self._answer_type = answer_type  # alerts.fraud.Answer, passed in so conversation imports no alerts code
        self._bank_names = bank_names

    def _say(self, who: Who, key: str, **values: object) -> Outbound:
        return Outbound(catalog().text(who.lang, key, bank=who.bank, **values), who.lang)

    async def receipt(self, channel: str, sender: str, receipt: Receipt) -> None:
        """A platform says alerts we sent reached the customer or were read: noted on them, never answered."""
        if self._receipts is not None:
            await self._receipts.record_receipt(channel, sender, receipt)

    async def postback(self, who: Who, payload: str) -> list[Outbound]:
        if payload.startswith(CARD_PREFIX):
            return await self.cards.answer(who, payload)
        if not payload.startswith(FRAUD_PREFIX):
            return [self._say(who, "fraud_unknown")]
        event_id, _, answer = payload[len(FRAUD_PREFIX):].rpartition(":")
        if answer not in ("yes", "no") or not event_id:
            return [self._say(who, "fraud_unknown")]
        return list(await self._fraud.answer(self._answer_type(
            who.tenant, who.customer_id, who.channel, who.sender, who.lang, event_id, answer == "yes")))

    async def fraud_question_open(self, who: Who) -> bool:
        """Whether a "Was this you?" waits for this customer's answer."""
        return await self._fraud.awaiting(who.tenant, who.customer_id) is not None

    async def yes_or_no(self, who: Who, genuine: bool) -> list[Outbound] | None:
        """A typed or spoken "yes"/"no" (Alexa has no buttons) answers a pending "Was this you?", else a card
        block waiting for confirmation; None if neither is waiting."""
        event_id = await self._fraud.awaiting(who.tenant, who.customer_id)
        if event_id is None:
            return await self.cards.yes_or_no(who, genuine)
        return list(await self._fraud.answer(self._answer_type(
            who.tenant, who.customer_id, who.channel, who.sender, who.lang, event_id, genuine)))

    async def intent(self, who: Who, intent: str, text: str) -> list[Outbound]:
        """A card intent; alert intents come through change_preferences (the engine checks the link first)."""
        return await self.cards.intent(who, intent, text)

    async def change_preferences(self, who: Who, change: PreferenceChange,
                                 currency: str | None = None) -> list[Outbound]:
        """Apply `change`; `currency` is the account's (None when it could not be read), for thresholds."""
        prefs = await self._prefs.get(who.tenant, who.customer_id)
        if change.night:
            start, end = ("22:00", "07:00")
            zone = customer_zone(prefs.timezone, who.lang, self._zones.get(who.tenant, {}))
            prefs = prefs.with_changes(quiet_start=start if not change.on else None,
                                       quiet_end=end if not change.on else None, timezone=zone)
            await self._prefs.save(who.tenant, who.customer_id, prefs)
            if change.on:
                return [self._say(who, "alerts_quiet_off")]
            return [self._say(who, "alerts_quiet_on", start=start, end=end, zone=format_zone(prefs.timezone, who.lang))]
        if change.on and prefs.channel is None:
            # Opting in also tells us where the customer wants to hear: here.
            prefs = prefs.with_changes(channel=who.channel, sender=who.sender)
        threshold, problem = _threshold(change, currency)
        held: Outbound | None = None  # the reply asking for a step-up before alerts move to this chat
        group = change.group or (threshold.group if threshold else None)
        if threshold is not None:
            field = "large_from" if threshold.group is AlertGroup.SHOPPING else "low_balance_below"
            prefs = prefs.with_changes(**{field: threshold.amount})
        if group is not None:
            disabled = set(prefs.disabled)
            (disabled.discard if change.on else disabled.add)(group)
            prefs = prefs.with_changes(disabled=frozenset(disabled), opted_in=prefs.opted_in or change.on)
        elif change.on:
            prefs = prefs.with_changes(opted_in=True, disabled=frozenset())
            held = await self._move_here(who, prefs.channel, prefs.sender)
        else:
            prefs = prefs.with_changes(opted_in=False)
        if change.on and group is None and held is None:
            prefs = prefs.with_changes(channel=who.channel, sender=who.sender)
        await self._prefs.save(who.tenant, who.customer_id, prefs)
        # a held move says itself where alerts go until the step-up ("I'll tell you here" would not be true)
        replies = [held if held is not None else self._confirm(who, change.on, group, threshold)]
        if problem is not None:
            replies.append(self._say(who, problem, currency=currency or "", amount=_plain(change.amount)))
        return replies

    async def _move_here(self, who: Who, channel: str | None, sender: str | None) -> Outbound | None:
        """Alerts going to another chat and now asked for here: the bank may want a step-up first (the move
        is then held, and the alerts keep their old destination until it is done)."""
        if self._step_up is None or channel is None or (channel, sender) == (who.channel, who.sender):
            return None
        return await self._step_up.guard(_requester(who), Sensitive.ALERT_DESTINATION, None)

    async def _moved_here(self, who: Requester, _: str | None) -> list[Outbound]:
        prefs = await self._prefs.get(who.tenant, who.customer_id)
        await self._prefs.save(who.tenant, who.customer_id, prefs.with_changes(channel=who.channel, sender=who.sender))
        return [Outbound(catalog().text(who.lang, "alerts_destination_moved", bank=who.bank), who.lang)]

    def _confirm(self, who: Who, on: bool, group: AlertGroup | None,
                 threshold: Threshold | None) -> Outbound:
        if threshold is not None:
            key = "alerts_large_from" if threshold.group is AlertGroup.SHOPPING else "alerts_low_balance_below"
            if threshold.currency is None:  # "… of 100 or more in your account's currency"
                return self._say(who, f"{key}_account_currency", amount=format_number(threshold.amount, who.lang))
            return self._say(who, key, amount=format_money(Money(threshold.amount, threshold.currency), who.lang))
        if group is not None:
            name = catalog().text(who.lang, f"alerts_group_{group.value}")
            return self._say(who, "alerts_group_on" if on else "alerts_group_off", group=name)
        return self._say(who, "alerts_on" if on else "alerts_off")


@dataclass(frozen=True, slots=True)
class Threshold:
    group: AlertGroup  # SHOPPING: payments from `amount`; BALANCE: balance below it
    amount: Decimal
    currency: str | None  # None: in the account's currency, which this channel may not see


def _threshold(change: PreferenceChange, currency: str | None) -> tuple[Threshold | None, str | None]:
    """The threshold to store, or the catalogue key saying why the named amount was not."""
    if change.amount is None:
        return None, None
    if not change.on:
        return None, "alerts_threshold_when_on"
    over = change.over
    if over is None:  # "low balance alerts at 50" / "payment alerts 100": the group says which way
        over = {AlertGroup.SHOPPING: True, AlertGroup.BALANCE: False}.get(change.group)  # type: ignore[arg-type]
    group = AlertGroup.SHOPPING if over else AlertGroup.BALANCE
    if over is None or (change.group is not None and change.group is not group):
        return None, "alerts_threshold_unclear"
    if change.amount <= 0:
        return None, "alerts_threshold_unclear"
    if currency is None:
        # This channel may not see the account (link-only): the amount is kept as given, in the account's
        # currency whatever it is (comparing needs no disclosure), and the reply says so (see `_confirm`).
        return Threshold(group, change.amount, None), None
    if change.currency is not None and change.currency != currency:
        return None, "alerts_threshold_currency"
    return Threshold(group, change.amount, currency), None


def _requester(who: Who) -> Requester:
    return Requester(who.tenant, who.customer_id, who.channel, who.sender, who.lang, who.bank)


def _plain(amount: Decimal | None) -> str:
    return "" if amount is None else format(amount.normalize(), "f")
