"""Alert derivation from account information (alerts/derive.py): rules, stable ids, pending → booked, fraud."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from sarraf.alerts.derive import Derived, FraudRules, Memory, Observed, Rules, derive
from sarraf.domain.events import AlertKind

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
ACC = "acc-1"
RULES = Rules(home_country="GB", large_from=Decimal("500"), low_balance_below=Decimal("100"))


def card(tid: str, amount: str = "12.50", merchant: str = "Tesco", *, status: str = "BOOK", country: str = "GB",
         at: datetime = T0, currency: str = "GBP", present: bool | None = True) -> Observed:
    return Observed(tid, ACC, at, Decimal(amount), currency, False, status, merchant, country, "CardPayment", "4242",
                    present)


def kinds(found: list[Derived]) -> list[tuple[str, AlertKind]]:
    return [(d.alert_id, d.kind) for d in found]


def test_each_rule_gives_its_alert_once() -> None:
    rows = [
        card("t1"),
        card("t2", "750.00", "Currys"),
        card("t3", "40.00", "Fnac", country="FR"),
        Observed("t4", ACC, T0, Decimal("30"), "GBP", False, merchant="Netflix", code="DirectDebit"),
        Observed("t5", ACC, T0, Decimal("15"), "GBP", True, merchant="Tesco", code="Refund"),
        Observed("t6", ACC, T0, Decimal("2500"), "GBP", True, merchant="ACME Ltd", code="Salary"),
        Observed("t7", ACC, T0, Decimal("60"), "GBP", False, merchant="Landlord", code="StandingOrder"),
    ]
    found, memory = derive(rows, ACC, "GBP", Decimal("42"), RULES, Memory())
    assert kinds(found) == [
        ("std:acc-1:balance:1", AlertKind.LOW_BALANCE),
        ("std:acc-1:t1:payment", AlertKind.CARD_PAYMENT),
        ("std:acc-1:t2:payment", AlertKind.LARGE_PURCHASE),
        ("std:acc-1:t3:payment", AlertKind.FOREIGN_PURCHASE),
        ("std:acc-1:t4:direct_debit", AlertKind.DIRECT_DEBIT),
        ("std:acc-1:t5:refund", AlertKind.REFUND),
        ("std:acc-1:t6:salary", AlertKind.SALARY),
    ]
    again, memory = derive(rows, ACC, "GBP", Decimal("42"), RULES, memory)
    assert {d.alert_id for d in again} <= {d.alert_id for d in found}  # the outbox absorbs them: nothing new
    assert not any(d.kind is AlertKind.LOW_BALANCE for d in again)  # still low: not said again


def test_a_second_direct_debit_to_the_same_payee_is_not_new() -> None:
    first = Observed("d1", ACC, T0, Decimal("30"), "GBP", False, merchant="Netflix", code="DirectDebit")
    _, memory = derive([first], ACC, "GBP", None, RULES, Memory())
    second = Observed("d2", ACC, T0 + timedelta(days=30), Decimal("30"), "GBP", False, merchant="Netflix",
                      code="DirectDebit")
    found, _ = derive([second], ACC, "GBP", None, RULES, memory)
    assert found == []


def test_pending_that_books_under_a_new_id_is_not_a_second_alert() -> None:
    pending = card("p-1", status="PDNG")
    first, memory = derive([pending], ACC, "GBP", None, RULES, Memory())
    booked = card("b-9")  # the bank gave it a new id; the pending row left the list
    second, memory = derive([booked], ACC, "GBP", None, RULES, memory)
    assert [d.alert_id for d in first] == [d.alert_id for d in second] == ["std:acc-1:p-1:payment"]
    assert memory.seen["b-9"].alert_key == "p-1"


def test_a_pending_still_listed_next_to_a_lookalike_booked_row_is_another_payment() -> None:
    found, _ = derive([card("p-1", status="PDNG"), card("b-1")], ACC, "GBP", None, RULES, Memory())
    assert len(found) == 2


def test_history_before_the_first_look_is_remembered_not_alerted() -> None:
    old = card("old", at=T0 - timedelta(days=3))
    new = card("new")
    found, memory = derive([old, new], ACC, "GBP", None, RULES, Memory(), alert_from=T0 - timedelta(minutes=30))
    assert [d.alert_id for d in found] == ["std:acc-1:new:payment"]
    assert "old" in memory.seen


def test_fraud_rules_raise_the_question_instead_of_the_payment_alert() -> None:
    rules = Rules(fraud=FraudRules(new_merchant_abroad_above=Decimal("300"), declined_attempts=3,
                                   night_card_not_present=(time(0), time(5)), timezone="Europe/London"))
    rows = [card("f1", "450", "ELECTRO SAO PAULO", country="BR"),
            card("n1", "20", "Web shop", at=T0.replace(hour=2), present=False),
            card("x1", "9", "Shop A", status="RJCT", at=T0 + timedelta(minutes=1)),
            card("x2", "9", "Shop A", status="RJCT", at=T0 + timedelta(minutes=2)),
            card("x3", "9", "Shop A", status="RJCT", at=T0 + timedelta(minutes=3))]
    found, memory = derive(rows, ACC, "GBP", None, rules, Memory())
    fraud = {d.alert_id: d.data["reason"] for d in found if d.kind is AlertKind.SUSPECTED_FRAUD}
    assert fraud == {"std:acc-1:f1:fraud": "first payment at a new merchant abroad",
                     "std:acc-1:n1:fraud": "card-not-present payment at night",
                     "std:acc-1:x3:fraud": "several declined attempts"}
    assert not any(d.alert_id == "std:acc-1:f1:payment" for d in found)
    # the same merchant again is no longer new: an ordinary payment abroad
    later, _ = derive([card("f2", "450", "ELECTRO SAO PAULO", country="BR", at=T0 + timedelta(days=1))],
                      ACC, "GBP", None, rules, memory)
    assert kinds(later) == [("std:acc-1:f2:payment", AlertKind.FOREIGN_PURCHASE)]


def test_memory_survives_its_json_form() -> None:
    _, memory = derive([card("t1", status="PDNG"), card("t2", merchant="Netflix")], ACC, "GBP", Decimal(5), RULES,
                       Memory())
    assert Memory.from_json(memory.to_json()) == memory


# ---- properties -------------------------------------------------------------------------------------------

merchants = st.sampled_from(["Tesco", "Fnac", "Netflix", "ACME"])
rows = st.builds(
    lambda n, amount, merchant, status, day, country, code, credit: Observed(
        f"t{n}", ACC, T0 + timedelta(days=day), Decimal(amount), "GBP", credit, status, merchant, country, code,
        "4242" if code == "CardPayment" else ""),
    st.integers(0, 12), st.sampled_from(["5", "12.5", "600"]), merchants, st.sampled_from(["BOOK", "PDNG", "RJCT"]),
    st.integers(0, 2), st.sampled_from(["GB", "FR"]),
    st.sampled_from(["CardPayment", "DirectDebit", "Salary", "Refund", "Transfer"]), st.booleans())
FRAUD = Rules(large_from=Decimal("500"),
              fraud=FraudRules(new_merchant_abroad_above=Decimal("100"), declined_attempts=2))


def _consistent(page: list[Observed]) -> list[Observed]:
    """A bank's list names each id once: keep the first row per id (pages may still repeat it, see below)."""
    seen: dict[str, Observed] = {}
    for r in page:
        seen.setdefault(r.transaction_id, r)
    return list(seen.values())


