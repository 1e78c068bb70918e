"""Payments in chat on the platforms, end to end over HTTP (issue #12): Telegram answers masked (the figures in the
chat, account numbers masked) in Polish; Messenger is link_only: neither the confirmation nor its figures enter
the platform's chat, the customer checks and confirms on the secure page, then authorises at the bank."""

from __future__ import annotations

import json
import re

import httpx

from sarraf.banks.sandbox_login import complete_sandbox_login, complete_sandbox_sca
from tests.channels.fake_platform import fixture
from tests.channels.test_gateway_channels import (
    TG_SECRET,
    World,
    _link,
    _messenger_text,
    _signed,
    _telegram_text,
    world,  # noqa: F401  (the module-scoped gateway with every platform)
)

KASIA_IBAN = "PL61109010140000071219812874"


async def test_telegram_pays_masked_in_polish(world: World, http: httpx.AsyncClient) -> None:  # noqa: F811
    world.fake.calls.clear()
    headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    path = world.url + "/channels/telegram/webhook"
    said = _telegram_text(501, 8101, "przelej 12,34 zł Kasi za obiad", "pl")
    assert (await http.post(path, json=said, headers=headers)).status_code == 200
    ((login,),) = world.fake.calls[-1].body["reply_markup"]["inline_keyboard"]
    await _link(http, login["url"], "sandbox-pl-1")
    confirmation = world.fake.calls[-1].body
    text = confirmation["text"]
    assert "12,34" in text and "Katarzyna Nowak" in text and "obiad" in text and "2874" in text, text
    assert KASIA_IBAN not in json.dumps(confirmation)  # masked: the payee's account number never in full
    buttons = [b for row in confirmation["reply_markup"]["inline_keyboard"] for b in row]
    confirm = next(b["callback_data"] for b in buttons if b.get("callback_data", "").startswith("pay:confirm:"))
    query = fixture("telegram_updates.json")["callback_query"]
    query["update_id"] = 502
    query["callback_query"]["message"]["chat"]["id"] = 8101
    query["callback_query"]["data"] = confirm
    assert (await http.post(path, json=query, headers=headers)).status_code == 200
    authorise = world.fake.calls[-1].body
    start = next(b["url"] for row in authorise["reply_markup"]["inline_keyboard"] for b in row
                 if "/pay/start/" in b.get("url", ""))
    redirect = await complete_sandbox_sca(http, start, username="sandbox-pl-1")
    assert (await http.get(redirect)).status_code == 200
    told = world.fake.calls[-1].body["text"]
    assert told.startswith("Wysłano: 12,34") and "Katarzyna Nowak" in told, told


async def test_messenger_confirms_only_on_the_secure_page(
        world: World, http: httpx.AsyncClient,  # noqa: F811
) -> None:
    world.fake.calls.clear()
    raw, headers = _signed(_messenger_text("7101", "m_pay_1", "send £6.42 to Alice Smith for dinner"))
    assert (await http.post(world.url + "/channels/messenger/webhook", content=raw, headers=headers)).status_code == 200
    (button,) = world.fake.calls[-1].body["message"]["attachment"]["payload"]["buttons"]
    messenger_return = "https://www.facebook.com/messenger_platform/account_linking/?account_linking_token=T0K"
    opened = httpx.URL(button["url"], params={"redirect_uri": messenger_return, "account_linking_token": "T0K"})
    back = await http.get(await complete_sandbox_login(http, str(opened), username="sandbox-en-1"))
    assert back.status_code == 303
    in_chat = json.dumps([c.body for c in world.fake.calls], ensure_ascii=False)
    assert "6.42" not in in_chat and "Alice" not in in_chat and "dinner" not in in_chat, in_chat
    page_url = next(b["url"] for b in world.fake.calls[-1].body["message"]["attachment"]["payload"]["buttons"]
                    if "/secure/" in b.get("url", ""))
    page = await http.get(page_url, follow_redirects=True)
    assert page.status_code == 200 and "£6.42" in page.text and "Alice Smith" in page.text, page.text
    form = re.search(r'action="(/pay/review/[^"]+)"', page.text)
    assert form is not None
    to_bank = await http.post(world.url + form.group(1), data={"decision": "confirm"}, follow_redirects=False)
    assert to_bank.status_code == 303, to_bank.text
    redirect = await complete_sandbox_sca(http, to_bank.headers["location"], username="sandbox-en-1")
    assert (await http.get(redirect)).status_code == 200
    after = json.dumps([c.body for c in world.fake.calls], ensure_ascii=False)
    assert "6.42" not in after and "Alice" not in after, after  # the outcome too stays off the platform
    assert world.fake.calls[-1].body["message"]["text"].startswith("Your payment was sent.")
