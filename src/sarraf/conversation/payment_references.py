"""The payment reference a customer gives in passing: "for dinner", "za obiad", «مقابل العشاء».

Taken from the marker to the end of the sentence (or the next amount), trimmed to OB's 35-character
RemittanceInformation Reference limit so the bank never refuses the consent over its length.
"""

from __future__ import annotations

import re
from functools import cache

from sarraf.conversation.nlu.keywords import alternatives

REFERENCE_MAX = 35  # OB RemittanceInformation.Reference maxLength
_TRAILING = re.compile(r"[\s.!?،؟]+$")


@cache
def _markers() -> re.Pattern[str]:
    """A reference marker ("for", "za", «مقابل»: keyword tables, `payment_references:`) and the rest after it."""
    return re.compile(rf"(?<!\w)(?:{alternatives('payment_references.markers')})\s+(.+)$", re.IGNORECASE)


def parse_reference(text: str) -> str | None:
    found = _markers().search(text)
    if found is None:
        return None
    reference = _TRAILING.sub("", found.group(1)).strip()
    return reference[:REFERENCE_MAX].rstrip() or None
