"""Every bot intent needs enough, unambiguous training lines and a test split big enough to measure it."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from sarraf.conversation.nlu.normalize import normalize_for_model
from sarraf.conversation.nlu.taxonomy import BOT_INTENTS as TAXONOMY
from sarraf.conversation.nlu.training import datasets

LANGUAGES = ("ar", "en", "pl")
BOT_INTENTS = TAXONOMY - {"out_of_scope"}  # out-of-scope lines have their own files and tests
# below ~60 lines per language an intent's minimal pairs (freeze/unfreeze, link/unlink) are not separable
MIN_TRAINING_LINES = 60
MIN_TEST_LINES_PER_INTENT = 15
MIN_TEST_SPLIT = 300


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", normalize_for_model(text)))


def test_every_bot_intent_has_enough_training_lines_in_every_language() -> None:
    counts = Counter(
        (e.lang, e.intent) for e in datasets.repo_examples(datasets.repo_training_files()) if e.intent in BOT_INTENTS
    )
    thin = {(lang, intent): counts[lang, intent] for lang in LANGUAGES for intent in BOT_INTENTS}
    assert {k: n for k, n in thin.items() if n < MIN_TRAINING_LINES} == {}


def test_no_training_line_is_labelled_with_two_intents() -> None:
    labels: dict[str, set[str]] = defaultdict(set)
    for e in datasets.repo_examples(datasets.repo_training_files()):
        labels[_key(e.text)].add(e.intent)
    assert {text: intents for text, intents in labels.items() if len(intents) > 1} == {}


def test_bot_test_splits_cover_every_intent_in_every_language() -> None:
    for lang in LANGUAGES:
        examples = datasets.read_yaml(datasets.TEST_DATA_DIR / f"bot_{lang}.yml")
        per_intent = Counter(e.intent for e in examples)
        assert len(examples) >= MIN_TEST_SPLIT, (lang, len(examples))
        assert {i: per_intent[i] for i in BOT_INTENTS if per_intent[i] < MIN_TEST_LINES_PER_INTENT} == {}, lang
