"""Alexa request verification against a chain from our own CA: every rule Amazon lists, one test each."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from sarraf.channels.alexa.verify import AlexaRequestVerifier, AlexaVerificationError, check_cert_url
from tests.channels.alexa_ca import build_chain, envelope
from tests.channels.fake_platform import fixture

SKILL = "amzn1.ask.skill.test"


@pytest.fixture(scope="module")
def chain():  # type: ignore[no-untyped-def]
    return build_chain()


def _request(**changes: object) -> tuple[dict, bytes]:  # type: ignore[type-arg]
    body = envelope(fixture("alexa_requests.json")["intent"], skill=SKILL, user="amzn1.ask.account.U",
                    request_id="r1", **changes)  # type: ignore[arg-type]
    return body, json.dumps(body).encode()


def test_fixtures_are_real_alexa_requests() -> None:
    for name in ("intent", "launch"):
        raw = json.dumps(fixture("alexa_requests.json")[name])
        parsed = DefaultSerializer().deserialize(raw, RequestEnvelope)
        assert parsed.request.object_type in ("IntentRequest", "LaunchRequest")
        assert parsed.context.system.application.application_id == "amzn1.ask.skill.SKILL"


async def test_a_properly_signed_request_passes(chain) -> None:  # type: ignore[no-untyped-def]
    body, raw = _request()
    verifier = AlexaRequestVerifier(chain.fetch, roots=[chain.root])
    headers = {k.lower(): v for k, v in chain.headers(raw).items()}
    await verifier.verify(headers, raw, body)


@pytest.mark.parametrize("url", [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://notamazon.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../invalid.path/echo-api-cert.pem",
])
def test_certificate_urls_outside_amazons_rules_are_refused(url: str) -> None:
    with pytest.raises(AlexaVerificationError):
        check_cert_url(url)


@pytest.mark.parametrize("url", [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "HTTPS://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
])
def test_certificate_urls_amazon_allows_pass(url: str) -> None:
    check_cert_url(url)


async def test_tampered_body_is_refused(chain) -> None:  # type: ignore[no-untyped-def]
    body, raw = _request()
    headers = {k.lower(): v for k, v in chain.headers(raw).items()}
    tampered = raw.replace(b"CheckBalanceIntent", b"LinkAccountIntent")
    with pytest.raises(AlexaVerificationError, match="signature"):
        await AlexaRequestVerifier(chain.fetch, roots=[chain.root]).verify(headers, tampered, body)


async def test_chain_from_an_untrusted_root_is_refused(chain) -> None:  # type: ignore[no-untyped-def]
    body, raw = _request()
    headers = {k.lower(): v for k, v in chain.headers(raw).items()}
    with pytest.raises(AlexaVerificationError, match="not trusted"):
        await AlexaRequestVerifier(chain.fetch, roots=[build_chain().root]).verify(headers, raw, body)


@pytest.mark.parametrize("bad", [{"san": "echo-api.example.com"}, {"expired": True}])
async def test_wrong_name_or_expired_certificate_is_refused(bad: dict) -> None:  # type: ignore[type-arg]
    other = build_chain(**bad)
    body, raw = _request()
    headers = {k.lower(): v for k, v in other.headers(raw).items()}
    with pytest.raises(AlexaVerificationError, match="not trusted"):
        await AlexaRequestVerifier(other.fetch, roots=[other.root]).verify(headers, raw, body)


async def test_stale_request_is_refused_as_a_replay(chain) -> None:  # type: ignore[no-untyped-def]
    body, raw = _request(timestamp=datetime.now(UTC) - timedelta(seconds=151))
    headers = {k.lower(): v for k, v in chain.headers(raw).items()}
    with pytest.raises(AlexaVerificationError, match="timestamp"):
        await AlexaRequestVerifier(chain.fetch, roots=[chain.root]).verify(headers, raw, body)


async def test_missing_headers_are_refused(chain) -> None:  # type: ignore[no-untyped-def]
    body, raw = _request()
    with pytest.raises(AlexaVerificationError, match="missing"):
        await AlexaRequestVerifier(chain.fetch, roots=[chain.root]).verify({}, raw, body)
