"""The sandbox ledger conserves money over random payment sequences (hypothesis stateful): every payment is
two postings summing to zero, a consent pays at most once, and no account is overdrawn by a payment."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from sarraf.sandbox_bank.ledger import PaymentConsent, PaymentLedger, PaymentRefused
from sarraf.sandbox_bank.seed import seed_bank
from sarraf.sandbox_bank.store import Store

BANK = seed_bank(date(2026, 12, 5))
NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
PAYERS = [a for a in BANK.accounts.values() if a.spec.kind in ("current", "savings")]


class Ledger(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.ledger = PaymentLedger(Store(None), BANK)
        self.start = {a.account_id: self.ledger.balance(a) for a in BANK.accounts.values()}
        self.used: list[PaymentConsent] = []
        self.paid_out = Decimal(0)

    def _consent(self, payer_index: int, payee_index: int, cents: int, internal: bool) -> PaymentConsent:
        payer = PAYERS[payer_index % len(PAYERS)]
        payee = PAYERS[payee_index % len(PAYERS)]
        creditor = ({"SchemeName": payee.spec.scheme, "Identification": payee.spec.identification, "Name": "X"}
                    if internal else {"SchemeName": "UK.OBIE.IBAN", "Identification": "DE89370400440532013000",
                                      "Name": "Y"})
        init = {"InstructionIdentification": "i", "EndToEndIdentification": "e",
                "InstructedAmount": {"Amount": f"{Decimal(cents) / 100:.2f}", "Currency": payer.currency},
                "CreditorAccount": creditor}
        return PaymentConsent("pdc-" + uuid.uuid4().hex, "sarraf", "AUTH", {"Data": {"Initiation": init}}, NOW, NOW,
                              payer.customer_id, payer.account_id)

    @rule(payer=st.integers(0, 50), payee=st.integers(0, 50), cents=st.integers(1, 2_000_000),
          internal=st.booleans())
    def pay(self, payer: int, payee: int, cents: int, internal: bool) -> None:
        consent = self._consent(payer, payee, cents, internal)
        account = BANK.accounts[consent.debtor_account_id or ""]
        before = self.ledger.balance(account)
        made = self.ledger.pay("dp-" + uuid.uuid4().hex, consent, NOW)
        if made["status"] == "ACSC":
            self.used.append(consent)
            assert self.ledger.balance(account) >= 0 or before < 0
        else:
            assert self.ledger.balance(account) == before

    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        if not self.used:
            return
        consent = data.draw(st.sampled_from(self.used))
        try:
            self.ledger.pay("dp-" + uuid.uuid4().hex, consent, NOW)
        except PaymentRefused:
            return
        raise AssertionError("a used consent paid twice")

    @invariant()
    def money_is_conserved(self) -> None:
        assert all(total == 0 for total in self.ledger.totals().values())


Ledger.TestCase.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)
TestLedger = Ledger.TestCase
