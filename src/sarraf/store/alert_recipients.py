"""A routing batch's recipient from its joined row (link, customer, alert preferences), poison-tolerant."""

from __future__ import annotations

from typing import Any

from sarraf.alerts.poison import POISON, poison_reason
from sarraf.alerts.ports import Recipient
from sarraf.alerts.preferences import AlertPreferences
from sarraf.domain.consent import ConsentStatus
from sarraf.store.alerts_prefs import preferences_from_values
from sarraf.store.channel_state import utc
from sarraf.store.identity_sealing import Opened

CHANNEL, SENDER = 2, 3  # the chosen address among the preference columns (alerts_prefs.PREFERENCE_COLUMNS)


def recipient_from_row(tenant: str, link: Any, columns: int,
                       identities: dict[str, list[tuple[str, str]]], by_lookup: Opened) -> Recipient:
    """One recipient from its row (the preference columns start at `columns`). A row that cannot be read (a
    bad value written past the API's validation) gives a recipient marked `unreadable`, so routing
    dead-letters that customer's events alone instead of failing the whole batch for everyone. The chosen
    address is stored as its keyed hash: it is opened from the customer's identities (`by_lookup`)."""
    preferences = list(link[columns:])
    if preferences[CHANNEL] and preferences[SENDER]:
        preferences[SENDER] = by_lookup.get((link.customer_id, preferences[CHANNEL], preferences[SENDER]),
                                            preferences[SENDER])
    try:
        return Recipient(
            customer_id=link.customer_id, lang=link.lang, link_status=ConsentStatus(link.status),
            permissions=tuple(link.permissions), link_expires_at=utc(link.expires_at) if link.expires_at else None,
            has_tokens=bool(link.has_tokens), identities=tuple(identities.get(link.customer_id, ())),
            preferences=preferences_from_values(tenant, *preferences))
    except POISON as exc:
        return Recipient(customer_id=link.customer_id, lang=None, link_status=ConsentStatus.REJECTED,
                         permissions=(), link_expires_at=None, has_tokens=False, identities=(),
                         preferences=AlertPreferences(), unreadable=f"stored record unreadable: {poison_reason(exc)}")
