"""The web chat page over real HTTP: its language (picked, remembered, or the browser's), its greeting and
suggestion chips (each one understood), the bank's name in the customer's language, figures isolated in Arabic,
lists as rows, and the favicon (issues 20 item 8 and 21)."""

from __future__ import annotations

import html
import json
import re

import httpx
import pytest

from sarraf.i18n.replies import LANGUAGES, catalog
from sarraf.i18n.replies.formatting import LRI, PDI
from sarraf.sandbox_bank.pages.i18n import TEXT as BANK_PAGE
from sarraf.web.routes_webchat import CHIPS, LANG_COOKIE
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def _boot(page: httpx.Response) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="boot">(.*?)</script>', page.text, re.S)
    assert found, page.text
    return dict(json.loads(html.unescape(found.group(1))))


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_the_page_greets_in_its_language_and_offers_chips(gateway: Gateway, http: httpx.AsyncClient,
                                                                lang: str) -> None:
    page = await http.get(f"{gateway.url}/", params={"lang": lang})
    assert page.status_code == 200
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in page.text
    boot = _boot(page)
    bank = BANK_PAGE[lang]["bank"]
    assert boot["greeting"] == catalog().text(lang, "greeting", bank=bank)
    assert boot["chips"] == [catalog().text(lang, key) for key in CHIPS]
    assert f"<title>{catalog().text(lang, 'webchat_title', bank=bank)}</title>" in page.text
    assert page.cookies.get(LANG_COOKIE) == lang


async def test_the_picked_language_outlives_the_trip_to_the_bank(gateway: Gateway, http: httpx.AsyncClient) -> None:
    """Back from the bank at /?linked=1 the page keeps the language the customer picked, not the browser's."""
    back = await http.get(f"{gateway.url}/", params={"linked": "1"},
                          headers={"cookie": f"{LANG_COOKIE}=ar", "accept-language": "pl-PL,pl;q=0.9"})
    assert '<html lang="ar" dir="rtl">' in back.text
    fresh = await http.get(f"{gateway.url}/", headers={"accept-language": "fr-FR,pl;q=0.8"})
    assert '<html lang="pl" dir="ltr">' in fresh.text
    assert LANG_COOKIE not in fresh.cookies  # only an explicit pick is remembered


@pytest.mark.parametrize("lang", LANGUAGES)
async def test_every_chip_is_understood(gateway: Gateway, http: httpx.AsyncClient, lang: str) -> None:
    """A chip sends its text as the customer's message: each must reach a flow, never "I did not understand"."""
    rephrase = catalog().text(lang, "rephrase")
    for key in CHIPS:
        chat = ChatClient(http, gateway.url)
        replies = await chat.say(catalog().text(lang, key), locale=lang)
        assert replies, key
        assert replies[0]["text"] != rephrase, (lang, key)
        assert replies[0]["lang"] == lang, (lang, key, replies[0]["text"])


async def test_arabic_replies_name_the_bank_in_arabic_and_isolate_figures(gateway: Gateway,
                                                                          http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    invite = await chat.say("كم رصيدي؟", locale="ar-SA")
    arabic_name = BANK_PAGE["ar"]["bank"]
    assert arabic_name in invite[0]["text"] and "Sarraf Sandbox Bank" not in invite[0]["text"]
    assert arabic_name in invite[0]["buttons"][0]["title"] and invite[0]["buttons"][0]["login"] is True
    answered = await chat.link(invite, "sandbox-ar-1")
    balance = next(r for r in answered if r["table"] is not None)
    assert balance["dir"] == "rtl" and arabic_name in balance["text"]
    assert re.search(f"\\({LRI}••\\d{{4}}{PDI}\\)", balance["text"]), balance["text"]
    assert balance["table"]["columns"] == ["account", "amount"]
    assert all(f"{LRI}••" in row[0] for row in balance["table"]["rows"])
    (listing,) = await chat.say("اعرض آخر معاملاتي")
    assert listing["table"]["columns"] == ["date", "description", "amount"]
    assert 1 <= len(listing["table"]["rows"]) <= 5
    assert listing["text"].startswith(listing["table"]["caption"])


async def test_favicon(gateway: Gateway, http: httpx.AsyncClient) -> None:
    icon = await http.get(f"{gateway.url}/favicon.ico", follow_redirects=True)
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")
