"""A line the model reads the same way (after normalisation: case, letter variants, elongation) must not be
taught two intents: "kkkkkkkk" (a Polish keyboard mash written as out of scope) reads as "k", which the
English files teach as affirm. One of the two labels is wrong, and the model can only learn noise from it."""

from __future__ import annotations

from collections import defaultdict

from sarraf.conversation.nlu.training import datasets
from sarraf.conversation.nlu.training.independent import line_key


def test_no_training_line_is_taught_two_intents() -> None:
    taught: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for e in datasets.repo_examples(datasets.repo_training_files()):
        taught[line_key(e.text)].add((e.intent, e.source))
    conflicts = {key: sorted(labels) for key, labels in taught.items() if len({i for i, _ in labels}) > 1}
    assert conflicts == {}
