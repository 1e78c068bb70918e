"""Finding 2 of issue #22: whoever opens a chat's login link must not link their bank account to that chat.

Person A's chat asks for a bank login; person B (another browser: another httpx client, so another cookie
jar) gets hold of A's link. On every channel B's attempts link nothing to A: the web chat's link refuses a
browser that does not hold the chat; a platform's link first names A's chat (masked) and, once A's browser
has confirmed, refuses every other; a bank login finished in B's browser is refused at /link/callback and
its consent withdrawn. A's own login still works end to end over HTTP against the sandbox bank.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.i18n.replies import format_money
from tests.channels.alexa_ca import envelope
from tests.channels.fake_platform import fixture
from tests.channels.test_gateway_channels import (
    SKILL,
    TG_SECRET,
    World,
    _messenger_text,
    _signed,
    _telegram_text,
    _whatsapp_text,
    world,  # noqa: F401  (the module-scoped gateway with every platform, shared with the channel tests)
)
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient, bank_balances


@pytest.fixture
async def browsers() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """A's browser and B's: separate cookie jars. B reads Arabic, to see the refusal pages right-to-left."""
    async with (httpx.AsyncClient(timeout=30) as a,
                httpx.AsyncClient(timeout=30, headers={"Accept-Language": "ar"}) as b):
        yield a, b


async def _bank_redirect(browser: httpx.AsyncClient, bank_url: str, customer: str) -> str:
    """Log in at the sandbox bank's page as `customer`: the redirect back to /link/callback with a code."""
    redirect = await complete_sandbox_login(browser, bank_url, username=customer)
    assert "code=" in redirect
    return redirect


def _refused_in_arabic(page: httpx.Response) -> None:
    assert page.status_code == 403
    assert 'dir="rtl"' in page.text and 'lang="ar"' in page.text
    assert "location" not in page.headers


# ---- web chat -------------------------------------------------------------------------------------------


