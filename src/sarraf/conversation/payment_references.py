"""The payment reference a customer gives in passing: "for dinner", "za obiad", «مقابل العشاء».

Taken from the marker to the end of the sentence (or the next amount), trimmed to OB's 35-character
RemittanceInformation Reference limit so the bank never refuses the consent over its length.
"""

from __future__ import annotations

import re

REFERENCE_MAX = 35  # OB RemittanceInformation.Reference maxLength
_MARKERS = re.compile(r"(?:(?<!\w)(?:for|za|tytułem|reference|ref:?)\s+|(?<!\w)(?:مقابل|ثمن|عن)\s+)(.+)$",
                      re.IGNORECASE)
_TRAILING = re.compile(r"[\s.!?،؟]+$")


def parse_reference(text: str) -> str | None:
    found = _MARKERS.search(text)
    if found is None:
        return None
    reference = _TRAILING.sub("", found.group(1)).strip()
    return reference[:REFERENCE_MAX].rstrip() or None
