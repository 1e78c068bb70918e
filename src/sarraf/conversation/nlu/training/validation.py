"""A validation split of the training data, for choosing model settings without touching a test split.

ArBanking77 ships its own val file (MSA block first, then PAL: the dialect boundary is where the label
cycle starts for the third time). BANKING77 and the repo YAML have no val split, so a hash-keyed fold
of their train data (``fold_of(text) == VALIDATION_FOLD``) is held out instead; the same text always
lands in the same fold, so the split is deterministic and independent of file order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sarraf.conversation.nlu.training import datasets
from sarraf.conversation.nlu.training.datasets import Example
from sarraf.conversation.nlu.training.train import OUT_OF_SCOPE, REPO_WEIGHT, TrainingSet, fold_of

VALIDATION_FOLD = 0


@dataclass(frozen=True, slots=True)
class ValidationSplit:
    train: TrainingSet
    splits: dict[str, list[Example]]  # split name -> held-out examples (OOS splits are all out_of_scope)


def split_msa_pal(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """The val/train CSVs hold an MSA block, then a PAL block, each listing the 77 labels in two
    passes; the PAL block starts where the first label starts its third pass."""
    first = examples[0].intent
    starts = [i for i in range(1, len(examples)) if examples[i].intent == first and examples[i - 1].intent != first]
    boundary = starts[1]
    return examples[:boundary], examples[boundary:]


def _repo_split_name(e: Example) -> str:
    if e.intent == OUT_OF_SCOPE:
        return f"oos {e.lang}"
    if e.source.startswith("banking77_pl"):
        return "banking77 pl"
    return f"bot {e.lang}"


def build_validation_split() -> ValidationSplit:
    repo = datasets.repo_examples(datasets.repo_training_files())
    b77 = datasets.banking77("train")
    msa_val, pal_val = split_msa_pal(datasets.arbanking77("val"))
    held_repo = [e for e in repo if fold_of(e.text) == VALIDATION_FOLD]
    fit_repo = [e for e in repo if fold_of(e.text) != VALIDATION_FOLD]
    public = (
        [e for e in b77 if fold_of(e.text) != VALIDATION_FOLD]
        + datasets.arbanking77("train")
        + datasets.nlupp_bot_turns()
    )
    weights = np.array([REPO_WEIGHT] * len(fit_repo) + [1.0] * len(public), dtype=np.float64)
    splits: dict[str, list[Example]] = {
        "banking77 en (fold)": [e for e in b77 if fold_of(e.text) == VALIDATION_FOLD],
        "arbanking77 MSA val": msa_val,
        "arbanking77 PAL val": pal_val,
    }
    for e in held_repo:
        splits.setdefault(_repo_split_name(e), []).append(e)
    return ValidationSplit(TrainingSet(fit_repo + public, weights), dict(sorted(splits.items())))
