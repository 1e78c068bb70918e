"""Language identification: how often a message is answered in the customer's language.

Three readings of every Latin- and Arabic-script line of each set, scored against the language its author
wrote it in:
- alone: the identifier with no conversation behind it (the first message of a customer);
- in its conversation: the conversation's language so far is the line's own (the common case: a customer
  goes on in the language they started in);
- switching: the conversation's language so far is each of the other two (a customer changes language);
  the share followed at once.
Reference in the same run: the rules before stop 32 (any digit inside a Latin word meant Arabizi, and the
naive Bayes alone decided, with no conversation to lean on), on the same lines with the same model.

Sets: the second author's bot lines (data/independent/nlu/bot_<lang>.yaml), and the held-out lines of the
validation split with an identifier refitted on its training part (``--validation``, ~1 min more).

    PYTHONPATH=src .venv/bin/python bench/nlu_langid.py [--validation]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from rich.console import Console
from rich.table import Table

from sarraf.conversation.nlu import Nlu
from sarraf.conversation.nlu.langid import _ARABIC_LETTER, _ARABIZI_WORD, _POLISH_LETTER, LanguageIdentifier
from sarraf.conversation.nlu.lid_features import lid_features
from sarraf.conversation.nlu.training import independent
from sarraf.conversation.nlu.training.datasets import Example

LANGS = ("ar", "en", "pl")


def old_rules(lid: LanguageIdentifier) -> Callable[[str], str]:
    """The identifier as it was: hard rules without exceptions, then the naive Bayes' argmax."""
    index, log_prob, log_prior, classes = lid._index, lid._log_prob, lid._log_prior, lid._classes

    def identify(text: str) -> str:
        if _ARABIC_LETTER.search(text):
            return "ar"
        if _POLISH_LETTER.search(text):
            return "pl"
        if _ARABIZI_WORD.search(text):  # before stop 32 any match meant Arabizi; now ordinals etc. are exempt
            return "ar"
        rows = [i for f in lid_features(text) if (i := index.get(f)) is not None]
        if not rows:
            return "en"
        return classes[int(np.argmax(log_prior + log_prob[rows].sum(axis=0)))]

    return identify


def readings(lid: LanguageIdentifier, lines: list[Example]) -> dict[str, float]:
    old = old_rules(lid)
    alone = [lid.identify(e.text) == e.lang for e in lines]
    kept = [lid.identify(e.text, e.lang) == e.lang for e in lines]
    switched = [lid.identify(e.text, k) == e.lang for e in lines for k in LANGS if k != e.lang]
    before = [old(e.text) == e.lang for e in lines]
    started = time.perf_counter()
    for e in lines:
        lid.identify(e.text, e.lang)
    us = (time.perf_counter() - started) / len(lines) * 1e6
    started = time.perf_counter()
    for e in lines:
        old(e.text)
    us_old = (time.perf_counter() - started) / len(lines) * 1e6
    return {
        "n": len(lines),
        "before": 100 * float(np.mean(before)),
        "alone": 100 * float(np.mean(alone)),
        "kept": 100 * float(np.mean(kept)),
        "switched": 100 * float(np.mean(switched)),
        "us": us,
        "us_before": us_old,
    }


def independent_bot_lines() -> dict[str, list[Example]]:
    sets: dict[str, list[Example]] = {}
    for path in independent.independent_test_files():
        if path.stem.startswith("bot_"):
            sets[f"indep {path.stem}"] = independent.read_independent(path)
    return sets


def validation_lines() -> tuple[LanguageIdentifier, list[Example]]:
    from sarraf.conversation.nlu.training.train import fit_langid
    from sarraf.conversation.nlu.training.validation import build_validation_split

    split = build_validation_split()
    vocab, log_prob, log_prior, classes = fit_langid(split.train.examples)
    lid = LanguageIdentifier(vocab.tolist(), log_prob, log_prior, classes.tolist())
    held = [e for lines in split.splits.values() for e in lines if e.lang in LANGS]
    return lid, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--validation", action="store_true", help="also the validation split (refits the identifier)")
    args = parser.parse_args()
    shipped = Nlu.from_file()._langid
    rows = [(name, readings(shipped, lines)) for name, lines in independent_bot_lines().items()]
    if args.validation:
        lid, held = validation_lines()
        rows.append(("validation split (held out)", readings(lid, held)))
    table = Table(title="Language identification, % of lines answered in their own language")
    for col in ("set", "n", "before (reference)", "alone", "in its conversation", "switching", "µs/line", "µs before"):
        table.add_column(col, justify="left" if col == "set" else "right")
    for name, r in rows:
        table.add_row(name, str(r["n"]), f"{r['before']:.1f}", f"{r['alone']:.1f}", f"{r['kept']:.1f}",
                      f"{r['switched']:.1f}", f"{r['us']:.0f}", f"{r['us_before']:.0f}")
    Console().print(table)
    bot = [r for name, r in rows if name.startswith("indep")]
    n = sum(r["n"] for r in bot)

    def pooled(key: str) -> float:
        return sum(r[key] * r["n"] for r in bot) / n

    print(f"RESULT indep_before={pooled('before'):.1f} indep_alone={pooled('alone'):.1f} "
          f"indep_in_conversation={pooled('kept'):.1f} indep_switching={pooled('switched'):.1f} "
          f"us_per_line={pooled('us'):.0f} us_per_line_before={pooled('us_before'):.0f} "
          f"ratio_us={pooled('us') / pooled('us_before'):.2f}")


if __name__ == "__main__":
    main()
