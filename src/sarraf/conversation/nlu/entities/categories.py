"""Spending categories named in a message, mapped onto the bank connector's categories."""

from __future__ import annotations

import re

from sarraf.conversation.nlu.entities.fold import fold
from sarraf.conversation.nlu.types import Entity

# word-initial stems on folded text (fold.py): Polish inflects, so "jedzeni" covers jedzenie/jedzeniu
_STEMS: dict[str, tuple[str, ...]] = {
    "food": (
        "food",
        "grocer",
        "restaurant",
        "eating out",
        "takeaway",
        "lunch",
        "dinner",
        "coffee",
        "cafe",
        "jedzeni",
        "spozywcz",
        "restaurac",
        "obiad",
        "kaw",
        "zywnosc",
        "jedzenie na miescie",
        "طعام",
        "الطعام",
        "اكل",
        "الاكل",
        "عالاكل",
        "مطاعم",
        "المطاعم",
        "مطعم",
        "الماكله",
        "ماكله",
        "بقاله",
    ),
    "transport": (
        "transport",
        "uber",
        "taxi",
        "taxis",
        "bolt",
        "bus",
        "train",
        "fuel",
        "petrol",
        "parking",
        "paliw",
        "taksowk",
        "komunikac",
        "bilet",
        "benzyn",
        "مواصلات",
        "المواصلات",
        "عالمواصلات",
        "تاكسي",
        "بنزين",
        "النقل",
        "اوبر",
    ),
    "shopping": (
        "shopping",
        "clothes",
        "amazon",
        "ubrani",
        "ciuch",
        "zakupy",
        "zakupach",
        "allegro",
        "تسوق",
        "التسوق",
        "ملابس",
        "الملابس",
        "مشتريات",
    ),
    "utilities": (
        "bills",
        "utilit",
        "electric",
        "water bill",
        "gas bill",
        "internet bill",
        "rachunki",
        "rachunkach",
        "oplaty",
        "prad",
        "فواتير",
        "الفواتير",
        "كهرباء",
        "الكهرباء",
    ),
    "entertainment": (
        "entertainment",
        "cinema",
        "movies",
        "games",
        "concert",
        "rozrywk",
        "kino",
        "koncert",
        "ترفيه",
        "الترفيه",
        "سينما",
        "السينما",
        "العاب",
        "الالعاب",
    ),
    "health": (
        "health",
        "pharmac",
        "doctor",
        "medic",
        "dentist",
        "zdrowi",
        "aptek",
        "lekarz",
        "leki",
        "صحه",
        "الصحه",
        "صيدليه",
        "الصيدليه",
        "دكتور",
        "دواء",
        "الادويه",
        "طبيب",
    ),
    "travel": (
        "travel",
        "flights",
        "hotel",
        "holiday",
        "podroz",
        "wakacj",
        "hotel",
        "loty",
        "سفر",
        "السفر",
        "طيران",
        "الطيران",
        "فندق",
        "فنادق",
        "رحلات",
    ),
    "subscriptions": (
        "subscription",
        "netflix",
        "spotify",
        "subskrypc",
        "abonament",
        "اشتراك",
        "الاشتراكات",
        "اشتراكات",
    ),
    "cash": ("cash withdraw", "atm", "gotowk", "bankomat", "كاش", "الكاش", "نقدي", "الصراف"),
    "transfers": ("transfers", "przelewy", "przelewach", "تحويلات", "التحويلات"),
}


def _alternation(stems: tuple[str, ...]) -> str:
    return "|".join(re.escape(fold(s)) for s in sorted(stems, key=len, reverse=True))


_PATTERN = re.compile(
    "|".join(rf"(?P<{cat}>(?<![^\W\d_])(?:{_alternation(stems)})[^\W\d_]*)" for cat, stems in _STEMS.items())
)
CATEGORIES = (*_STEMS, "other")


def find_categories(text: str, folded: str) -> list[Entity]:
    out: list[Entity] = []
    for m in _PATTERN.finditer(folded):
        category = m.lastgroup or "other"
        out.append(Entity("category", category, text[m.start() : m.end()], m.start(), m.end()))
    return out
