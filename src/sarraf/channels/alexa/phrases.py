"""What the Alexa skill says about things a voice cannot show: links, cards and choices.

The sentences are the catalogue's `alexa_*` entries (conversation/replies/channel_phrases.<lang>.yaml), so a
new language brings them with its other replies."""

from __future__ import annotations

from sarraf.conversation.replies import catalog


def phrase(lang: str, key: str, **values: str) -> str:
    return catalog().as_written(lang, f"alexa_{key}", **values)
