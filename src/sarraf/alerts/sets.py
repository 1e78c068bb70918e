"""Verify a bank's Security Event Token (RFC 8417) and read the event out of it.

Signature with the bank's published JWKS through joserfc (asymmetric algorithms only, so neither "none" nor
an HMAC keyed with a public key can pass); then the claims: our audience, the bank's issuer when one is
configured, an ``iat`` neither stale nor from the future, a ``jti``, and a known event. A replayed ``jti``
is caught by the outbox's unique key and absorbed (202, no second message): a stale replay fails ``iat``.
Every refusal carries an RFC 8935 error code and a description the bank can act on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from sarraf.domain.events import EVENT_URIS, OB_CONSENT_REVOKED, OB_RESOURCE_UPDATE, AlertKind, BankEvent

ALGORITHMS = ["ES256", "ES384", "PS256", "RS256", "EdDSA"]
MAX_AGE_S = 300
CLOCK_SKEW_S = 60
RID = "http://openbanking.org.uk/rid"
RTY = "http://openbanking.org.uk/rty"


class SetRejected(ValueError):
    def __init__(self, err: str, description: str) -> None:
        super().__init__(f"{err}: {description}")
        self.err = err
        self.description = description


JwksFetcher = Callable[[bool], Awaitable[dict[str, Any]]]  # (force refresh) -> JWKS


class SetVerifier:
    def __init__(self, tenant: str, audience: str, jwks: JwksFetcher, *, issuer: str | None = None,
                 max_age_s: int = MAX_AGE_S, clock: Callable[[], float] = time.time) -> None:
        self.tenant = tenant
        self._audience = audience
        self._issuer = issuer
        self._jwks = jwks
        self._max_age = max_age_s
        self._clock = clock
        self._keys: tuple[dict[str, Any], KeySet] | None = None

    async def verify(self, token: str) -> BankEvent:
        claims = await self._signed_claims(token.strip())
        self._check_claims(claims)
        return to_event(self.tenant, claims)

    async def _key_set(self, refresh: bool) -> KeySet:
        """The bank's keys, imported once per distinct JWKS document (importing costs more than verifying)."""
        document = await self._jwks(refresh)
        if self._keys is None or document is not self._keys[0]:
            try:
                self._keys = (document, KeySet.import_key_set(document))  # type: ignore[arg-type]
            except (JoseError, ValueError, KeyError, TypeError) as exc:
                raise SetRejected("invalid_key", f"the bank's JWKS is unusable: {exc}") from exc
        return self._keys[1]

    async def _signed_claims(self, token: str) -> dict[str, Any]:
        parts = token.split(".")
        if len(parts) != 3 or not parts[2]:
            raise SetRejected("invalid_request", "the SET is not a signed JWS (compact form with a signature)")
        for refresh in (False, True):  # a key we do not know yet may be a rotation: fetch the JWKS once more
            keys = await self._key_set(refresh)
            try:
                # The JWS layer, not joserfc.jwt: jwt.decode only adds a JSON parse of the payload, at ~5 µs
                # a SET of wrapping (intake verifies thousands a second).
                payload = jws.deserialize_compact(token, keys, algorithms=ALGORITHMS).payload
            except (JoseError, ValueError, RecursionError) as exc:  # RecursionError: a header nested thousands deep
                if refresh:
                    raise SetRejected("invalid_key", f"signature not verified with the bank's keys: {exc}") from exc
                continue
            try:
                claims = json.loads(payload)
            except (ValueError, RecursionError) as exc:
                raise SetRejected("invalid_request", "the SET's payload is not JSON") from exc
            if not isinstance(claims, dict):
                raise SetRejected("invalid_request", "the SET's claims are not a JSON object")
            return claims
        raise AssertionError("unreachable")

    def _check_claims(self, c: dict[str, Any]) -> None:
        aud = c.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if self._audience not in audiences:
            raise SetRejected("invalid_audience", f"aud {aud!r} is not {self._audience!r}")
        if self._issuer is not None and c.get("iss") != self._issuer:
            raise SetRejected("invalid_issuer", f"iss {c.get('iss')!r} is not {self._issuer!r}")
        iat = c.get("iat")
        if not isinstance(iat, int) or isinstance(iat, bool):
            raise SetRejected("invalid_request", "iat is missing or not an integer")
        now = self._clock()
        if iat < now - self._max_age:
            raise SetRejected("invalid_request", f"stale SET: issued {int(now - iat)} s ago (limit {self._max_age} s)")
        if iat > now + CLOCK_SKEW_S:
            raise SetRejected("invalid_request", "iat is in the future")
        jti = c.get("jti")
        if not isinstance(jti, str) or not 1 <= len(jti) <= 128:
            raise SetRejected("invalid_request", "jti is missing or longer than 128 characters")
        if not isinstance(c.get("events"), dict) or not c["events"]:
            raise SetRejected("invalid_request", "events is missing")


def _consent_id(claims: dict[str, Any], body: dict[str, Any]) -> str:
    subject = body.get("subject") if isinstance(body.get("subject"), dict) else None
    if subject and subject.get(RTY) == "account-access-consent" and isinstance(subject.get(RID), str):
        return str(subject[RID])
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip("/"):
        raise SetRejected("invalid_request", "sub (the consent the event is about) is missing")
    return sub.rstrip("/").rsplit("/", 1)[-1]


def to_event(tenant: str, claims: dict[str, Any]) -> BankEvent:
    events: dict[str, Any] = claims["events"]
    known = [uri for uri in events if uri in EVENT_URIS]
    if len(known) != 1:
        raise SetRejected("invalid_request",
                          f"expected exactly one known event, got {sorted(events)}; known: {sorted(EVENT_URIS)}")
    uri = known[0]
    body = events[uri]
    if not isinstance(body, dict):
        raise SetRejected("invalid_request", f"{uri} must be an object")
    toe = claims.get("toe", claims["iat"])
    if not isinstance(toe, int):
        raise SetRejected("invalid_request", "toe must be an integer")
    data = {k: v for k, v in body.items() if k != "subject"} if uri in (OB_RESOURCE_UPDATE, OB_CONSENT_REVOKED) \
        else dict(body)
    kind = EVENT_URIS[uri]
    if kind in (AlertKind.CARD_PAYMENT, AlertKind.LARGE_PURCHASE, AlertKind.FOREIGN_PURCHASE,
                AlertKind.SUSPECTED_FRAUD, AlertKind.RECEIPT) and not {"amount", "currency"} <= data.keys():
        raise SetRejected("invalid_request", f"{uri} needs amount and currency")
    return BankEvent(tenant, str(claims["jti"]), kind, _consent_id(claims, body),
                     datetime.fromtimestamp(toe, UTC), data)
