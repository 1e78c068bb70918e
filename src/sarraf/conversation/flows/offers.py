"""Offers in chat (issue #16): "send me offers" / "stop offers" / "why am I seeing this?", and the buttons every
offer carries (alerts/offers.py): "Stop offers" withdraws the consent scope `offers` at once.

The NLU model has no offers intent and is not retrained for one (another piece of work owns it): a small phrase
table, as data below, recognises the three wishes in English, Polish and Arabic (marks folded, so "nie chce
ofert" typed without Polish letters, or Arabic with or without hamza, match too). The flow looks at every
message in `continues`, before the NLU's intents are dispatched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Literal, Protocol

from sarraf.conversation.nlu.keywords import words
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.turn import Turn
from sarraf.domain.messages import Button, Outbound
from sarraf.domain.offers import STOP_PAYLOAD, WHY_PAYLOAD, OfferRules, OptIn
from sarraf.i18n.replies import catalog
from sarraf.i18n.replies.formatting import format_date

Wish = Literal["in", "out", "why"]
PREFIX = "offers:"

# What a message wishes about offers, as keyword tables (nlu/data/keywords/<lang>.yml, `offers:`) of patterns
# on fold()ed text (below: lower case, no Polish marks, Arabic hamza/alef forms and diacritics folded,
# punctuation removed).
_TABLES: dict[Wish, str] = {"out": "offers.opt_out", "in": "offers.opt_in", "why": "offers.why"}


@cache
def _compiled() -> dict[Wish, tuple[re.Pattern[str], ...]]:
    return {wish: tuple(re.compile(p) for p in words(table)) for wish, table in _TABLES.items()}


_ARABIC_MARKS = re.compile(r"[\u064B-\u0652\u0670\u0640]")


def fold(text: str) -> str:
    text = _ARABIC_MARKS.sub("", text.lower().replace("’", "").replace("'", ""))
    text = text.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").replace("ى", "ي")
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text.replace("ł", "l"))
                   if not unicodedata.combining(ch) or "\u0600" <= ch <= "\u06ff")
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def offers_wish(text: str) -> Wish | None:
    """What the customer wants about offers, or None when the message is about something else. Stopping wins
    over starting ("stop sending me offers" holds "send me offers")."""
    folded = fold(text)
    for wish in ("out", "in", "why"):
        if any(p.search(folded) for p in _compiled()[wish]):
            return wish
    return None


class OptIns(Protocol):
    async def opt_in(self, tenant: str, customer_id: str) -> OptIn | None: ...

    async def set_opt_in(self, tenant: str, customer_id: str, opted_in: bool, channel: str, at: datetime) -> None:
        """Store the yes or no; a no also withdraws offers routed but not yet sent."""
        ...


class OfferFlows:
    """The Flow (conversation/flows/__init__.py) of offers: no NLU intent, its own buttons, its own phrases."""

    intents: frozenset[str] = frozenset()
    postback_prefixes: tuple[str, ...] = (PREFIX,)

    def __init__(self, store: OptIns, rules: Mapping[str, OfferRules],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._rules = rules
        self._clock = clock

    async def answer(self, turn: Turn, intent: str, parse: Parse | None) -> list[Outbound]:
        return []  # no intent is ours: the phrases are recognised in `continues`

    async def postback(self, turn: Turn, payload: str) -> list[Outbound]:
        if payload == STOP_PAYLOAD:
            return await self._set(turn, False)
        if payload == WHY_PAYLOAD:
            return await self._why(turn, asked=True) or []
        return [Outbound(catalog().text(turn.lang, "rephrase"), turn.lang)]  # not a button we ever sent

    async def continues(self, turn: Turn, parse: Parse) -> list[Outbound] | None:
        wish = offers_wish(turn.text)
        if wish == "in":
            return await self._set(turn, True)
        if wish == "out":
            return await self._set(turn, False)
        if wish == "why":
            return await self._why(turn, asked="offer" in fold(turn.text) or "ofert" in fold(turn.text)
                                   or "عرض" in turn.text or "عروض" in turn.text)
        return None

    async def _set(self, turn: Turn, on: bool) -> list[Outbound]:
        await self._store.set_opt_in(turn.tenant, turn.customer_id, on, turn.channel, self._clock())
        c = catalog()
        if not on:
            return [Outbound(c.text(turn.lang, "offers_opted_out", bank=turn.bank), turn.lang)]
        cap = self._rules.get(turn.tenant, OfferRules()).per_customer_per_week
        text = c.text(turn.lang, "offers_opted_in", bank=turn.bank,
                      cap=c.text(turn.lang, "offers_per_week", count=cap))
        return [Outbound(text, turn.lang, buttons=(Button(c.text(turn.lang, "offers_stop_button"),
                                                          payload=STOP_PAYLOAD),))]

    async def _why(self, turn: Turn, *, asked: bool) -> list[Outbound] | None:
        """Which consent let the offer through. A bare "why am I seeing this?" from a customer who never said a
        word about offers is not ours: it goes the usual way."""
        found = await self._store.opt_in(turn.tenant, turn.customer_id)
        if found is None and not asked:
            return None
        c = catalog()
        if found is None or not found.opted_in:
            return [Outbound(c.text(turn.lang, "offers_why_none", bank=turn.bank), turn.lang)]
        text = c.text(turn.lang, "offers_why", bank=turn.bank, date=format_date(found.changed_at, turn.lang))
        return [Outbound(text, turn.lang, buttons=(Button(c.text(turn.lang, "offers_stop_button"),
                                                          payload=STOP_PAYLOAD),))]
