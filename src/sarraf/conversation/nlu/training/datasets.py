"""Labelled utterances: the repo's YAML files and the public sets in the repository's data/ folder.

The YAML is Rasa-like: one file per language with ``language:`` and an ``nlu:`` list of
``{intent, examples: "- line"...}`` blocks. The public sets are read as published (CSV, JSON).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from sarraf.conversation.nlu.paths import DATA_DIR, TEST_DATA_DIR, public_data_dir

# NLU++ is multi-label; only its single-label general-dialogue turns map cleanly onto bot intents.
NLUPP_TO_BOT = {
    "affirm": "affirm",
    "deny": "deny",
    "greet": "greeting",
    "end_call": "goodbye",
    "thank": "thanks",
    "handoff": "human_agent",
}


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str
    lang: str
    source: str


def read_yaml(path: Path) -> list[Example]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    lang = doc["language"]
    out: list[Example] = []
    for block in doc["nlu"]:
        for line in str(block["examples"]).splitlines():
            text = line.strip().removeprefix("- ").strip()
            if text:
                out.append(Example(text, block["intent"], lang, path.stem))
    return out


def repo_training_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.yml"))


REPO_SOURCES = frozenset(p.stem for p in repo_training_files())


def repo_test_files() -> list[Path]:
    return sorted(TEST_DATA_DIR.glob("*.yml"))


def public_training_files() -> list[Path]:
    data = public_data_dir()
    return [
        data / "banking77" / "train.csv",
        data / "arbanking77" / "Banking77_Arabized_MSA_PAL_train.csv",
        data / "arbanking77" / "Banking77_Arabized_MSA_PAL_val.csv",
        data / "arbanking77" / "Banking77_intents.csv",
        *sorted((data / "nlupp_banking").glob("fold*.json"), key=lambda p: int(p.stem[4:])),
    ]


def training_files() -> list[Path]:
    """Every file whose content shapes the model (hashed into the artifact to detect staleness)."""
    return [*repo_training_files(), *public_training_files()]


def banking77(split: str) -> list[Example]:
    path = public_data_dir() / "banking77" / f"{split}.csv"
    with path.open(encoding="utf-8") as fh:
        return [Example(r["text"], r["category"], "en", f"banking77_{split}") for r in csv.DictReader(fh)]


def _arabic_label_map() -> dict[str, str]:
    data = public_data_dir()
    categories = json.loads((data / "banking77" / "categories.json").read_text(encoding="utf-8"))
    by_words = {c.lower().replace("_", " "): c for c in categories}
    with (data / "arbanking77" / "Banking77_intents.csv").open(encoding="utf-8") as fh:
        return {r["label_ar"].strip(): by_words[r["label_en"].strip().lower()] for r in csv.DictReader(fh)}


def arbanking77(split: str) -> list[Example]:
    """split: "train" | "val" | "MSA_test" | "PAL_test"."""
    name = {"train": "MSA_PAL_train", "val": "MSA_PAL_val"}.get(split, split)
    labels = _arabic_label_map()
    path = public_data_dir() / "arbanking77" / f"Banking77_Arabized_{name}.csv"
    with path.open(encoding="utf-8") as fh:
        return [
            Example(r["text"], labels[r["label"].strip()], "ar", f"arbanking77_{split}")
            for r in csv.DictReader(fh)
            if r["text"].strip()
        ]


def nlupp_bot_turns() -> list[Example]:
    out: list[Example] = []
    for path in sorted((public_data_dir() / "nlupp_banking").glob("fold*.json")):
        for turn in json.loads(path.read_text(encoding="utf-8")):
            intents = turn.get("intents", [])
            if len(intents) == 1 and intents[0] in NLUPP_TO_BOT:
                out.append(Example(turn["text"], NLUPP_TO_BOT[intents[0]], "en", "nlupp"))
    return out


def repo_examples(paths: Iterable[Path]) -> list[Example]:
    return [ex for path in paths for ex in read_yaml(path)]
