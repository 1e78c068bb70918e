"""How the product looks in Debian's Chromium, in English, Polish and Arabic, at a phone's 420 px and at desktop
width: the web chat's greeting and chips, the bank's consent page, lists drawn as rows, the login button retired
once used, a denied login back in the chat, the secure pages; `lang`/`dir` everywhere (issues 20 item 8, 21).

Screenshots land in test-artifacts/ (surface-<what>-<lang>-<width>.png) for a person to look at."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from sarraf.config import Settings
from sarraf.i18n.replies import catalog
from sarraf.policy.secure_links import SignedLinks
from sarraf.sandbox_bank.pages.consent_text import LINES
from sarraf.sandbox_bank.pages.i18n import TEXT as BANK_PAGE
from sarraf.store.key_store import key_provider
from sarraf.web.routes_webchat import CHIPS
from tests.browser.chromium import ARTIFACTS, bullets_before_digits
from tests.integration.helpers import ChatClient

pytestmark = pytest.mark.browser
PHONE = {"width": 420, "height": 860}
DESKTOP = {"width": 1280, "height": 900}
LOCALES = {"en": "en-GB", "pl": "pl-PL", "ar": "ar-SA"}
DIRECTION = {"en": "ltr", "pl": "ltr", "ar": "rtl"}
MY_DATA = {"en": "what data do you hold about me?", "pl": "jakie dane o mnie przechowujecie?", "ar": "اعرض بياناتي"}


def _shoot(page: Page, what: str, lang: str) -> None:
    """The page at phone width, then at desktop width (and back to the phone)."""
    ARTIFACTS.mkdir(exist_ok=True)
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        page.screenshot(path=str(ARTIFACTS / f"surface-{what}-{lang}-{size['width']}.png"), full_page=True)
    page.set_viewport_size(PHONE)


def _expect_direction(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", DIRECTION[lang])
    assert page.evaluate("getComputedStyle(document.body).direction") == DIRECTION[lang]


def _no_wrapped_figures(page: Page) -> None:
    """Dates and amounts in a row never break over two lines (the old "· amount" lines did at 420 px)."""
    cells = page.locator("table.rows td.col-amount, table.rows td.col-date")
    assert cells.count() > 0
    for i in range(cells.count()):
        # Line boxes of the cell's text: one when it did not wrap (the row may be taller, for its description).
        lines = cells.nth(i).evaluate("el => { const r = document.createRange(); r.selectNodeContents(el);"
                                      " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }")
        assert lines == 1, cells.nth(i).inner_text()


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
def test_chat_consent_rows_and_retired_login(gateway: str, browser: Browser, lang: str) -> None:
    page = browser.new_page(locale=LOCALES[lang], viewport=PHONE)
    page.goto(f"{gateway}/?lang={lang}")
    _expect_direction(page, lang)
    bank = BANK_PAGE[lang]["bank"]
    greeting = page.locator(".bubble.greeting")
    expect(greeting).to_have_text(catalog().text(lang, "greeting", bank=bank))
    chips = page.locator(".quick button")
    expect(chips).to_have_count(len(CHIPS))
    expect(chips.first).to_have_text(catalog().text(lang, "chip_balance"))
    favicon = page.evaluate("fetch('/favicon.ico').then(r => [r.status, r.headers.get('content-type')])")
    assert favicon[0] == 200 and favicon[1].startswith("image/svg+xml")
    _shoot(page, "webchat-greeting", lang)

    chips.first.click()  # sends "What's my balance?" (in the page's language) as the customer's message
    expect(page.locator(".bubble.me").last).to_have_text(catalog().text(lang, "chip_balance"))
    login = page.locator(".bubble.bot .actions a.login").first
    expect(login).to_be_visible()
    expect(login).to_contain_text(bank)
    login.click()

    # The bank's own consent page: its language and direction, each kind of data once.
    expect(page.locator("#username")).to_be_visible()
    _expect_direction(page, lang)
    texts = page.locator("main ul li").all_inner_texts()
    assert texts and len(texts) == len(set(texts)), texts  # each kind of data once
    assert all(t in {forms[lang] for forms in LINES.values()} for t in texts), texts  # plain words, no codes
    _shoot(page, "bank-consent", lang)
    page.fill("#username", f"sandbox-{lang}-1")
    page.fill("#password", "sandbox")
    page.click("button[value=approve]")

    # Back in the chat: the answer is a table, the old login button is retired.
    table = page.locator(".bubble.bot table.rows").first
    expect(table).to_be_visible(timeout=15_000)
    _expect_direction(page, lang)
    retired = page.locator(".bubble.bot .actions .login.retired.linked")
    expect(retired).to_have_text(catalog().text(lang, "webchat_linked"))
    expect(page.locator(".bubble.bot .actions a.login")).to_have_count(0)
    assert page.url == f"{gateway}/"
    # The masked number reads "(••1234)" in every language; in Arabic the isolate keeps the bullets first.
    account = table.locator("td.col-account").first
    assert account.evaluate("el => getComputedStyle(el).direction") == DIRECTION[lang]
    assert bullets_before_digits(account.element_handle())

    page.fill("#text", catalog().text(lang, "chip_transactions"))
    page.press("#text", "Enter")
    rows = page.locator(".bubble.bot").last.locator("table.rows tr")
    expect(rows.first).to_be_visible(timeout=15_000)
    assert 1 <= rows.count() <= 5
    _no_wrapped_figures(page)
    _shoot(page, "webchat-rows", lang)
    page.close()


def test_denied_login_returns_to_the_chat(gateway: str, browser: Browser) -> None:
    """The bank login replaced the chat in its tab; "Deny" brings the customer back to it, told what happened."""
    page = browser.new_page(locale="ar-SA", viewport=PHONE)
    page.goto(f"{gateway}/?lang=ar")
    page.fill("#text", "اربط حسابي")
    page.press("#text", "Enter")
    page.locator(".bubble.bot .actions a.login").first.click()
    expect(page.locator("button[value=deny]")).to_be_visible()
    page.click("button[value=deny]")
    failed = page.locator(".bubble.bot").filter(has_text=catalog().text("ar", "link_failed",
                                                                      bank=BANK_PAGE["ar"]["bank"]))
    expect(failed).to_be_visible(timeout=15_000)
    assert page.url == f"{gateway}/"
    _expect_direction(page, "ar")
    expect(page.locator(".bubble.bot .actions .login.retired.used")).to_have_count(1)
    _shoot(page, "webchat-denied", "ar")
    page.close()


def _secure_links(gateway: str, settings: Settings, lang: str) -> list[str]:
    """Links to the secure balance and transactions pages of a customer who chats in `lang`."""
    async def issue() -> list[str]:
        async with httpx.AsyncClient(timeout=30) as http:
            chat = ChatClient(http, gateway)
            await chat.link(await chat.say(catalog().text(lang, "qr_link"), locale=lang), f"sandbox-{lang}-1")
            (summary,) = await chat.say(MY_DATA[lang], locale=lang)
            held = await http.get(next(b["url"] for b in summary["buttons"] if b["url"]))
            customer = str(held.json()["customer"]["id"])
        links = SignedLinks(await key_provider(settings).secret("secure-links"), gateway)
        start, end = (date.today() - timedelta(days=30)).isoformat(), date.today().isoformat()
        return [links.issue("sandbox", customer, "balance", None, None),
                links.issue("sandbox", customer, "transactions", start, end)]

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        return pool.submit(asyncio.run, issue()).result()


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
def test_secure_pages(gateway: str, settings: Settings, browser: Browser, lang: str) -> None:
    balance, listing = _secure_links(gateway, settings, lang)
    page = browser.new_page(locale=LOCALES[lang], viewport=PHONE)
    for url, what in ((balance, "secure-balance"), (listing, "secure-transactions")):
        page.goto(url)
        _expect_direction(page, lang)
        expect(page.locator("h1")).to_contain_text(BANK_PAGE[lang]["bank"])
        expect(page.locator("table.rows tr").first).to_be_visible()
        _no_wrapped_figures(page)
        _shoot(page, what, lang)
    page.close()
