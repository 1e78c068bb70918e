"""The desk beyond claim and reply, over real HTTP: a ready reply goes out in the customer's language, an agent
passes a conversation to a colleague (and only to one at the same bank who takes conversations), hand-back asks
"how did we do?" and the customer's one tap is counted once, and supervisors read the day's figures."""

from __future__ import annotations

import re

import httpx

from sarraf.i18n.replies import catalog
from tests.console.test_console_http import Console, _chat, _code, _csrf, _login, console

__all__ = ["console"]


def _handoff_for(client: httpx.Client, before: set[int]) -> int:
    found = {int(i) for i in re.findall(r'data-handoff="(\d+)"', client.get("/console").text)} - before
    assert len(found) == 1, found
    return found.pop()


def _waiting(client: httpx.Client) -> set[int]:
    return {int(i) for i in re.findall(r'data-handoff="(\d+)"', client.get("/console").text)}


def _updates(console: Console, session: str) -> list[dict[str, object]]:
    got = httpx.get(f"{console.url}/webchat/api/updates", params={"session": session}, timeout=20)
    return list(got.json()["replies"])


def test_ready_reply_transfer_satisfaction_and_figures(console: Console) -> None:
    console.clock.advance(minutes=7)
    desk1, _ = _login(console, "desk1")
    desk2, _ = _login(console, "desk2")
    before = _waiting(desk1)
    chat = "console-desk-session-0003"
    _chat(console, chat, "chcę rozmawiać z konsultantem")  # Polish: the customer's language is Polish
    handoff = _handoff_for(desk1, before)
    csrf1 = _csrf(desk1)
    assert desk1.post(f"/console/c/{handoff}/claim", data={"csrf": csrf1}).status_code == 303

    # a ready reply, chosen in the agent's English console, reaches the customer in Polish
    page = desk1.get(f"/console/c/{handoff}")
    assert 'id="send-canned"' in page.text and 'id="transfer"' in page.text
    sent = desk1.post(f"/console/c/{handoff}/canned", data={"csrf": csrf1, "key": "canned_checking"})
    assert sent.status_code == 303
    texts = [str(r.get("text")) for r in _updates(console, chat)]
    assert catalog().text("pl", "canned_checking") in texts
    bogus = desk1.post(f"/console/c/{handoff}/canned", data={"csrf": csrf1, "key": "console_login"})
    assert bogus.status_code == 422  # only the desk's ready replies, never any catalogue string

    # pass it on: not to another bank's agent, nor to compliance; to a colleague who takes conversations
    ids = dict(re.findall(r'<option value="([0-9a-f-]{36})">([^<]+)</option>', page.text))
    assert "other@bank.test" not in ids.values() and "comp@bank.test" not in ids.values()
    desk2_id = next(i for i, email in ids.items() if email == "desk2@bank.test")
    wrong = desk1.post(f"/console/c/{handoff}/transfer", data={"csrf": csrf1, "to": "not-a-colleague"})
    assert wrong.status_code == 422
    assert desk1.post(f"/console/c/{handoff}/transfer", data={"csrf": csrf1, "to": desk2_id}).status_code == 303
    assert catalog().text("pl", "console_agent_transferred", bank="Sarraf Sandbox Bank") in [
        str(r.get("text")) for r in _updates(console, chat)]
    stolen = desk1.post(f"/console/c/{handoff}/reply", data={"csrf": csrf1, "text": "still mine?"})
    assert stolen.status_code == 403  # it is desk2's now
    csrf2 = _csrf(desk2)
    assert desk2.post(f"/console/c/{handoff}/reply", data={"csrf": csrf2, "text": "Zwrot jest w drodze."}
                      ).status_code == 303

    # hand back: the customer is asked how it went, in Polish, and one tap counts once
    assert desk2.post(f"/console/c/{handoff}/hand-back", data={"csrf": csrf2}).status_code == 303
    asked = [r for r in _updates(console, chat) if r.get("text") == catalog().text(
        "pl", "console_csat_question", bank="Sarraf Sandbox Bank")]
    assert asked, _updates(console, chat)
    payloads = [b["payload"] for b in asked[0].get("quick_replies", [])]  # type: ignore[union-attr]
    assert payloads == ["csat:good", "csat:okay", "csat:poor"]
    tap = {"session": chat, "payload": "csat:good", "bank": "sandbox"}
    first = httpx.post(f"{console.url}/webchat/api/messages", json=tap, timeout=20).json()["replies"]
    again = httpx.post(f"{console.url}/webchat/api/messages", json=tap, timeout=20).json()["replies"]
    assert first[0]["text"] == catalog().text("pl", "console_csat_thanks", bank="Sarraf Sandbox Bank")
    assert again[0]["text"] == catalog().text("pl", "console_csat_already", bank="Sarraf Sandbox Bank")

    # a service answer that helped (resolved by the bot) and one that did not (sent to a person)
    for session, verdict in (("svc-helped-0000000001", "yes, thanks"), ("svc-not-helped-000001", "no, it didn't")):
        answer = _chat(console, session, "how long does a transfer from abroad take to arrive?")
        assert str(answer[-1].get("text")).endswith(catalog().text("en", "service_did_it_help")), answer
        _chat(console, session, verdict)

    # the supervisor's figures count what just happened; agents may not read them
    assert desk1.get("/console/figures").status_code == 403
    boss, ok = _login(console, "boss", code=_code(console, "boss"))
    assert ok.status_code == 303
    figures = boss.get("/console/figures")
    assert figures.status_code == 200
    handled = figures.text[figures.text.index('id="fig-handled"'):]
    assert "desk1@bank.test" in handled
    csat = re.search(r'id="fig-csat" dir="ltr">(\d+) · ([\d.]+)<', figures.text)
    assert csat is not None and int(csat.group(1)) >= 1 and 1 <= float(csat.group(2)) <= 5
    assert re.search(r'id="fig-handed-back">([1-9]\d*)<', figures.text)
    assert re.search(r'id="fig-resolved-by-bot">1<', figures.text)
    assert re.search(r'id="fig-not-helped">1<', figures.text)
