"""Account linking and the consent lifecycle: opt-in through the bank's own login, revocable at any time.

This is the only place besides the policy point that talks to a bank connector, and it never reads
customer data: it creates, authorises and revokes Open Banking consents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sarraf.domain.consent import BankLink, LinkSession
from sarraf.domain.errors import BankUnavailable, ConsentUnusable, SarrafError
from sarraf.domain.ports import BankConnector, LinkRepository, LinkSessionStore


class LinkFailed(SarrafError):
    """The bank login did not produce a usable consent (denied, expired session, replayed callback)."""

    def __init__(self, reason: str, session: LinkSession | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.session = session


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
    ) -> None:
        self._connectors = connectors
        self._links = links
        self._sessions = sessions
        self._redirect_uri = redirect_uri
        self._start_url = start_url.rstrip("/")  # our own /link/start: one short URL for every channel
        self._permissions = tuple(permissions)
        self._on_change = on_change  # e.g. invalidate cached decisions for this customer

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
        """Where /link/start/{state} sends the customer: the bank's login page (None when unknown)."""
        return await self._sessions.begin(state, return_to)

    async def complete(self, state: str, code: str | None, error: str | None = None) -> LinkSession:
        """Finish the login the bank redirected back from; each state works once, within its lifetime."""
        session = await self._sessions.take(state)
        if session is None:
            raise LinkFailed("unknown or already used state")
        if session.expired():
            raise LinkFailed("login took too long", session)
        if error or not code:
            raise LinkFailed(error or "no authorisation code", session)
        connector = self._connectors[session.tenant]
        try:
            tokens = await connector.finish_linking(code, session.code_verifier, self._redirect_uri)
            consent = await connector.get_consent(session.consent_id)
        except ConsentUnusable as exc:
            raise LinkFailed(f"bank refused: {exc}", session) from exc
        if not consent.status.usable:
            raise LinkFailed(f"consent is {consent.status.value}", session)
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
        return session

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
