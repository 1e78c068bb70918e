"""Who a transfer goes to: "to John", "do Kasi", "dla mamy", "لأحمد", "إلى محمد"."""

from __future__ import annotations

import re

from sarraf.conversation.nlu.types import Entity

_RELATIVES = (
    r"mum|mom|dad|mother|father|brother|sister|wife|husband|friend|landlord|son|daughter|"
    r"mamy|mamie|taty|tacie|brata|bratu|siostry|siostrze|zony|zonie|meza|mezowi|kolegi|koledze|"
    r"kolezanki|kolezance|syna|synowi|corki|corce|wlasciciela|wlascicielowi"
)
_NAME = r"[A-ZĄĆĘŁŃÓŚŹŻ][\w'-]+(?:\s[A-ZĄĆĘŁŃÓŚŹŻ][\w'-]+)?"
_LATIN = re.compile(
    rf"(?:\bto|\bdo|\bdla|\bpay|\bzaplac|\bzapłać|\bprzelej|\bwyslij|\bwyślij|\bprzekaz|\bprzekaż)"
    rf"\s+(?:my\s+|mojej\s+|mojego\s+|mojemu\s+)?(?P<who>{_NAME}|(?i:{_RELATIVES})\b)"
)
_ARABIC_SKIP = {"لي", "لو", "لما", "لك", "لا", "لحساب", "لان", "للحساب", "لكن", "لهذا", "لدي"}
_ARABIC = re.compile(r"(?:(?<=\s)|^)(?:(?:الى|إلى|لـ)\s*|ل(?!ل))(?P<who>[\u0621-\u064a]{2,})")


def find_payee(text: str) -> list[Entity]:
    for m in _LATIN.finditer(text):
        who = m.group("who")
        if who.lower() not in {"my", "the", "account"}:
            return [Entity("payee", who, who, m.start("who"), m.end("who"))]
    for m in _ARABIC.finditer(text):
        if m.group(0).strip() not in _ARABIC_SKIP and not m.group("who").startswith("حساب"):
            return [Entity("payee", m.group("who"), m.group("who"), m.start("who"), m.end("who"))]
    return []
