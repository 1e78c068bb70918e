"""When the bank cannot be reached the customer is told so honestly, in their language, and nothing breaks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sarraf.config import Settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.integration.helpers import ChatClient


@pytest.fixture(scope="module")
def gateway_without_bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("down")
    agreement = Path(__file__).resolve().parents[2] / "src/sarraf/policy/agreements/default.cedar"
    (home / "banks.yaml").write_text(
        "banks:\n"
        "  - id: gone\n"
        "    name: Gone Bank\n"
        f"    base_url: http://127.0.0.1:{free_port()}\n"  # nothing listens there
        "    client_id: sarraf\n"
        "    client_secret: s3cret\n"
        f"    agreement: {agreement}\n"
        "    default_language: ar\n",
        encoding="utf-8",
    )
    port = free_port()
    settings = Settings(
        data_dir=home,
        database_url=f"sqlite+aiosqlite:///{home / 'db.sqlite'}",
        banks_file=home / "banks.yaml",
        public_url=f"http://127.0.0.1:{port}",
        port=port,
    )
    with serve_in_thread(create_app(settings), port=port) as url:
        yield url


@pytest.mark.parametrize(
    ("text", "expected"),
    [("كم رصيدي؟", "لا أستطيع الوصول"), ("what's my balance?", "can't reach"), ("ile mam na koncie?", "Nie mogę")],
)
async def test_bank_down_is_explained(gateway_without_bank: str, text: str, expected: str) -> None:
    async with httpx.AsyncClient(timeout=20) as http:
        replies = await ChatClient(http, gateway_without_bank).say(text)
    assert expected in replies[0]["text"]
