"""Step-up in chat: a sensitive action is held while the customer re-confirms at the bank, and runs once when
they come back in time (issue #18; the policy is policy/step_up.py).

The re-confirmation is the bank-hosted login with PKCE that linking uses (policy/consents.py): the customer gets
the same login button, bound to the same browser checks, and /link/callback (web/routes_linking.py) hands the
returning login here instead of to "linked". The held action lives in the database (store/held_actions.py), so
the callback may land on any replica; taking it moves it to RUNNING, so a replayed callback runs nothing twice.
A login that fails, is refused, or comes back after the bank's hold window changes nothing and says so in the
customer's language. Both endings are recorded in the audit log, like every other decision.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sarraf.conversation.turn import Party
from sarraf.domain.consent import LINK_SESSION_TTL
from sarraf.domain.disclosure import Decision, DisclosureRequest
from sarraf.domain.messages import Button, Outbound
from sarraf.i18n.replies import catalog
from sarraf.policy.step_up import OFF, HeldAction, HeldStatus, Sensitive, StepUpPolicy, step_up_record

Requester = Party  # who asked for the held action and where the answer goes


class HeldActions(Protocol):
    async def hold(self, held: HeldAction) -> None: ...

    async def take(self, login_state: str) -> HeldAction | None: ...

    async def finish(self, held_id: str, status: HeldStatus, at: datetime) -> None: ...

    async def last_step_up(self, tenant: str, customer_id: str) -> datetime | None: ...

    async def device_known(self, tenant: str, customer_id: str, device: str) -> bool: ...


class Invitation(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def state(self) -> str: ...


class Logins(Protocol):
    """policy/consents.ConsentService, as far as a step-up needs it: a bank login for this chat."""

    async def invite(self, tenant: str, customer_id: str, channel: str, sender: str,
                     resume_text: str | None) -> Invitation: ...


class Audit(Protocol):
    async def record(self, request: DisclosureRequest, decision: Decision) -> object: ...


TIMED_OUT = "timed_out"  # policy.consents.LinkFailure.TIMED_OUT, as the callback passes it in `why`
Runner = Callable[[Requester, str | None], Awaitable[list[Outbound]]]


@dataclass(frozen=True, slots=True)
class CameBack:
    """A login that was a step-up: what the chat hears (already in the customer's language)."""

    held: HeldAction
    replies: list[Outbound]
    completed: bool


class StepUpGate:
    def __init__(self, policies: Mapping[str, StepUpPolicy], held: HeldActions, logins: Logins, audit: Audit,
                 bank_names: Mapping[str, str], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._policies = policies
        self._held = held
        self._logins = logins
        self._audit = audit
        self._bank_names = bank_names
        self._clock = clock
        self._runners: dict[Sensitive, Runner] = {}

    def runs(self, action: Sensitive, runner: Runner) -> None:
        """What to do once `action` is stepped up (the flow that owns the action registers it)."""
        self._runners[action] = runner

    def policy(self, tenant: str) -> StepUpPolicy:
        return self._policies.get(tenant, OFF)

    async def guard(self, who: Requester, action: Sensitive, argument: str | None) -> Outbound | None:
        """None when `action` may run now; otherwise the action is held and this is the reply asking the
        customer to confirm at the bank."""
        policy = self.policy(who.tenant)
        now = self._clock()
        if action not in policy.actions:
            return None
        if not policy.needs(action, await self._held.last_step_up(who.tenant, who.customer_id), now):
            return None
        invitation, minutes = await self._hold(who, action, argument, policy)
        c = catalog()
        return Outbound(c.text(who.lang, f"stepup_needed_{action.value}", bank=who.bank, count=minutes),
                        who.lang,
                        buttons=(Button(c.text(who.lang, "stepup_button", bank=who.bank), url=invitation.url,
                                        login=True),),
                        extra={"link_state": invitation.state, "step_up": action.value})

    async def guard_device(self, who: Requester, device: str) -> Invitation | None:
        """None when this browser (`device`: its cookie's digest) may open the customer's secure pages;
        otherwise the bank login it must complete first (held as a SECURE_PAGE_NEW_DEVICE action)."""
        policy = self.policy(who.tenant)
        action = Sensitive.SECURE_PAGE_NEW_DEVICE
        if action not in policy.actions or await self._held.device_known(who.tenant, who.customer_id, device):
            return None
        invitation, _ = await self._hold(who, action, device, policy)
        return invitation

    async def _hold(self, who: Requester, action: Sensitive, argument: str | None,
                    policy: StepUpPolicy) -> tuple[Invitation, int]:
        now = self._clock()
        invitation = await self._logins.invite(who.tenant, who.customer_id, who.channel, who.sender, None)
        hold_for = min(policy.hold_for, LINK_SESSION_TTL)  # the login itself lives no longer than this
        await self._held.hold(HeldAction(
            held_id=uuid.uuid4().hex, tenant=who.tenant, customer_id=who.customer_id, channel=who.channel,
            sender=who.sender, lang=who.lang, action=action, argument=argument, login_state=invitation.state,
            created_at=now, expires_at=now + hold_for))
        return invitation, max(1, int(hold_for.total_seconds() // 60))

    async def came_back(self, login_state: str, completed: bool, why: str = "") -> CameBack | None:
        """The bank login for `login_state` ended (`completed`: the consent came back usable). None when no
        action was held for it (an ordinary link, or a callback replayed after the action ran)."""
        held = await self._held.take(login_state)
        if held is None:
            return None
        now = self._clock()
        who = Requester(held.tenant, held.customer_id, held.channel, held.sender, held.lang,
                        self._bank_names.get(held.tenant, held.tenant))
        late = held.expired(now) or why == TIMED_OUT  # the bank login's own lifetime ran out first
        ok = completed and not late
        ending = HeldStatus.DONE if ok else (HeldStatus.EXPIRED if late else HeldStatus.FAILED)
        reason = "completed" if ok else ("came back too late" if late else f"not completed: {why or 'refused'}")
        request, decision = step_up_record(held.tenant, held.customer_id, held.channel, held.action, ending,
                                           reason)
        await self._audit.record(request, decision)
        if not ok:
            await self._held.finish(held.held_id, ending, now)
            key = "stepup_expired" if late else "stepup_failed"
            return CameBack(held, [Outbound(catalog().text(held.lang, key, bank=who.bank), held.lang)], False)
        # DONE before running: the step-up itself succeeded, and counts for the freshness window either way
        await self._held.finish(held.held_id, HeldStatus.DONE, now)
        runner = self._runners.get(held.action)
        if runner is None:  # wired without the flow that owns this action: say so rather than pretend
            return CameBack(held, [Outbound(catalog().text(held.lang, "stepup_failed", bank=who.bank),
                                            held.lang)], False)
        return CameBack(held, await runner(who, held.argument), True)


async def device_confirmed(who: Requester, device: str | None) -> list[Outbound]:
    """A new browser stepped up to read the secure pages: the chat hears it (a login the customer did not make
    shows up here). The browser goes back to its page (web/routes_linking.py)."""
    return [Outbound(catalog().text(who.lang, "stepup_device_confirmed", bank=who.bank), who.lang)]
