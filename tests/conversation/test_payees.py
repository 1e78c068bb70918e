"""Payee names across Polish inflections and diminutives, Arabic clitics and spelling variants."""

from __future__ import annotations

import pytest

from sarraf.conversation.payees import match_payees

PL = ["Katarzyna Nowak", "Magdalena Kowalska"]
AR = ["أحمد العتيبي", "عمر الحداد"]
EN = ["Alice Smith", "Marie Dubois"]


@pytest.mark.parametrize(("text", "names", "expected"), [
    ("przelej 100 zł Kasi za obiad", PL, ["Katarzyna Nowak"]),
    ("wyślij Kasi 20 zł", PL, ["Katarzyna Nowak"]),
    ("przelej Katarzynie Nowak 50 zł", PL, ["Katarzyna Nowak"]),
    ("przelej Nowakowi 50 zł", PL, ["Katarzyna Nowak"]),
    ("przelej Magdzie 10 zł", PL, ["Magdalena Kowalska"]),
    ("حول ٢٠٠ ريال لأحمد", AR, ["أحمد العتيبي"]),
    ("حول ٢٠٠ ريال لاحمد", AR, ["أحمد العتيبي"]),
    ("send £20 to Alice Smith for dinner", EN, ["Alice Smith"]),
    ("send £20 to alice", EN, ["Alice Smith"]),
    ("send £20 to Bob", EN, []),
    ("send it now to Bob", PL, []),
])
def test_names_found(text: str, names: list[str], expected: list[str]) -> None:
    assert match_payees(text, names) == expected


def test_two_matches_are_both_returned_so_the_flow_asks() -> None:
    names = ["Katarzyna Nowak", "Katarzyna Wiśniewska"]
    assert match_payees("przelej Kasi 20 zł", names) == names
    assert match_payees("przelej Kasi Nowak 20 zł", names) == ["Katarzyna Nowak"]
