"""Conversation flows for alerts and cards: "Was this you?" answers, freeze / unfreeze / lost or stolen,
and alert preferences changed by chatting ("turn off shopping alerts", "wyłącz powiadomienia w nocy",
"أوقف التنبيهات").

The engine hands over postbacks starting with ``alert:`` and the card / alert intents; preference changes
are recognised by keywords before the intent classifier, because the customer's words name exactly what to
change. Card actions go through the card-action policy point, never the bank connector.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from sarraf.conversation.replies import catalog, format_zone
from sarraf.conversation.zones import customer_zone
from sarraf.domain.errors import BankUnavailable, ConsentUnusable, NotLinked
from sarraf.domain.events import AlertGroup, CardAction
from sarraf.domain.messages import Outbound, Receipt
from sarraf.policy.actions import ActionOutcome, subject_for

FRAUD_PREFIX = "alert:fraud:"
CARD_INTENTS = {"freeze_card": CardAction.FREEZE, "unfreeze_card": CardAction.UNFREEZE,
                "lost_or_stolen_card": CardAction.REPORT_LOST, "card_lost": CardAction.REPORT_LOST,
                "card_stolen": CardAction.REPORT_STOLEN}
INTENTS = frozenset({*CARD_INTENTS, "manage_alerts"})

_OFF = re.compile(r"\b(turn off|switch off|stop|disable|mute|no)\b|wyłącz|wylacz|zatrzymaj|bez |أوقف|اوقف|إيقاف|ايقاف|"
                  r"أطفئ|الغ|ألغ", re.IGNORECASE)
_ON = re.compile(r"\b(turn on|switch on|enable|start|send me)\b|włącz|wlacz|فعّل|فعل|شغّل|شغل", re.IGNORECASE)
_ALERTS = re.compile(r"alert|notification|powiadomie|تنبيه|التنبيهات|إشعار|اشعار", re.IGNORECASE)
_NIGHT = re.compile(r"\bnight\b|at night|w nocy|nocą|noca|ليلا|ليلًا|الليل|بالليل", re.IGNORECASE)
_GROUPS = {
    AlertGroup.SHOPPING: re.compile(r"shopping|purchase|payment|zakup|płatno|platno|التسوق|المشتريات|الشراء",
                                    re.IGNORECASE),
    AlertGroup.BALANCE: re.compile(r"balance|saldo|الرصيد", re.IGNORECASE),
    AlertGroup.ACCOUNT: re.compile(r"account update|konto|الحساب", re.IGNORECASE),
}
_LANG = (("ar", re.compile(r"[\u0600-\u06FF]")), ("pl", re.compile(r"[ąćęłńóśźż]|powiadom|wyłącz|włącz|zakup",
                                                                      re.IGNORECASE)))


@dataclass(frozen=True, slots=True)
class PreferenceChange:
    on: bool
    group: AlertGroup | None = None  # None: every alert
    night: bool = False
    lang: str | None = None


def preference_change(text: str) -> PreferenceChange | None:
    """What the customer asked to change about alerts, or None when the message is about something else."""
    if not _ALERTS.search(text):
        return None
    off, on = bool(_OFF.search(text)), bool(_ON.search(text))
    if off == on:
        return None
    lang = next((code for code, pattern in _LANG if pattern.search(text)), "en")
    group = next((g for g, pattern in _GROUPS.items() if pattern.search(text)), None)
    return PreferenceChange(on=on, group=group, night=bool(_NIGHT.search(text)), lang=lang)


class PreferencesPort(Protocol):
    async def get(self, tenant: str, customer_id: str): ...  # type: ignore[no-untyped-def]

    async def save(self, tenant: str, customer_id: str, preferences) -> None: ...  # type: ignore[no-untyped-def]


class FraudAnswers(Protocol):
    async def answer(self, a): ...  # type: ignore[no-untyped-def]

    async def awaiting(self, tenant: str, customer_id: str) -> str | None: ...


class CardActions(Protocol):
    async def act(self, subject, action: CardAction, card_id: str | None = None) -> ActionOutcome: ...  # type: ignore[no-untyped-def]


@dataclass(frozen=True, slots=True)
class Who:
    tenant: str
    customer_id: str
    channel: str
    sender: str
    lang: str
    bank: str

    @classmethod
    def of(cls, turn: object, lang: str | None = None) -> Who:
        """From the engine's Turn (tenant, customer_id, channel, sender, lang, bank)."""
        t = turn
        return cls(t.tenant, t.customer_id, t.channel, t.sender, lang or t.lang, t.bank)  # type: ignore[attr-defined]


