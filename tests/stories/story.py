"""Conversation stories: the YAML format (documented in tests/stories/README.md) read into plain objects.

A file holds the stories of one flow in one language; its folder names the language. Files under
`awaiting/<lang>/` describe the correct behaviour of something being fixed elsewhere: pytest does not collect
them, `sarraf test stories --include-awaiting` runs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).parent
LANGS = ("en", "pl", "ar")
CUSTOMERS = {"en": "sandbox-en-1", "pl": "sandbox-pl-1", "ar": "sandbox-ar-1"}
SESSIONS = ("shared", "fresh", "unlinked")
STEP_KEYS = {"user", "press", "login", "intent", "reply", "not_reply", "says", "not_says", "buttons", "login_button",
             "figures", "effect"}
STORY_KEYS = {"story", "steps", "session", "given", "customer"}
FILE_KEYS = {"flow", "customer", "stories"}


@dataclass(frozen=True)
class Step:
    user: str | None = None  # what the customer types
    press: str | None = None  # or the payload of a button the previous reply offered
    login: bool = False  # or: follow the login button of the previous reply and sign in at the bank
    intent: str | None = None
    reply: tuple[str, ...] = ()  # reply keys of the catalogue, each matched by one message
    not_reply: tuple[str, ...] = ()  # reply keys no message may read as
    says: tuple[str, ...] = ()  # words every bit of which must appear (case-insensitive)
    not_says: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()  # payloads the reply must offer
    login_button: bool = False
    figures: dict[str, Any] = field(default_factory=dict)
    effect: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Story:
    name: str
    lang: str
    flow: str
    customer: str
    steps: tuple[Step, ...]
    session: str = "shared"  # shared: the customer's linked chat; fresh: a new chat, linked; unlinked: new, unlinked
    given: dict[str, Any] = field(default_factory=dict)
    awaiting: bool = False
    path: str = ""

    @property
    def id(self) -> str:
        slug = re.sub(r"[\W_]+", "-", self.name.lower()).strip("-")
        return f"{self.lang}/{self.flow}/{slug}"


def load(include_awaiting: bool = False, awaiting_only: bool = False, lang: str | None = None) -> list[Story]:
    roots = [] if awaiting_only else [HERE / code for code in LANGS]
    if include_awaiting or awaiting_only:
        roots += [HERE / "awaiting" / code for code in LANGS]
    stories = [s for root in roots if root.is_dir() for f in sorted(root.glob("*.yaml")) for s in read(f)]
    seen: set[str] = set()
    for story in stories:
        if story.id in seen:
            raise ValueError(f"{story.path}: two stories are called {story.id}")
        seen.add(story.id)
    return [s for s in stories if lang is None or s.lang == lang]


def read(path: Path) -> list[Story]:
    doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    _only(doc, FILE_KEYS, path)
    lang = path.parent.name
    if lang not in LANGS:
        raise ValueError(f"{path}: stories live in a folder named after their language {LANGS}")
    awaiting = path.parent.parent.name == "awaiting"
    flow = str(doc.get("flow") or path.stem)
    out = []
    for raw in doc["stories"]:
        _only(raw, STORY_KEYS, path)
        session = raw.get("session", "shared")
        if session not in SESSIONS:
            raise ValueError(f"{path}: {raw['story']}: session is one of {SESSIONS}")
        steps = tuple(_step(s, path, raw["story"]) for s in raw["steps"])
        customer = raw.get("customer") or doc.get("customer") or CUSTOMERS[lang]
        out.append(Story(raw["story"], lang, flow, customer, steps, session, raw.get("given") or {}, awaiting,
                         str(path.relative_to(HERE)) if path.is_relative_to(HERE) else str(path)))
    return out


def _step(raw: dict[str, Any], path: Path, story: str) -> Step:
    _only(raw, STEP_KEYS, path)
    if sum(k in raw for k in ("user", "press", "login")) != 1:
        raise ValueError(f"{path}: {story}: each step has one of `user`, `press` or `login`")

    def many(key: str) -> tuple[str, ...]:
        value = raw.get(key) or ()
        return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)

    return Step(raw.get("user"), raw.get("press"), bool(raw.get("login")), raw.get("intent"), many("reply"),
                many("not_reply"), many("says"), many("not_says"), many("buttons"), bool(raw.get("login_button")),
                raw.get("figures") or {}, raw.get("effect") or {})


def _only(raw: Any, allowed: set[str], path: Path) -> None:
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping, got {type(raw).__name__}")
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")
