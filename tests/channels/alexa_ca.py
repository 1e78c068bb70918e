"""A private CA and an Alexa-like signing certificate chain, so tests can sign skill requests the way
Amazon does (RSA PKCS#1 v1.5, SHA-256) and check every rule the verifier enforces."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-12.pem"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class AlexaChain:
    root: x509.Certificate
    pem: bytes  # leaf then intermediate, as Amazon serves it
    leaf_key: rsa.RSAPrivateKey

    def sign(self, raw: bytes) -> str:
        return base64.b64encode(self.leaf_key.sign(raw, padding.PKCS1v15(), hashes.SHA256())).decode()

    def headers(self, raw: bytes, url: str = CERT_URL) -> dict[str, str]:
        return {"SignatureCertChainUrl": url, "Signature-256": self.sign(raw), "Content-Type": "application/json"}

    async def fetch(self, url: str) -> bytes:
        return self.pem


def _ca(subject: str, issuer: x509.Name, issuer_key: rsa.RSAPrivateKey, key: rsa.RSAPrivateKey,
        now: datetime, path_length: int | None) -> x509.Certificate:
    return (
        x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(issuer).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def build_chain(*, san: str = "echo-api.amazon.com", valid_days: int = 30, expired: bool = False) -> AlexaChain:
    now = datetime.now(UTC)
    root_key, mid_key, leaf_key = _key(), _key(), _key()
    root = _ca("Test Root CA", _name("Test Root CA"), root_key, root_key, now, None)
    mid = _ca("Test Intermediate CA", root.subject, root_key, mid_key, now, 0)
    start = now - timedelta(days=60 if expired else 1)
    end = now - timedelta(days=1) if expired else now + timedelta(days=valid_days)
    leaf = (
        x509.CertificateBuilder().subject_name(_name(san)).issuer_name(mid.subject).public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(mid_key.public_key()), critical=False)
        .sign(mid_key, hashes.SHA256())
    )
    pem = leaf.public_bytes(serialization.Encoding.PEM) + mid.public_bytes(serialization.Encoding.PEM)
    return AlexaChain(root, pem, leaf_key)


def envelope(template: dict[str, Any], *, skill: str, user: str, request_id: str, locale: str | None = None,
             intent: str | None = None, slots: dict[str, Any] | None = None,
             timestamp: datetime | None = None) -> dict[str, Any]:
    """A fixture request with its ids, time, locale and intent filled in."""
    body = json.loads(json.dumps(template))
    for holder in (body["session"], body["context"]["System"]):
        holder["application"]["applicationId"] = skill
        holder["user"]["userId"] = user
    request = body["request"]
    request["requestId"] = request_id
    request["timestamp"] = (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if locale:
        request["locale"] = locale
    if intent:
        request["intent"] = {"name": intent, "confirmationStatus": "NONE", "slots": slots or {}}
    return body
