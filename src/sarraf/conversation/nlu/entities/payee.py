"""Who a transfer goes to: "to John", "do Kasi", "dla mamy", "لأحمد", "إلى محمد".

The words around the name are keyword tables (nlu/data/keywords/<lang>.yml, `payee:`); the text is matched
as typed, since a capital letter tells a name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from sarraf.conversation.nlu.keywords import alternatives, words
from sarraf.conversation.nlu.types import Entity

_NAME = r"[A-ZĄĆĘŁŃÓŚŹŻ][\w'-]+(?:\s[A-ZĄĆĘŁŃÓŚŹŻ][\w'-]+)?"


@dataclass(frozen=True, slots=True)
class _Words:
    """The payee patterns, built once from the keyword tables (nlu/data/keywords/<lang>.yml, `payee:`)."""

    spaced: re.Pattern[str]  # "to John", "dla mamy": a word, then the name or a relative
    not_names: frozenset[str]  # what follows "to" without being a payee ("to my account")
    attached: re.Pattern[str] | None  # «لأحمد», «إلى محمد»: a prefix, then the name in Arabic letters
    not_attached: frozenset[str]  # prefix + word that is no payee («لي», «لكن»)
    not_attached_starts: tuple[str, ...]  # a name starting so is an account («حساب»)


@cache
def _words() -> _Words:
    spaced = re.compile(
        rf"(?:{alternatives('payee.to')})\s+(?:(?:{alternatives('payee.my')})\s+)?"
        rf"(?P<who>{_NAME}|(?i:{alternatives('payee.relatives')})\b)"
    )
    prefixes = alternatives("payee.attached_to")
    attached = re.compile(rf"(?:(?<=\s)|^)(?:{prefixes})(?P<who>[\u0621-\u064a]{{2,}})") if prefixes else None
    return _Words(
        spaced=spaced,
        not_names=frozenset(words("payee.not_names")),
        attached=attached,
        not_attached=frozenset(words("payee.not_attached")),
        not_attached_starts=words("payee.not_attached_starts"),
    )


def find_payee(text: str) -> list[Entity]:
    found = _words()
    for m in found.spaced.finditer(text):
        who = m.group("who")
        if who.lower() not in found.not_names:
            return [Entity("payee", who, who, m.start("who"), m.end("who"))]
    for m in found.attached.finditer(text) if found.attached else ():
        attached, who = m.group(0).strip(), m.group("who")
        if attached not in found.not_attached and not who.startswith(found.not_attached_starts):
            return [Entity("payee", who, who, m.start("who"), m.end("who"))]
    return []
