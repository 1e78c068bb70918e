"""The customer's consent as the decider sees it, for each kind of use: one place that turns a bank link (and
the customer's opt-ins) into a `ConsentGrant`. Reading accounts is what linking grants; card controls, payments,
alerts and offers each add only what their own consent or opt-in covers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import lru_cache

from sarraf.domain.consent import BankLink, ConsentStatus
from sarraf.policy.consent_grant import SCOPES, ConsentGrant, GrantStatus, Scope

# Reading accounts is what linking grants; alerts and offers are separate opt-ins, never implied by it.
LINKABLE_SCOPES = (Scope.BALANCES, Scope.TRANSACTIONS)


def _linked_scopes(permissions: tuple[str, ...] | frozenset[str]) -> set[Scope]:
    granted = set(permissions)
    return {s for s in LINKABLE_SCOPES if set(SCOPES[s].permissions) <= granted}


def grant_from_link(link: BankLink) -> ConsentGrant:
    """Reading: scopes whose OB permissions the bank granted."""
    return ConsentGrant(
        tenant=link.tenant,
        customer_id=link.customer_id,
        scopes=frozenset(_linked_scopes(tuple(link.permissions))),
        status=GrantStatus.from_ob(link.status) if link.has_tokens else GrantStatus.REVOKED,
        expires_at=link.expires_at,
        consent_id=link.consent_id,
    )


def action_grant(link: BankLink) -> ConsentGrant:
    """A usable link lets the customer act on their own cards from the chat they linked."""
    grant = grant_from_link(link)
    return replace(grant, scopes=grant.scopes | {Scope.CARD_CONTROLS})


def payment_grant(link: BankLink) -> ConsentGrant:
    """A usable link lets the customer ask for payments (each authorised at the bank) and, when the bank granted
    the beneficiary read, use their saved payees."""
    grant = grant_from_link(link)
    extra = {Scope.PAYMENTS}
    if set(SCOPES[Scope.PAYEES].permissions) <= set(link.permissions):
        extra.add(Scope.PAYEES)
    return replace(grant, scopes=grant.scopes | extra)


@lru_cache(maxsize=8192)
def alerts_grant(tenant: str, customer_id: str, permissions: tuple[str, ...], opted_in: bool,
                 link_status: ConsentStatus, has_tokens: bool, expires_at: datetime | None) -> ConsentGrant:
    """Alerts: the linked scopes, plus alerts once the customer opted in.

    A pure function of the link as read in one routing batch (ConsentGrant is frozen): a changed link gives other
    arguments and so a fresh grant; only rebuilding an unchanged one is skipped. Expiry is still checked against
    the clock on every decision."""
    scopes = _linked_scopes(permissions)
    if opted_in and set(SCOPES[Scope.ALERTS].permissions) <= set(permissions):
        scopes.add(Scope.ALERTS)
    status = GrantStatus.from_ob(link_status) if has_tokens else GrantStatus.REVOKED
    return ConsentGrant(tenant, customer_id, frozenset(scopes), status, expires_at)
