"""The held-out YAML splits must stay independent of the training YAML, or their figures mean nothing."""

from __future__ import annotations

import re

import pytest
import yaml

from sarraf.conversation.nlu import paths
from sarraf.conversation.nlu.normalize import normalize_for_model
from sarraf.conversation.nlu.training import (
    datasets,
    evaluate,  # not its test_splits by name: pytest would collect it
    independent,
)

# one- and two-word replies ("yes", "نعم", "dzięki!") are the core vocabulary of affirm/thanks/greeting:
# they must be trained on, and a test split of chat replies cannot avoid them either
CORE_VOCABULARY_MAX_WORDS = 2


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", normalize_for_model(text)))


def test_no_test_line_of_three_or_more_words_is_also_a_training_line() -> None:
    training = {_key(e.text) for e in datasets.repo_examples(datasets.repo_training_files())}
    shared = [
        (path.name, e.text)
        for path in datasets.repo_test_files()
        for e in datasets.read_yaml(path)
        if len(_key(e.text).split()) > CORE_VOCABULARY_MAX_WORDS and _key(e.text) in training
    ]
    assert shared == []


def test_test_splits_are_not_thin() -> None:
    sizes = {path.stem: len(datasets.read_yaml(path)) for path in datasets.repo_test_files()}
    assert all(n >= 80 for name, n in sizes.items() if name.startswith("oos_")), sizes
    assert all(n >= 150 for name, n in sizes.items() if name.startswith("bot_")), sizes


@pytest.mark.slow  # reads and normalises every training and test line (seconds)
def test_independent_splits_are_scored_without_lines_that_are_also_training_lines() -> None:
    """The second author's lines (data/independent/) may coincide with training lines (short natural requests
    do); evaluation drops those, so no figure on an independent split rewards memory."""
    trained = independent.training_keys()
    splits = evaluate.test_splits()
    scored = [e.text for name, examples in splits.items() if name.startswith("indep ") for e in examples]
    assert scored, "no independent split"
    assert [t for t in scored if independent.is_training_line(t, trained)] == []


def test_no_service_dialogue_is_also_one_of_our_training_lines() -> None:
    """bench/service.py scores the dialogues (#13): a question the model was trained on word for word would
    reward memory, so none may be one of our training lines (short natural requests coincide: such a line is
    taken out of training). The bench itself leaves out any that coincide with a public set's line."""
    trained = {independent.line_key(e.text) for e in datasets.repo_examples(datasets.repo_training_files())}
    folder = paths.REPO_ROOT / "data" / "independent" / "service_dialogues"
    questions = [str(item["text"]) for path in sorted(folder.glob("*.yaml"))
                 for item in yaml.safe_load(path.read_text(encoding="utf-8"))]
    assert len(questions) >= 300
    assert [q for q in questions if independent.is_training_line(q, trained)] == []