@settings(max_examples=150, deadline=None)
@given(st.lists(rows, max_size=12), st.randoms(use_true_random=False), st.integers(0, 3))
def test_any_order_or_duplication_of_the_same_pages_gives_the_same_alert_ids(page: list[Observed], rnd: object,
                                                                           repeats: int) -> None:
    listed = _consistent(page)
    reordered = listed + [listed[i % len(listed)] for i in range(repeats)] if listed else []
    rnd.shuffle(reordered)  # type: ignore[attr-defined]
    a, _ = derive(listed, ACC, "GBP", Decimal("50"), FRAUD, Memory())
    b, _ = derive(reordered, ACC, "GBP", Decimal("50"), FRAUD, Memory())
    assert [d.alert_id for d in a] == [d.alert_id for d in b]
    assert len({d.alert_id for d in a}) == len(a)


@settings(max_examples=150, deadline=None)
@given(st.lists(rows, max_size=12), st.integers(0, 12))
def test_reading_again_never_names_a_new_alert(page: list[Observed], cut: int) -> None:
    """A restart or a re-fetch of rows already read (even split across rounds) adds no alert id."""
    listed = _consistent(page)
    first, memory = derive(listed[:cut], ACC, "GBP", Decimal("50"), FRAUD, Memory())
    again, _ = derive(listed[:cut], ACC, "GBP", Decimal("50"), FRAUD, memory)
    assert {d.alert_id for d in again} <= {d.alert_id for d in first}


@settings(max_examples=150, deadline=None)
@given(st.lists(rows, max_size=10))
def test_a_pending_booking_under_a_new_id_keeps_every_alert_id(page: list[Observed]) -> None:
    listed = [r for r in _consistent(page) if r.status == "PDNG"]
    before, memory = derive(listed, ACC, "GBP", None, FRAUD, Memory())
    rebooked = [Observed("booked-" + r.transaction_id, r.account_id, r.booked_at, r.amount, r.currency, r.credit,
                         "BOOK", r.merchant, r.country, r.code, r.card_last4) for r in listed]
    after, _ = derive(rebooked, ACC, "GBP", None, FRAUD, memory)
    # pending rows are never declined ones, so booking changes no rule: the same ids, none new
    assert {d.alert_id for d in after} <= {d.alert_id for d in before}
