"""Entity extraction: money, period, category (or an unplaced category name), merchant and payee spans."""

from __future__ import annotations

from datetime import datetime

from sarraf.conversation.nlu.entities.categories import find_categories
from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.entities.merchants import find_merchant
from sarraf.conversation.nlu.entities.money import find_money
from sarraf.conversation.nlu.entities.payee import find_payee
from sarraf.conversation.nlu.entities.periods import find_periods
from sarraf.conversation.nlu.types import Entity

# intents where a bare number ("pay Anna 100") is an amount rather than a count or a card digit
MONEY_INTENTS = frozenset({"transfer_money", "manage_alerts", "spending_summary"})
PAYEE_INTENTS = frozenset({"transfer_money"})
MERCHANT_INTENTS = frozenset({"spending_summary", "recent_transactions"})


def extract_entities(
    text: str, lang: str, now: datetime, *, intent: str, default_currency: str = "PLN"
) -> list[Entity]:
    folded = fold(text)
    periods = find_periods(text, folded, now, lang)
    money = [
        m
        for m in find_money(text, folded, bare_numbers=intent in MONEY_INTENTS, default_currency=default_currency)
        if not any(p.start < m.end and m.start < p.end for p in periods)
    ]
    entities = [*money, *periods, *find_categories(text, folded, lang, taken=[*money, *periods])]
    if intent in MERCHANT_INTENTS:
        entities += find_merchant(text, folded, taken=entities)
    if intent in PAYEE_INTENTS:
        entities += find_payee(text)
    return sorted(entities, key=lambda e: (e.start, e.kind))
