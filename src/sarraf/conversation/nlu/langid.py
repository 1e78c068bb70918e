"""Language of one message: "ar", "pl" or "en", cheap enough to run on every message.

Order of evidence, strongest first: any Arabic-script letter means Arabic (mixed "كم الـ balance" is
an Arabic speaker); Polish diacritics mean Polish; Arabizi spelling (digits used as letters, "7awel",
"ma3i") means Arabic; otherwise a multinomial naive Bayes over words and char n-grams, trained on the
same Latin-script utterances as the intent model, decides between English, Polish and Arabizi.
"""

from __future__ import annotations

import re

import numpy as np

from sarraf.conversation.nlu.normalize import normalize_for_model

_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3\ufb50-\ufdff\ufe70-\ufefc]")
_POLISH_LETTER = re.compile("[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
# a digit standing for an Arabic consonant inside a Latin word: 3 (ع), 7 (ح), 2 (ء), 5 (خ), 9 (ق)
_ARABIZI_WORD = re.compile(r"\b[a-z]*[a-z][23579][a-z]*\b|\b[23579][a-z]{2,}\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")


def lid_features(text: str) -> list[str]:
    """Words and char 1-3-grams of the lower-cased Latin text (diacritics folded like the model)."""
    words = _WORD.findall(normalize_for_model(text))
    feats = ["w " + w for w in words]
    for w in words:
        padded = f" {w} "
        for n in (1, 2, 3):
            feats += [padded[i : i + n] for i in range(len(padded) - n + 1)]
    return feats


class LanguageIdentifier:
    def __init__(self, vocabulary: list[str], log_prob: np.ndarray, log_prior: np.ndarray, classes: list[str]):
        self._index = {term: i for i, term in enumerate(vocabulary)}
        self._log_prob = log_prob.astype(np.float32)
        self._log_prior = log_prior.astype(np.float32)
        self._classes = classes

    def identify(self, text: str) -> str:
        if _ARABIC_LETTER.search(text):
            return "ar"
        if _POLISH_LETTER.search(text):
            return "pl"
        if _ARABIZI_WORD.search(text):
            return "ar"
        rows = [i for f in lid_features(text) if (i := self._index.get(f)) is not None]
        if not rows:
            return "en"
        scores = self._log_prior + self._log_prob[rows].sum(axis=0)
        return self._classes[int(np.argmax(scores))]
