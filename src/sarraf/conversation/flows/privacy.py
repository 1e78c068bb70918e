"""The customer's data rights in chat: "what do you hold about me?" (a download link), "delete my data" (asked
once more, then erased) and "who has seen my data?" — their own list of every decision about their data,
behind a secure link.

The intent model is not retrained for it (another piece of work owns the NLU): a small phrase rule recognises the
question in English, Polish and Arabic before the model is asked. Also the hooks the agents' console gives the
engine, so the engine needs no import of the console."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Protocol

from sarraf.conversation.context import CONFIRM_ERASE
from sarraf.conversation.nlu.keywords import words
from sarraf.conversation.ports import Consents, DataRights, SecureLinks
from sarraf.conversation.saying import say
from sarraf.conversation.turn import Turn
from sarraf.domain.messages import Button, Outbound
from sarraf.i18n.replies import catalog, format_date

PRIVACY_VIEW = "privacy"



@cache
def _who_saw() -> tuple[re.Pattern[str], ...]:
    """ "Who has seen my data?" in each language: keyword tables (nlu/data/keywords/<lang>.yml, `privacy:`),
    matched on _fold()ed text: who (has) seen / kto widział / من اطلع على ... my data / moje dane / بياناتي."""
    return tuple(re.compile(pattern) for pattern in words("privacy.who_saw"))


_ARABIC_MARKS = re.compile(r"[\u064B-\u0652\u0670\u0640]")  # harakat, shadda, dagger alef, tatweel


def _fold(text: str) -> str:
    text = _ARABIC_MARKS.sub("", text.lower())
    text = text.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").replace("ى", "ي")
    # Polish letters without their marks, so "kto widzial" (typed on a phone without them) matches too
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text.replace("ł", "l"))
                   if not unicodedata.combining(ch) or "\u0600" <= ch <= "\u06ff")
    return re.sub(r"[^\w\s]", " ", text)


def asks_who_saw_my_data(text: str) -> bool:
    folded = _fold(text)
    return any(p.search(folded) for p in _who_saw())


def privacy_link(lang: str, bank: str, links: SecureLinks, tenant: str, customer_id: str) -> Outbound:
    c = catalog()
    url = links.issue(tenant, customer_id, PRIVACY_VIEW, None, None)
    text = c.text(lang, "privacy_link", bank=bank,
                  validity=c.text(lang, "minutes_count", count=links.ttl_minutes))
    return Outbound(text, lang, buttons=(Button(c.text(lang, "privacy_button"), url=url),))


class PrivacyFlow:
    def __init__(self, data_rights: DataRights, consents: Consents, links: SecureLinks) -> None:
        self._data_rights = data_rights
        self._consents = consents
        self._links = links

    def who_saw(self, turn: Turn) -> list[Outbound]:
        return [privacy_link(turn.lang, turn.bank, self._links, turn.tenant, turn.customer_id)]

    async def show_my_data(self, turn: Turn) -> list[Outbound]:
        c = catalog()
        held = await self._data_rights.export(turn.customer_id)
        link = await self._consents.link_of(turn.tenant, turn.customer_id)
        if link is not None and link.usable():
            expiry = format_date(link.expires_at, turn.lang) if link.expires_at else "—"
            linked = c.text(turn.lang, "my_data_linked", bank=turn.bank, date=expiry)
        else:
            linked = c.text(turn.lang, "my_data_not_linked")
        url = self._links.issue(turn.tenant, turn.customer_id, "export", None, None)
        text = c.text(
            turn.lang,
            "my_data",
            channels=c.text(turn.lang, "my_data_channels", count=len(held["channels"])),
            link=linked,
            validity=c.text(turn.lang, "minutes_count", count=self._links.ttl_minutes),
        )
        return [Outbound(text, turn.lang, buttons=(Button(c.text(turn.lang, "download_my_data"), url=url),))]

    async def ask_before_erasing(self, turn: Turn) -> list[Outbound]:
        turn.memory.pending = CONFIRM_ERASE
        return [say(turn, "erase_confirm", confirm_erase=True)]

    async def erase(self, turn: Turn) -> list[Outbound]:  # the button on the confirmation, or a yes typed to it
        await self._consents.revoke(turn.tenant, turn.customer_id)
        await self._data_rights.erase(turn.customer_id)
        turn.memory.question = None  # nothing of the conversation outlives the erasure
        return [say(turn, "erased")]


class AgentHooks(Protocol):
    """What the engine asks the agents' console (console/desk.py) around a turn."""

    async def agent_owns(self, tenant: str, customer_id: str, channel: str, sender: str, text: str) -> bool: ...

    async def after_turn(self, tenant: str, customer_id: str, channel: str, sender: str, text: str,
                         replies: list[Outbound]) -> None: ...
