"""Start-up with knowledge bases (bootstrap_service.knowledge_bases): a bank that opted in (a `service:` block)
must have a complete knowledge base or start-up stops naming every problem; a bank configured without one
starts, and its service questions go to a colleague."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sarraf
from sarraf.bootstrap_service import knowledge_bases
from sarraf.config import DEFAULT_BANKS_FILE, load_banks
from sarraf.kb import KnowledgeBaseError

PACKAGE = Path(sarraf.__file__).parent
AGREEMENT = PACKAGE / "policy" / "agreements" / "default.cedar"


def _bank(bank_id: str, service: str = "") -> str:
    return (f"  - id: {bank_id}\n    name: {bank_id}\n    base_url: embedded\n    client_id: sarraf\n"
            f"    client_secret: s\n    agreement: {AGREEMENT}\n{service}")


def test_the_shipped_banks_file_loads_a_complete_knowledge_base() -> None:
    kbs = knowledge_bases(load_banks(DEFAULT_BANKS_FILE))
    assert set(kbs) == {"sandbox"} and len(kbs["sandbox"].answers) == 77


def test_a_bank_without_a_service_block_starts_and_has_no_answers(tmp_path: Path) -> None:
    banks_file = tmp_path / "banks.yaml"
    banks_file.write_text("banks:\n" + _bank("plain"), encoding="utf-8")
    assert knowledge_bases(load_banks(banks_file)) == {}


def test_a_bank_that_opted_in_with_missing_figures_stops_start_up(tmp_path: Path) -> None:
    banks_file = tmp_path / "banks.yaml"
    service = (f"    service:\n      answers: {PACKAGE / 'kb' / 'sandbox'}\n"
               "      values: {support_phone: '+48 22 000 00 00'}\n")
    banks_file.write_text("banks:\n" + _bank("optedin", service), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=r"(?s)'optedin'.*card_delivery_days"):
        knowledge_bases(load_banks(banks_file))


def test_a_relative_answers_folder_that_is_not_there_is_named(tmp_path: Path) -> None:
    banks_file = tmp_path / "banks.yaml"
    banks_file.write_text("banks:\n" + _bank("moved", "    service:\n      answers: kb/sandbox\n"), encoding="utf-8")
    missing = re.escape(f"answers folder {tmp_path / 'kb' / 'sandbox'} does not exist")
    with pytest.raises(KnowledgeBaseError, match=missing):
        knowledge_bases(load_banks(banks_file))
