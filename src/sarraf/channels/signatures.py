"""Webhook authenticity checks shared by the Meta platforms (Messenger, WhatsApp) and Telegram.

Every check fails closed: no configured secret, no header, or a malformed header is a refusal, and the
comparison is constant-time so response timing reveals nothing about the expected value.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Generic, Protocol, TypeVar

from sarraf.channels.webhook import Refused, WebhookRequest

HUB_SIGNATURE_HEADER = "x-hub-signature-256"
HUB_PREFIX = "sha256="


def hub_signature(app_secret: str, raw_body: bytes) -> str:
    """The `X-Hub-Signature-256` value Meta sends: HMAC-SHA256 of the raw body keyed by the app secret."""
    return HUB_PREFIX + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()


def valid_hub_signature(app_secret: str | None, raw_body: bytes, header: str | None) -> bool:
    if not app_secret or not header or not header.startswith(HUB_PREFIX):
        return False
    return hmac.compare_digest(hub_signature(app_secret, raw_body).encode(), header.strip().encode())


def same_secret(expected: str | None, given: str | None) -> bool:
    """Constant-time equality of a shared secret (verify tokens, Telegram's secret token); unset never matches."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


class MetaAppSecrets(Protocol):
    @property
    def app_secret(self) -> str: ...

    @property
    def verify_token(self) -> str: ...


A = TypeVar("A", bound=MetaAppSecrets)


class MetaWebhookChecks(Generic[A]):
    """The two checks Messenger and WhatsApp webhooks share, for channels holding `accounts` per bank."""

    accounts: Mapping[str, A]

    def serves(self, tenant: str) -> bool:
        return tenant in self.accounts

    def handshake(self, tenant: str, query: Mapping[str, str]) -> str | None:
        """Meta's subscription handshake: echo `hub.challenge` only for our `hub.verify_token`."""
        account = self.accounts.get(tenant)
        challenge = query.get("hub.challenge")
        if account is None or query.get("hub.mode") != "subscribe" or not challenge:
            return None
        return challenge if same_secret(account.verify_token, query.get("hub.verify_token")) else None

    def authentic(self, tenant: str, raw_body: bytes, signature: str | None) -> bool:
        account = self.accounts.get(tenant)
        return account is not None and valid_hub_signature(account.app_secret, raw_body, signature)

    async def verify(self, tenant: str, request: WebhookRequest) -> None:
        """X-Hub-Signature-256 over the raw body, keyed by the bank's app secret."""
        signature = request.headers.get(HUB_SIGNATURE_HEADER)
        if not signature:
            raise Refused(401, "signature missing")
        if not self.authentic(tenant, request.raw, signature):
            raise Refused(403, "signature mismatch")
