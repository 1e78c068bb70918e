"""Payments in chat: "send £20 to Alice Smith for dinner", "przelej 100 zł Kasi za obiad", «حول ٢٠٠ ريال لأحمد».

The flow fills a payment's slots from what the customer said (amount with exact minor units, payee among the
bank's saved payees across inflections and scripts or a typed IBAN / sort code, reference, source account),
asks for what is missing one question at a time, asks which one when two payees match, shows one confirmation
(amount, payee with masked account, source account, reference, date, fee), and on "yes" sends the customer to
the bank's own strong authentication. The bank sends them back to /pay/callback (web/routes_payments.py), where
the payment is submitted once and the outcome told here. "cancel" ends it at any step.

On link_only channels (Messenger, WhatsApp by default) no payee or amount detail goes into the platform's chat:
the confirmation lives on the secure page, where the customer confirms. Everything the bank is asked goes through
policy/payments.py (decided, audited, limits) and conversation/payment_runs.py (the state machine).
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Protocol

from sarraf.conversation.context import PAYMENT_CONFIRM, PAYMENT_QUESTION, Memory
from sarraf.conversation.nlu.keywords import alternatives
from sarraf.conversation.nlu.types import Parse
from sarraf.conversation.payees import match_payees
from sarraf.conversation.payment_abroad import country_of, is_abroad, payees_in_named_country, transfer_currency
from sarraf.conversation.payment_accounts import AccountProblem, PayeeAccount, parse_account
from sarraf.conversation.payment_amounts import AmountProblem, ParsedAmount, parse_amount
from sarraf.conversation.payment_references import parse_reference
from sarraf.conversation.payment_runs import PaymentRuns, Step
from sarraf.conversation.payment_texts import PaymentTexts
from sarraf.conversation.ports import Speaker
from sarraf.domain.disclosure import Minimisation
from sarraf.domain.messages import Outbound
from sarraf.domain.payments import Payee, Payment, PaymentRepository, PaymentState, SourceAccount
from sarraf.policy.payments import LimitBreach, Parties
from sarraf.policy.point import Subject

PREFIX = "pay:"
DRAFT_TTL = timedelta(minutes=15)
S = PaymentState
_NUMBER = re.compile(r"^\W*([1-9])\W*$")


@cache
def _answers() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """Cancel, yes and no to a payment's question, from the keyword tables (nlu/data/keywords, `payments:`),
    matched case-insensitively on the raw text; yes and no only as the message's first word."""
    cancel = re.compile(alternatives("payments.cancel"), re.IGNORECASE)
    yes = re.compile(rf"^\W*(?:{alternatives('payments.agree')})(?!\w)", re.IGNORECASE)
    no = re.compile(rf"^\W*(?:{alternatives('payments.decline')})(?!\w)", re.IGNORECASE)
    return cancel, yes, no


class FlowTurn(Speaker, Protocol):
    """The engine's Turn (conversation/turn.py), as far as the flow needs it."""

    @property
    def text(self) -> str: ...

    @property
    def memory(self) -> Memory: ...

    @property
    def asked(self) -> str | None: ...


class PartiesDoor(Protocol):
    async def parties(self, subject: Subject) -> Parties: ...

    async def check_limits(self, subject: Subject, amount: Decimal, currency: str, *, new_payee: bool,
                           payment_id: str) -> LimitBreach | None: ...


def subject_of(turn: FlowTurn) -> Subject:
    return Subject(turn.tenant, turn.customer_id, recipient=turn.channel)


