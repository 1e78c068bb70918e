"""Alexa account linking with the gateway as the skill's OAuth server, end to end on 127.0.0.1: Alexa's
authorisation request, the customer's bank login at the sandbox, the redirect back to Alexa with our code,
the token exchange, and signed skill requests carrying our access token answered by voice (masked, as the
default agreement allows `alexa`). Then every refusal: wrong client secret, reused code (which also revokes
what it issued), foreign redirect_uri, expired code, unknown token."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.channels.alexa import AlexaChannel
from sarraf.channels.alexa.linking import AlexaAccountLinking, AlexaClient
from sarraf.channels.alexa.verify import AlexaRequestVerifier
from sarraf.config import load_settings
from sarraf.domain.money import Money
from sarraf.i18n.replies import format_money
from sarraf.policy.minimise import round_amount
from sarraf.store.alexa_grants import SqlAlexaGrants
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.channels.alexa_ca import AlexaChain, build_chain, envelope
from tests.channels.fake_platform import fixture
from tests.integration.helpers import bank_balances

SKILL = "amzn1.ask.skill.sarraf-linking"
CLIENT_ID = "alexa-skill-client"
CLIENT_SECRET = "alexa-client-secret-0123456789"
ALEXA_REDIRECT = "https://pitangui.amazon.com/api/skill/link/M2AAAAAAAAAAAA"


@dataclass
class World:
    url: str
    chain: AlexaChain
    shift: list[timedelta] = field(default_factory=lambda: [timedelta(0)])  # moves the OAuth server's clock


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    chain = build_chain()
    home = tmp_path_factory.mktemp("alexa-linking-home")
    port = free_port()
    env = {
        "SARRAF_HOME": str(home),
        "SARRAF_PORT": str(port),
        "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
        "SARRAF_ALEXA_SKILL_ID": SKILL,
        "SARRAF_ALEXA_CLIENT_ID": CLIENT_ID,
        "SARRAF_ALEXA_CLIENT_SECRET": CLIENT_SECRET,
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        app = create_app(load_settings())
        with serve_in_thread(app, port=port) as url:
            found = World(url, chain)
            container = app.state.container
            alexa = container.channels.channels["alexa"]
            assert isinstance(alexa, AlexaChannel)
            alexa.verifier = AlexaRequestVerifier(chain.fetch, roots=[chain.root])
            clients = [AlexaClient(a.tenant, a.client_id, a.client_secret, a.vendor_id)
                       for a in alexa.accounts.values()]
            alexa.linking = AlexaAccountLinking(clients, SqlAlexaGrants(container.engine),
                                                clock=lambda: datetime.now(UTC) + found.shift[0])
            yield found


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def _basic(client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def _authorize(http: httpx.AsyncClient, world: World, customer: str, *, state: str,
                     challenge: str | None = None) -> str:
    """Alexa's authorisation request and the bank login; returns our code from Alexa's redirect."""
    params = {"client_id": CLIENT_ID, "redirect_uri": ALEXA_REDIRECT, "state": state, "response_type": "code",
              "scope": "banking"}
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    start = await http.get(f"{world.url}/oauth/alexa/authorize", params=params)
    assert start.status_code == 303 and start.headers["location"].startswith(f"{world.url}/link/start/")
    callback = await complete_sandbox_login(http, start.headers["location"], username=customer)
    back = await http.get(callback)
    assert back.status_code == 303, back.text
    target = urlsplit(back.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == ALEXA_REDIRECT
    query = parse_qs(target.query)
    assert query["state"] == [state] and len(query["code"][0]) >= 32
    return query["code"][0]


async def _exchange(http: httpx.AsyncClient, world: World, code: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": ALEXA_REDIRECT, **extra}
    return await http.post(f"{world.url}/oauth/alexa/token", data=form, headers=_basic())


async def _ask(http: httpx.AsyncClient, world: World, user: str, locale: str, token: str | None,
               intent: str = "CheckBalanceIntent") -> dict[str, Any]:
    body = envelope(fixture("alexa_requests.json")["intent"], skill=SKILL, user=user,
                    request_id=f"req-{secrets.token_hex(6)}", locale=locale, intent=intent)
    if token is not None:
        body["context"]["System"]["user"]["accessToken"] = token
        body["session"]["user"]["accessToken"] = token
    raw = json.dumps(body).encode()
    response = await http.post(f"{world.url}/channels/alexa", content=raw, headers=world.chain.headers(raw))
    assert response.status_code == 200, response.text
    return response.json()["response"]  # type: ignore[no-any-return]


async def _masked(http: httpx.AsyncClient, world: World, customer: str, lang: str) -> list[str]:
    balances = await bank_balances(http, f"{world.url}/bank", customer, f"{world.url}/link/callback")
    amounts = [next(b for b in found if b.balance_type == "InterimAvailable").amount for found in balances.values()]
    assert amounts  # the sandbox customer has accounts: the checks below are not vacuous
    return [format_money(Money(round_amount(a.amount), a.currency), lang) for a in amounts]


# ---- the whole flow ------------------------------------------------------------------------------------


async def test_alexa_links_through_our_oauth_then_speaks_the_balance_in_arabic_and_english(
    world: World, http: httpx.AsyncClient
) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = await _authorize(http, world, "sandbox-ar-1", state="alexa-state-1", challenge=challenge)
    issued = await _exchange(http, world, code, code_verifier=verifier)
    assert issued.status_code == 200, issued.text
    assert issued.headers["cache-control"] == "no-store"
    tokens = issued.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["access_token"] != tokens["refresh_token"]

    user = "amzn1.ask.account.LINKED-1"
    arabic = (await _ask(http, world, user, "ar-SA", tokens["access_token"]))["outputSpeech"]["text"]
    for amount in await _masked(http, world, "sandbox-ar-1", "ar"):
        assert amount in arabic
    english = (await _ask(http, world, user, "en-GB", tokens["access_token"]))["outputSpeech"]["text"]
    for amount in await _masked(http, world, "sandbox-ar-1", "en"):
        assert amount in english

    # Alexa refreshes: a new pair, the old refresh token is spent (rotation), the new access token works.
    refreshed = await http.post(f"{world.url}/oauth/alexa/token", headers=_basic(),
                                data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    again = await http.post(f"{world.url}/oauth/alexa/token", headers=_basic(),
                            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})
    spoken = (await _ask(http, world, user, "en-GB", refreshed.json()["access_token"]))["outputSpeech"]["text"]
    assert all(amount in spoken for amount in await _masked(http, world, "sandbox-ar-1", "en"))

    # The customer unlinks in the Alexa app: Alexa stops sending the token. Nothing of theirs is spoken any
    # more, the skill asks to link, and the tokens we issued are revoked.
    unlinked = await _ask(http, world, user, "en-GB", None)
    assert unlinked["card"] == {"type": "LinkAccount"}
    amounts = await _masked(http, world, "sandbox-ar-1", "en")
    assert not any(amount in unlinked["outputSpeech"]["text"] for amount in amounts)
    revoked = await _ask(http, world, user, "en-GB", refreshed.json()["access_token"])
    assert revoked["card"] == {"type": "LinkAccount"} and "link it again" in revoked["outputSpeech"]["text"]


async def test_an_unlinked_alexa_user_is_sent_to_the_alexa_app_and_an_unknown_token_asks_to_link_again(
    world: World, http: httpx.AsyncClient
) -> None:
    invite = await _ask(http, world, "amzn1.ask.account.NEW", "ar-SA", None)
    assert invite["card"] == {"type": "LinkAccount"}
    assert "http" not in invite["outputSpeech"]["text"] and "Alexa" in invite["outputSpeech"]["text"]
    for locale, words in (("ar-SA", "لربطه من جديد"), ("en-GB", "link it again")):
        relink = await _ask(http, world, "amzn1.ask.account.FORGED", locale, "made-up-token")
        assert relink["card"] == {"type": "LinkAccount"} and words in relink["outputSpeech"]["text"]
        assert relink["shouldEndSession"] is True


# ---- refusals ------------------------------------------------------------------------------------------


async def test_token_endpoint_refuses_a_wrong_client_secret_and_a_reused_code(
    world: World, http: httpx.AsyncClient
) -> None:
    code = await _authorize(http, world, "sandbox-en-1", state="s-reuse")
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": ALEXA_REDIRECT}
    wrong = await http.post(f"{world.url}/oauth/alexa/token", data=form, headers=_basic(secret="guess"))
    assert (wrong.status_code, wrong.json()) == (401, {"error": "invalid_client"})
    assert wrong.headers["www-authenticate"].startswith("Basic")
    in_body = await http.post(f"{world.url}/oauth/alexa/token",
                              data={**form, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET + "x"})
    assert in_body.status_code == 401
    first = await http.post(f"{world.url}/oauth/alexa/token",
                            data={**form, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert first.status_code == 200, first.text
    reused = await _exchange(http, world, code)
    assert (reused.status_code, reused.json()) == (400, {"error": "invalid_grant"})
    # A replayed code was stolen: what it issued is revoked, and Alexa is asked to link again.
    after = await _ask(http, world, "amzn1.ask.account.REUSED", "en-GB", first.json()["access_token"])
    assert after["card"] == {"type": "LinkAccount"}
    unsupported = await http.post(f"{world.url}/oauth/alexa/token", data={"grant_type": "password"},
                                  headers=_basic())
    assert (unsupported.status_code, unsupported.json()) == (400, {"error": "unsupported_grant_type"})


@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example/api/skill/link/M2AAAAAAAAAAAA",
    "http://pitangui.amazon.com/api/skill/link/M2AAAAAAAAAAAA",
    "https://pitangui.amazon.com.evil.example/api/skill/link/M2AAAAAAAAAAAA",
    "https://user@pitangui.amazon.com/api/skill/link/M2AAAAAAAAAAAA",
    "https://pitangui.amazon.com:8443/api/skill/link/M2AAAAAAAAAAAA",
    "https://pitangui.amazon.com/api/skill/link/M2AAAAAAAAAAAA/../../x",
    "https://pitangui.amazon.com/api/skill/link/M2AAAAAAAAAAAA?next=https://evil.example",
    "",
])
async def test_authorize_refuses_redirect_uris_that_are_not_amazons(
    world: World, http: httpx.AsyncClient, redirect_uri: str
) -> None:
    answer = await http.get(f"{world.url}/oauth/alexa/authorize", params={
        "client_id": CLIENT_ID, "redirect_uri": redirect_uri, "state": "s", "response_type": "code"})
    assert answer.status_code == 400 and "location" not in answer.headers  # never redirected anywhere


async def test_authorize_refuses_unknown_clients_and_reports_bad_requests_to_alexa(
    world: World, http: httpx.AsyncClient
) -> None:
    base = {"client_id": CLIENT_ID, "redirect_uri": ALEXA_REDIRECT, "state": "s-9", "response_type": "code"}
    unknown = await http.get(f"{world.url}/oauth/alexa/authorize", params={**base, "client_id": "someone"},
                             headers={"Accept-Language": "pl-PL"})
    assert unknown.status_code == 400 and "Łączenie konta" in unknown.text
    implicit = await http.get(f"{world.url}/oauth/alexa/authorize", params={**base, "response_type": "token"})
    assert implicit.status_code == 303
    assert implicit.headers["location"] == f"{ALEXA_REDIRECT}?error=unsupported_response_type&state=s-9"


async def test_token_exchange_refuses_an_expired_code_a_foreign_redirect_uri_and_a_missing_verifier(
    world: World, http: httpx.AsyncClient
) -> None:
    expired = await _authorize(http, world, "sandbox-pl-1", state="s-expired")
    world.shift[0] = timedelta(minutes=3)  # codes live two minutes
    try:
        late = await _exchange(http, world, expired)
    finally:
        world.shift[0] = timedelta(0)
    assert (late.status_code, late.json()) == (400, {"error": "invalid_grant"})
    elsewhere = await _authorize(http, world, "sandbox-pl-1", state="s-elsewhere")
    moved = await _exchange(http, world, elsewhere, redirect_uri="https://layla.amazon.com/api/skill/link/M2OTHER")
    assert (moved.status_code, moved.json()) == (400, {"error": "invalid_grant"})
    challenge = base64.urlsafe_b64encode(hashlib.sha256(b"x" * 50).digest()).rstrip(b"=").decode()
    pkce = await _authorize(http, world, "sandbox-pl-1", state="s-pkce", challenge=challenge)
    assert (await _exchange(http, world, pkce, code_verifier="y" * 50)).status_code == 400


async def test_a_failed_bank_login_sends_alexa_access_denied(world: World, http: httpx.AsyncClient) -> None:
    start = await http.get(f"{world.url}/oauth/alexa/authorize", params={
        "client_id": CLIENT_ID, "redirect_uri": ALEXA_REDIRECT, "state": "s-denied", "response_type": "code"})
    state = start.headers["location"].rsplit("/", 1)[-1]
    back = await http.get(f"{world.url}/link/callback", params={"state": state, "error": "access_denied"})
    assert back.status_code == 303
    assert back.headers["location"] == f"{ALEXA_REDIRECT}?error=access_denied&state=s-denied"
