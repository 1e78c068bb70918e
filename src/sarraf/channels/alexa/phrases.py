"""What the Alexa skill says about things a voice cannot show: links, cards and choices.

The sentences are the catalogue's `alexa_*` entries (i18n/replies/channel_phrases.<lang>.yaml), so a
new language brings them with its other replies."""

from __future__ import annotations

from sarraf.i18n.replies import catalog


def phrase(lang: str, key: str, **values: str) -> str:
    return catalog().as_written(lang, f"alexa_{key}", **values)
