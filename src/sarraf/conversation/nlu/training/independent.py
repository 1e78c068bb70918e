"""Test lines written by a second author who saw only the intent descriptions, never the training lines.

They live in data/independent/ exactly as delivered (see the README there) and only evaluation reads them:
this module is deliberately not among the inputs hashed into the artifact, since nothing here shapes training.

- ``bot_<lang>.yaml``: intent -> list of lines, out_of_scope included;
- ``dialect_<name>.yaml``: a list of ``{text, intent}`` with BANKING77 labels, in one Arabic dialect.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sarraf.conversation.nlu.normalize import normalize_for_model
from sarraf.conversation.nlu.paths import INDEPENDENT_DATA_DIR
from sarraf.conversation.nlu.training import datasets
from sarraf.conversation.nlu.training.datasets import Example

# one- and two-word replies ("yes", "نعم") are core vocabulary both authors must share
CORE_VOCABULARY_MAX_WORDS = 2


def line_key(text: str) -> str:
    return " ".join(re.findall(r"\w+", normalize_for_model(text)))


def training_keys() -> set[str]:
    """Every training line (repo YAML and public sets), as compared with test lines."""
    public = datasets.banking77("train") + datasets.arbanking77("train") + datasets.arbanking77("val")
    return {line_key(e.text) for e in [*datasets.repo_examples(datasets.repo_training_files()), *public]}


def is_training_line(text: str, trained: set[str]) -> bool:
    key = line_key(text)
    return len(key.split()) > CORE_VOCABULARY_MAX_WORDS and key in trained


def independent_test_files() -> list[Path]:
    """The second author's files; empty until they are delivered."""
    return sorted(INDEPENDENT_DATA_DIR.glob("*.yaml"))


def _records(doc: object) -> list[dict[str, object]]:
    """A dialect file's ``{text, intent}`` records: a bare list, or the lists inside a mapping."""
    if isinstance(doc, list):
        return [r for r in doc if isinstance(r, dict) and "text" in r and "intent" in r]
    if isinstance(doc, dict):
        return [r for value in doc.values() for r in _records(value)]
    return []


def read_independent(path: Path) -> list[Example]:
    """Every line of one file as the author wrote it (nothing filtered or corrected)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    source = f"independent_{path.stem}"
    if path.stem.startswith("dialect_"):
        return [Example(str(r["text"]).strip(), str(r["intent"]).strip(), "ar", source) for r in _records(doc)]
    lang = path.stem.rsplit("_", 1)[-1]
    return [
        Example(str(line).strip(), str(intent).strip(), lang, source)
        for intent, lines in (doc if isinstance(doc, dict) else {}).items()
        if isinstance(lines, list)
        for line in lines
        if str(line).strip()
    ]
