"""Which time zone a customer's quiet hours are kept in.

A customer who never chose a zone has the bank's default one; a bank serving several countries names a zone
per reply language in its config (`time_zones: {pl: Europe/Warsaw, ar: Asia/Riyadh}`), so a Polish customer
saying "wyłącz powiadomienia w nocy" gets Warsaw's night, not London's. A zone the customer set themselves
(one that is not among the bank's defaults) is kept.
"""

from __future__ import annotations

from collections.abc import Mapping

FALLBACK = "UTC"


def customer_zone(current: str, lang: str, by_language: Mapping[str, str]) -> str:
    wanted = by_language.get(lang)
    if wanted is None:
        return current
    defaults = {FALLBACK, *by_language.values()}
    return wanted if current in defaults else current
