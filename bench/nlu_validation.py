"""Train the NLU in memory from the current data and score it on the bot-intent VALIDATION split.

The validation split (src/sarraf/conversation/nlu/data/validation/) steers data work; the held-out
test split stays untouched so it remains an honest final measure. Nothing is written to disk: the
shipped model.npz is left alone (the lead retrains it).

    .venv/bin/python bench/nlu_validation.py          # one fit (~1 min); calibration of model.npz reused
    .venv/bin/python bench/nlu_validation.py --full   # the whole training pipeline, calibration too (~25 min)
    .venv/bin/python bench/nlu_validation.py --top 40 --examples 4

The fast mode refits the classifier and language id but keeps the shipped temperature and
out-of-scope thresholds, so its false-accept figure is close to, not equal to, a real retrain.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from sarraf.conversation.nlu import artifact
from sarraf.conversation.nlu.model import OUT_OF_SCOPE, Nlu
from sarraf.conversation.nlu.normalize import normalize_for_model
from sarraf.conversation.nlu.paths import DATA_DIR
from sarraf.conversation.nlu.training import datasets, train
from sarraf.conversation.nlu.training.datasets import Example

VALIDATION_DIR = DATA_DIR / "validation"
LANGUAGES = ("ar", "en", "pl")
# one- and two-word replies ("yes", "dzięki") are core vocabulary and may legitimately appear in both
CORE_VOCABULARY_MAX_WORDS = 2


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", normalize_for_model(text)))


def validation_examples() -> list[Example]:
    paths = sorted(VALIDATION_DIR.glob("*.yml"))
    if not paths:
        raise SystemExit(f"no validation files in {VALIDATION_DIR}")
    return datasets.repo_examples(paths)


def assert_not_training(validation_dir: Path) -> None:
    """The validation folder must never be picked up as training data."""
    leaked = [p for p in datasets.repo_training_files() if validation_dir in p.parents]
    if leaked:
        raise SystemExit(f"validation files are read as training data: {leaked}")


def leaked_lines(validation: list[Example]) -> list[str]:
    training = {_key(e.text) for e in datasets.repo_examples(datasets.repo_training_files())}
    return [
        e.text for e in validation if len(_key(e.text).split()) > CORE_VOCABULARY_MAX_WORDS and _key(e.text) in training
    ]


def fast_model(console: Console) -> Nlu:
    """One fit on all training data; calibration (temperature, thresholds) taken from the shipped artifact."""
    shipped = artifact.load()
    data = train.load_training_set()
    console.print(f"training on {len(data.examples)} examples (fast mode: one fit)")
    fitted = train.fit_model(data.texts, data.labels, data.weights)
    lid_vocab, lid_log_prob, lid_prior, lid_classes = train.fit_langid(data.examples)
    lid_classes = lid_classes.astype(str)
    # a language id class set that differs from the shipped one cannot reuse its per-language thresholds
    lang_thresholds = (
        shipped.lang_thresholds
        if list(lid_classes) == shipped.lid_classes.tolist()
        else np.full(len(lid_classes), shipped.threshold, dtype=np.float32)
    )
    arrays = dataclasses.replace(
        shipped,
        **train.model_arrays(fitted),
        lang_thresholds=lang_thresholds,
        lid_vocabulary=lid_vocab,
        lid_log_prob=lid_log_prob,
        lid_log_prior=lid_prior,
        lid_classes=lid_classes,
    )
    return Nlu(arrays)


def full_model(console: Console) -> Nlu:
    """The complete training pipeline (out-of-fold calibration included), kept in memory."""
    return Nlu(train.train(lambda stage: console.print(f"  {stage}")))


def score(nlu: Nlu, examples: list[Example], console: Console, top: int, per_pair: int) -> None:
    parses = [nlu.parse(e.text) for e in examples]
    table = Table(title="Validation split (bot intents + out of scope)")
    for col in ("lang", "n", "intent acc", "accepted+correct", "rejected", "lang-id", "OOS n", "OOS false-accept"):
        table.add_column(col, justify="left" if col == "lang" else "right")
    confusions: dict[tuple[str, str], list[str]] = defaultdict(list)
    per_intent: Counter[tuple[str, str]] = Counter()
    per_intent_err: Counter[tuple[str, str]] = Counter()
    for lang in LANGUAGES:
        items = [(e, p) for e, p in zip(examples, parses, strict=True) if e.lang == lang]
        bot = [(e, p) for e, p in items if e.intent != OUT_OF_SCOPE]
        oos = [(e, p) for e, p in items if e.intent == OUT_OF_SCOPE]
        for e, p in items:
            per_intent[lang, e.intent] += 1
            # out-of-scope lines fail by being accepted; in-scope lines by getting the wrong intent
            wrong = p.in_scope if e.intent == OUT_OF_SCOPE else p.intent != e.intent
            if wrong:
                per_intent_err[lang, e.intent] += 1
                confusions[e.intent, p.intent].append(f"[{lang}] {e.text}  ({p.confidence:.2f})")
        n = len(bot)
        acc = sum(p.intent == e.intent for e, p in bot) / max(n, 1)
        accepted_ok = sum(p.intent == e.intent and p.in_scope for e, p in bot) / max(n, 1)
        rejected = sum(not p.in_scope for _, p in bot) / max(n, 1)
        lang_ok = sum(p.lang == lang for _, p in items) / max(len(items), 1)
        fa = sum(p.in_scope for _, p in oos) / max(len(oos), 1)
        figures = (acc, accepted_ok, rejected, lang_ok)
        table.add_row(lang, str(n), *(f"{f:.1%}" for f in figures), str(len(oos)), f"{fa:.1%}")
    console.print(table)

    weak = Table(title="Per-intent errors (validation, ≥1 error)")
    for col in ("intent", *LANGUAGES):
        weak.add_column(col, justify="left" if col == "intent" else "right")
    intents = sorted({i for _, i in per_intent})
    for intent in intents:
        if any(per_intent_err[lang, intent] for lang in LANGUAGES):
            weak.add_row(
                intent,
                *(f"{per_intent_err[lang, intent]}/{per_intent[lang, intent]}" for lang in LANGUAGES),
            )
    console.print(weak)

    ranked = sorted(confusions.items(), key=lambda kv: -len(kv[1]))[:top]
    conf_table = Table(title=f"Most frequent confusions (gold → predicted), top {top}")
    for col in ("n", "gold → predicted", "examples (confidence)"):
        conf_table.add_column(col, justify="right" if col == "n" else "left")
    for (gold, pred), texts in ranked:
        conf_table.add_row(str(len(texts)), f"{gold} → {pred}", "\n".join(texts[:per_pair]))
    console.print(conf_table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="run the complete pipeline incl. calibration")
    parser.add_argument("--top", type=int, default=30, help="how many confusion pairs to list")
    parser.add_argument("--examples", type=int, default=3, help="example texts per confusion pair")
    args = parser.parse_args()
    console = Console(width=160)

    assert_not_training(VALIDATION_DIR)
    validation = validation_examples()
    leaks = leaked_lines(validation)
    if leaks:
        console.print(f"[red]{len(leaks)} validation lines also appear in training data:[/red] {leaks}")
    t0 = time.perf_counter()
    nlu = full_model(console) if args.full else fast_model(console)
    console.print(f"trained in {time.perf_counter() - t0:.0f} s ({'full' if args.full else 'fast'} mode)")
    score(nlu, validation, console, args.top, args.examples)
    thresholds = ", ".join(f"{lang} {nlu.threshold_for(lang):.2f}" for lang in LANGUAGES)
    console.print(f"out-of-scope thresholds: overall {nlu.threshold:.2f}; {thresholds}")


if __name__ == "__main__":
    main()
