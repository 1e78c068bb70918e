"""Account linking and the consent lifecycle: opt-in through the bank's own login, revocable at any time.

This is the only place besides the policy point that talks to a bank connector, and it never reads
customer data: it creates, authorises and revokes Open Banking consents.
"""

from __future__ import annotations

import contextlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sarraf.domain.consent import BankLink, ConsentStatus, LinkSession, PendingLogin
from sarraf.domain.errors import BankUnavailable, ConsentUnusable, SarrafError
from sarraf.domain.ports import BankConnector, ConsentHandle, LinkRepository, LinkSessionStore
from sarraf.policy.consent_grant import Grant, granted


class LinkFailure(StrEnum):
    """Why a login linked nothing; each has its own explanation for the customer."""

    UNKNOWN = "unknown"  # unknown or already used state (a replayed callback)
    TIMED_OUT = "timed_out"  # the login took longer than the session lives
    DENIED = "denied"  # the customer (or the bank) said no at the bank, or no code came back
    OTHER_BROWSER = "other_browser"  # finished in a browser that is not the one the chat's login was given to
    CONSENT_EXPIRED = "consent_expired"  # the bank's consent had already ended when the login came back
    CONSENT_REFUSED = "consent_refused"  # the bank reports the consent rejected, cancelled or never authorised
    NOTHING_GRANTED = "nothing_granted"  # authorised, but with no permission we can use
    BANK_REFUSED = "bank_refused"  # the bank refused our code or token exchange


class LinkFailed(SarrafError):
    """The bank login did not produce a usable consent (denied, expired session, replayed callback)."""

    def __init__(self, reason: str, session: LinkSession | None = None,
                 kind: LinkFailure = LinkFailure.DENIED) -> None:
        super().__init__(reason)
        self.reason = reason
        self.session = session
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Linked:
    """A completed login and what the bank actually granted (it may be less than we asked for)."""

    session: LinkSession
    grant: Grant


@dataclass(frozen=True, slots=True)
class LinkInvitation:
    url: str
    state: str


