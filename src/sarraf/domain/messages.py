"""The channel-neutral message model: what the conversation says and hears, before any platform renders it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class InboundKind(StrEnum):
    TEXT = "text"
    POSTBACK = "postback"  # a button or quick reply was pressed
    LINKED = "linked"  # the platform reports an account-linking result
    RECEIPT = "receipt"  # delivery or read receipt


@dataclass(frozen=True, slots=True)
class Receipt:
    """A platform's word that messages we sent reached the customer ("delivered") or were seen ("read"):
    by the platform's message ids; or everything sent up to `watermark` (Messenger's read receipts, web chat's
    fetch); or, with `covers_delivered`, everything already delivered to that sender (web chat's page shown).
    `at` is when it happened, where that is not the watermark itself."""

    status: str  # "delivered" or "read"
    message_ids: tuple[str, ...] = ()
    watermark: datetime | None = None
    at: datetime | None = None
    covers_delivered: bool = False


@dataclass(frozen=True, slots=True)
class Inbound:
    channel: str
    sender: str  # the channel's own id of the customer (PSID, chat id, web session, terminal user)
    kind: InboundKind = InboundKind.TEXT
    text: str = ""
    payload: str | None = None
    message_id: str | None = None  # used as an idempotency key when the platform gives one
    locale: str | None = None  # a hint from the platform or browser, e.g. "ar-SA"
    receipt: Receipt | None = None  # with kind RECEIPT


@dataclass(frozen=True, slots=True)
class Button:
    title: str
    payload: str | None = None  # sent back as a postback when pressed
    url: str | None = None  # or opens a page
    login: bool = False  # the bank-login button: platforms with native account linking render it so


@dataclass(frozen=True, slots=True)
class CardLine:
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Card:
    title: str
    lines: tuple[CardLine, ...] = ()
    subtitle: str | None = None


@dataclass(frozen=True, slots=True)
class Table:
    """A list the reply's text also spells out line by line ("date · description · amount"), given as rows so a
    channel that can draw a table or a card (the web chat) shows one instead of lines that wrap badly on a phone.
    `caption` is what such a channel says above the rows; `columns` name each cell's role ("date",
    "description", "account", "amount"), so a channel can align figures and isolate them in RTL text."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Outbound:
    text: str
    lang: str  # "ar", "pl", "en"
    quick_replies: tuple[Button, ...] = ()
    buttons: tuple[Button, ...] = ()
    cards: tuple[Card, ...] = ()
    link_only: bool = False  # text carries no bank data, only a link to a gateway-hosted page
    extra: dict[str, str] = field(default_factory=dict)
    table: Table | None = None  # the text's list as rows, for channels that draw tables; others show the text
