"""The gateway's own notice pages (expired login link, bad secure link, link result) read in the page's language
and direction, and lead back to the chat; a bank whose customers speak Arabic gets right-to-left pages."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sarraf.config import DEFAULT_BANKS_FILE, Settings
from sarraf.i18n.replies import catalog
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread

ARABIC_BANK = """banks:
  - id: sandbox
    name: {{en: Sarraf Sandbox Bank, pl: Sarraf Sandbox Bank, ar: بنك صرّاف التجريبي}}
    base_url: embedded
    client_id: sarraf
    client_secret: sandbox-secret
    agreement: {agreement}
    default_language: ar
"""


@pytest.fixture(scope="module")
def arabic_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("arabic")
    banks = home / "banks.yaml"
    banks.write_text(ARABIC_BANK.format(agreement=DEFAULT_BANKS_FILE.parent / "policy/agreements/default.cedar"),
                     encoding="utf-8")
    port = free_port()
    settings = Settings(data_dir=home, database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}", banks_file=banks,
                        public_url=f"http://127.0.0.1:{port}", port=port)
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


@pytest.mark.parametrize(("path", "status"), [("/link/start/no-such-login", 404), ("/secure/not-a-token", 410)])
def test_notice_pages_follow_the_banks_language(arabic_gateway: str, path: str, status: int) -> None:
    page = httpx.get(arabic_gateway + path, timeout=20)
    assert page.status_code == status
    assert '<html lang="ar" dir="rtl">' in page.text
    assert f'<a class="back" href="/?lang=ar">{catalog().text("ar", "webchat_back")}</a>' in page.text
    assert '<link rel="icon" href="/static/favicon.svg"' in page.text


def test_the_arabic_banks_chat_page_is_arabic_by_default(arabic_gateway: str) -> None:
    page = httpx.get(arabic_gateway + "/", timeout=20)
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "<title>محادثة مع بنك صرّاف التجريبي</title>" in page.text

