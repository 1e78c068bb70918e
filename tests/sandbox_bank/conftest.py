from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from sarraf.sandbox_bank import create_app
from tests.sandbox_bank.flow import Clock, SandboxClient
from tests.support.live_server import serve


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "sandbox.db"


@pytest.fixture
def bank(state_path: Path, clock: Clock) -> Iterator[SandboxClient]:
    """The sandbox mounted at /bank, as the gateway mounts it, on a real 127.0.0.1 port."""
    outer = Starlette(routes=[Mount("/bank", app=create_app(state_path, now=clock, page_size=40))])
    with serve(outer) as url, httpx.Client(base_url=url + "/bank", timeout=10) as http:
        yield SandboxClient(http, url + "/bank")
