"""#17, tenant isolation: with two banks on one gateway, a customer, a platform webhook and a back-office token of
one bank can never read or change the other bank's data. Real gateway over HTTP on 127.0.0.1 (SQLite), both
banks' Messenger pages and Telegram bots configured, their send APIs played by a fake platform.
(Back-office tokens per bank are also covered API by API in tests/integration/test_tenant_tokens.py.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from sarraf.channels.signatures import hub_signature
from sarraf.config import load_settings
from sarraf.web.app import create_app
from sarraf.web.threaded_server import free_port, serve_in_thread
from tests.channels.fake_platform import FakePlatform
from tests.channels.test_gateway_channels import _messenger_text, _telegram_text
from tests.integration.helpers import ChatClient

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_META, ACME_META = "sandbox-meta-secret", "acme-meta-secret"
SANDBOX_TG, ACME_TG = "sandbox-telegram-secret", "acme-telegram-secret"
SANDBOX_OPS, ACME_OPS = "sandbox-back-office-token", "acme-back-office-token"
MONEY = re.compile(r"£\s?\d")


@dataclass
class Two:
    url: str
    fake: FakePlatform


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Two]:
    home = tmp_path_factory.mktemp("tenants")
    fake = FakePlatform()
    with serve_in_thread(fake.app()) as platform:
        agreement = str(ROOT / "src/sarraf/policy/agreements/default.cedar")
        original = (ROOT / "src/sarraf/banks.yaml").read_text().replace("policy/agreements/default.cedar", agreement)
        (home / "banks.yaml").write_text(original.replace("kb/sandbox", str(ROOT / "src/sarraf/kb/sandbox")) + (
            "  - id: acme\n    name: ACME Bank\n    base_url: embedded\n    client_id: sarraf\n"
            f"    client_secret: sandbox-secret\n    agreement: {agreement}\n    default_language: en\n"
            f"    operator_token: {ACME_OPS}\n"
            "    channels:\n"
            f"      messenger: {{app_secret: {ACME_META}, verify_token: v, page_token: acme-page,"
            f" api_url: {platform}}}\n"
            f"      telegram: {{bot_token: '9:ACME', secret_token: {ACME_TG}, api_url: {platform}}}\n"))
        port = free_port()
        env = {"SARRAF_HOME": str(home), "SARRAF_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'sarraf.db'}",
               "SARRAF_PORT": str(port), "SARRAF_PUBLIC_URL": f"http://127.0.0.1:{port}",
               "SARRAF_BANKS_FILE": str(home / "banks.yaml"), "SARRAF_OPERATOR_TOKEN_SANDBOX": SANDBOX_OPS,
               "SARRAF_MESSENGER_APP_SECRET": SANDBOX_META, "SARRAF_MESSENGER_VERIFY_TOKEN": "v",
               "SARRAF_MESSENGER_PAGE_TOKEN": "sandbox-page", "SARRAF_MESSENGER_API_URL": platform,
               "SARRAF_TELEGRAM_BOT_TOKEN": "8:SANDBOX", "SARRAF_TELEGRAM_SECRET_TOKEN": SANDBOX_TG,
               "SARRAF_TELEGRAM_API_URL": platform}
        with pytest.MonkeyPatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            with serve_in_thread(create_app(load_settings()), port=port) as url:
                yield Two(url, fake)


def _meta(secret: str, body: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    return raw, {"X-Hub-Signature-256": hub_signature(secret, raw), "Content-Type": "application/json"}


async def test_a_customer_linked_at_one_bank_sees_nothing_of_it_at_the_other(two: Two) -> None:
    async with httpx.AsyncClient(timeout=60) as http:
        chat = ChatClient(http, two.url)
        await chat.link(await chat.say("link my account"), "sandbox-en-1")
        mine = " ".join(r["text"] for r in await chat.say("what's my balance?"))
        assert MONEY.search(mine), mine  # linked at the sandbox bank: its balances
        for question in ("what's my balance?", "show my recent transactions", "what did I spend this month?"):
            replies = await chat.say(question, bank="acme")  # the same browser, the other bank's chat
            text = " ".join(r["text"] for r in replies)
            assert not MONEY.search(text) and "Sarraf Sandbox Bank" not in text, text
            assert any(b.get("url") and "/link/start/" in b["url"] for r in replies for b in r["buttons"]), replies
        (summary,) = await chat.say("what data do you hold about me?", bank="acme")
        held = (await http.get(summary["buttons"][0]["url"])).json()
        assert held["bank_links"] == [] and "sandbox" not in json.dumps(held["bank_links"])
        # ... and the sandbox bank's link is intact: the other bank's chat changed nothing.
        assert MONEY.search(" ".join(r["text"] for r in await chat.say("what's my balance?")))


async def test_a_webhook_signed_by_one_banks_page_is_refused_at_the_others(two: Two) -> None:
    async with httpx.AsyncClient(timeout=60, base_url=two.url) as http:
        two.fake.calls.clear()
        for secret, path in ((SANDBOX_META, "/channels/messenger/webhook/acme"),
                             (ACME_META, "/channels/messenger/webhook/sandbox"),
                             (ACME_META, "/channels/messenger/webhook")):
            raw, headers = _meta(secret, _messenger_text("5501", f"m_{path}", "what's my balance?"))
            assert (await http.post(path, content=raw, headers=headers)).status_code == 403, path
        for secret, path in ((SANDBOX_TG, "/channels/telegram/webhook/acme"),
                             (ACME_TG, "/channels/telegram/webhook")):
            refused = await http.post(path, json=_telegram_text(9100, 5502, "what's my balance?", "en"),
                                      headers={"X-Telegram-Bot-Api-Secret-Token": secret})
            assert refused.status_code == 403, path
        assert two.fake.calls == []  # nothing reached a conversation of either bank
        raw, headers = _meta(ACME_META, _messenger_text("5501", "m_own", "hello"))
        assert (await http.post("/channels/messenger/webhook/acme", content=raw, headers=headers)).status_code == 200
        (sent,) = [c for c in two.fake.calls if c.body.get("recipient", {}).get("id") == "5501"][:1]
        assert sent.headers["authorization"] == "Bearer acme-page"  # answered by the bank written to, only


async def test_the_same_platform_user_at_two_banks_is_two_customers(two: Two) -> None:
    """A Messenger user linked at the sandbox bank's page writes to ACME's page: ACME's bot knows nothing."""
    async with httpx.AsyncClient(timeout=60, base_url=two.url) as http:
        two.fake.calls.clear()
        raw, headers = _meta(SANDBOX_META, _messenger_text("5600", "m_s1", "link my account"))
        assert (await http.post("/channels/messenger/webhook", content=raw, headers=headers)).status_code == 200
        raw, headers = _meta(ACME_META, _messenger_text("5600", "m_a1", "what's my balance?"))
        assert (await http.post("/channels/messenger/webhook/acme", content=raw, headers=headers)).status_code == 200
        answers = [c for c in two.fake.calls if c.headers.get("authorization") == "Bearer acme-page"]
        assert answers and not any(MONEY.search(json.dumps(c.body, ensure_ascii=False)) for c in answers)


async def test_a_back_office_token_never_reaches_the_other_banks_customers(two: Two) -> None:
    async with httpx.AsyncClient(timeout=60, base_url=two.url) as http:
        chat = ChatClient(http, two.url)
        await chat.link(await chat.say("link my account"), "sandbox-en-2")
        (summary,) = await chat.say("what data do you hold about me?")
        held = (await http.get(summary["buttons"][0]["url"])).json()
        consent = held["bank_links"][0]["consent_id"]
        path = f"/api/banks/sandbox/consents/{consent}"
        acme = {"Authorization": f"Bearer {ACME_OPS}"}
        assert (await http.get(path, headers=acme)).status_code == 403
        assert (await http.delete(path, headers=acme)).status_code == 403
        # Its own bank's path with the other bank's consent or customer: nothing found, nothing changed.
        assert (await http.get(f"/api/banks/acme/consents/{consent}", headers=acme)).status_code == 404
        assert (await http.delete(f"/api/banks/acme/consents/{consent}", headers=acme)).status_code == 404
        assert (await http.get(path, headers={"Authorization": f"Bearer {SANDBOX_OPS}"})).status_code == 200
        assert MONEY.search(" ".join(r["text"] for r in await chat.say("what's my balance?")))  # still linked
