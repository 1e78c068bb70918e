"""The knowledge base: every service intent answered in ar, pl and en, figures defined, https links, answers short
enough for every channel, one answer overridable without copying the rest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarraf.channels import alexa, messenger, telegram, whatsapp
from sarraf.cli.main import app
from sarraf.config import DEFAULT_BANKS_FILE, load_banks
from sarraf.kb import SERVICE_INTENTS, KnowledgeBaseError, check, load
from sarraf.kb.knowledge import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox_service():  # type: ignore[no-untyped-def]
    return load_banks(DEFAULT_BANKS_FILE)["sandbox"].service


def test_intents_are_the_banking77_labels() -> None:
    labels = json.loads((ROOT / "data" / "banking77" / "categories.json").read_text(encoding="utf-8"))
    assert list(SERVICE_INTENTS) == labels


def test_sandbox_answers_every_intent_in_every_language(sandbox_service) -> None:  # type: ignore[no-untyped-def]
    kb = load("sandbox", sandbox_service.answers, sandbox_service.overrides, sandbox_service.values)
    assert sum(len(kb.answers[i]) for i in SERVICE_INTENTS) == 77 * 3 == 231
    for intent in SERVICE_INTENTS:
        for lang in LANGUAGES:
            text = kb.answer(intent, lang)
            assert text and "{" not in text and "}" not in text, (intent, lang)
    # figures really come from banks.yaml, in the customer's language where they differ
    assert "+44 20 7946 0321" in (kb.answer("lost_or_stolen_phone", "pl") or "")
    assert "يوميًا من 8:00" in (kb.answer("passcode_forgotten", "ar") or "")
    assert "5 dni roboczych" in (kb.answer("card_arrival", "pl") or "")


def test_all_231_answers_fit_every_channel(sandbox_service) -> None:  # type: ignore[no-untyped-def]
    kb = load("sandbox", sandbox_service.answers, sandbox_service.overrides, sandbox_service.values)
    tightest = min(messenger.TEMPLATE_TEXT_LIMIT, whatsapp.BODY_LIMIT, telegram.TEXT_LIMIT, alexa.SPEECH_LIMIT)
    lengths = {(i, lang): len(t) for i, texts in kb.answers.items() for lang, t in texts.items()}
    assert len(lengths) == 231
    too_long = {k: n for k, n in lengths.items() if n > tightest}
    assert not too_long
    # Arabic answers are written in Arabic script, Polish ones use Polish letters somewhere in the set
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in kb.answers[i]["ar"]) for i in SERVICE_INTENTS)
    assert sum(any(ch in "ąćęłńóśźż" for ch in kb.answers[i]["pl"]) for i in SERVICE_INTENTS) > 70


def test_problems_are_all_listed(tmp_path: Path, sandbox_service) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path / "base"
    base.mkdir()
    (base / "card_arrival.yaml").write_text(
        "intent: card_arrival\nen: 'See http://example.com in {card_delivery_days} days, call {nobody}'\n"
        "pl: 'Karta dotrze.'\n", encoding="utf-8")
    (base / "stray.yaml").write_text("intent: not_an_intent\nen: x\n", encoding="utf-8")
    kb, problems = check("b", base, None, {"card_delivery_days": "5"})
    said = [str(p) for p in problems]
    assert "card_arrival [ar]: no answer in this language" in said
    assert "card_arrival [en]: {nobody} has no value in service.values" in said
    assert "card_arrival [en]: link http://example.com is not https" in said
    assert "stray.yaml: 'not_an_intent' is not a service intent" in said
    assert "exchange_rate: no answer" in said
    assert kb.answer("card_arrival", "en") == "See http://example.com in 5 days, call {nobody}"
    with pytest.raises(KnowledgeBaseError, match="problem"):
        load("b", base, None, {})


def test_one_answer_overridden_without_copying_the_rest(tmp_path: Path, sandbox_service) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "exchange_rate.yaml").write_text(
        "intent: exchange_rate\nen: 'Our rates: {help_url}/rates'\n", encoding="utf-8")
    kb = load("acme", sandbox_service.answers, tmp_path, sandbox_service.values)
    assert kb.answer("exchange_rate", "en") == "Our rates: https://help.sandbox.sarraf.dev/rates"
    assert kb.answer("exchange_rate", "pl", ) == load(
        "sandbox", sandbox_service.answers, None, sandbox_service.values).answer("exchange_rate", "pl")
    assert kb.overridden == frozenset({"exchange_rate"}) and len(kb.answers) == 77


def test_lint_reports_what_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = CliRunner().invoke(app, ["kb", "lint", "--bank", "sandbox"])
    assert ok.exit_code == 0, ok.output
    assert "sandbox: 231/231 answers" in ok.output and "0 problem(s)" in ok.output
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "card_arrival.yaml").write_text("intent: card_arrival\nen: 'Soon, {when}.'\n", "utf-8")
    banks = tmp_path / "banks.yaml"
    banks.write_text("banks:\n  - {id: acme, client_id: a, client_secret: s, service: {answers: kb}}\n", "utf-8")
    monkeypatch.setenv("SARRAF_BANKS_FILE", str(banks))
    bad = CliRunner().invoke(app, ["kb", "lint", "--bank", "acme"])
    assert bad.exit_code == 1
    assert "acme: 1/231 answers" in bad.output
    assert "card_arrival [en]: {when} has no value in service.values" in bad.output
    assert "card_arrival [ar]: no answer in this language" in bad.output
    assert "exchange_rate: no answer" in bad.output


def test_titles_are_checked_and_overridable(tmp_path: Path, sandbox_service) -> None:  # type: ignore[no-untyped-def]
    base = tmp_path / "base"
    base.mkdir()
    for intent, title in (("card_arrival", "{en: 'Where is my new card, please?', pl: Karta, ar: بطاقتي}"),
                          ("exchange_rate", "{en: Rates, pl: karta, ar: أسعار الصرف}")):
        (base / f"{intent}.yaml").write_text(f"intent: {intent}\ntitle: {title}\nen: a\npl: b\nar: c\n", "utf-8")
    (base / "top_up_limits.yaml").write_text("intent: top_up_limits\ntitle: Limits\nen: a\npl: b\nar: c\n", "utf-8")
    _, problems = check("b", base, None, {})
    said = [str(p) for p in problems]
    assert "card_arrival [en]: title 'Where is my new card, please?' has 29 characters, more than 20 " \
           "(a Messenger or WhatsApp button)" in said
    assert "exchange_rate [pl]: title 'karta' is also card_arrival's" in said
    assert "top_up_limits: `title:` in top_up_limits.yaml needs a title per language" in said
    # an override may rename one question's button and keep its answer, and the other way round
    (tmp_path / "over").mkdir()
    (tmp_path / "over" / "exchange_rate.yaml").write_text(
        "intent: exchange_rate\ntitle: {en: Our FX rates}\n", encoding="utf-8")
    kb = load("acme", sandbox_service.answers, tmp_path / "over", sandbox_service.values)
    sandbox = load("sandbox", sandbox_service.answers, None, sandbox_service.values)
    assert kb.title("exchange_rate", "en") == "Our FX rates"
    assert kb.title("exchange_rate", "pl") == sandbox.title("exchange_rate", "pl")
    assert kb.answer("exchange_rate", "en") == sandbox.answer("exchange_rate", "en")