class ReceiptsPort(Protocol):
    async def record_receipt(self, channel: str, sender: str, receipt: Receipt) -> int: ...


class AlertFlows:
    def __init__(self, preferences: PreferencesPort, fraud: FraudAnswers, actions: CardActions,
                 answer_type: type, bank_names: Mapping[str, str], receipts: ReceiptsPort | None = None,
                 zones: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._zones = zones or {}  # per bank: reply language → IANA zone (banks file `time_zones`)
        self._receipts = receipts
        self._prefs = preferences
        self._fraud = fraud
        self._actions = actions
        self._answer_type = answer_type  # alerts.fraud.Answer, passed in so conversation imports no alerts code
        self._bank_names = bank_names

    def _say(self, who: Who, key: str, **values: object) -> Outbound:
        return Outbound(catalog().text(who.lang, key, bank=who.bank, **values), who.lang)

    async def receipt(self, channel: str, sender: str, receipt: Receipt) -> None:
        """A platform says alerts we sent reached the customer or were read: noted on them, never answered."""
        if self._receipts is not None:
            await self._receipts.record_receipt(channel, sender, receipt)

    async def postback(self, who: Who, payload: str) -> list[Outbound]:
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
        """A typed or spoken "yes"/"no" (Alexa has no buttons) answers a pending "Was this you?"; None if none."""
        event_id = await self._fraud.awaiting(who.tenant, who.customer_id)
        if event_id is None:
            return None
        return list(await self._fraud.answer(self._answer_type(
            who.tenant, who.customer_id, who.channel, who.sender, who.lang, event_id, genuine)))

    async def intent(self, who: Who, intent: str, text: str) -> list[Outbound]:
        if intent == "manage_alerts":
            change = preference_change(text) or PreferenceChange(on=True)
            return await self.change_preferences(who, change)
        action = CARD_INTENTS[intent]
        if action is CardAction.REPORT_LOST and re.search(r"stolen|skradzion|ukradzion|سرق|مسروق", text, re.I):
            action = CardAction.REPORT_STOLEN
        try:
            outcome = await self._actions.act(subject_for(who.tenant, who.customer_id, who.channel, fraud=False),
                                              action)
        except BankUnavailable:
            return [self._say(who, "card_bank_down")]
        except (NotLinked, ConsentUnusable):
            return [self._say(who, "consent_unusable")]
        if not outcome.decision.allowed:
            return [self._say(who, "denied")]
        if outcome.card is None:
            return [self._say(who, "card_none")]
        key = {CardAction.FREEZE: "card_frozen", CardAction.UNFREEZE: "card_unfrozen",
               CardAction.REPORT_LOST: "card_blocked_lost", CardAction.REPORT_STOLEN: "card_blocked_stolen"}[action]
        return [self._say(who, key, last4=outcome.card.last4)]

    async def change_preferences(self, who: Who, change: PreferenceChange) -> list[Outbound]:
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
        if change.group is not None:
            disabled = set(prefs.disabled)
            (disabled.discard if change.on else disabled.add)(change.group)
            prefs = prefs.with_changes(disabled=frozenset(disabled), opted_in=prefs.opted_in or change.on)
            await self._prefs.save(who.tenant, who.customer_id, prefs)
            name = catalog().text(who.lang, f"alerts_group_{change.group.value}")
            return [self._say(who, "alerts_group_on" if change.on else "alerts_group_off", group=name)]
        if change.on:
            # Opting in also tells us where the customer wants to hear: here.
            prefs = prefs.with_changes(opted_in=True, disabled=frozenset(), channel=who.channel, sender=who.sender)
        else:
            prefs = prefs.with_changes(opted_in=False)
        await self._prefs.save(who.tenant, who.customer_id, prefs)
        return [self._say(who, "alerts_on" if change.on else "alerts_off")]
