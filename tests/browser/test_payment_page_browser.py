"""The payment's secure confirmation page in Debian's Chromium (issue #12), in English, Polish and Arabic: the page
a link_only channel's customer opens to check a payment shows its figures in the page's language and direction,
Confirm goes on to the bank's own strong authentication (the sandbox's login and one-time code, typed here as a
customer would), and the bank sends the browser back to a page that says the payment went.

Screenshots land in test-artifacts/ (payment-<step>-<lang>.png) for a person to look at."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from sarraf.config import Settings
from sarraf.domain.payments import PaymentState
from sarraf.i18n.replies import catalog
from sarraf.policy.secure_links import SignedLinks
from sarraf.sandbox_bank.profiles import SANDBOX_PASSWORD
from sarraf.store.database import make_engine
from sarraf.store.key_store import key_provider
from sarraf.store.tables.payments import payments
from tests.browser.chromium import ARTIFACTS, bullets_before_digits
from tests.integration.helpers import ChatClient

pytestmark = pytest.mark.browser
PHONE = {"width": 420, "height": 860}
LOCALES = {"en": "en-GB", "pl": "pl-PL", "ar": "ar-SA"}
DIRECTION = {"en": "ltr", "pl": "ltr", "ar": "rtl"}
# what each customer asks, and what the confirmation page must show of it
ASKED = {
    "en": ("send £7.31 to Alice Smith for dinner", ("Alice Smith", "7.31", "dinner")),
    "pl": ("przelej 12,34 zł Kasi za obiad", ("Katarzyna Nowak", "12,34", "obiad")),
    "ar": ("حول ٢٠ ريال لأحمد مقابل العشاء", ("أحمد العتيبي", "20", "العشاء")),
}


def _review_link(gateway: str, settings: Settings, lang: str) -> str:
    """A linked customer asks for a payment in chat; the secure link a link_only channel would have sent for it."""
    asked, _ = ASKED[lang]

    async def ask() -> str:
        async with httpx.AsyncClient(timeout=30) as http:
            chat = ChatClient(http, gateway)
            await chat.link(await chat.say(catalog().text(lang, "qr_link"), locale=lang), f"sandbox-{lang}-1")
            await chat.say(asked, locale=lang)
        engine = make_engine(settings.database_url)
        try:
            async with engine.connect() as conn:
                payment_id, customer = (await conn.execute(
                    select(payments.c.payment_id, payments.c.customer_id)
                    .where(payments.c.state == PaymentState.AWAITING_CONFIRMATION.value)
                    .order_by(payments.c.created_at.desc()).limit(1))).one()
        finally:
            await engine.dispose()
        links = SignedLinks(await key_provider(settings).secret("secure-links"), gateway)
        return links.issue("sandbox", str(customer), "payment", str(payment_id), None)

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        return pool.submit(asyncio.run, ask()).result()


def _shoot(page: Page, step: str, lang: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"payment-{step}-{lang}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "pl", "ar"])
def test_confirm_on_the_secure_page_then_authorise_at_the_bank(gateway: str, settings: Settings, browser: Browser,
                                                                lang: str) -> None:
    url = _review_link(gateway, settings, lang)
    c = catalog()
    page = browser.new_page(locale=LOCALES[lang], viewport=PHONE)
    page.goto(url)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", DIRECTION[lang])
    assert page.evaluate("getComputedStyle(document.body).direction") == DIRECTION[lang]
    shown = page.locator("table.rows").inner_text()
    for fact in ASKED[lang][1]:
        assert fact in shown, (fact, shown)
    # the masked account reads "•••• 1234" in every direction (without the isolate Arabic drew "1234 ••••")
    masked = page.locator("table.rows td", has_text="••").first
    assert bullets_before_digits(masked.element_handle()), masked.inner_text()
    _shoot(page, "review", lang)

    page.get_by_role("button", name=c.text(lang, "pay_button_confirm")).click()
    page.wait_for_selector("#username")  # the bank's own page now: nothing typed here reaches the gateway
    page.fill("#username", f"sandbox-{lang}-1")
    page.fill("#password", SANDBOX_PASSWORD)
    page.locator("button[value=approve]").click()
    otp = page.locator("#otp-shown").inner_text().strip()  # the sandbox shows the code it "sent"
    page.fill("#otp", otp)
    _shoot(page, "bank-code", lang)
    page.locator("button[value=approve]").click()

    expect(page.locator("body")).to_contain_text(c.text(lang, "pay_page_done"))
    expect(page.locator("html")).to_have_attribute("dir", DIRECTION[lang])
    assert ASKED[lang][1][0] in page.locator("body").inner_text()  # the payee, on the bank's browser
    _shoot(page, "done", lang)
    page.close()
