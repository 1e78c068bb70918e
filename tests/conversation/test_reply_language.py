"""The language a customer is answered in follows what they write, but not on a word every language types:
someone who has written English all along and then sends "card" or "limit" is still answered in English
(the naive Bayes once read those as Arabizi), while a clear sentence in another language switches."""

from __future__ import annotations

from sarraf.bootstrap import Container
from sarraf.channels import terminal


async def _lang_after(container: Container, sender: str, *texts: str) -> str:
    tenant = next(iter(container.banks))
    for text in texts:
        await container.conversation.handle(tenant, terminal.inbound(sender, text))
    customer = await container.customers.identify(tenant, terminal.NAME, sender)
    assert customer.lang is not None
    return customer.lang


async def test_a_word_every_language_types_keeps_english(container: Container) -> None:
    assert await _lang_after(container, "lang-1", "what's my balance", "card") == "en"
    assert await _lang_after(container, "lang-1", "fraud") == "en"


async def test_an_ordinal_is_not_arabizi(container: Container) -> None:
    assert await _lang_after(container, "lang-2", "hello there", "what did I spend since the 3rd") == "en"


async def test_a_clear_sentence_in_polish_switches_and_a_shared_word_then_keeps_polish(container: Container) -> None:
    assert await _lang_after(container, "lang-3", "what's my balance", "jakie mam saldo na koncie") == "pl"
    assert await _lang_after(container, "lang-3", "limit") == "pl"


async def test_arabizi_switches_an_english_conversation(container: Container) -> None:
    assert await _lang_after(container, "lang-4", "what's my balance", "3ayez a7awel flous") == "ar"
