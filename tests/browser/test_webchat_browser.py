"""The web chat in Debian's Chromium: link sandbox-ar-1, ask the balance in Arabic, read it right-to-left (and the
page says so: a read receipt)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from sarraf.config import Settings
from sarraf.i18n.replies import format_money
from sarraf.i18n.replies.formatting import strip_bidi_marks
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.browser.chromium import ARTIFACTS
from tests.integration.helpers import bank_balances

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("browser")
    port = free_port()
    settings = Settings(
        data_dir=home,
        database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}",
        banks_file=Path(__file__).resolve().parents[2] / "src/sarraf/banks.yaml",
        public_url=f"http://127.0.0.1:{port}",
        port=port,
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url



def _expected_available(gateway: str, customer: str) -> dict[str, str]:
    async def fetch() -> dict[str, str]:
        async with httpx.AsyncClient(timeout=20) as http:
            found = await bank_balances(http, f"{gateway}/bank", customer, f"{gateway}/link/callback")
        return {
            name: format_money(next(b for b in balances if b.balance_type == "InterimAvailable").amount, "ar")
            for name, balances in found.items()
        }

    # Playwright's sync API owns this thread's event loop, so the bank is asked from another thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fetch()).result()


def test_arabic_balance_after_linking_renders_right_to_left(gateway: str, browser: Browser) -> None:
    page = browser.new_page(locale="ar-SA")
    page.goto(f"{gateway}/?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.fill("#text", "كم رصيدي؟")
    page.press("#text", "Enter")
    login = page.locator(".bubble.bot .actions a").first
    expect(login).to_be_visible()
    login.click()
    page.fill("#username", "sandbox-ar-1")
    page.fill("#password", "sandbox")
    # The answer waited for the login: the page collects it, and, being on screen, says it was read.
    with page.expect_request(lambda r: r.url.endswith("/webchat/api/receipts") and r.method == "POST",
                             timeout=15_000) as receipt:
        page.click("button[value=approve]")
        answer = page.locator(".bubble.bot").filter(has_text="أرصدتك")
        expect(answer).to_be_visible(timeout=10_000)
    sent = receipt.value.post_data_json
    assert sent["status"] == "read" and sent["session"] == page.evaluate("localStorage.getItem('sarraf.session')")
    assert answer.get_attribute("dir") == "rtl"
    assert answer.evaluate("el => getComputedStyle(el).direction") == "rtl"
    text = strip_bidi_marks(answer.inner_text())
    for nickname, amount in _expected_available(gateway, "sandbox-ar-1").items():
        assert nickname in text
        assert strip_bidi_marks(amount) in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "webchat-ar-balance.png"), full_page=True)
    page.close()


def test_quick_replies_and_polish_page(gateway: str, browser: Browser) -> None:
    page = browser.new_page(locale="pl-PL")
    page.goto(f"{gateway}/?lang=pl")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    page.fill("#text", "cześć")
    page.press("#text", "Enter")
    # The page's own greeting comes first; then the answer to "cześć", with its quick replies.
    expect(page.locator(".bubble.bot:not(.greeting):not(.hint)").first).to_contain_text("Dzień dobry")
    page.locator(".quick button").filter(has_text="Moje saldo").click()
    expect(page.locator(".bubble.bot").last).to_contain_text("Zaloguj się")
    page.close()
