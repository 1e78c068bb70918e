"""The banks file names a bank once or per language; a malformed name is refused with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarraf.config import ConfigError, load_banks

BANK = """banks:
  - id: acme
    client_id: c
    client_secret: s
    default_language: {default}
    name: {name}
"""


def _load(tmp_path: Path, name: str, default: str = "pl") -> object:
    path = tmp_path / "banks.yaml"
    path.write_text(BANK.format(name=name, default=default), encoding="utf-8")
    return load_banks(path)["acme"].name


def test_one_name_reads_the_same_in_every_language(tmp_path: Path) -> None:
    name = _load(tmp_path, "ACME Bank")
    assert name == "ACME Bank" and name.in_lang("ar") == "ACME Bank"  # type: ignore[attr-defined]


def test_names_per_language(tmp_path: Path) -> None:
    name = _load(tmp_path, "{en: ACME Bank, pl: Bank ACME, ar: بنك أكمي}")
    assert name.in_lang("ar") == "بنك أكمي" and name.in_lang("en") == "ACME Bank"  # type: ignore[attr-defined]
    assert name == "Bank ACME"  # the bank's default language names it where no language applies


def test_a_language_left_out_reads_the_default_languages_name(tmp_path: Path) -> None:
    name = _load(tmp_path, "{en: ACME Bank, ar: بنك أكمي}", default="ar")
    assert name.in_lang("pl") == "بنك أكمي"  # type: ignore[attr-defined]
    assert _load(tmp_path, "{ar: بنك أكمي, pl: Bank ACME}", default="en") == "بنك أكمي"  # no English: the first given


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("{en: ACME, de: ACME GmbH}", "unknown languages ['de']"),
        ("{en: ACME, ar: ''}", "name is empty for ar"),
        ("''", "name is empty"),
        ("[ACME]", "name must be a string or a mapping"),
        ("{}", "name must be a string or a mapping"),
    ],
)
def test_malformed_names_are_refused_with_the_reason(tmp_path: Path, name: str, reason: str) -> None:
    with pytest.raises(ConfigError) as refused:
        _load(tmp_path, name)
    assert "bank #1" in str(refused.value) and reason in str(refused.value)
