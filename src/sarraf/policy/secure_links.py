"""Short-lived signed links to the gateway-hosted page that shows data a chat platform must not see.

With `link_only` minimisation the platform (Messenger, WhatsApp) carries only this URL. The token names
the customer, the view and the period, expires after a few minutes, and is checked again — and the page
view is itself a policy decision for the recipient `bank_page` — before anything is shown.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

VIEWS = ("balance", "transactions", "spending", "export", "privacy", "service", "payment", "offer")  # privacy: who
# has seen my data; service: the facts behind a service answer (start = the intent); payment: a confirmation to
# review; offer: a link-only offer's details (web/offer_page.py)


@dataclass(frozen=True, slots=True)
class SecureView:
    tenant: str
    customer_id: str
    view: str
    start: str | None
    end: str | None
    # the spending question's narrowing, as the customer said it (the platform saw those words already)
    category: str | None = None
    merchant: str | None = None


class InvalidLink(ValueError):
    """Expired, forged or malformed secure-page token."""


class SignedLinks:
    def __init__(self, key: bytes, base_url: str, ttl_minutes: int = 10) -> None:
        if len(key) < 32:
            raise ValueError("secure-link key must be at least 32 bytes")
        self._key = OctKey.import_key(key)
        self._base_url = base_url.rstrip("/")
        self.ttl_minutes = ttl_minutes

    def issue(self, tenant: str, customer_id: str, view: str, start: str | None, end: str | None, *,
              category: str | None = None, merchant: str | None = None) -> str:
        if view not in VIEWS:
            raise ValueError(f"unknown view {view!r}")
        now = int(time.time())
        # jti: every link is a link of its own, even two of the same view in one second (a link is claimed by the
        # first browser that opens it: web/secure_device.py).
        claims: dict[str, object] = {"ten": tenant, "sub": customer_id, "view": view, "from": start, "to": end,
                                     "iat": now, "exp": now + self.ttl_minutes * 60, "aud": "sarraf-secure-page",
                                     "jti": secrets.token_urlsafe(12)}
        if category:
            claims["cat"] = category
        if merchant:
            claims["mer"] = merchant
        token = jwt.encode({"alg": "HS256"}, claims, self._key)
        return f"{self._base_url}/secure/{token}"

    def verify(self, token: str) -> SecureView:
        try:
            decoded = jwt.decode(token, self._key, algorithms=["HS256"])
            jwt.JWTClaimsRegistry(
                exp={"essential": True}, aud={"essential": True, "value": "sarraf-secure-page"}
            ).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise InvalidLink(str(exc)) from exc
        c = decoded.claims
        if c.get("view") not in VIEWS or not isinstance(c.get("sub"), str) or not isinstance(c.get("ten"), str):
            raise InvalidLink("malformed claims")
        narrowing = [c.get("cat"), c.get("mer")]
        if any(v is not None and not isinstance(v, str) for v in narrowing):
            raise InvalidLink("malformed claims")
        return SecureView(c["ten"], c["sub"], c["view"], c.get("from"), c.get("to"), c.get("cat"), c.get("mer"))
