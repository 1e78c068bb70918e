"""/docs (Swagger UI) and /redoc load nothing from outside the gateway: every script, style and icon they name
is served by the gateway itself, with the right content type (a browser refuses a script sent as text/plain)."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from sarraf.config import load_settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread

CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".json": "application/json",
                 "": "text/html"}  # no suffix: the OAuth2 redirect page


class Links(HTMLParser):
    """Every URL a page makes the browser fetch: src, href, spec-url, and URLs in inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in {"src", "href", "spec-url"} and value]

    def handle_data(self, data: str) -> None:
        self.urls += [token.strip("'\"`,;)") for token in data.split() if "://" in token or token.startswith("'/")]


def urls_of(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.urls


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("home")
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SARRAF_HOME", str(home))
        patch.setenv("SARRAF_DATABASE_URL", f"sqlite+aiosqlite:///{home / 'sarraf.db'}")
        patch.setenv("SARRAF_PUBLIC_URL", f"http://127.0.0.1:{port}")
        settings = load_settings()
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


@pytest.mark.parametrize(("page", "script"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
def test_the_docs_page_loads_only_the_gateways_own_assets(gateway: str, page: str, script: str) -> None:
    with httpx.Client(base_url=gateway, timeout=20) as http:
        html = http.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        urls = urls_of(html.text)
        assert any(url.endswith(script) for url in urls), urls
        assert all(url.startswith("/") and not url.startswith("//") for url in urls), urls
        for url in urls:
            answer = http.get(url)
            assert answer.status_code == 200, url
            kind = CONTENT_TYPES[Path(url).suffix]
            assert answer.headers["content-type"].startswith(kind), (url, answer.headers["content-type"])
            assert answer.content, url


def test_the_swagger_ui_is_the_one_that_renders_openapi_3_1(gateway: str) -> None:
    with httpx.Client(base_url=gateway, timeout=20) as http:
        assert http.get("/openapi.json").json()["openapi"].startswith("3.1")
        bundle = http.get("/static-docs/swagger-ui-bundle.js").text
    assert "SwaggerUIBundle" in bundle and '"5.' in bundle  # Swagger UI 4 cannot render OpenAPI 3.1
