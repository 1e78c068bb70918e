"""What one audit leaf says about one disclosure decision, with the customer pseudonymised."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sarraf.domain.disclosure import Decision, DisclosureRequest
from sarraf.policy.audit.canonical import canonical_json

LEAF_VERSION = 1


class Pseudonymiser:
    """HMAC-SHA256 of (tenant, customer id) under a secret key: the same customer always maps to the
    same pseudonym, so their decisions can be followed in the log, but the id cannot be read back
    without the key. (This is pseudonymisation in the GDPR sense, not anonymisation.)"""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, tenant: str, customer_id: str) -> str:
        message = tenant.encode() + b"\x1f" + customer_id.encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def utc_timestamp(at: datetime | None = None) -> str:
    at = (at or datetime.now(UTC)).astimezone(UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def leaf_fields(
    seq: int, request: DisclosureRequest, decision: Decision, customer: str, at: str
) -> dict[str, Any]:
    return {
        "v": LEAF_VERSION,
        "seq": seq,  # the leaf's own position: moving a leaf elsewhere is visible in the leaf itself
        "time": at,
        "tenant": request.tenant,
        "customer": customer,
        "purpose": request.purpose,
        "categories": list(request.categories),
        "recipient": request.recipient,
        "outcome": decision.outcome.value,
        "minimisation": decision.minimisation.value if decision.minimisation else None,
        "policy_id": decision.policy_id,
    }


def encode_leaf(fields: Mapping[str, Any]) -> bytes:
    return canonical_json(fields if type(fields) is dict else dict(fields))


def decode_leaf(data: bytes) -> dict[str, Any]:
    value = json.loads(data)
    if not isinstance(value, dict):
        raise ValueError("audit leaf is not a JSON object")
    return value


def seq_of(data: bytes) -> int | None:
    """The "seq" a canonical leaf claims, read without a full JSON parse (verify reads millions).

    In canonical JSON a quote inside a string is escaped, so an unescaped `"seq":` is always the key."""
    at = data.find(b'"seq":')
    if at < 0:
        return None
    start = at + 6
    end = start
    while end < len(data) and 48 <= data[end] <= 57:
        end += 1
    return int(data[start:end]) if end > start else None
