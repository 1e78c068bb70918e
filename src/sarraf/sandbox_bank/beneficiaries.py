"""Seeded payees (OB v4.0 OBBeneficiary5) of the sandbox customers' current accounts.

Each customer has one domestic payee and one abroad, so a chat payment can find a payee by name
(across inflections and scripts) and an international payment has someone to pay. Account numbers
are valid IBANs / UK sort code + account numbers (checksums hold), never real people's accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Beneficiary:
    beneficiary_id: str
    account_id: str  # the customer's account the payee is registered on
    name: str
    scheme: str  # OB SchemeName of the payee's account
    identification: str
    reference: str

    def rendered(self, *, detail: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"AccountId": self.account_id, "BeneficiaryId": self.beneficiary_id,
                                "BeneficiaryType": "Trusted", "Reference": self.reference}
        if detail:
            body["CreditorAccount"] = {"SchemeName": self.scheme, "Identification": self.identification,
                                       "Name": self.name}
        return body


BENEFICIARIES: tuple[Beneficiary, ...] = (
    # Alice banks with the sandbox too (its sort code 401276): a payment to her is a transfer inside the bank.
    Beneficiary("ben-en-1-alice", "sandbox-en-1-current", "Alice Smith", "UK.OBIE.SortCodeAccountNumber",
                "40127644501733", "Dinner club"),
    Beneficiary("ben-en-1-marie", "sandbox-en-1-current", "Marie Dubois", "UK.OBIE.IBAN",
                "FR1420041010050500013M02606", "Rent share"),
    Beneficiary("ben-pl-1-katarzyna", "sandbox-pl-1-current", "Katarzyna Nowak", "UK.OBIE.IBAN",
                "PL61109010140000071219812874", "Obiady"),
    Beneficiary("ben-pl-1-magdalena", "sandbox-pl-1-current", "Magdalena Kowalska", "UK.OBIE.IBAN",
                "DE89370400440532013000", "Siostra"),
    Beneficiary("ben-ar-1-ahmed", "sandbox-ar-1-current", "أحمد العتيبي", "UK.OBIE.IBAN",
                "SA4420000001234567891234", "عائلة"),
    Beneficiary("ben-ar-1-omar", "sandbox-ar-1-current", "عمر الحداد", "UK.OBIE.IBAN",
                "AE070331234567890123456", "إيجار"),
)


def beneficiaries_of(account_id: str) -> list[Beneficiary]:
    return [b for b in BENEFICIARIES if b.account_id == account_id]
