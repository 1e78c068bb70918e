"""The embedded sandbox bank's admin API is no longer open to anyone (issue #22, finding 4): its secret is
generated per installation under SARRAF_HOME/keys (no guessable default), admin calls come from loopback
only unless allowed, start-up says so, and `sarraf sandbox simulate` reads the secret from the same data
folder. A real gateway over HTTP on 127.0.0.1, and the real CLI in a subprocess."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from starlette.routing import Mount

from sarraf.config import load_settings
from sarraf.sandbox_bank.admin import SECRET_ENV, secret_path
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread

SARRAF = str(Path(sys.executable).with_name("sarraf"))  # the installed command, as a user runs it
SIMULATE = "/bank/sarraf/v1/admin/simulate"
EVENT = {"event": "card-payment", "customer": "sandbox-en-1", "push": False}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, FastAPI]]:
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
           "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv(SECRET_ENV, raising=False)
        app = create_app(load_settings())
    with serve_in_thread(app, port=port) as url:
        yield url, home, app


def test_the_secret_is_generated_per_installation_and_kept_with_the_keys(installed: tuple[str, Path, FastAPI]
                                                                         ) -> None:
    url, home, _ = installed
    path = secret_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    secret = path.read_text()
    assert len(secret) >= 40 and secret != "sandbox-admin"
    for wrong in ({}, {"x-sandbox-admin-secret": "sandbox-admin"}, {"x-sandbox-admin-secret": secret[:-1]}):
        assert httpx.post(url + SIMULATE, json=EVENT, headers=wrong).status_code == 401
    assert httpx.post(url + SIMULATE, json=EVENT, headers={"x-sandbox-admin-secret": secret}).status_code == 200


def test_another_installation_gets_another_secret(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(SECRET_ENV, raising=False)
        create_app(load_settings(tmp_path / "a"))
        create_app(load_settings(tmp_path / "a"))  # the same installation keeps its secret
        create_app(load_settings(tmp_path / "b"))
    assert secret_path(tmp_path / "a").read_text() != secret_path(tmp_path / "b").read_text()


async def test_admin_calls_come_from_loopback_only(installed: tuple[str, Path, FastAPI]) -> None:
    """The same app reached from a non-loopback client address (an ASGI client that says so) is refused."""
    _, home, app = installed
    sandbox = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/bank").app
    headers = {"x-sandbox-admin-secret": secret_path(home).read_text()}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox, client=("203.0.113.7", 40000)),
                                 base_url="http://gateway.example") as outside:
        refused = await outside.post("/sarraf/v1/admin/simulate", json=EVENT, headers=headers)
        assert refused.status_code == 403 and "loopback" in refused.text
        assert (await outside.get("/sarraf/v1/admin/cases", headers=headers)).status_code == 403
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox, client=("::1", 40000)),
                                 base_url="http://gateway.example") as inside:
        assert (await inside.get("/sarraf/v1/admin/cases", headers=headers)).status_code == 200


def test_start_up_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sarraf.web.app"), pytest.MonkeyPatch.context() as patch:
        patch.delenv(SECRET_ENV, raising=False)
        create_app(load_settings(tmp_path))
    assert "only on the loopback interface" in caplog.text and str(secret_path(tmp_path)) in caplog.text


def test_the_cli_reads_the_secret_from_the_same_data_folder(installed: tuple[str, Path, FastAPI]) -> None:
    url, home, _ = installed
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV} | {"SARRAF_HOME": str(home)}
    done = subprocess.run([SARRAF, "sandbox", "simulate", "card-payment",
                           "--customer", "sandbox-en-1", "--bank-url", url + "/bank"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    elsewhere = subprocess.run([SARRAF, "sandbox", "simulate", "card-payment",
                                "--customer", "sandbox-en-1", "--bank-url", url + "/bank"],
                               env=env | {"SARRAF_HOME": str(home / "nowhere")}, capture_output=True, text=True,
                               timeout=120)
    assert elsewhere.returncode == 2 and "no sandbox admin secret" in elsewhere.stderr
