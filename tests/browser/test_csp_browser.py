"""Finding 6 of #17 in Debian's Chromium: under the strict Content-Security-Policy every page still works — the
chat greets and answers, Swagger UI and ReDoc render offline, the secure page, the console login and the sandbox
bank's login page show — and the browser reports no refused script, style, image or connection. A page of
another origin cannot frame the secure page."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from sarraf.config import Settings
from sarraf.policy.secure_links import SignedLinks
from sarraf.store.key_store import key_provider
from sarraf.web.threaded_server import serve_in_thread

pytestmark = pytest.mark.browser


def _watched(browser: Browser) -> tuple[Page, list[str]]:
    page = browser.new_page()
    refused: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            refused.append(message.text)

    page.on("console", seen)
    return page, refused


def _secure_url(settings: Settings, gateway: str) -> str:
    async def issue() -> str:
        return SignedLinks(await key_provider(settings).secret("secure-links"), gateway).issue(
            "sandbox", "nobody-linked", "balance", None, None)
    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's event loop
        return pool.submit(asyncio.run, issue()).result()


def test_pages_work_under_the_policy(gateway: str, settings: Settings, browser: Browser) -> None:
    page, refused = _watched(browser)
    page.goto(f"{gateway}/?lang=en")
    expect(page.locator("#log li").first).to_be_visible(timeout=20_000)  # webchat.js ran and fetched
    page.fill("#text", "hello")
    page.press("#text", "Enter")
    expect(page.locator("#log li")).not_to_have_count(1, timeout=20_000)
    page.goto(f"{gateway}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Sarraf", timeout=20_000)
    expect(page.locator(".opblock").first).to_be_visible()
    page.goto(f"{gateway}/redoc")
    expect(page.locator("h1").first).to_contain_text("Sarraf", timeout=20_000)
    secure = _secure_url(settings, gateway)
    page.goto(secure)
    expect(page.locator("h1")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") != "none"  # sarraf.css
    page.goto(f"{gateway}/console/login")
    expect(page.locator("form")).to_be_visible()
    page.goto(f"{gateway}/bank/oauth/authorize?client_id=nobody")
    assert page.evaluate("getComputedStyle(document.querySelector('main')).maxWidth") != "none"  # hashed <style>
    page.close()
    # ReDoc's footer links its logo from cdn.redoc.ly: refused, as meant (nothing loads from a third party).
    assert [r for r in refused if "https://cdn.redoc.ly/" not in r] == [], refused


def test_another_site_cannot_frame_the_secure_page(gateway: str, settings: Settings, browser: Browser) -> None:
    page, refused = _watched(browser)
    with serve_in_thread(_framing_site(_secure_url(settings, gateway))) as other:
        page.goto(other)
        page.wait_for_timeout(1500)
    framed = [f for f in page.frames if f != page.main_frame]
    assert len(framed) == 1 and framed[0].url.startswith("chrome-error://")  # Chromium's "refused to connect"
    assert any("frame-ancestors" in text for text in refused)
    page.close()


def _framing_site(target: str):  # type: ignore[no-untyped-def]
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    async def home(_: object) -> HTMLResponse:
        return HTMLResponse(f'<!doctype html><iframe src="{target}" width="600" height="400"></iframe>')

    return Starlette(routes=[Route("/", home)])
