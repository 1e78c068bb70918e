"""A fake platform on 127.0.0.1 shared by the channel tests."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import sarraf.store.tables.all  # noqa: F401  (registers every table on the metadata)
from sarraf.store.database import make_engine
from sarraf.store.metadata import metadata
from sarraf.web.threaded_server import serve_in_thread
from tests.channels.fake_platform import FakePlatform


@pytest.fixture(scope="module")
def platform_server() -> Iterator[tuple[FakePlatform, str]]:
    fake = FakePlatform()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


@pytest.fixture
def platform(platform_server: tuple[FakePlatform, str]) -> tuple[FakePlatform, str]:
    fake, url = platform_server
    fake.calls.clear()
    fake.script.clear()
    fake.clock = time.monotonic
    return fake, url


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A fresh SQLite database with the whole schema, for the channel state stores."""
    found = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'channels.db'}")
    async with found.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield found
    await found.dispose()
