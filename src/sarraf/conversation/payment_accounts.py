"""A new payee's account typed in chat: an IBAN (checksum and country length by schwifty) or a UK
sort code + account number ("40-12-76 12345678"). A mistyped IBAN is told apart from no account at all,
so the flow can say "that IBAN doesn't check out" instead of asking again for something it was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from sarraf.policy.minimise import mask_identifier

# Two letters, two check digits, then 10-30 letters/digits in groups the customer may space out.
_IBAN_LIKE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}\d{2}(?:\s?[A-Za-z0-9]){10,30})(?![A-Za-z0-9])")
_SORT_CODE = re.compile(r"(?<!\d)(\d{2})[-\s]?(\d{2})[-\s]?(\d{2})[\s,/]+(\d{8})(?!\d)")


class AccountProblem(Enum):
    MISSING = "missing"
    BAD_IBAN = "bad_iban"


@dataclass(frozen=True, slots=True)
class PayeeAccount:
    scheme: str  # OB SchemeName
    identification: str

    def masked(self) -> str:
        return mask_identifier(self.identification)  # the one masking rule the channels use


def parse_account(text: str) -> PayeeAccount | AccountProblem:
    if found := _IBAN_LIKE.search(text):
        # The pattern may run on into the next words ("… 2874 please"): the longest run of the
        # customer's groups that checks out is the IBAN; none checking out means a mistyped one.
        groups = found.group(1).split()
        for end in range(len(groups), 0, -1):
            try:
                return PayeeAccount("UK.OBIE.IBAN", IBAN("".join(groups[:end])).compact)
            except SchwiftyException:
                continue
        return AccountProblem.BAD_IBAN
    if found := _SORT_CODE.search(text):
        return PayeeAccount("UK.OBIE.SortCodeAccountNumber", "".join(found.groups()))
    return AccountProblem.MISSING
