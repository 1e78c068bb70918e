"""Fitting text into platform limits without cutting a word (or an Arabic letter cluster) in half."""

from __future__ import annotations

from sarraf.domain.messages import Card


def clip(text: str, limit: int) -> str:
    """At most `limit` characters; an ellipsis marks that something was cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut) + "…"


def chunks(text: str, limit: int) -> list[str]:
    """Split long text into pieces of at most `limit` characters, preferring line and word breaks."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = rest.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces or [""]


def card_text(card: Card) -> str:
    """A card as plain lines, for platforms (or moments) without a richer way to show it."""
    lines = [card.title, *([card.subtitle] if card.subtitle else []), *(f"{ln.label}: {ln.value}" for ln in card.lines)]
    return "\n".join(lines)
