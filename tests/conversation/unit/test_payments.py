"""The payments flow registered on the engine (flows/payments.py) with fakes: one message to a confirmation,
a typed "cancel" to that question cancels it (the door below cannot pay: nothing is sent to the bank)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sarraf.conversation.flows.payments import PaymentsFlow
from sarraf.conversation.payment_runs import PaymentRuns
from sarraf.conversation.payment_texts import PaymentTexts
from sarraf.domain.disclosure import Decision, Minimisation, Outcome
from sarraf.domain.payments import PaymentState
from sarraf.policy.payments import LimitBreach, Parties, PaymentLimits, limit_breach
from sarraf.policy.point import Subject
from tests.conversation.payment_fakes import ALICE, EVERYDAY, MemoryPayments
from tests.conversation.unit.conftest import World, text


@dataclass
class PaymentDoor:
    """policy/payments.PaymentPoint as far as a payment put together and cancelled needs it."""

    limits: PaymentLimits = field(default_factory=lambda: PaymentLimits({"GBP": Decimal("1000")}))

    async def parties(self, subject: Subject) -> Parties:
        return Parties(Decision(Outcome.ALLOW, Minimisation.FULL, "permit-payments"), (EVERYDAY,), (ALICE,))

    async def check_limits(
        self, subject: Subject, amount: Decimal, currency: str, *, new_payee: bool, payment_id: str
    ) -> LimitBreach | None:
        return limit_breach(amount, currency, self.limits, new_payee=new_payee, spent_today=Decimal(0))


async def test_a_payment_is_put_together_then_cancelled_by_a_typed_cancel(world: World) -> None:
    door, repo = PaymentDoor(), MemoryPayments()
    flow = PaymentsFlow(door, PaymentRuns(door, repo), repo, PaymentTexts("http://gw/pay/start"))  # type: ignore[arg-type]
    world.conversation.register_flow(flow)
    world.nlu.means("send £20 to Alice Smith for dinner", "transfer_money")
    replies = await world.say("send £20 to Alice Smith for dinner")
    (p,) = repo.rows.values()
    assert p.state is PaymentState.AWAITING_CONFIRMATION
    assert "£20.00" in replies[-1].text and "Alice Smith" in replies[-1].text
    assert [q.payload for q in replies[-1].quick_replies] == [
        f"pay:confirm:{p.payment_id}",
        f"pay:cancel:{p.payment_id}",
    ]
    (cancelled,) = await world.say("cancel")  # the answer to the flow's own question, ahead of the model
    assert cancelled.text == text("pay_cancelled")
    assert repo.rows[p.payment_id].state is PaymentState.CANCELLED
