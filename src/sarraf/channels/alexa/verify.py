"""Verify that a request really comes from Alexa, as ask-sdk-webservice-support's verifiers do, with
`cryptography` doing the certificate work and an injectable certificate fetcher.

Amazon's rules (developer.amazon.com/docs/custom-skills/host-a-custom-skill-as-a-web-service.html):
- the `SignatureCertChainUrl` is https, host s3.amazonaws.com, port 443 if given, normalised path under
  /echo.api/;
- the chain it names is valid now, chains to a trusted root, and the signing certificate names
  echo-api.amazon.com among its subject alternative names;
- `Signature-256` is the base64 RSA signature (PKCS#1 v1.5, SHA-256) of the raw body by that certificate;
- the request's timestamp is within 150 seconds of now (an hour for skill lifecycle events).
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import warnings
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

CERT_URL_HEADER = "signaturecertchainurl"
SIGNATURE_HEADER = "signature-256"
CERT_HOST = "s3.amazonaws.com"
CERT_PATH_PREFIX = "/echo.api/"
SIGNING_NAME = "echo-api.amazon.com"
REQUEST_TOLERANCE = timedelta(seconds=150)
SKILL_EVENT_TOLERANCE = timedelta(hours=1)
SKILL_EVENTS = frozenset({
    "AlexaSkillEvent.SkillEnabled", "AlexaSkillEvent.SkillDisabled", "AlexaSkillEvent.SkillPermissionChanged",
    "AlexaSkillEvent.SkillPermissionAccepted", "AlexaSkillEvent.SkillAccountLinked",
})
MAX_CHAIN_BYTES = 64 * 1024

CertFetcher = Callable[[str], Awaitable[bytes]]


class AlexaVerificationError(Exception):
    """The request is not provably from Alexa; the message says which rule failed (no secrets in it)."""


def check_cert_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise AlexaVerificationError("certificate URL is not https")
    if (parts.hostname or "").lower() != CERT_HOST:
        raise AlexaVerificationError("certificate URL host is not s3.amazonaws.com")
    if not posixpath.normpath(parts.path).startswith(CERT_PATH_PREFIX):
        raise AlexaVerificationError("certificate URL path is not under /echo.api/")
    try:
        port = parts.port
    except ValueError as exc:
        raise AlexaVerificationError("certificate URL port is malformed") from exc
    if port not in (None, 443):
        raise AlexaVerificationError("certificate URL port is not 443")


def http_fetcher(http: httpx.AsyncClient) -> CertFetcher:
    async def fetch(url: str) -> bytes:
        response = await http.get(url, follow_redirects=False)
        if response.status_code != 200 or len(response.content) > MAX_CHAIN_BYTES:
            raise AlexaVerificationError("certificate chain could not be fetched")
        return response.content
    return fetch


def system_roots() -> list[x509.Certificate]:
    with open(certifi.where(), "rb") as bundle, warnings.catch_warnings():
        # A few long-lived roots in the bundle carry non-positive serial numbers; they load, with a warning.
        warnings.simplefilter("ignore")
        return x509.load_pem_x509_certificates(bundle.read())


class AlexaRequestVerifier:
    def __init__(self, fetch: CertFetcher, roots: Sequence[x509.Certificate] | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._fetch = fetch
        self._store = Store(list(roots) if roots is not None else system_roots())
        self._clock = clock
        self._chains: dict[str, list[x509.Certificate]] = {}

    async def verify(self, headers: Mapping[str, str], raw_body: bytes, envelope: Mapping[str, Any]) -> None:
        await self.verify_signature(headers, raw_body)
        self.check_timestamp(envelope)

    async def verify_signature(self, headers: Mapping[str, str], raw_body: bytes) -> None:
        """The body's signature alone: checked before the body is parsed, so unsigned JSON is never read."""
        url = headers.get(CERT_URL_HEADER)
        signature = headers.get(SIGNATURE_HEADER)
        if not url or not signature:
            raise AlexaVerificationError("signature or certificate URL missing")
        check_cert_url(url)
        leaf = await self._trusted_leaf(url)
        try:
            decoded = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AlexaVerificationError("signature is not base64") from exc
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise AlexaVerificationError("signing certificate does not hold an RSA key")
        try:
            key.verify(decoded, raw_body, padding.PKCS1v15(), SHA256())
        except InvalidSignature as exc:
            raise AlexaVerificationError("signature does not match the body") from exc

    async def _trusted_leaf(self, url: str) -> x509.Certificate:
        chain = self._chains.get(url)
        if chain is None:
            try:
                chain = x509.load_pem_x509_certificates(await self._fetch(url))
            except (ValueError, httpx.HTTPError) as exc:
                raise AlexaVerificationError("certificate chain is unreadable") from exc
            if not chain:
                raise AlexaVerificationError("certificate chain is empty")
        verifier = (PolicyBuilder().store(self._store).time(self._clock())
                    .build_server_verifier(x509.DNSName(SIGNING_NAME)))
        try:
            # Checks validity dates, the path to a trusted root and the echo-api.amazon.com name: every time,
            # because a cached chain can expire between two requests.
            verifier.verify(chain[0], chain[1:])
        except VerificationError as exc:
            self._chains.pop(url, None)
            raise AlexaVerificationError("certificate chain is not trusted") from exc
        self._chains[url] = chain
        return chain[0]

    def check_timestamp(self, envelope: Mapping[str, Any]) -> None:
        request = envelope.get("request") if isinstance(envelope, Mapping) else None
        stamp = request.get("timestamp") if isinstance(request, Mapping) else None
        try:
            when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
        except ValueError as exc:
            raise AlexaVerificationError("request timestamp is missing or malformed") from exc
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        tolerance = SKILL_EVENT_TOLERANCE if (request or {}).get("type") in SKILL_EVENTS else REQUEST_TOLERANCE
        if abs(self._clock() - when) > tolerance:
            raise AlexaVerificationError("request timestamp is too old or in the future")
