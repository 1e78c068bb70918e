"""Messenger's Handover Protocol, for banks that also answer customers in Meta's Page Inbox.

Documentation followed (Meta for Developers, Messenger Platform, Handover Protocol): `POST /{PAGE_ID}/
take_thread_control` with `{recipient: {id}, metadata?}` makes our app the thread's owner; `POST /{PAGE_ID}/
pass_thread_control` with `{recipient: {id}, target_app_id, metadata?}` hands it to another app (the Page Inbox's
app id is commonly 263902037430900; each bank may set its own as `page_inbox_app_id`). The `messaging_handovers`
webhook field delivers `pass_thread_control` / `take_thread_control` events in the messaging array, naming
`new_owner_app_id` (or `previous_owner_app_id`) and `metadata`.

While another app holds a conversation the bot stays silent in it; when the thread is passed back to us it
answers again. Who holds what is kept in the gateway's database (store/channel_state.py), so every worker and
a restarted gateway agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sarraf.conversation.ports import Handoffs

MESSENGER = "messenger"  # channels/messenger.py's NAME (that module imports this one)
PAGE_INBOX_APP_ID = "263902037430900"
PASS_EVENT, TAKE_EVENT = "pass_thread_control", "take_thread_control"
METADATA_LIMIT = 1000  # Meta's limit on the metadata string


class ThreadOwnerStore(Protocol):
    async def hand_to(self, tenant: str, customer: str, app_id: str, at: datetime) -> None:
        """Another app holds the customer's conversation from `at`."""

    async def take_back(self, tenant: str, customer: str) -> None:
        """The conversation is ours again."""

    async def owner(self, tenant: str, customer: str) -> str | None:
        """The app that holds the conversation, None when it is ours."""


@dataclass(frozen=True, slots=True)
class ThreadChange:
    """A handover event: the thread is ours again (`to_us`), or `owner` (another app) holds it now."""

    psid: str
    to_us: bool
    owner: str
    metadata: str | None


OTHER_APP = "another app"  # a take that does not name its taker


def thread_change(event: dict[str, Any], our_app_id: str | None = None) -> ThreadChange | None:
    """The handover an event reports, if it is one. Meta sends `pass_thread_control` to the app receiving the
    thread and `take_thread_control` to the app losing it; a pass naming a new owner that is not our app (when
    the bank told us our app id) is read as that app's."""
    psid = str((event.get("sender") or {}).get("id") or "")
    passed, taken = event.get(PASS_EVENT), event.get(TAKE_EVENT)
    control = passed if isinstance(passed, dict) else taken if isinstance(taken, dict) else None
    if control is None or not psid:
        return None
    new_owner = str(control.get("new_owner_app_id") or "")
    metadata = control.get("metadata")
    if control is passed:
        to_us = not new_owner or our_app_id is None or new_owner == our_app_id
        return ThreadChange(psid, to_us, "" if to_us else new_owner, metadata)
    return ThreadChange(psid, False, new_owner or OTHER_APP, metadata)


def take_body(psid: str, metadata: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"recipient": {"id": psid}}
    if metadata:
        body["metadata"] = metadata[:METADATA_LIMIT]
    return body


def pass_body(psid: str, target_app_id: str, metadata: str | None = None) -> dict[str, Any]:
    return {**take_body(psid, metadata), "target_app_id": target_app_id}


class ThreadOwners:
    """Who holds each of a platform's conversations, per bank."""

    def __init__(self, store: ThreadOwnerStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._clock = clock

    async def changed(self, tenant: str, customer: str, change: ThreadChange) -> None:
        if change.to_us:
            await self._store.take_back(tenant, customer)
        else:
            await self._store.hand_to(tenant, customer, change.owner, self._clock())

    async def held_elsewhere(self, tenant: str, customer: str) -> bool:
        return await self._store.owner(tenant, customer) is not None

    async def ours(self, tenant: str, customer: str) -> None:
        await self._store.take_back(tenant, customer)

    async def handed(self, tenant: str, customer: str, app_id: str) -> None:
        await self._store.hand_to(tenant, customer, app_id, self._clock())


class PageInbox(Protocol):
    """The Messenger adapter's say over handing people to the Page Inbox (channels/messenger.py)."""

    def hands_people_to_page_inbox(self, tenant: str) -> bool: ...

    def pass_after_reply(self, sender: str, reason: str) -> None: ...


class PageInboxHandoffs:
    """conversation/ports.py's Handoffs for a gateway whose banks may answer Messenger customers in Meta's Page
    Inbox: a customer there who asks for a person is passed to it (the bot goes silent until the thread comes
    back: the pass is made right after the bot's reply, which a page app without the thread could not send);
    everyone else waits in our agents' console."""

    def __init__(self, console: Handoffs, messenger: PageInbox | None) -> None:
        self._console = console
        self._messenger = messenger

    async def request(self, tenant: str, customer_id: str, channel: str, sender: str, reason: str) -> None:
        if channel == MESSENGER and self._messenger is not None and self._messenger.hands_people_to_page_inbox(tenant):
            self._messenger.pass_after_reply(sender, reason)
            return
        await self._console.request(tenant, customer_id, channel, sender, reason)