class PaymentsFlow:
    intents = frozenset({"transfer_money"})
    postback_prefixes = (PREFIX,)

    def __init__(self, door: PartiesDoor, runs: PaymentRuns, repo: PaymentRepository, texts: PaymentTexts,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._door = door
        self._runs = runs
        self._repo = repo
        self._texts = texts
        self._clock = clock

    # the seam (conversation/flows/__init__.py)

    async def answer(self, turn: FlowTurn, intent: str, parse: Parse | None) -> list[Outbound]:
        old = await self._repo.open_for(turn.tenant, turn.customer_id, self._clock())
        if old is not None:  # a new request replaces the one being put together
            await self._runs.cancel(old)
        parties = await self._door.parties(subject_of(turn))
        if not parties.decision.allowed:
            return [self._texts.say(turn, "pay_denied")]
        now = self._clock()
        draft = Payment(payment_id=f"pay-{uuid.uuid4().hex}", tenant=turn.tenant, customer_id=turn.customer_id,
                        channel=turn.channel, sender=turn.sender, lang=turn.lang, state=S.DRAFT, created_at=now,
                        expires_at=now + DRAFT_TTL, consent_key=secrets.token_hex(16),
                        payment_key=secrets.token_hex(16))
        filled, problem = _fill(draft, turn.text if parse is not None else "", parties, None)
        if problem == "no_account_currency":
            return [self._texts.say(turn, "pay_no_account_currency", currency=filled.currency or "")]
        await self._repo.create(filled)
        return await self._next(turn, filled, parties, problem)

    async def continues(self, turn: FlowTurn, parse: Parse) -> list[Outbound] | None:
        if turn.asked not in (PAYMENT_QUESTION, PAYMENT_CONFIRM):
            return None
        p = await self._repo.open_for(turn.tenant, turn.customer_id, self._clock())
        if p is None:
            return None
        cancel, yes, no = _answers()
        if cancel.search(turn.text) or no.search(turn.text) or parse.intent == "deny":
            return self._cancelled(turn, await self._runs.cancel(p))
        if p.asking == "confirm":
            if yes.search(turn.text) or parse.intent == "affirm":
                return await self._confirm(turn, p)
            return None  # something else: the confirmation stays open, the engine answers this message
        parties = await self._door.parties(subject_of(turn))
        filled, problem = _fill(p, turn.text, parties, p.asking)
        if filled == p and problem is None:
            if parse.in_scope and parse.intent not in ("affirm", "deny", "out_of_scope", "transfer_money"):
                return None  # another question altogether: the draft waits, the engine answers it
            problem = f"unclear_{p.asking}"
        saved = await self._runs.move(p, **_slots(filled)) if filled != p else p
        if saved is None:
            return [self._texts.say(turn, "pay_gone")]
        if problem == "no_account_currency":
            await self._runs.cancel(saved)
            return [self._texts.say(turn, "pay_no_account_currency", currency=saved.currency or "")]
        return await self._next(turn, saved, parties, problem)

    async def postback(self, turn: FlowTurn, payload: str) -> list[Outbound]:
        parts = payload[len(PREFIX):].split(":")
        p = await self._repo.get(parts[1]) if len(parts) >= 2 else None
        if p is None or p.customer_id != turn.customer_id or p.tenant != turn.tenant:
            return [self._texts.say(turn, "pay_gone")]
        action = parts[0]
        if action == "cancel":
            return self._cancelled(turn, await self._runs.cancel(p))
        if action == "confirm":
            return await self._confirm(turn, p)
        if action in ("payee", "source") and len(parts) == 3 and parts[2].isdigit() and p.asking in (
                "which_payee", "source"):
            parties = await self._door.parties(subject_of(turn))
            filled, problem = _fill(p, parts[2], parties, p.asking)
            saved = await self._runs.move(p, **_slots(filled)) if filled != p else p
            if saved is None:
                return [self._texts.say(turn, "pay_gone")]
            return await self._next(turn, saved, parties, problem)
        return [self._texts.say(turn, "pay_gone")]

    # steps

    async def _next(self, turn: FlowTurn, p: Payment, parties: Parties, problem: str | None) -> list[Outbound]:
        link_only = parties.decision.minimisation is Minimisation.LINK_ONLY
        replies = [self._texts.say(turn, f"pay_problem_{problem}")] if problem else []
        slot = _asking(p)
        if slot is None and p.amount is not None and p.currency is not None and p.payee is not None:
            # a saved payee is one the bank lists for the account; a typed account number is a new payee
            breach = await self._door.check_limits(subject_of(turn), p.amount, p.currency,
                                                   new_payee=not p.payee.account_id, payment_id=p.payment_id)
            if breach is not None:
                p = await self._runs.move(p, amount_minor=None, asking="amount") or p
                replies.append(self._texts.over_limit(turn, breach))
                slot = "amount"
        if slot is not None:
            turn.memory.pending = PAYMENT_QUESTION
            if p.asking != slot:
                p = await self._runs.move(p, asking=slot) or p
            return [*replies, self._texts.ask(turn, p, slot, link_only)]
        transfer = transfer_currency(p.payee) if p.payee and p.source and is_abroad(p.source, p.payee) else None
        extra = {**p.extra, "transfer": transfer} if transfer else dict(p.extra)
        if link_only:  # remembered for the outcome, told in this chat later without its figures
            extra["private"] = "1"
        ready = await self._runs.move(p, state=S.AWAITING_CONFIRMATION, asking="confirm", extra=extra)
        if ready is None:
            return [self._texts.say(turn, "pay_gone")]
        if transfer:  # abroad: the bank's rate and how long it holds are part of what the customer confirms
            quoted = await self._runs.quote(ready, subject_of(turn), transfer)
            if quoted.problem or quoted.payment.state is not S.AWAITING_CONFIRMATION:
                return [*replies, self._texts.after_confirm(turn, quoted)]
            ready = quoted.payment
        turn.memory.pending = PAYMENT_CONFIRM
        return [*replies, self._texts.confirmation(turn, ready, link_only)]

    async def _confirm(self, turn: FlowTurn, p: Payment) -> list[Outbound]:
        if p.state is S.SUBMITTED:  # its answer was lost: ask the bank again (same key: never paid twice)
            return [self._texts.status(turn, (await self._runs.refresh(p)).payment)]
        step = await self._runs.confirm(p, subject_of(turn))
        if step.problem == "quote_expired":  # never paid at a stale rate: a fresh quote to confirm instead
            parties = await self._door.parties(subject_of(turn))
            fresh = await self._runs.quote(step.payment, subject_of(turn), step.payment.extra.get("transfer", ""))
            if fresh.problem or fresh.payment.state is not S.AWAITING_CONFIRMATION:
                return [self._texts.after_confirm(turn, fresh)]
            turn.memory.pending = PAYMENT_CONFIRM
            link_only = parties.decision.minimisation is Minimisation.LINK_ONLY
            return [self._texts.after_confirm(turn, step), self._texts.confirmation(turn, fresh.payment, link_only)]
        return [self._texts.after_confirm(turn, step)]

    def _cancelled(self, turn: FlowTurn, step: Step) -> list[Outbound]:
        if step.payment.state is S.CANCELLED:
            return [self._texts.say(turn, "pay_cancelled")]
        return [self._texts.status(turn, step.payment)]


def _asking(p: Payment) -> str | None:
    """The slot to ask for next, or None when the payment is complete."""
    if p.asking == "which_payee" and p.payee is None:
        return "which_payee"
    missing = p.missing()
    if missing is None and p.payee is not None and not p.payee.name:
        return "payee_name"
    return missing


def _slots(p: Payment) -> dict[str, object]:
    return {"amount_minor": p.amount_minor, "currency": p.currency, "payee": p.payee, "source": p.source,
            "reference": p.reference, "asking": p.asking, "choices": p.choices}


def _fill(p: Payment, text: str, parties: Parties, asked: str | None) -> tuple[Payment, str | None]:
    """The payment with whatever `text` gives for its empty slots; and a problem to tell (or None)."""
    problem: str | None = None
    if asked == "which_payee":
        picked = _pick(text, p.choices)
        payee = next((x for x in parties.payees if x.name == picked), None) if picked else None
        if payee is None:
            return p, "unclear_which_payee"
        p = p.with_(payee=payee, choices=(), asking=None)
    elif asked == "source":
        picked = _pick(text, p.choices)
        source = next((a for a in _sources(p, parties) if a.label == picked), None) if picked else None
        if source is None:
            return p, "unclear_source"
        p = p.with_(source=source, choices=(), asking=None)
    elif asked == "payee_name" and p.payee is not None:
        name = re.sub(r"\s+", " ", text).strip()[:70]
        if not name or _NUMBER.match(name):
            return p, "unclear_payee_name"
        p = p.with_(payee=Payee(name, p.payee.scheme, p.payee.identification), asking=None)
    else:
        p, problem = _fill_from_text(p, text, parties, asked)
    if p.source is None and p.currency is not None and p.asking != "which_payee":
        candidates = _sources(p, parties)
        if p.payee is not None and p.payee.account_id:
            candidates = [a for a in candidates if a.account_id == p.payee.account_id] or candidates
        if not candidates:
            return p, "no_account_currency"
        if len(candidates) == 1:
            p = p.with_(source=candidates[0])
        elif p.payee is not None:
            p = p.with_(asking="source", choices=tuple(a.label for a in candidates))
    return p, problem


def _fill_from_text(p: Payment, text: str, parties: Parties, asked: str | None) -> tuple[Payment, str | None]:
    problem: str | None = None
    if p.amount_minor is None:
        currencies = {a.currency for a in parties.accounts}
        default = p.source.currency if p.source else (next(iter(currencies)) if len(currencies) == 1 else None)
        amount = parse_amount(text, default_currency=default if asked == "amount" else None)
        if isinstance(amount, ParsedAmount):
            p = p.with_(amount_minor=amount.minor_units, currency=amount.currency)
        elif amount is not AmountProblem.MISSING:
            problem = amount.value
    if p.payee is None and asked in (None, "payee"):
        account = parse_account(text)
        if isinstance(account, PayeeAccount):
            saved = next((x for x in parties.payees if x.identification == account.identification), None)
            p = p.with_(payee=saved or Payee("", account.scheme, account.identification))
        elif account is AccountProblem.BAD_IBAN:
            problem = "bad_iban"
        else:
            names = match_payees(text, [x.name for x in parties.payees])
            if len(names) == 1:
                p = p.with_(payee=next(x for x in parties.payees if x.name == names[0]))
            elif len(names) > 1:
                p = p.with_(asking="which_payee", choices=tuple(names))
            elif len(abroad := payees_in_named_country(text, parties.payees, _home(p, parties))) == 1:
                p = p.with_(payee=abroad[0])  # "my sister in Germany": the one saved payee there
            elif asked == "payee":
                problem = "unknown_payee"
    if p.reference is None and asked is None:
        p = p.with_(reference=parse_reference(text))
    return p, problem


def _home(p: Payment, parties: Parties) -> str:
    """The bank's country, as its accounts' numbers say."""
    account = p.source or (parties.accounts[0] if parties.accounts else None)
    return country_of(account.scheme, account.identification) if account else "GB"


def _sources(p: Payment, parties: Parties) -> list[SourceAccount]:
    return [a for a in parties.accounts if p.currency is None or a.currency == p.currency]


def _pick(text: str, choices: tuple[str, ...]) -> str | None:
    """A choice named by its number ("2") or by (part of) its name."""
    if (number := _NUMBER.match(text)) and int(number.group(1)) <= len(choices):
        return choices[int(number.group(1)) - 1]
    found = match_payees(text, list(choices))
    return found[0] if len(found) == 1 else None
