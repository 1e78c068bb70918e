"""The story files themselves: they parse, cover every flow in every language with at least 40 stories each,
and name only reply keys, intents and categories that exist — a typo there would make a story test nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from sarraf.conversation.flows.alerts import INTENTS as ALERT_INTENTS
from sarraf.i18n.replies import catalog
from tests.stories.ledger import CATEGORY_MCCS, period
from tests.stories.runner import _nlu
from tests.stories.story import LANGS, load, read

FLOWS = ("linking", "balances", "transactions", "spending", "cards", "alerts", "consent", "data_rights", "handoff",
         "out_of_scope", "small_talk")
EFFECTS = {"card", "consent", "alerts", "handoff", "erased"}


def test_each_language_has_forty_stories_over_every_flow() -> None:
    stories = load()
    per_lang = Counter(s.lang for s in stories)
    assert all(per_lang[lang] >= 40 for lang in LANGS), per_lang
    for lang in LANGS:
        flows = {s.flow for s in stories if s.lang == lang}
        assert set(FLOWS) <= flows, f"{lang} lacks {set(FLOWS) - flows}"
        assert flows & {"typos", "dialects"}, f"{lang} has no typo or dialect stories"


def test_every_name_in_a_story_exists() -> None:
    keys = set(catalog().messages["en"])
    intents = set(_nlu().intents) | ALERT_INTENTS
    for story in load(include_awaiting=True):
        for step in story.steps:
            where = f"{story.path}: {story.name}"
            assert set(step.reply) | set(step.not_reply) <= keys, where
            assert step.intent is None or step.intent in intents, f"{where}: no intent {step.intent}"
            assert set(step.effect) <= EFFECTS, where
            spending = step.figures.get("spending")
            if spending:
                assert spending.get("category") in (None, *CATEGORY_MCCS), where
                assert period(spending["period"], date(2026, 1, 15)), where


def test_unknown_keys_and_steps_without_a_message_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "en"
    folder.mkdir()
    bad = folder / "bad.yaml"
    bad.write_text("stories:\n  - story: x\n    steps:\n      - user: hi\n        replies: greeting\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        read(bad)
    bad.write_text("stories:\n  - story: x\n    steps:\n      - intent: greeting\n", encoding="utf-8")
    with pytest.raises(ValueError, match="one of `user`, `press` or `login`"):
        read(bad)
