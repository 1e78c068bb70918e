"""Accuracy and macro-F1 of the shipped model on every held-out split, per language, plus OOS rates.

Uses the numpy runtime (not sklearn objects) so the figures are those of what actually ships.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.table import Table
from sklearn.metrics import f1_score

from sarraf.conversation.nlu.model import OUT_OF_SCOPE, Nlu
from sarraf.conversation.nlu.training import datasets, independent
from sarraf.conversation.nlu.training.datasets import Example

Classifier = Callable[[str], tuple[str, float]]


@dataclass(frozen=True, slots=True)
class SplitScore:
    split: str
    lang: str
    n: int
    accuracy: float
    macro_f1: float
    lang_accuracy: float  # language id agreed with the split's language
    note: str = ""


def test_splits() -> dict[str, list[Example]]:
    """Every evaluation split; repo test files are grouped per file (one language each)."""
    splits = {
        "banking77 test": datasets.banking77("test"),
        "arbanking77 MSA test": datasets.arbanking77("MSA_test"),
        "arbanking77 PAL test": datasets.arbanking77("PAL_test"),
    }
    for path in datasets.repo_test_files():
        splits[path.stem] = datasets.read_yaml(path)
    trained = independent.training_keys()
    for path in independent.independent_test_files():
        # a line the second author happened to write word for word like a training line measures memory,
        # not generalisation: scored without it (the overlap is reported by bench/nlu.py)
        examples = [e for e in independent.read_independent(path) if not independent.is_training_line(e.text, trained)]
        in_scope = [e for e in examples if e.intent != OUT_OF_SCOPE]
        out_of_scope = [e for e in examples if e.intent == OUT_OF_SCOPE]
        # out-of-scope lines get their own split: their figure is the false-accept rate, not accuracy
        if in_scope:
            splits[f"indep {path.stem}"] = in_scope
        if out_of_scope:
            splits[f"indep {path.stem} oos"] = out_of_scope
    return splits


def score_split(name: str, examples: list[Example], nlu: Nlu) -> list[SplitScore]:
    """In-scope splits: accuracy/macro-F1 per language. OOS splits: false-accept rate per language."""
    out: list[SplitScore] = []
    for lang in sorted({e.lang for e in examples}):
        part = [e for e in examples if e.lang == lang]
        parses = [nlu.parse(e.text) for e in part]
        lang_acc = sum(p.lang == lang for p in parses) / len(part)
        if all(e.intent == OUT_OF_SCOPE for e in part):
            accepted = sum(p.in_scope for p in parses) / len(part)
            out.append(
                SplitScore(name, lang, len(part), 1 - accepted, float("nan"), lang_acc, f"false-accept {accepted:.1%}")
            )
            continue
        gold = [e.intent for e in part]
        pred = [p.intent for p in parses]
        acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(part)
        f1 = float(f1_score(gold, pred, average="macro", labels=sorted(set(gold)), zero_division=0))
        rejected = sum(not p.in_scope for p, g in zip(parses, gold, strict=True) if g != OUT_OF_SCOPE)
        out.append(SplitScore(name, lang, len(part), acc, f1, lang_acc, f"rejected {rejected / len(part):.1%}"))
    return out


def evaluate_all(nlu: Nlu, splits: Iterable[tuple[str, list[Example]]] | None = None) -> list[SplitScore]:
    return [s for name, ex in (splits or test_splits().items()) for s in score_split(name, ex, nlu)]


def render_table(scores: list[SplitScore], title: str = "Sarraf NLU") -> Table:
    table = Table(title=title)
    for col in ("split", "lang", "n", "accuracy", "macro-F1", "lang-id", "in/out of scope"):
        table.add_column(col, justify="left" if col in ("split", "in/out of scope") else "right")
    for s in scores:
        f1 = "—" if s.macro_f1 != s.macro_f1 else f"{s.macro_f1:.1%}"
        acc = "—" if s.note.startswith("false") else f"{s.accuracy:.1%}"
        table.add_row(s.split, s.lang, str(s.n), acc, f1, f"{s.lang_accuracy:.1%}", s.note)
    return table
