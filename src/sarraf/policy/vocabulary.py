"""The words an agreement may use: purposes (data uses), data categories and recipients.

Purposes and categories are Fides (fideslang) taxonomy keys, so a bank's privacy team can read an agreement
in the vocabulary they already use for their data map. Keys are dotted paths and the dots *are* the
hierarchy: forbidding ``marketing`` forbids ``marketing.advertising.first_party.targeted``.

We keep a small, documented subset of fideslang's default taxonomy plus a few children of our own under
``user.financial.*`` (fideslang stops at ``bank_account`` / ``credit_card``; an agreement needs to tell a
balance from an account number). Every key's parent is itself in the vocabulary, and every child of our own
hangs under a key that fideslang defines (tests/policy/test_vocabulary.py checks both against fideslang).

Anything not listed here is unknown, and an unknown purpose, category or recipient is always denied.
"""

from __future__ import annotations

from types import MappingProxyType

# fideslang data uses we recognise; descriptions are ours, shortened.
_PURPOSES: dict[str, str] = {
    "essential": "Operating the service the customer asked for.",
    "essential.service": "Providing the banking service in the chat.",
    "essential.service.operations": "Running the service day to day.",
    "essential.service.operations.support": "Answering the customer's own questions (balances, spending...).",
    "essential.service.operations.improve": "Fixing and improving the service.",
    "essential.service.notifications": "Alerts and notifications the customer subscribed to.",
    "essential.service.notifications.email": "Notifications by e-mail.",
    "essential.service.notifications.sms": "Notifications by SMS.",
    "essential.service.authentication": "Logging the customer in and linking accounts.",
    "essential.service.security": "Keeping the service and the customer's account secure.",
    "essential.service.payment_processing": "Executing payments the customer asked for.",
    "essential.fraud_detection": "Detecting and preventing fraud.",
    "essential.legal_obligation": "Meeting a legal obligation.",
    "analytics": "Measuring how the service is used.",
    "analytics.reporting": "Reports on service use.",
    "analytics.reporting.system": "Reports on system behaviour.",
    "analytics.reporting.system.performance": "Reports on system performance.",
    "marketing": "Any marketing.",
    "marketing.advertising": "Any advertising.",
    "marketing.advertising.first_party": "The bank advertising its own products.",
    "marketing.advertising.first_party.targeted": "The bank's own targeted advertising.",
    "marketing.advertising.third_party": "Advertising for other companies.",
    "marketing.advertising.third_party.targeted": "Targeted advertising for other companies.",
    "marketing.advertising.profiling": "Building advertising profiles.",
    "marketing.communications": "Marketing messages.",
    "marketing.communications.email": "Marketing e-mail.",
    "marketing.communications.sms": "Marketing SMS.",
    "personalize": "Personalising the service.",
    "personalize.profiling": "Personalisation based on a profile of the customer.",
    "third_party_sharing": "Handing data to another organisation.",
    "train_ai_system": "Training machine-learning or AI systems.",
}

# fideslang data categories we recognise, and the children we add (marked OURS below).
_FIDES_CATEGORIES: dict[str, str] = {
    "user": "Data about the customer.",
    "user.name": "The customer's name.",
    "user.financial": "Financial data.",
    "user.financial.bank_account": "Anything about a bank account.",
    "user.financial.credit_card": "Anything about a payment card.",
    "user.behavior": "What the customer does.",
    "user.behavior.purchase_history": "Where and what the customer buys (merchants, spending categories).",
}
OUR_CATEGORIES: MappingProxyType[str, str] = MappingProxyType({
    "user.financial.bank_account.balance": "Balances of an account.",
    "user.financial.bank_account.transactions": "Transactions on an account (amounts, dates, descriptions).",
    "user.financial.bank_account.identifiers": "Account numbers, sort codes, IBANs.",
    "user.financial.credit_card.controls": "State of card controls: frozen or not, limits.",
    "user.financial.bank_account.payments": "Payments the customer asks for: amount, payee, reference.",
    "user.financial.offers": "The bank's own offer to the customer: its text and terms, matched inside the bank.",
})

PURPOSES: MappingProxyType[str, str] = MappingProxyType(_PURPOSES)
CATEGORIES: MappingProxyType[str, str] = MappingProxyType({**_FIDES_CATEGORIES, **OUR_CATEGORIES})

# Recipient -> the group it belongs to. Gateway surfaces are pages and consoles we (or the bank) host;
# third-party platforms are chat apps and voice assistants run by another company, who sees what we send.
GATEWAY_SURFACE = "gateway_surface"
THIRD_PARTY_PLATFORM = "third_party_platform"
ALL_RECIPIENTS = "all_recipients"  # parent of both groups: permits name it so unknown recipients match nothing
RECIPIENTS: MappingProxyType[str, str] = MappingProxyType({
    "webchat": GATEWAY_SURFACE,
    "terminal": GATEWAY_SURFACE,
    "bank_page": GATEWAY_SURFACE,  # the gateway-hosted page behind a link-only message
    "agent_console": GATEWAY_SURFACE,  # the bank's own support staff
    "export": GATEWAY_SURFACE,  # a file the customer downloads
    "messenger": THIRD_PARTY_PLATFORM,
    "whatsapp": THIRD_PARTY_PLATFORM,
    "telegram": THIRD_PARTY_PLATFORM,
    "alexa": THIRD_PARTY_PLATFORM,
})
RECIPIENT_GROUPS: MappingProxyType[str, str | None] = MappingProxyType({
    GATEWAY_SURFACE: ALL_RECIPIENTS,
    THIRD_PARTY_PLATFORM: ALL_RECIPIENTS,
    ALL_RECIPIENTS: None,
})


def parent(key: str) -> str | None:
    """The key one level up, or None for a top-level key: ``parent("user.financial") == "user"``."""
    head, dot, _ = key.rpartition(".")
    return head if dot else None


def parents(key: str) -> tuple[str, ...]:
    """Every ancestor of a key, nearest first: ``parents("a.b.c") == ("a.b", "a")``."""
    found: list[str] = []
    current = parent(key)
    while current is not None:
        found.append(current)
        current = parent(current)
    return tuple(found)


def lineage(key: str) -> tuple[str, ...]:
    """The key followed by its ancestors, nearest first."""
    return (key, *parents(key))


def is_within(key: str, ancestor: str) -> bool:
    """True when key is ancestor itself or lies below it (``marketing.communications`` is within ``marketing``)."""
    return key == ancestor or key.startswith(ancestor + ".")


def descendants(ancestor: str, keys: MappingProxyType[str, str]) -> frozenset[str]:
    """The known keys at or below ancestor."""
    return frozenset(key for key in keys if is_within(key, ancestor))


def is_known_purpose(key: str) -> bool:
    return key in PURPOSES


def is_known_category(key: str) -> bool:
    return key in CATEGORIES


def is_known_recipient(key: str) -> bool:
    return key in RECIPIENTS
