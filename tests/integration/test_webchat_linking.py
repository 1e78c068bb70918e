"""End to end over HTTP: web chat → conversation → policy point → OB connector → sandbox bank → back."""

from __future__ import annotations

import httpx
import pytest

from sarraf.i18n.replies import format_money
from tests.integration.conftest import Gateway
from tests.integration.helpers import ChatClient, bank_balances


@pytest.fixture
async def http() -> httpx.AsyncClient:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


async def test_unlinked_customer_is_invited_to_the_bank_login(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    replies = await chat.say("what's my balance?")
    assert len(replies) == 1
    (button,) = replies[0]["buttons"]
    assert button["url"].startswith(f"{gateway.url}/link/start/")
    assert "Log in" in button["title"]
    start = await http.get(button["url"])
    assert start.status_code == 303
    bank_login = start.headers["location"]
    assert bank_login.startswith(f"{gateway.url}/bank/oauth/authorize?")
    assert "code_challenge_method=S256" in bank_login
    assert (await http.get(f"{gateway.url}/link/start/unknown-state")).status_code == 404


@pytest.mark.parametrize(
    ("customer", "question", "lang"),
    [
        ("sandbox-en-1", "what's my balance?", "en"),
        ("sandbox-pl-1", "ile mam na koncie?", "pl"),
        ("sandbox-ar-1", "كم رصيدي؟", "ar"),
    ],
)
async def test_linking_resumes_with_the_balance_the_bank_reports(
    gateway: Gateway, http: httpx.AsyncClient, customer: str, question: str, lang: str
) -> None:
    chat = ChatClient(http, gateway.url)
    pushed = await chat.link(await chat.say(question), customer)
    assert [r["lang"] for r in pushed] == [lang, lang]
    assert pushed[0]["dir"] == ("rtl" if lang == "ar" else "ltr")
    answer = pushed[1]["text"]
    expected = await bank_balances(http, f"{gateway.url}/bank", customer, f"{gateway.url}/link/callback")
    for nickname, balances in expected.items():
        available = next(b for b in balances if b.balance_type == "InterimAvailable")
        assert nickname in answer
        assert format_money(available.amount, lang) in answer
    # Asking again needs no new login.
    again = await chat.say(question)
    assert again[0]["text"] == answer


async def test_transactions_and_spending_after_linking(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say("link my account"), "sandbox-pl-1")
    listed = await chat.say("pokaż ostatnie transakcje")
    assert listed[0]["text"].startswith(("Twoje ostatnie", "Twoja ostatnia"))
    spent = await chat.say("ile wydałem na jedzenie w zeszłym miesiącu?")
    assert "wydałeś" in spent[0]["text"] and "jedzenie" in spent[0]["text"]
    assert "zł" in spent[0]["text"]


async def test_revoking_consent_stops_every_read(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    await chat.link(await chat.say("link my account"), "sandbox-en-1")
    revoked = await chat.say("stop sharing my data with this chat")
    assert "stopped" in revoked[0]["text"]
    after = await chat.say("what's my balance?")
    assert after[0]["buttons"] and "Log in" in after[0]["buttons"][0]["title"]


async def test_a_replayed_callback_links_nothing(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    replies = await chat.say("link my account")
    from sarraf.banks.sandbox_login import complete_sandbox_login

    url = replies[0]["buttons"][0]["url"]
    redirect = await complete_sandbox_login(http, url, username="sandbox-en-1")
    assert (await http.get(redirect)).status_code == 303
    replay = await http.get(redirect)
    assert replay.status_code == 400


async def test_denied_login_is_reported_in_the_chat(gateway: Gateway, http: httpx.AsyncClient) -> None:
    chat = ChatClient(http, gateway.url)
    replies = await chat.say("what's my balance?")
    assert (await http.get(replies[0]["buttons"][0]["url"])).status_code == 303  # the chat's browser opens it
    state = replies[0]["buttons"][0]["url"].rsplit("/", 1)[1]
    callback = await http.get(f"{gateway.url}/link/callback", params={"state": state, "error": "access_denied"})
    # The bank's login replaced the chat in its tab: the customer goes back to the chat, not to "close this page".
    assert callback.status_code == 303 and callback.headers["location"] == "/?linked=0"
    pushed = await chat.updates()
    assert "did not complete" in pushed[0]["text"]


async def test_link_start_ignores_a_return_url_that_is_not_messengers(
    gateway: Gateway, http: httpx.AsyncClient
) -> None:
    """No open redirect: only Messenger's own https redirect_uri may receive the customer after the login."""
    from sarraf.banks.sandbox_login import complete_sandbox_login

    chat = ChatClient(http, gateway.url)
    (invite,) = await chat.say("link my account")
    opened = httpx.URL(invite["buttons"][0]["url"], params={"redirect_uri": "https://evil.example/steal"})
    redirect = await complete_sandbox_login(http, str(opened), username="sandbox-en-1")
    back = await http.get(redirect)
    assert back.status_code == 303 and back.headers["location"] == "/?linked=1"