class ConsentService:
    def __init__(
        self,
        connectors: Mapping[str, BankConnector],
        links: LinkRepository,
        sessions: LinkSessionStore,
        redirect_uri: str,
        start_url: str,
        permissions: Sequence[str],
        on_change: Callable[[str, str], None] = lambda tenant, customer: None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._connectors = connectors
        self._links = links
        self._sessions = sessions
        self._redirect_uri = redirect_uri
        self._start_url = start_url.rstrip("/")  # our own /link/start: one short URL for every channel
        self._permissions = tuple(permissions)
        self._on_change = on_change  # e.g. invalidate cached decisions for this customer
        self._now = now

    async def invite(
        self, tenant: str, customer_id: str, channel: str, sender: str, resume_text: str | None
    ) -> LinkInvitation:
        """Create a consent at the bank and the login URL the customer must open."""
        start = await self._connectors[tenant].start_linking(self._permissions, self._redirect_uri)
        await self._sessions.put(
            LinkSession(
                state=start.state,
                tenant=tenant,
                customer_id=customer_id,
                channel=channel,
                sender=sender,
                consent_id=start.consent_id,
                code_verifier=start.code_verifier,
                resume_text=resume_text,
                created_at=datetime.now(UTC),
                authorize_url=start.url,
            )
        )
        return LinkInvitation(f"{self._start_url}/{start.state}", start.state)

    async def begin(self, state: str, return_to: str | None = None) -> str | None:
        """The bank's login page for an in-process caller that has no browser (the terminal); None when
        unknown. Browsers go through `bind`, so that only they can finish the login."""
        return await self._sessions.begin(state, return_to)

    async def pending(self, state: str) -> PendingLogin | None:
        """Whose chat asked for this login and which browser (if any) holds it: what /link/start checks."""
        return await self._sessions.pending(state)

    async def bind(self, state: str, browser: str, return_to: str | None = None) -> str | None:
        """Give the login to one browser (`browser`: a digest of its cookie); the bank's login page, or None
        when the state is unknown or another browser holds it already."""
        return await self._sessions.bind(state, browser, return_to)

    async def complete(self, state: str, code: str | None, error: str | None = None, *,
                       browser: str | None) -> Linked:
        """Finish the login the bank redirected back from; each state works once, within its lifetime.

        `browser`: the digest of the returning browser's cookie ("" when it has none); it must be the one the
        login was bound to. None only for in-process callers with no browser at all (the terminal).
        """
        session = await self._sessions.take(state)
        if session is None:
            raise LinkFailed("unknown or already used state", kind=LinkFailure.UNKNOWN)
        if browser is not None and not (session.browser and hmac.compare_digest(session.browser, browser)):
            # Someone else's browser came back with this chat's state: link nothing, and withdraw whatever
            # that person authorised at their bank, so the consent cannot be used by anyone.
            await self._withdraw(session)
            raise LinkFailed("login finished in another browser", session, LinkFailure.OTHER_BROWSER)
        if session.expired():
            raise LinkFailed("login took too long", session, LinkFailure.TIMED_OUT)
        if error or not code:
            raise LinkFailed(error or "no authorisation code", session, LinkFailure.DENIED)
        connector = self._connectors[session.tenant]
        try:
            tokens = await connector.finish_linking(code, session.code_verifier, self._redirect_uri)
            consent = await connector.get_consent(session.consent_id)
        except ConsentUnusable as exc:
            raise LinkFailed(f"bank refused: {exc}", session, LinkFailure.BANK_REFUSED) from exc
        grant = self._checked(consent, session)
        await self._links.save(
            BankLink(
                tenant=session.tenant,
                customer_id=session.customer_id,
                consent_id=consent.consent_id,
                status=consent.status,
                permissions=consent.permissions,
                expires_at=consent.expires_at,
                tokens=tokens,
            )
        )
        self._on_change(session.tenant, session.customer_id)
        return Linked(session, grant)

    def _checked(self, consent: ConsentHandle, session: LinkSession) -> Grant:
        """What the bank's consent is worth, read from the bank's own answer: its status, expiry and the
        permissions it granted. A consent that cannot serve anything is refused here, before it is saved,
        so the chat never says "linked" and then refuses every question."""
        if consent.consent_id != session.consent_id:
            raise LinkFailed("the bank answered about another consent", session, LinkFailure.CONSENT_REFUSED)
        if consent.status is ConsentStatus.EXPIRED or (
                consent.expires_at is not None and consent.expires_at <= self._now()):
            raise LinkFailed("the consent had already expired", session, LinkFailure.CONSENT_EXPIRED)
        if not consent.status.usable:
            raise LinkFailed(f"consent is {consent.status.value}", session, LinkFailure.CONSENT_REFUSED)
        grant = granted(consent.permissions, self._permissions)
        if not grant.scopes:
            raise LinkFailed("the bank granted no permission we can use", session, LinkFailure.NOTHING_GRANTED)
        return grant

    async def _withdraw(self, session: LinkSession) -> None:
        with contextlib.suppress(BankUnavailable, ConsentUnusable):
            await self._connectors[session.tenant].revoke_consent(session.consent_id)

    async def link_of(self, tenant: str, customer_id: str) -> BankLink | None:
        return await self._links.get(tenant, customer_id)

    async def revoke(self, tenant: str, customer_id: str) -> bool:
        """Withdraw consent at the bank and forget the tokens here. False when nothing was linked.

        The local tokens go even when the bank cannot be reached: from this moment nothing can read the
        customer's data through us, and the bank's own consent expires or is cancelled on its side.
        """
        link = await self._links.get(tenant, customer_id)
        if link is None:
            return False
        try:
            if link.status.usable:
                await self._connectors[tenant].revoke_consent(link.consent_id)
        except (BankUnavailable, ConsentUnusable):
            pass
        await self._links.delete(tenant, customer_id)
        self._on_change(tenant, customer_id)
        return True
