"""Step-up before unfreezing a card, over real HTTP on 127.0.0.1 with the sandbox bank mounted at /bank (issue
#18): unfreeze asks for the bank login, the customer completes it and the card is unfrozen; an expired or a
refused step-up changes nothing and says so; freezing never asks; a bank with no step-up keeps the old flow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from sarraf.banks.sandbox_login import complete_sandbox_login
from sarraf.channels import webchat
from sarraf.config import load_settings
from sarraf.policy.secure_links import SignedLinks
from sarraf.store.alerts_prefs import SqlAlertPreferences
from sarraf.store.key_store import key_provider
from sarraf.store.tables.conversation import held_actions
from sarraf.store.tables.core import channel_identities
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.alerts.conftest import ADMIN, ADMIN_SECRET, AlertGateway
from tests.alerts.helpers import collect, linked_chat
from tests.integration.helpers import ChatClient
from tests.support.step_up_banks import banks_with_step_up


@pytest.fixture(scope="module")
def stepping(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AlertGateway]:
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
           "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
           "SARRAF_SANDBOX_ADMIN_SECRET": ADMIN_SECRET, "SARRAF_BANKS_FILE": str(banks_with_step_up(home, {
               "actions": ["card_unfreeze", "alert_destination", "secure_page_new_device"],
               "fresh_for_seconds": 300, "hold_seconds": 600}))}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        settings = load_settings()
        app = create_app(settings)
    with serve_in_thread(app, port=port) as url:
        yield AlertGateway(url, settings, app)


async def _cards(http: httpx.AsyncClient, gw: AlertGateway) -> dict[str, str]:
    response = await http.get(f"{gw.bank}/sarraf/v1/admin/cases", headers=ADMIN)
    assert response.status_code == 200
    return dict(response.json()["cards"])


def _login_url(reply: dict[str, Any]) -> str:
    return str(next(b["url"] for b in reply["buttons"] if b["url"]))


async def _frozen(http: httpx.AsyncClient, gw: AlertGateway, customer: str) -> ChatClient:
    chat = await linked_chat(http, gw, customer, opt_in=False)
    (frozen,) = await chat.say("freeze my card")  # the safe direction: one message, no login
    assert "is frozen" in frozen["text"] and not frozen["buttons"], frozen
    assert (await _cards(http, gw))[f"{customer}-debit"] == "frozen"
    return chat


async def _step_up_logs(gw: AlertGateway) -> list[dict[str, Any]]:
    recent = await gw.app.state.container.audit.recent(200)
    return [entry for _, entry in recent if str(entry.get("policy_id", "")).startswith("step-up:")]


async def test_unfreeze_waits_for_the_bank_login_then_runs_once(stepping: AlertGateway,
                                                                http: httpx.AsyncClient) -> None:
    chat = await _frozen(http, stepping, "sandbox-en-1")
    (asked,) = await chat.say("unfreeze my card")
    assert asked["text"].startswith("To unfreeze your card, please confirm it's you at"), asked
    assert "10 minutes" in asked["text"]
    assert (await _cards(http, stepping))["sandbox-en-1-debit"] == "frozen"  # held, not done
    redirect = await complete_sandbox_login(http, _login_url(asked), username="sandbox-en-1")
    back = await http.get(redirect, follow_redirects=False)
    assert back.status_code == 303, back.text
    (told,) = await collect(chat, 1)
    assert told["text"].startswith("Your card ending") and "active again" in told["text"], told
    assert (await _cards(http, stepping))["sandbox-en-1-debit"] == "active"
    logs = await _step_up_logs(stepping)
    assert [(e["policy_id"], e["outcome"]) for e in logs] == [("step-up:card_unfreeze:done", "allow")], logs
    # the replayed callback runs nothing again and links nothing
    (refrozen,) = await chat.say("freeze my card")
    assert "is frozen" in refrozen["text"]
    again = await http.get(redirect, follow_redirects=False)
    assert again.status_code != 200
    after = await collect(chat, 0, timeout=0.5)
    assert not any("active again" in r["text"] for r in after), after
    assert (await _cards(http, stepping))["sandbox-en-1-debit"] == "frozen"
    # within the bank's 5 minutes a second unfreeze needs no new login
    (unfrozen,) = await chat.say("unfreeze my card")
    assert "active again" in unfrozen["text"] and not unfrozen["buttons"], unfrozen
    assert (await _cards(http, stepping))["sandbox-en-1-debit"] == "active"


async def test_an_expired_step_up_changes_nothing_and_says_so(stepping: AlertGateway,
                                                              http: httpx.AsyncClient) -> None:
    chat = await _frozen(http, stepping, "sandbox-pl-1")
    (asked,) = await chat.say("odblokuj kartę")
    assert asked["text"].startswith("Aby odblokować kartę"), asked
    state = _login_url(asked).rsplit("/", 1)[-1]  # /link/start/{state}
    async with stepping.services.container.engine.begin() as conn:  # the customer takes longer than allowed
        late = datetime.now(UTC) - timedelta(seconds=1)
        moved = await conn.execute(update(held_actions).where(held_actions.c.login_state == state)
                                   .values(expires_at=late))
        assert moved.rowcount == 1
    redirect = await complete_sandbox_login(http, _login_url(asked), username="sandbox-pl-1")
    back = await http.get(redirect, follow_redirects=False)
    assert back.status_code == 303, back.text  # the web chat tab goes back to the chat, which tells it
    (told,) = await collect(chat, 1)
    assert told["text"].startswith("Potwierdzenie w") and "nic nie zostało zmienione" in told["text"], told
    assert (await _cards(http, stepping))["sandbox-pl-1-debit"] == "frozen"
    logs = await _step_up_logs(stepping)
    assert ("step-up:card_unfreeze:expired", "deny") in [(e["policy_id"], e["outcome"]) for e in logs], logs


async def test_a_refused_step_up_changes_nothing(stepping: AlertGateway, http: httpx.AsyncClient) -> None:
    chat = await _frozen(http, stepping, "sandbox-ar-1")
    (asked,) = await chat.say("unfreeze my card")
    start = await http.get(_login_url(asked), follow_redirects=False)  # this browser takes the login
    assert start.status_code == 303, start.text
    state = _login_url(asked).rsplit("/", 1)[-1]
    back = await http.get(f"{stepping.url}/link/callback", params={"state": state, "error": "access_denied"},
                          follow_redirects=False)
    assert back.status_code == 303, back.text  # the web chat's own tab goes back to the chat
    (told,) = await collect(chat, 1)
    assert "so nothing was changed" in told["text"], told
    assert (await _cards(http, stepping))["sandbox-ar-1-debit"] == "frozen"


async def test_with_no_step_up_configured_unfreeze_is_one_message(gateway: AlertGateway,
                                                                  http: httpx.AsyncClient) -> None:
    chat = await _frozen(http, gateway, "sandbox-en-2")
    (unfrozen,) = await chat.say("unfreeze my card")
    assert "active again" in unfrozen["text"] and not unfrozen["buttons"], unfrozen
    assert (await _cards(http, gateway))["sandbox-en-2-debit"] == "active"


async def test_alerts_move_to_a_second_chat_only_after_the_step_up(stepping: AlertGateway,
                                                                   http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, stepping, "sandbox-en-2")  # opted in here: the first destination, no login
    engine = stepping.services.container.engine
    async with engine.begin() as conn:  # the same customer on a second device's web chat
        customer_id = (await conn.execute(select(channel_identities.c.customer_id).where(
            channel_identities.c.sender == webchat.address(chat.session)))).scalar_one()
    prefs = SqlAlertPreferences(engine, stepping.services.container.addresses)
    assert (await prefs.get("sandbox", customer_id)).sender == webchat.address(chat.session)
    async with httpx.AsyncClient(timeout=20) as phone:
        other = ChatClient(phone, stepping.url)
        await other.say("hello")  # this browser now holds its own chat
        async with engine.begin() as conn:
            await conn.execute(update(channel_identities).where(
                channel_identities.c.sender == webchat.address(other.session)).values(customer_id=customer_id))
        (asked,) = await other.say("turn on alerts")
        assert asked["text"].startswith("To send your alerts to this chat, please confirm"), asked
        assert (await prefs.get("sandbox", customer_id)).sender == webchat.address(chat.session)  # not yet
        redirect = await complete_sandbox_login(phone, _login_url(asked), username="sandbox-en-2")
        back = await phone.get(redirect, follow_redirects=False)
        assert back.status_code == 303, back.text
        (told,) = await collect(other, 1)
        assert told["text"] == "Your alerts will come to this chat from now on.", told
    assert (await prefs.get("sandbox", customer_id)).sender == webchat.address(other.session)


async def test_a_secure_page_opens_on_a_new_browser_only_after_the_bank_login(stepping: AlertGateway,
                                                                              http: httpx.AsyncClient) -> None:
    chat = await linked_chat(http, stepping, "sandbox-en-1", opt_in=False)
    async with stepping.services.container.engine.begin() as conn:
        customer_id = (await conn.execute(select(channel_identities.c.customer_id).where(
            channel_identities.c.sender == webchat.address(chat.session)))).scalar_one()
    settings = stepping.settings
    url = SignedLinks(await key_provider(settings).secret("secure-links"), stepping.url).issue(
        "sandbox", customer_id, "balance", None, None)
    async with httpx.AsyncClient(timeout=20) as phone:
        first = await phone.get(url, follow_redirects=False)
        assert first.status_code == 303 and "£" not in first.text  # to the bank's login, no data
        assert "/oauth/authorize" in first.headers["location"]
        redirect = await complete_sandbox_login(phone, first.headers["location"], username="sandbox-en-1")
        back = await phone.get(redirect, follow_redirects=False)
        assert back.status_code == 303 and back.headers["location"] == url.removeprefix(stepping.url), back.text
        page = await phone.get(url)
        assert page.status_code == 200 and "£" in page.text
        (told,) = await collect(chat, 1)
        assert told["text"].startswith("A new browser was confirmed at"), told
        assert (await phone.get(url, follow_redirects=False)).status_code == 200  # known now: no second login