async def test_webchat_link_opened_in_another_browser_links_nothing(
    gateway: Gateway, browsers: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    a, b = browsers
    chat = ChatClient(a, gateway.url)
    (invite,) = await chat.say("what's my balance?")
    login = invite["buttons"][0]["url"]
    # B opens A's link: no chat cookie, so no bank login page, a clear refusal instead.
    refused = await b.get(login)
    _refused_in_arabic(refused)
    assert "/bank/oauth/authorize" not in refused.text
    # A's browser opens it (its chat cookie proves the chat) and is sent to the bank; B still cannot.
    started = await a.get(login)
    assert started.status_code == 303 and "/bank/oauth/authorize" in started.headers["location"]
    assert "sarraf_browser" in started.headers["set-cookie"] and "httponly" in started.headers["set-cookie"].lower()
    _refused_in_arabic(await b.get(login))
    # The bank's login page leaks to B, who signs in there as another customer: the callback refuses B.
    callback = await b.get(await _bank_redirect(b, started.headers["location"], "sandbox-pl-1"))
    _refused_in_arabic(callback)
    assert await chat.updates() == []  # nothing was linked, so nothing was said in A's chat
    again = await chat.say("what's my balance?")
    assert again[0]["buttons"] and again[0]["buttons"][0]["url"].startswith(f"{gateway.url}/link/start/")


async def test_webchat_chat_cookie_is_a_digest_not_the_session(
    gateway: Gateway, browsers: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    http, _ = browsers
    chat = ChatClient(http, gateway.url)
    response = await http.post(f"{gateway.url}/webchat/api/messages", json={"session": chat.session, "text": "hi"})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("sarraf_chat=") and chat.session not in cookie
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # the test gateway is served over http; https makes it Secure


async def test_webchat_own_link_still_works_end_to_end(
    gateway: Gateway, browsers: tuple[httpx.AsyncClient, httpx.AsyncClient]
) -> None:
    a, _ = browsers
    chat = ChatClient(a, gateway.url)
    pushed = await chat.link(await chat.say("what's my balance?"), "sandbox-en-1")
    expected = await bank_balances(a, f"{gateway.url}/bank", "sandbox-en-1", f"{gateway.url}/link/callback")
    for balances in expected.values():
        available = next(x for x in balances if x.balance_type == "InterimAvailable")
        assert format_money(available.amount, "en") in pushed[-1]["text"]


# ---- platforms: Messenger, WhatsApp, Telegram, Alexa's in-skill card -------------------------------------


async def _messenger(site: World, http: httpx.AsyncClient, user: str, n: int) -> str:
    raw, headers = _signed(_messenger_text(user, f"mid.hijack.{user}.{n}", "what's my balance?"))
    assert (await http.post(site.url + "/channels/messenger/webhook", content=raw, headers=headers)).status_code == 200
    body = site.fake.calls[-1].body
    return str(body["message"]["attachment"]["payload"]["buttons"][0]["url"])


async def _whatsapp(site: World, http: httpx.AsyncClient, user: str, n: int) -> str:
    raw, headers = _signed(_whatsapp_text(user, f"wamid.hijack.{user}.{n}", "what's my balance?"))
    assert (await http.post(site.url + "/channels/whatsapp/webhook", content=raw, headers=headers)).status_code == 200
    return str(site.fake.calls[-1].body["interactive"]["action"]["parameters"]["url"])


async def _telegram(site: World, http: httpx.AsyncClient, user: str, n: int) -> str:
    update = _telegram_text(90_000 + n * 10 + int(user[-1]), int(user), "what's my balance?", "en")
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    assert (await http.post(site.url + "/channels/telegram/webhook", json=update, headers=headers)).status_code == 200
    ((button,),) = site.fake.calls[-1].body["reply_markup"]["inline_keyboard"]
    return str(button["url"])


async def _alexa(site: World, http: httpx.AsyncClient, user: str, n: int) -> str:
    body = envelope(fixture("alexa_requests.json")["intent"], skill=SKILL, user=user, request_id=f"hj-{user}-{n}",
                    locale="en-US", intent="CheckBalanceIntent")
    raw = json.dumps(body).encode()
    answer = (await http.post(site.url + "/channels/alexa", content=raw, headers=site.chain.headers(raw))).json()
    card = answer["response"].get("card", {}).get("content", "")
    return next(word for word in card.split() if word.startswith("http"))


Invite = Callable[[World, httpx.AsyncClient, str, int], Awaitable[str]]
PLATFORMS: list[tuple[str, Invite, str]] = [
    ("messenger", _messenger, "7100000000004321"),
    ("whatsapp", _whatsapp, "48600100200"),
    ("telegram", _telegram, "7700112233"),
    ("alexa", _alexa, "amzn1.ask.account.HIJACKA9X7"),
]


def _form(page: httpx.Response) -> dict[str, str]:
    fields = dict(_hidden(page.text))
    assert "link_confirm" in fields
    return fields


def _hidden(html: str) -> list[tuple[str, str]]:
    from html.parser import HTMLParser

    found: list[tuple[str, str]] = []

    class Inputs(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = {k: v or "" for k, v in attrs}
            if tag == "input" and values.get("type") == "hidden":
                found.append((values["name"], values.get("value", "")))

    Inputs().feed(html)
    return found


@pytest.mark.parametrize(("channel", "invite", "user"), PLATFORMS, ids=[p[0] for p in PLATFORMS])
async def test_platform_link_opened_by_someone_else_links_nothing(
    world: World, browsers: tuple[httpx.AsyncClient, httpx.AsyncClient],  # noqa: F811
    channel: str, invite: Invite, user: str,
) -> None:
    a, b = browsers
    login = await invite(world, a, user, 1)
    assert login.startswith(f"{world.url}/link/start/")
    # B opens A's link: before any bank login, the page names A's chat, masked (in A's chat's language).
    shown = await b.get(login)
    assert shown.status_code == 200 and "/bank/oauth/authorize" not in shown.text
    assert f"…{user[-4:]}" in shown.text and user not in shown.text
    b_form = _form(shown)
    # A confirms in its own browser first: A's browser holds the login from now on.
    confirmed = await a.post(login, data=_form(await a.get(login)))
    assert confirmed.status_code == 303 and "/bank/oauth/authorize" in confirmed.headers["location"]
    # B's later confirmation, and B simply reopening the link, are refused.
    _refused_in_arabic(await b.post(login, data=b_form))
    _refused_in_arabic(await b.get(login))
    # A forged confirmation (no token that matches the browser) is refused too.
    _refused_in_arabic(await b.post(login, data={"link_confirm": "0" * 64}))
    # The bank's login page reaches B, who signs in as another customer: the callback refuses B's browser.
    callback = await b.get(await _bank_redirect(b, confirmed.headers["location"], "sandbox-pl-1"))
    _refused_in_arabic(callback)
    # Nothing was linked to A: asking again brings a new login invitation, not B's balances.
    expected = await bank_balances(a, f"{world.url}/bank", "sandbox-pl-1", f"{world.url}/link/callback")
    again = await invite(world, a, user, 2)
    assert again.startswith(f"{world.url}/link/start/") and again != login
    said = json.dumps([c.body for c in world.fake.calls], ensure_ascii=False)
    for balances in expected.values():
        available = next(x for x in balances if x.balance_type == "InterimAvailable")
        assert format_money(available.amount, "pl") not in said and format_money(available.amount, "en") not in said
    # A's own login, confirmed in A's browser, links A end to end.
    linked = await a.get(await _bank_redirect(a, again, "sandbox-en-1"))
    assert linked.status_code in (200, 303), linked.text


async def test_confirmation_page_speaks_the_chats_language(
    world: World, browsers: tuple[httpx.AsyncClient, httpx.AsyncClient],  # noqa: F811
) -> None:
    a, _ = browsers
    for n, (text, lang) in enumerate([("ile mam na koncie?", "pl"), ("كم رصيدي؟", "ar"), ("my balance?", "en")]):
        update = _telegram_text(95_000 + n, 880_000_000 + n, text, lang)
        headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
        await a.post(world.url + "/channels/telegram/webhook", json=update, headers=headers)
        ((button,),) = world.fake.calls[-1].body["reply_markup"]["inline_keyboard"]
        page = (await a.get(button["url"])).text
        assert f'lang="{lang}"' in page and f'dir="{"rtl" if lang == "ar" else "ltr"}"' in page
        assert "Telegram" in page and f"…{str(880_000_000 + n)[-4:]}" in page


def test_binding_cookies_are_secure_behind_https() -> None:
    from starlette.responses import Response

    from sarraf.web.browser_binding import BROWSER_COOKIE, secure_cookies, set_cookie

    for public_url, secure in (("https://bank.example", True), ("http://127.0.0.1:8000", False)):
        response = Response()
        set_cookie(response, BROWSER_COOKIE, "t" * 43, secure=secure_cookies(public_url))
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and ("secure" in cookie) is secure
