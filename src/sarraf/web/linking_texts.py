"""What the account-linking pages (and the chat, after a login) say about whose chat a login belongs to and
what the bank granted: the catalogue's `linkpage_*` entries (i18n/replies/linking_pages.<lang>.yaml)."""

from __future__ import annotations

from collections.abc import Iterable

from sarraf.channels.registry import PLATFORMS
from sarraf.i18n.replies import catalog

CHANNEL_NAMES = {**{platform.name: platform.capabilities.title for platform in PLATFORMS},
                 "webchat": "web", "terminal": "terminal"}


def text(lang: str, key: str, **values: str) -> str:
    return catalog().as_written(lang, f"linkpage_{key}", **values)


def listed(lang: str, names: Iterable[str]) -> str:
    return text(lang, "and").join(text(lang, name) for name in sorted(names))


def masked_identity(sender: str) -> str:
    """The last four characters of the chat's platform id, the rest hidden. We keep no display names
    (minimisation), so this is what we can show: on WhatsApp it is the end of the person's own phone number,
    elsewhere an id the page shows beside the platform's name so that a stranger's chat stands out."""
    own = sender.rsplit(":", 1)[-1]
    tail = own[-4:] if len(own) > 6 else own[-2:]
    return f"…{tail}"
