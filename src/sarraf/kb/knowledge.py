"""Loading and checking a bank's knowledge base.

A knowledge base is a folder with one YAML file per service intent — `intent:`, the answer in `en`, `pl` and
`ar`, and `title:`, the question's name per language on the button of "which of these do you mean?" — plus,
optionally, a folder of the bank's own files that replace single intents (an override names its intent and may
give only some languages, or only a title; the rest come from the base). Answers quote the bank's figures
as `{name}`, filled from `service.values` in banks.yaml; a value may differ per language.

`check` lists every problem (a missing intent or language, an undefined figure, a link that is not https,
an answer too long for a channel, a title too long for a button or shared by two questions) so `sarraf kb lint`
can show them all; `load` refuses to start on any.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sarraf.i18n.languages import CODES
from sarraf.kb.intents import SERVICE_INTENTS

LANGUAGES = CODES  # every answer exists in each language Sarraf speaks
# The tightest channel: a Messenger button template's text is at most 640 characters; the answer leaves room
# for nothing else (the "did that help?" buttons are quick replies, outside the text). WhatsApp's 1024-character
# interactive body, Telegram's 4096 and Alexa's 6000 of speech are all looser.
MAX_ANSWER_CHARS = 640
# A title is a button: Messenger quick replies and WhatsApp reply buttons cut theirs at 20 characters.
MAX_TITLE_CHARS = 20
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s)»”\"]+", re.IGNORECASE)
Values = Mapping[str, "str | Mapping[str, str]"]


class KnowledgeBaseError(ValueError):
    """The knowledge base cannot serve: the message lists what is wrong."""


@dataclass(frozen=True, slots=True)
class Problem:
    intent: str
    lang: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.intent} [{self.lang}]" if self.lang else self.intent
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    """Every service answer of one bank, figures filled in: intent → language → text."""

    bank: str
    answers: Mapping[str, Mapping[str, str]]
    overridden: frozenset[str] = frozenset()
    titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # intent → language → button title

    def answer(self, intent: str, lang: str) -> str | None:
        return (self.answers.get(intent) or {}).get(lang)

    def title(self, intent: str, lang: str) -> str | None:
        return (self.titles.get(intent) or {}).get(lang)

    def __contains__(self, intent: object) -> bool:
        return intent in self.answers


Texts = dict[str, dict[str, str]]  # intent → language → text


def _read_folder(folder: Path, problems: list[Problem]) -> tuple[Texts, Texts]:
    """The answers and the titles of one folder."""
    found: Texts = {}
    titles: Texts = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
        except (OSError, yaml.YAMLError) as exc:
            problems.append(Problem(path.name, None, f"unreadable: {exc}"))
            continue
        if not isinstance(raw, dict) or not isinstance(raw.get("intent"), str):
            problems.append(Problem(path.name, None, "needs `intent:` and the answer per language"))
            continue
        intent = raw["intent"]
        if intent not in SERVICE_INTENTS:
            problems.append(Problem(path.name, None, f"{intent!r} is not a service intent"))
            continue
        if intent in found:
            problems.append(Problem(intent, None, f"answered twice (again in {path.name})"))
            continue
        unknown = sorted(str(k) for k in raw if k not in (*LANGUAGES, "intent", "title"))
        if unknown:
            problems.append(Problem(intent, None, f"unknown keys {unknown} in {path.name}"))
        found[intent] = {lang: " ".join(str(raw[lang]).split()) for lang in LANGUAGES if raw.get(lang)}
        title = raw.get("title", {})
        if not isinstance(title, dict):
            problems.append(Problem(intent, None, f"`title:` in {path.name} needs a title per language"))
            continue
        titles[intent] = {lang: " ".join(str(title[lang]).split()) for lang in LANGUAGES if title.get(lang)}
    return found, titles


def _value(values: Values, name: str, lang: str) -> str | None:
    value = values.get(name)
    if isinstance(value, Mapping):
        return value.get(lang) or value.get("en")
    return None if value is None else str(value)


def _fill(text: str, values: Values, lang: str) -> tuple[str, list[str]]:
    """The text with every {name} replaced; the names that have no value (left as written)."""
    out: list[str] = []
    missing: list[str] = []
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        return text, [f"broken placeholder ({exc})"]
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        value = _value(values, name, lang) if not (spec or conversion) and name.isidentifier() else None
        if value is None:
            missing.append(name)
            out.append("{" + name + "}")
        else:
            out.append(value)
    return "".join(out), missing


def check(bank: str, answers: Path, overrides: Path | None, values: Values) -> tuple[KnowledgeBase, list[Problem]]:
    """The knowledge base as far as it can be built, and everything wrong with it."""
    problems: list[Problem] = []
    if not answers.is_dir():
        return KnowledgeBase(bank, {}), [Problem("*", None, f"answers folder {answers} does not exist")]
    base, base_titles = _read_folder(answers, problems)
    replaced: Texts = {}
    replaced_titles: Texts = {}
    if overrides is not None:
        if overrides.is_dir():
            replaced, replaced_titles = _read_folder(overrides, problems)
        else:
            problems.append(Problem("*", None, f"overrides folder {overrides} does not exist"))
    for name, value in values.items():
        if isinstance(value, Mapping) and (odd := sorted(set(value) - set(LANGUAGES))):
            problems.append(Problem("*", None, f"service value {name} has unknown languages {odd}"))
    filled: dict[str, dict[str, str]] = {}
    for intent in SERVICE_INTENTS:
        texts = {**base.get(intent, {}), **replaced.get(intent, {})}
        if not texts:
            problems.append(Problem(intent, None, "no answer"))
            continue
        filled[intent] = {}
        for lang in LANGUAGES:
            if lang not in texts:
                problems.append(Problem(intent, lang, "no answer in this language"))
                continue
            text, missing = _fill(texts[lang], values, lang)
            problems += [Problem(intent, lang, f"{{{m}}} has no value in service.values") for m in missing]
            problems += [Problem(intent, lang, f"link {url} is not https")
                         for url in _URL.findall(text) if not url.lower().startswith("https://")]
            if len(text) > MAX_ANSWER_CHARS:
                problems.append(Problem(intent, lang, f"{len(text)} characters, more than {MAX_ANSWER_CHARS} "
                                                      "(a Messenger template's text)"))
            filled[intent][lang] = text
    titles = {intent: {**base_titles.get(intent, {}), **replaced_titles.get(intent, {})} for intent in filled}
    problems += _title_problems(titles)
    return KnowledgeBase(bank, filled, frozenset(replaced), titles), problems


def _title_problems(titles: Mapping[str, Mapping[str, str]]) -> list[Problem]:
    """A missing title, one too long for a button, or one two questions share (the customer could not tell
    which button is theirs)."""
    problems: list[Problem] = []
    for lang in LANGUAGES:
        seen: dict[str, str] = {}
        for intent, texts in titles.items():
            title = texts.get(lang)
            if not title:
                problems.append(Problem(intent, lang, "no title in this language"))
                continue
            if len(title) > MAX_TITLE_CHARS:
                problems.append(Problem(intent, lang, f"title {title!r} has {len(title)} characters, more than "
                                                      f"{MAX_TITLE_CHARS} (a Messenger or WhatsApp button)"))
            if (other := seen.setdefault(title.casefold(), intent)) != intent:
                problems.append(Problem(intent, lang, f"title {title!r} is also {other}'s"))
    return problems


def load(bank: str, answers: Path, overrides: Path | None, values: Values) -> KnowledgeBase:
    """The bank's knowledge base, or KnowledgeBaseError naming every problem (start-up refuses to serve)."""
    kb, problems = check(bank, answers, overrides, values)
    if problems:
        listed = "\n  ".join(map(str, problems[:20]))
        more = f"\n  … and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise KnowledgeBaseError(f"bank {bank!r}: knowledge base has {len(problems)} problem(s):\n  {listed}{more}")
    return kb
