"""A bank engineer testing the fraud loop restarts the sandbox: frozen and blocked cards stay so, dispute cases
stay open under the same CaseId, and the TPP's event subscription still receives pushes. Over HTTP on
127.0.0.1, two sandbox apps one after the other on the same state file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from sarraf.sandbox_bank import create_app
from tests.sandbox_bank.flow import SandboxClient
from tests.support.live_server import serve

CARDS = "/sarraf/v1/cards"
ADMIN_SECRET = "sandbox-admin-for-tests"
ADMIN = {"x-sandbox-admin-secret": ADMIN_SECRET}


@contextmanager
def sandbox(state: Path) -> Iterator[SandboxClient]:
    with serve(Starlette(routes=[Mount("/bank", app=create_app(state, admin_secret=ADMIN_SECRET))])) as url, \
            httpx.Client(base_url=url + "/bank", timeout=10) as http:
        yield SandboxClient(http, url + "/bank")


@contextmanager
def tpp_callback() -> Iterator[tuple[str, list[str]]]:
    """The TPP's push endpoint: records the content type of every POST and acknowledges it."""
    received: list[str] = []

    async def events(request: Request) -> Response:
        await request.body()
        received.append(request.headers.get("content-type", ""))
        return Response(status_code=202)

    with serve(Starlette(routes=[Route("/events", events, methods=["POST"])])) as url:
        yield url + "/events", received


def _cards(bank: SandboxClient, token: str) -> dict[str, str]:
    response = bank.http.get(CARDS, headers=bank.bearer(token))
    assert response.status_code == 200, response.text
    return {c["CardId"]: c["Status"] for c in response.json()["Data"]["Card"]}


def _open_case(bank: SandboxClient, token: str, reference: str) -> httpx.Response:
    body = {"Data": {"CardId": "sandbox-en-1-debit", "Reason": "fraud", "Reference": reference}}
    return bank.http.post("/sarraf/v1/cases", json=body, headers=bank.bearer(token))


def test_frozen_cards_cases_and_subscriptions_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.db"
    with tpp_callback() as (callback, received):
        with sandbox(state) as bank:
            linked = bank.link(username="sandbox-en-1")
            token = linked.access_token
            assert _cards(bank, token) == {"sandbox-en-1-debit": "active", "sandbox-en-1-credit": "active"}
            freeze = bank.http.post(f"{CARDS}/sandbox-en-1-debit/freeze", headers=bank.bearer(token))
            assert freeze.status_code == 200 and freeze.json()["Data"]["Status"] == "frozen"
            stolen = bank.http.post(f"{CARDS}/sandbox-en-1-credit/report-stolen", headers=bank.bearer(token))
            assert stolen.json()["Data"]["Status"] == "blocked"
            opened = _open_case(bank, token, "alert-42")
            assert opened.status_code == 201, opened.text
            case = opened.json()["Data"]
            subscribed = bank.http.post("/open-banking/v4.0/event-subscriptions",
                                        json={"Data": {"CallbackUrl": callback, "Version": "4.0"}},
                                        headers=bank.bearer(bank.client_token()))
            assert subscribed.status_code == 201, subscribed.text
            subscription_id = subscribed.json()["Data"]["EventSubscriptionId"]

        with sandbox(state) as bank:
            # The access token was stored too; the card state is the bank's, not the process's.
            assert _cards(bank, token) == {"sandbox-en-1-debit": "frozen", "sandbox-en-1-credit": "blocked"}
            admin = bank.http.get("/sarraf/v1/admin/cases", headers=ADMIN).json()
            assert admin["cases"] == [case]
            assert case["Status"] == "Open" and case["CaseId"].startswith("case-")
            assert admin["cards"]["sandbox-en-1-debit"] == "frozen"
            retried = _open_case(bank, token, "alert-42")  # the gateway retrying after the restart
            assert retried.status_code == 201 and retried.json()["Data"] == case
            another = _open_case(bank, token, "alert-43").json()["Data"]
            assert another["CaseId"] != case["CaseId"]
            assert len(bank.http.get("/sarraf/v1/admin/cases", headers=ADMIN).json()["cases"]) == 2
            blocked = bank.http.post(f"{CARDS}/sandbox-en-1-credit/unfreeze", headers=bank.bearer(token))
            assert blocked.status_code == 400  # blocked stays final across a restart
            listed = bank.http.get("/open-banking/v4.0/event-subscriptions",
                                   headers=bank.bearer(bank.client_token())).json()["Data"]["EventSubscription"]
            assert listed == [{"EventSubscriptionId": subscription_id, "CallbackUrl": callback, "Version": "4.0"}]
            simulated = bank.http.post("/sarraf/v1/admin/simulate", headers=ADMIN,
                                       json={"event": "suspected-fraud", "customer": "sandbox-en-1"})
            assert simulated.status_code == 200, simulated.text
            (event,) = simulated.json()["events"]
            assert event["pushed"] == 202 and received == ["application/secevent+jwt"]
            unfreeze = bank.http.post(f"{CARDS}/sandbox-en-1-debit/unfreeze", headers=bank.bearer(token))
            assert unfreeze.json()["Data"]["Status"] == "active"

        with sandbox(state) as bank:
            assert _cards(bank, token)["sandbox-en-1-debit"] == "active"  # an unfreeze is kept as well


def test_without_a_state_file_each_sandbox_starts_afresh() -> None:
    for _ in range(2):
        with serve(Starlette(routes=[Mount("/bank", app=create_app(None, admin_secret=ADMIN_SECRET))])) as url, \
                httpx.Client(base_url=url + "/bank", timeout=10) as http:
            bank = SandboxClient(http, url + "/bank")
            token = bank.link(username="sandbox-en-2").access_token
            assert _cards(bank, token) == {"sandbox-en-2-debit": "active"}
            assert bank.http.post(f"{CARDS}/sandbox-en-2-debit/freeze", headers=bank.bearer(token)).status_code == 200
            assert http.get("/sarraf/v1/admin/cases", headers=ADMIN).json()["cards"]["sandbox-en-2-debit"] == "frozen"
