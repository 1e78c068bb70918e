"""`sarraf channels templates sync`: the Messenger utility templates are created in the shape Meta's
utility-messages page documents (category UTILITY, a BODY with one parameter and an example, POSTBACK buttons on
the question template), in every language with the language code the send path uses; a template that exists
already is reported with its review status; a refusal is shown and the command fails. Against a fake Graph API
on 127.0.0.1, the command run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sarraf.channels.messenger import TEMPLATE_LANGUAGES
from sarraf.web.threaded_server import serve_in_thread

ROOT = Path(__file__).resolve().parents[2]


class Graph:
    """A Page's message_templates endpoint: `sarraf_account_update` in English exists (APPROVED)."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.tokens: set[str] = set()
        self.refuse: set[str] = set()

    def app(self) -> Starlette:
        async def templates(request: Request) -> JSONResponse:
            self.tokens.add(request.headers.get("authorization", ""))
            if request.method == "GET":
                name, language = request.query_params["name"], request.query_params["language"]
                if (name, language) == ("sarraf_account_update", "en_US"):
                    return JSONResponse({"data": [{"id": "77", "name": name, "language": language,
                                                   "status": "APPROVED"}]})
                return JSONResponse({"data": []})
            body = await request.json()
            if (body["name"], body["language"]) == ("sarraf_account_update", "en_US"):
                return JSONResponse({"error": {"message": "Template already exists"}}, status_code=400)
            if body["language"] in self.refuse:
                return JSONResponse({"error": {"message": "Invalid parameter"}}, status_code=400)
            self.created.append(body)
            return JSONResponse({"id": f"t{len(self.created)}", "status": "PENDING", "category": "UTILITY"})

        return Starlette(routes=[Route("/v23.0/page-1/message_templates", templates, methods=["GET", "POST"])])


@pytest.fixture
def graph() -> Iterator[tuple[Graph, str]]:
    fake = Graph()
    with serve_in_thread(fake.app()) as url:
        yield fake, url


def _sync(url: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SARRAF_HOME": str(home), "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200",
           "SARRAF_MESSENGER_APP_SECRET": "s" * 32, "SARRAF_MESSENGER_VERIFY_TOKEN": "v",
           "SARRAF_MESSENGER_PAGE_TOKEN": "page-token", "SARRAF_MESSENGER_API_URL": f"{url}/v23.0",
           "SARRAF_MESSENGER_PAGE_ID": "page-1"}
    env.pop("SARRAF_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "sarraf", "channels", "templates", "sync", "--bank", "sandbox"],
                          capture_output=True, text=True, env=env, timeout=120)


def test_templates_are_created_as_documented_and_statuses_reported(graph: tuple[Graph, str], tmp_path: Path) -> None:
    fake, url = graph
    done = _sync(url, tmp_path)
    assert done.returncode == 0, done.stderr
    assert fake.tokens == {"Bearer page-token"}
    assert len(fake.created) == 2 * len(TEMPLATE_LANGUAGES) - 1  # all but the one that exists
    question = next(b for b in fake.created if b["name"] == "sarraf_account_question" and b["language"] == "pl_PL")
    assert question["category"] == "UTILITY"
    body, buttons = question["components"]
    assert body["type"] == "BODY" and body["text"].endswith("{{1}}") and body["example"]["body_text"][0][0]
    assert buttons == {"type": "BUTTONS", "buttons": [
        {"type": "POSTBACK", "text": "Tak, to ja", "payload": "alert_yes"},
        {"type": "POSTBACK", "text": "Nie, to nie ja", "payload": "alert_no"}]}
    arabic = next(b for b in fake.created if b["language"] == "ar")
    assert "بنك صرّاف التجريبي" in arabic["components"][0]["text"]  # the bank's own name in each language
    assert {b["language"] for b in fake.created} == set(TEMPLATE_LANGUAGES.values())
    assert "APPROVED" in done.stdout and "PENDING" in done.stdout and "77" in done.stdout


def test_a_refused_template_is_shown_and_the_command_fails(graph: tuple[Graph, str], tmp_path: Path) -> None:
    fake, url = graph
    fake.refuse.add("ar")
    done = _sync(url, tmp_path)
    assert done.returncode == 1
    assert "ERROR: Invalid parameter" in done.stdout
