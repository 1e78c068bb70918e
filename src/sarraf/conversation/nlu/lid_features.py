"""What the language identifier's naive Bayes reads of a message: its words and their char 1-3-grams.

Training (training/train.py) and the runtime identifier (langid.py) share this, and it is baked into the
model, so it is among the code hashed into the artifact; langid.py's rules around the naive Bayes are not.
"""

from __future__ import annotations

import re

from sarraf.conversation.nlu.normalize import normalize_for_model

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
