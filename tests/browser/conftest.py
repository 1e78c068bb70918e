"""One Chromium per test module, shared by its tests (starting one takes about a second), and one gateway per
module with embedded defaults (web chat + sandbox bank) on a free 127.0.0.1 port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from sarraf.config import Settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.browser.chromium import ARGS, CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home = tmp_path_factory.mktemp("browser-gateway")
    port = free_port()
    return Settings(data_dir=home, database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}",
                    banks_file=Path(__file__).resolve().parents[2] / "src/sarraf/banks.yaml",
                    public_url=f"http://127.0.0.1:{port}", port=port)


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[str]:
    with serve_in_thread(create_app(settings), port=settings.port) as url:
        yield url
