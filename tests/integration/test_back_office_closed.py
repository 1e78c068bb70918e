"""A back-office API without a configured token fails closed, clearly (issue #17): the operator API and the
alert preferences API both answer 403 with a reason naming the token that is not configured and the variable
to set, with or without a bearer token in the request. Never a 5xx, which would look like an outage to
monitors and make clients retry. Real gateway over HTTP on 127.0.0.1 (SQLite)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sarraf.config import load_settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread

CALLS = [("GET", "/api/banks/sandbox/consents/some-consent", "operator API", "SARRAF_OPERATOR_TOKEN_SANDBOX"),
         ("DELETE", "/api/banks/sandbox/consents/some-consent", "operator API", "SARRAF_OPERATOR_TOKEN_SANDBOX"),
         ("GET", "/alerts/api/preferences/sandbox/someone", "alert preferences API",
          "SARRAF_ALERTS_API_TOKEN_SANDBOX"),
         ("PUT", "/alerts/api/preferences/sandbox/someone", "alert preferences API",
          "SARRAF_ALERTS_API_TOKEN_SANDBOX")]


@pytest.fixture(scope="module")
def no_tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home: Path = tmp_path_factory.mktemp("home")
    port = free_port()
    with pytest.MonkeyPatch.context() as patch:
        for key in list(os.environ):
            if key.startswith(("SARRAF_OPERATOR_TOKEN", "SARRAF_ALERTS_API_TOKEN")):
                patch.delenv(key)
        for key, value in {"SARRAF_HOME": str(home), "SARRAF_PORT": str(port),
                           "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
                           "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}"}.items():
            patch.setenv(key, value)
        with serve_in_thread(create_app(load_settings()), port=port) as url:
            yield url


@pytest.mark.parametrize("bearer", [None, "a-guess"], ids=["no-credential", "some-credential"])
@pytest.mark.parametrize(("method", "path", "api", "variable"), CALLS)
def test_an_api_without_a_token_refuses_with_the_reason(no_tokens: str, bearer: str | None, method: str, path: str,
                                                       api: str, variable: str) -> None:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    body = {"opted_in": True} if method == "PUT" else None
    answer = httpx.request(method, no_tokens + path, headers=headers, json=body, timeout=20)
    assert answer.status_code == 403, answer.text
    reason = answer.json()["detail"]
    assert f"no {api} token is configured for bank 'sandbox'" in reason
    assert variable in reason
