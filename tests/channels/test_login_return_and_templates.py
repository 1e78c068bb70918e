"""The channel side of two platform rules, without a gateway: who takes the browser after a bank login
(channels/login_return.py through the registry), and the shapes of out-of-window templates with buttons."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from sarraf.channels import messenger, whatsapp
from sarraf.channels.login_return import BrowserReturn
from sarraf.channels.messenger import MessengerAccount, MessengerChannel
from sarraf.channels.registry import ChannelSet
from sarraf.channels.telegram import DeepLinks, TelegramAccount, TelegramChannel
from sarraf.channels.webchat import WebChatChannel
from sarraf.channels.whatsapp import template_parameter
from sarraf.channels.window import ServiceWindows
from sarraf.domain.consent import LinkSession
from sarraf.domain.messages import Button, Outbound
from sarraf.store.channel_state import SqlDeepLinkStore, SqlWindowStore
from tests.support.sealing import identities_for_tests

FACEBOOK = "https://www.facebook.com/messenger_platform/account_linking/?account_linking_token=T"


class NoOutbox:
    async def push(self, channel: str, sender: str, payload: dict[str, object]) -> int:
        return 0


def _session(channel: str, return_to: str | None = None) -> LinkSession:
    return LinkSession("st-1", "sandbox", "c-1", channel, "s-1", "consent-1", "v", None, datetime.now(UTC),
                       return_to=return_to)


async def test_each_channel_decides_where_the_browser_goes(engine: AsyncEngine, http: httpx.AsyncClient) -> None:
    page = MessengerChannel({"sandbox": MessengerAccount("sandbox", "s", "v", "t")}, "sandbox", http,
                            ServiceWindows(SqlWindowStore(engine, identities_for_tests()), "messenger"))
    bot = TelegramChannel({"sandbox": TelegramAccount("sandbox", "1:T", "s")}, "sandbox", http,
                          links=DeepLinks(SqlDeepLinkStore(engine)))
    channels = ChannelSet({"webchat": WebChatChannel(NoOutbox()), "messenger": page, "telegram": bot})
    assert channels.login_return("telegram") is None and channels.login_return("whatsapp") is None
    web = channels.login_return("webchat")
    assert web is not None and await web.after_login(_session("webchat")) == BrowserReturn("/?linked=1")
    assert await web.after_login_failure(_session("webchat")) == BrowserReturn("/?linked=0")  # back to the chat
    fb = channels.login_return("messenger")
    assert fb is not None
    assert await fb.after_login(_session("messenger", FACEBOOK)) == BrowserReturn(
        FACEBOOK + "&authorization_code=st-1")
    assert await fb.after_login_failure(_session("messenger", FACEBOOK)) == BrowserReturn(FACEBOOK)
    assert await fb.after_login(_session("messenger")) is None  # linked from a plain URL: our own page

    assert channels.platform_return(FACEBOOK) == FACEBOOK
    assert channels.platform_return("https://m.me.messenger.com/back") == "https://m.me.messenger.com/back"
    for foreign in ("https://evil.example/steal", "http://www.facebook.com/x", "https://facebook.com.evil.io/",
                    None, ""):
        assert channels.platform_return(foreign) is None
    without_messenger = ChannelSet({"webchat": WebChatChannel(NoOutbox())})
    assert without_messenger.platform_return(FACEBOOK) is None  # no running platform could have sent it


def test_out_of_window_templates_carry_every_choice_as_a_button_payload() -> None:
    many = tuple(Button(f"Option {i}", payload=f"intent:x{i}") for i in range(12))
    question = Outbound("Pick one https://gw/secure/t", "pl", quick_replies=many,
                        buttons=(Button("Open", url="https://gw/secure/t"),))
    body = whatsapp.template_message(question, "48500", "plain", "asks")
    assert body["template"]["name"] == "asks" and body["template"]["language"] == {"code": "pl"}
    buttons = body["template"]["components"][1:]
    assert len(buttons) == whatsapp.MAX_TEMPLATE_QUICK_REPLIES  # a template holds at most 10 quick replies
    assert buttons[3] == {"type": "button", "sub_type": "quick_reply", "index": "3",
                          "parameters": [{"type": "payload", "payload": "intent:x3"}]}
    plain = whatsapp.template_message(Outbound("Salary arrived", "ar"), "48500", "plain", "asks")
    assert plain["template"]["name"] == "plain" and len(plain["template"]["components"]) == 1

    utility = messenger.utility_message(question, "plain", "asks")["template"]
    assert utility["name"] == "asks" and utility["language"] == {"code": "pl_PL"}
    assert utility["components"][1] == {"type": "buttons", "parameters": [
        {"type": "POSTBACK", "payload": f"intent:x{i}"} for i in range(3)]}
    chosen = Outbound("Was this you?", "en", quick_replies=many[:2], extra={"choice_template": "fraud_check"})
    assert messenger.utility_message(chosen, "plain", "asks")["template"]["name"] == "fraud_check"
    assert messenger.utility_message(Outbound("Hi", "en"), "plain", "asks")["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Hi"}]}]


@given(st.text(alphabet=st.sampled_from("ab ٣\t\n\r  "), max_size=80))
def test_a_whatsapp_template_parameter_never_holds_new_lines_tabs_or_wide_spaces(text: str) -> None:
    cleaned = template_parameter(text)
    assert "\n" not in cleaned and "\r" not in cleaned and "\t" not in cleaned
    assert "    " not in cleaned and "  " not in cleaned
    assert [w for w in cleaned.replace("·", " ").split() if w] == [w for w in text.split() if w]


def test_a_multi_line_alert_becomes_one_line_in_the_template() -> None:
    assert template_parameter("Card payment\n  £12.00 at Tesco\n\nReply STOP") == (
        "Card payment · £12.00 at Tesco · Reply STOP")
