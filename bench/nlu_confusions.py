"""Which BANKING77 service intents the NLU confuses, per language, measured on training-side data only.

The model is refitted in memory on the validation split of the training data (training/validation.py: a
hash-keyed fold of BANKING77 train and of the repo YAML, and ArBanking77's own val file, held out); its
argmax intent on every held-out service line (the 77 BANKING77 labels) is compared with the gold label.
No test split and nothing under data/independent/ is read, so the pairs can steer data work without
leaking into the figures that judge it. The shipped model.npz is left alone.

Reference in the same run: a plain TF-IDF (word 1-2 grams) + logistic regression fitted on the same
training fold and scored on the same held-out lines.

    PYTHONPATH=src:. .venv/bin/python bench/nlu_confusions.py [--top 15] [--examples 2]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter, defaultdict

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

from sarraf.conversation.nlu import artifact
from sarraf.conversation.nlu.features import combine
from sarraf.conversation.nlu.training import train
from sarraf.conversation.nlu.training.datasets import Example
from sarraf.conversation.nlu.training.validation import build_validation_split
from sarraf.kb.intents import SERVICE_INTENTS

LANGUAGES = ("ar", "en", "pl")
SERVICE = frozenset(SERVICE_INTENTS)


def held_out_service(splits: dict[str, list[Example]]) -> list[Example]:
    """Every held-out line whose gold intent is a BANKING77 service intent (bot intents and OOS left out)."""
    return [e for examples in splits.values() for e in examples if e.intent in SERVICE]


def model_predictions(data: train.TrainingSet, texts: list[str]) -> list[str]:
    """Argmax of the shipped architecture (SVM + network, probabilities averaged), refitted on ``data``."""
    fitted = train.fit_model(data.texts, data.labels, data.weights)
    linear, network = fitted.scores(texts)
    # the shipped artifact's SVM temperature: fitting one here would tune on the held-out lines
    combined = combine(linear, network, artifact.load().linear_temperature)
    classes = fitted.svm.classes_
    return [str(classes[i]) for i in combined.argmax(axis=1)]


def baseline_predictions(data: train.TrainingSet, texts: list[str]) -> list[str]:
    with threadpool_limits(limits=1):
        vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)
        x = vectorizer.fit_transform(data.texts)
        lr = LogisticRegression(C=10.0, max_iter=300)
        lr.fit(x, data.labels, sample_weight=data.weights)
        return [str(p) for p in lr.predict(vectorizer.transform(texts))]


def accuracy(examples: list[Example], predicted: list[str], lang: str) -> tuple[int, float]:
    pairs = [(e.intent, p) for e, p in zip(examples, predicted, strict=True) if e.lang == lang]
    return len(pairs), sum(g == p for g, p in pairs) / max(len(pairs), 1)


def confusion_table(
    examples: list[Example], predicted: list[str], top: int, per_pair: int
) -> tuple[Table, list[tuple[str, str, str, int, float]]]:
    per_gold: Counter[tuple[str, str]] = Counter((e.lang, e.intent) for e in examples)
    texts: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for e, p in zip(examples, predicted, strict=True):
        if p != e.intent:
            texts[e.lang, e.intent, p].append(e.text)
    # ranked per language by how many lines of the gold intent go to that one wrong intent, then by the share
    # of the gold intent's lines it takes (Polish has ~300 held-out lines against ~2,700 Arabic or English ones:
    # one overall ranking would list no Polish pair at all)
    rows = sorted(
        ((lang, gold, pred, len(t), len(t) / per_gold[lang, gold]) for (lang, gold, pred), t in texts.items()),
        key=lambda r: (r[0], -r[3], -r[4], r[1], r[2]),
    )
    ranked = [r for lang in LANGUAGES for r in [row for row in rows if row[0] == lang][:top]]
    table = Table(title=f"Most frequent service confusions, validation split (gold → predicted), top {top} a language")
    for col in ("lang", "n", "rate", "gold → predicted", "examples"):
        table.add_column(col, justify="right" if col in ("n", "rate") else "left")
    for lang, gold, pred, n, rate in ranked:
        table.add_row(lang, str(n), f"{rate:.0%}", f"{gold} → {pred}", "\n".join(texts[lang, gold, pred][:per_pair]))
    return table, ranked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top", type=int, default=15, help="how many confusion pairs to list per language")
    parser.add_argument("--examples", type=int, default=2, help="example texts per confusion pair")
    args = parser.parse_args()
    console = Console(width=170)

    split = build_validation_split()
    held = held_out_service(split.splits)
    texts = [e.text for e in held]
    console.print(f"fit on {len(split.train.examples)} lines; {len(held)} held-out service lines")
    t0 = time.perf_counter()
    ours = model_predictions(split.train, texts)
    t_model = time.perf_counter() - t0
    t0 = time.perf_counter()
    reference = baseline_predictions(split.train, texts)
    t_ref = time.perf_counter() - t0

    summary = Table(title="Service-intent accuracy on the validation split (argmax, no out-of-scope threshold)")
    for col in ("lang", "n", "model", "TF-IDF+LR reference", "fit s (model / ref)"):
        summary.add_column(col, justify="left" if col == "lang" else "right")
    result: dict[str, str] = {}
    for lang in LANGUAGES:
        n, acc = accuracy(held, ours, lang)
        _, ref = accuracy(held, reference, lang)
        summary.add_row(lang, str(n), f"{acc:.1%}", f"{ref:.1%}", f"{t_model:.0f} / {t_ref:.0f}")
        result[f"acc_{lang}"] = f"{100 * acc:.1f}"
        result[f"ref_acc_{lang}"] = f"{100 * ref:.1f}"
    console.print(summary)

    table, ranked = confusion_table(held, ours, args.top, args.examples)
    console.print(table)
    for lang in LANGUAGES:
        first = next((r for r in ranked if r[0] == lang), None)
        if first is not None:
            result[f"top_{lang}"] = f"{first[1]}->{first[2]}:{first[3]}/{100 * first[4]:.0f}%"
    wrong = np.array([p != e.intent for e, p in zip(held, ours, strict=True)])
    ref_wrong = np.array([p != e.intent for e, p in zip(held, reference, strict=True)])
    result["wrong_pct"] = f"{100 * wrong.mean():.1f}"
    result["ref_wrong_pct"] = f"{100 * ref_wrong.mean():.1f}"
    console.print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()), soft_wrap=True)


if __name__ == "__main__":
    main()
