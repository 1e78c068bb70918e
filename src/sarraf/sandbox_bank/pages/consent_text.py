"""What a consent lets the third party see, said once per kind of data and in plain words, in ar, pl and en.

Open Banking permissions overlap: ReadAccountsBasic is contained in ReadAccountsDetail, ReadTransactionsBasic in
ReadTransactionsDetail, and ReadTransactionsCredits/Debits only say which direction of transactions the other two
cover. Listed one line per permission the page read "account names and types" next to "names, types and
numbers"; here each kind of data gets one line saying the widest thing granted.
"""

from __future__ import annotations

from collections.abc import Iterable

# One line per kind of data: key -> language -> text. Transactions are keyed by detail and direction.
LINES: dict[str, dict[str, str]] = {
    "accounts_basic": {
        "en": "The names and types of your accounts",
        "pl": "Nazwy i rodzaje Twoich rachunków",
        "ar": "أسماء حساباتك وأنواعها",
    },
    "accounts_detail": {
        "en": "The names, types and numbers of your accounts",
        "pl": "Nazwy, rodzaje i numery Twoich rachunków",
        "ar": "أسماء حساباتك وأنواعها وأرقامها",
    },
    "balances": {"en": "Your balances", "pl": "Salda Twoich rachunków", "ar": "أرصدة حساباتك"},
    "transactions_basic_both": {
        "en": "Money coming in and going out: dates and amounts",
        "pl": "Wpływy i wydatki: daty i kwoty",
        "ar": "الأموال الواردة والصادرة: التواريخ والمبالغ",
    },
    "transactions_detail_both": {
        "en": "Money coming in and going out: dates, amounts, descriptions and merchants",
        "pl": "Wpływy i wydatki: daty, kwoty, opisy i sprzedawcy",
        "ar": "الأموال الواردة والصادرة: التواريخ والمبالغ والأوصاف وأسماء التجار",
    },
    "transactions_basic_in": {
        "en": "Money coming in: dates and amounts",
        "pl": "Wpływy: daty i kwoty",
        "ar": "الأموال الواردة: التواريخ والمبالغ",
    },
    "transactions_detail_in": {
        "en": "Money coming in: dates, amounts and descriptions",
        "pl": "Wpływy: daty, kwoty i opisy",
        "ar": "الأموال الواردة: التواريخ والمبالغ والأوصاف",
    },
    "transactions_basic_out": {
        "en": "Money going out: dates and amounts",
        "pl": "Wydatki: daty i kwoty",
        "ar": "الأموال الصادرة: التواريخ والمبالغ",
    },
    "transactions_detail_out": {
        "en": "Money going out: dates, amounts, descriptions and merchants",
        "pl": "Wydatki: daty, kwoty, opisy i sprzedawcy",
        "ar": "الأموال الصادرة: التواريخ والمبالغ والأوصاف وأسماء التجار",
    },
    "beneficiaries": {
        "en": "The people and businesses you have saved as payees",
        "pl": "Osoby i firmy zapisane jako Twoi odbiorcy",
        "ar": "الأشخاص والجهات المحفوظون لديك كمستفيدين",
    },
    "direct_debits": {"en": "Your direct debits", "pl": "Twoje polecenia zapłaty", "ar": "أوامر الخصم المباشر لديك"},
    "standing_orders": {"en": "Your standing orders", "pl": "Twoje zlecenia stałe", "ar": "أوامر الدفع الدائمة لديك"},
    "scheduled_payments": {
        "en": "Your scheduled payments",
        "pl": "Twoje zaplanowane płatności",
        "ar": "دفعاتك المجدولة",
    },
    "statements": {"en": "Your statements", "pl": "Twoje wyciągi", "ar": "كشوف حساباتك"},
    "offers": {"en": "Offers the bank has for you", "pl": "Oferty banku dla Ciebie", "ar": "عروض البنك لك"},
    "pan": {"en": "Your full card numbers", "pl": "Pełne numery Twoich kart", "ar": "أرقام بطاقاتك كاملة"},
    "party": {
        "en": "Your name and contact details",
        "pl": "Twoje imię i nazwisko oraz dane kontaktowe",
        "ar": "اسمك وبيانات الاتصال بك",
    },
    "products": {
        "en": "What kind of products your accounts are",
        "pl": "Rodzaje produktów, którymi są Twoje rachunki",
        "ar": "أنواع المنتجات التي تنتمي إليها حساباتك",
    },
}

# Permissions that name one kind of data whatever their Basic/Detail suffix, in the order the page lists them.
_SIMPLE = (
    ("balances", ("ReadBalances",)),
    ("beneficiaries", ("ReadBeneficiariesBasic", "ReadBeneficiariesDetail")),
    ("direct_debits", ("ReadDirectDebits",)),
    ("standing_orders", ("ReadStandingOrdersBasic", "ReadStandingOrdersDetail")),
    ("scheduled_payments", ("ReadScheduledPaymentsBasic", "ReadScheduledPaymentsDetail")),
    ("statements", ("ReadStatementsBasic", "ReadStatementsDetail")),
    ("offers", ("ReadOffers",)),
    ("pan", ("ReadPAN",)),
    ("party", ("ReadParty", "ReadPartyPSU")),
    ("products", ("ReadProducts",)),
)


def line_keys(permissions: Iterable[str]) -> list[str]:
    """The kinds of data granted, each once, the widest form only."""
    granted = set(permissions)
    keys: list[str] = []
    if "ReadAccountsDetail" in granted:
        keys.append("accounts_detail")
    elif "ReadAccountsBasic" in granted:
        keys.append("accounts_basic")
    keys += [key for key, names in _SIMPLE[:1] if granted & set(names)]
    if granted & {"ReadTransactionsBasic", "ReadTransactionsDetail"}:
        detail = "detail" if "ReadTransactionsDetail" in granted else "basic"
        credits, debits = "ReadTransactionsCredits" in granted, "ReadTransactionsDebits" in granted
        direction = "in" if credits and not debits else "out" if debits and not credits else "both"
        keys.append(f"transactions_{detail}_{direction}")
    keys += [key for key, names in _SIMPLE[1:] if granted & set(names)]
    return keys


def plain_permissions(permissions: Iterable[str], lang: str) -> list[str]:
    return [LINES[key].get(lang, LINES[key]["en"]) for key in line_keys(permissions)]
