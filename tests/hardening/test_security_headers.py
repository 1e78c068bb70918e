"""Finding 6 of #17: no security headers. Every page and API answer now carries a strict Content-Security-Policy
(no inline code unless named by hash), frame-ancestors 'none' with X-Frame-Options DENY, nosniff and
no-referrer; HSTS only when the public URL is https. Over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sarraf.config import Settings
from sarraf.policy.secure_links import SignedLinks
from sarraf.store.key_store import key_provider
from sarraf.web.app import create_app
from sarraf.web.security_headers import STRICT_POLICY, hashed_policy
from sarraf.web.threaded_server import free_port, serve_in_thread

BANKS = Path(__file__).resolve().parents[2] / "src/sarraf/banks.yaml"


def _settings(home: Path, public: str | None = None) -> Settings:
    port = free_port()
    return Settings(data_dir=home, database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}", banks_file=BANKS,
                    public_url=public or f"http://127.0.0.1:{port}", port=port)


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = _settings(tmp_path_factory.mktemp("headers"))
    with serve_in_thread(create_app(settings), port=settings.port) as url:
        yield url, settings


def _directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def _secure_link(settings: Settings, url: str) -> str:
    async def issue() -> str:
        return SignedLinks(await key_provider(settings).secret("secure-links"), url).issue(
            "sandbox", "nobody-linked", "balance", None, None)
    return asyncio.run(issue())


def _assert_hardened(response: httpx.Response) -> dict[str, list[str]]:
    h = response.headers
    assert h["x-frame-options"] == "DENY", response.url
    assert h["x-content-type-options"] == "nosniff", response.url
    assert h["referrer-policy"] == "no-referrer", response.url
    csp = _directives(h["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"] and csp["default-src"] in (["'none'"], ["'self'"]), response.url
    assert "'unsafe-eval'" not in h["content-security-policy"], response.url
    assert "'unsafe-inline'" not in csp.get("script-src", csp["default-src"]), response.url
    assert "strict-transport-security" not in h, "HSTS over plain http"
    return csp


def test_every_surface_is_hardened(gateway: tuple[str, Settings]) -> None:
    url, settings = gateway
    with httpx.Client(base_url=url, timeout=30) as http:
        secure = http.get(_secure_link(settings, url).removeprefix(url))
        pages = {
            "/": http.get("/"), "/?lang=ar": http.get("/?lang=ar"), "/secure/<valid>": secure,
            "/secure/<forged>": http.get("/secure/not-a-token"),
            "/static/webchat.js": http.get("/static/webchat.js"), "/healthz": http.get("/healthz"),
            "/webchat/api/updates (422)": http.get("/webchat/api/updates"),
            "/channels/alexa (refused)": http.post("/channels/alexa", content=b"{}"),
            "/openapi.json": http.get("/openapi.json"),
        }
        console = http.get("/console/login")  # the console sends its own strict policy (web/console/pages.py)
        _assert_hardened(console)
        assert secure.status_code == 200 and "<html" in secure.text
        for name, response in pages.items():
            csp = _assert_hardened(response)
            # The gateway's own pages need no inline code at all: the strict policy, unchanged.
            assert response.headers["content-security-policy"] == STRICT_POLICY, name
            assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"], name
        # Nothing inline in the chat or the secure pages that the policy would block.
        for name, page in (("/", pages["/"]), ("/secure/<valid>", secure), ("/console/login", console)):
            inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.text)
            assert all('type="application/json"' in attrs for attrs in inline), name
            assert "<style" not in page.text and " style=" not in page.text, name
            assert not re.search(r"\son[a-z]+=", page.text), name


def test_docs_name_their_inline_script_by_hash(gateway: tuple[str, Settings]) -> None:
    url, _ = gateway
    with httpx.Client(base_url=url, timeout=30) as http:
        for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            page = http.get(path)
            assert page.status_code == 200, path
            csp = _assert_hardened(page)
            for code in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page.text, re.DOTALL):
                digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
                assert f"'sha256-{digest}'" in csp["script-src"], path
        assert http.get("/static-docs/swagger-ui-bundle.js").status_code == 200


def test_the_sandbox_banks_login_page_hashes_its_style_block(gateway: tuple[str, Settings]) -> None:
    url, _ = gateway
    with httpx.Client(base_url=url, timeout=30) as http:
        page = http.get("/bank/oauth/authorize", params={"client_id": "nobody"})
    csp = _assert_hardened(page)
    style = re.search(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert csp["style-src"] == [f"'sha256-{digest}'"] and "script-src" not in csp


def test_hashed_policy_allows_exactly_the_inline_blocks() -> None:
    html = ('<script>a()</script><script src="/x.js"></script>'
            '<script type="application/json">{}</script><style>b{}</style>')
    csp = _directives(hashed_policy(html))
    assert len(csp["script-src"]) == 3 and csp["script-src"][0] == "'self'"  # a() and the inert JSON block
    assert len(csp["style-src"]) == 2


def test_hsts_only_when_the_public_url_is_https(tmp_path: Path) -> None:
    settings = _settings(tmp_path, public="https://bank-chat.example")
    with serve_in_thread(create_app(settings), port=settings.port) as url, httpx.Client(base_url=url) as http:
        assert http.get("/healthz").headers["strict-transport-security"] == "max-age=31536000"
