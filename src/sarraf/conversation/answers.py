"""Turn disclosed (already minimised) bank data into replies in the customer's language."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from sarraf.conversation.nlu.entities.categories import members
from sarraf.conversation.nlu.entities.merchants import merchant_matches
from sarraf.domain.banking import CreditDebit, Transaction
from sarraf.domain.messages import Button, Outbound, Table
from sarraf.domain.money import Money
from sarraf.i18n.replies import catalog, format_date, format_money
from sarraf.i18n.replies.formatting import isolate_ltr
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
    header = c.text(lang, "balance_header", bank=bank)
    lines = [header]
    rows: list[tuple[str, str]] = []
    for item in items:
        shown = _preferred_balance(item)
        if shown is None:
            continue
        # Even when the agreement allows full data, a chat bubble only needs the last digits to tell accounts apart;
        # isolated, so Arabic text shows "(••7519)", not "(7519••)".
        name = f"{item.account.nickname} ({isolate_ltr('••' + item.account.identification[-4:], lang)})"
        amount = format_money(shown.amount, lang)
        lines.append(c.text(lang, "balance_line", account=name, amount=amount))
        rows.append((name, amount))
    table = Table(header, ("account", "amount"), tuple(rows)) if rows else None
    return Outbound("\n".join(lines), lang, table=table)


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
    header = c.text(lang, "transactions_header", count=len(shown))
    lines = [header]
    rows: list[tuple[str, str, str]] = []
    for t in shown:
        row = (format_date(t.booked_at, lang), payee_of(t, lang), format_money(t.signed_amount, lang))
        lines.append(c.text(lang, "transaction_line", date=row[0], description=row[1], amount=row[2]))
        rows.append(row)
    return Outbound("\n".join(lines), lang, table=Table(header, ("date", "description", "amount"), tuple(rows)))


def transaction_list(lang: str, start: date, end: date, items: list[Transaction]) -> Outbound:
    """Every transaction given, one line each (the secure page's full list); as rows for pages that draw tables."""
    c = catalog()
    if not items:
        return Outbound(c.text(lang, "transactions_none", start=format_date(start, lang), end=format_date(end, lang)),
                        lang)
    rows = tuple(
        (format_date(t.booked_at, lang), payee_of(t), format_money(t.signed_amount, lang))
        for t in items
    )
    text = "\n".join(c.text(lang, "transaction_line", date=d, description=w, amount=a) for d, w, a in rows)
    return Outbound(text, lang, table=Table("", ("date", "description", "amount"), rows))


def spending(
    lang: str, start: date, end: date, category: str | None, items: list[Transaction], merchant: str | None = None,
    *, narrowed: bool = False,
) -> Outbound:
    """What was spent in the period: in total with the biggest categories, on one category, or at one merchant
    (`merchant` as the customer wrote it, matched against the names the bank gave their payments). `narrowed`:
    the policy point already kept only that merchant's payments (at_merchant), before minimisation may have
    masked their names."""
    c = catalog()
    period = {"start": format_date(start, lang), "end": format_date(end, lang)}
    spent = [t for t in items if t.credit_debit is CreditDebit.DEBIT and t.category not in NOT_SPENDING]
    if category:
        spent = [t for t in spent if t.category in members(category)]  # "food": groceries and eating out
    if merchant:
        if not narrowed:
            spent = [t for t in spent if merchant_matches(merchant, payee_of(t))]
        if not spent:
            return Outbound(c.text(lang, "spending_merchant_none", merchant=merchant, **period), lang)
    if not spent:
        return Outbound(c.text(lang, "spending_none", category=category_name(lang, category), **period), lang)
    totals = _by_currency(spent)
    amount = " + ".join(format_money(m, lang) for m in totals)
    if merchant:  # the bank's name for it where this channel may see it, else the customer's own words
        names = [t.merchant_name for t in spent if t.merchant_name]
        named = _most_common(names) if names else merchant
        text = c.text(lang, "spending_merchant", amount=amount, merchant=named, count=len(spent), **period)
        return Outbound(text, lang)
    if category:
        text = c.text(
            lang, "spending_category", amount=amount, category=category_name(lang, category), count=len(spent), **period
        )
        return Outbound(text, lang)
    text = c.text(lang, "spending_total", amount=amount, count=len(spent), **period)
    top = _top_categories(spent, lang)
    return Outbound(f"{text}\n{c.text(lang, 'spending_top', top=top)}", lang)


def at_merchant(merchant: str) -> Callable[[Transaction], bool]:
    """The policy point's filter for "how much did I spend at Tesco?" (see `spending`'s `narrowed`)."""
    return lambda t: merchant_matches(merchant, payee_of(t))


def payee_of(t: Transaction, lang: str | None = None) -> str:
    """Who was paid, as the bank names them: the merchant, else the statement line (masked, the statement
    line became our category key, "eating_out": said in `lang` when given)."""
    if not t.merchant_name and lang and t.category and t.description == t.category:
        return category_name(lang, t.category)
    return t.merchant_name or t.description or ""


def _most_common(names: Iterable[str]) -> str:
    return Counter(names).most_common(1)[0][0]


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
