"""The skeleton turn bench/chat.py measures as its floor does the wire work of a turn and no more: a signed
webhook gets one stand-in bank request and one Send API call, a forged one is refused, a re-delivery is not
answered again (so the bench's lost/dup accounting holds for it as for the gateway)."""

from __future__ import annotations

import httpx

from sarraf.web.threaded_server import serve_in_thread
from tests.support import chat_load
from tests.support.skeleton_turn import skeleton_app


def test_the_skeleton_answers_each_message_once_and_refuses_forgeries() -> None:
    with (serve_in_thread(chat_load.platform_app()) as platform, serve_in_thread(chat_load.empty_app()) as bank,
          serve_in_thread(skeleton_app(bank, platform, chat_load.SECRET)) as skeleton):
        raw = chat_load.webhook_body("psid-1", "what's my balance?", "mid-1")
        for _ in range(2):  # the second is a re-delivery of the same mid
            answer = httpx.post(f"{skeleton}/channels/messenger/webhook", content=raw, headers=chat_load.signed(raw))
            assert answer.status_code == 200
        forged = httpx.post(f"{skeleton}/channels/messenger/webhook", content=raw,
                            headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
        assert forged.status_code == 403
        calls = httpx.get(f"{platform}/_calls").json()
        assert [recipient for recipient, _, _ in calls] == ["psid-1"]
        first = httpx.post(f"{skeleton}/webchat/api/messages", json={"session": "s", "text": "hi", "message_id": "w1"})
        again = httpx.post(f"{skeleton}/webchat/api/messages", json={"session": "s", "text": "hi", "message_id": "w1"})
        assert len(first.json()["replies"]) == 1 and again.json()["replies"] == []
