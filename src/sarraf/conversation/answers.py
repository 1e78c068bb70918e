"""Turn disclosed (already minimised) bank data into replies in the customer's language."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sarraf.conversation.nlu.entities.categories import members
from sarraf.conversation.replies import catalog, format_date, format_money
from sarraf.domain.banking import CreditDebit, Transaction
from sarraf.domain.messages import Button, Outbound
from sarraf.domain.money import Money
from sarraf.policy.point import AccountBalances

TRANSACTIONS_SHOWN = 5
NOT_SPENDING = ("transfers", "income", "salary")  # moving money between own accounts or receiving it
CATEGORIES = (
    "food",
    "groceries",
    "eating_out",
    "transport",
    "shopping",
    "utilities",
    "entertainment",
    "health",
    "travel",
    "subscriptions",
    "cash",
    "transfers",
    "income",
    "other",
)


def category_name(lang: str, category: str | None) -> str:
    category = "income" if category == "salary" else category
    key = category if category in CATEGORIES else "other"
    return catalog().text(lang, f"category_{key}")


def balances(lang: str, bank: str, items: list[AccountBalances]) -> Outbound:
    c = catalog()
    lines = [c.text(lang, "balance_header", bank=bank)]
    for item in items:
        shown = _preferred_balance(item)
        if shown is None:
            continue
        # Even when the agreement allows full data, a chat bubble only needs the last digits to tell accounts apart.
        name = f"{item.account.nickname} (••{item.account.identification[-4:]})"
        lines.append(c.text(lang, "balance_line", account=name, amount=format_money(shown.amount, lang)))
    return Outbound("\n".join(lines), lang)


def _preferred_balance(item: AccountBalances):  # type: ignore[no-untyped-def]
    # What customers mean by "balance" is what they can spend now: InterimAvailable, else booked.
    order = ("InterimAvailable", "Expected", "InterimBooked", "ClosingBooked")
    ranked = sorted(item.balances, key=lambda b: order.index(b.balance_type) if b.balance_type in order else 99)
    return ranked[0] if ranked else None


def transactions(lang: str, start: date, end: date, items: list[Transaction]) -> Outbound:
    c = catalog()
    if not items:
        period = {"start": format_date(start, lang), "end": format_date(end, lang)}
        return Outbound(c.text(lang, "transactions_none", **period), lang)
    shown = items[:TRANSACTIONS_SHOWN]
    lines = [c.text(lang, "transactions_header", count=len(shown))]
    for t in shown:
        lines.append(
            c.text(
                lang,
                "transaction_line",
                date=format_date(t.booked_at, lang),
                # masked, the description became our category key ("eating_out"): said in the language
                description=t.merchant_name
                or (category_name(lang, t.category) if t.category and t.description == t.category else t.description),
                amount=format_money(t.signed_amount, lang),
            )
        )
    return Outbound("\n".join(lines), lang)


def spending(lang: str, start: date, end: date, category: str | None, items: list[Transaction]) -> Outbound:
    c = catalog()
    period = {"start": format_date(start, lang), "end": format_date(end, lang)}
    spent = [t for t in items if t.credit_debit is CreditDebit.DEBIT and t.category not in NOT_SPENDING]
    if category:
        spent = [t for t in spent if t.category in members(category)]  # "food": groceries and eating out
    if not spent:
        return Outbound(c.text(lang, "spending_none", category=category_name(lang, category), **period), lang)
    totals = _by_currency(spent)
    amount = " + ".join(format_money(m, lang) for m in totals)
    if category:
        text = c.text(
            lang, "spending_category", amount=amount, category=category_name(lang, category), count=len(spent), **period
        )
        return Outbound(text, lang)
    text = c.text(lang, "spending_total", amount=amount, count=len(spent), **period)
    top = _top_categories(spent, lang)
    return Outbound(f"{text}\n{c.text(lang, 'spending_top', top=top)}", lang)


def _by_currency(items: list[Transaction]) -> list[Money]:
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for t in items:
        sums[t.amount.currency] += t.amount.amount
    return [Money(v, k) for k, v in sorted(sums.items())]


def _top_categories(items: list[Transaction], lang: str, limit: int = 3) -> str:
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for t in items:
        sums[(t.category or "other", t.amount.currency)] += t.amount.amount
    ranked = sorted(sums.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    sep = "، " if lang == "ar" else ", "
    return sep.join(f"{category_name(lang, cat)} {format_money(Money(v, cur), lang)}" for (cat, cur), v in ranked)


def which_category(lang: str, name: str) -> Outbound:
    """Asked when the customer named something no category covers ("spent on gardening")."""
    sep = "، " if lang == "ar" else ", "
    named = sep.join(category_name(lang, c) for c in CATEGORIES if c not in ("food", "income", "other"))
    return Outbound(catalog().text(lang, "spending_which_category", name=name, categories=named), lang)


def link_only(lang: str, bank: str, what: str, url: str, minutes: int) -> Outbound:
    c = catalog()
    text = c.text(lang, "link_only_notice", bank=bank, what=c.text(lang, f"what_{what}"), url=url)
    text += " " + c.text(lang, "link_only_valid", count=minutes)
    return Outbound(text, lang, buttons=(Button(c.text(lang, "open_secure_page"), url=url),), link_only=True)
