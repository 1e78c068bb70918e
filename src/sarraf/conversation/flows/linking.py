"""Linking the customer's bank account in chat: "link my account", "unlink", and the invitation (the Log in
button) that every answer needing a usable link hands out. The alert and card flows ask it first whether the
link is usable, and which currency the linked account is in (a threshold named without one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sarraf.conversation.ports import BankData, Consents
from sarraf.conversation.saying import say
from sarraf.conversation.turn import Turn
from sarraf.domain.messages import Button, Outbound
from sarraf.i18n.replies import catalog

RELINK_WINDOW = timedelta(days=7)  # matches the expiry reminder: from then on, "link" renews the consent


class LinkingFlow:
    def __init__(self, consents: Consents, point: BankData, clock: Callable[[], datetime]) -> None:
        self._consents = consents
        self._point = point
        self._clock = clock

    async def link_account(self, turn: Turn) -> list[Outbound]:
        if await self._linked(turn):
            return [say(turn, "already_linked", quick=True)]
        return [await self.invite(turn, resume_text=None)]

    async def unlink(self, turn: Turn) -> list[Outbound]:
        revoked = await self._consents.revoke(turn.tenant, turn.customer_id)
        return [say(turn, "unlinked" if revoked else "nothing_to_unlink")]

    async def invitation(self, turn: Turn) -> list[Outbound]:
        """Never linked (or unlinked): the invitation, resuming this very message after the login."""
        return [await self.invite(turn, resume_text=turn.text or None)]

    async def invite(self, turn: Turn, resume_text: str | None, key: str = "link_needed") -> Outbound:
        invitation = await self._consents.invite(turn.tenant, turn.customer_id, turn.channel, turn.sender, resume_text)
        c = catalog()
        return Outbound(
            c.text(turn.lang, key, bank=turn.bank),
            turn.lang,
            buttons=(Button(c.text(turn.lang, "link_button", bank=turn.bank), url=invitation.url, login=True),),
            extra={"link_state": invitation.state},
        )

    async def link_problem(self, turn: Turn) -> Outbound | None:
        """None when the customer's bank link is usable; else the invitation (never linked) or the
        offer to link again (expired or withdrawn)."""
        link = await self._consents.link_of(turn.tenant, turn.customer_id)
        if link is None:  # nothing to resume after the login: card and alert changes are asked for again
            return await self.invite(turn, resume_text=None, key="link_needed_first")
        if not link.usable():
            return say(turn, "consent_unusable", link=True)
        return None

    async def account_currency(self, turn: Turn) -> str | None:
        disclosed = await self._point.balances(turn.subject)
        if not disclosed.decision.allowed or not disclosed.data:
            return None  # denied, or this channel may only receive a link: the threshold is not set
        return disclosed.data[0].account.currency

    async def _linked(self, turn: Turn) -> bool:
        """Linked, and not so close to the consent's end that linking again is the sensible answer."""
        link = await self._consents.link_of(turn.tenant, turn.customer_id)
        if link is None or not link.usable():
            return False
        return link.expires_at is None or link.expires_at - self._clock() > RELINK_WINDOW
