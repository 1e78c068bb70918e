"""Char + word n-gram analyzer and a numpy TF-IDF linear scorer.

The analyzer is ours (not sklearn's) so that training (which feeds it to sklearn's TfidfVectorizer)
and inference (pure numpy here) tokenise identically. Inference needs only the vocabulary, the idf
vector and the weight matrix, stored as plain arrays: no pickled estimator to break on a
scikit-learn upgrade, and no 0.9 s sklearn import on the request path.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

import numpy as np

from sarraf.conversation.nlu.normalize import normalize_for_model

_WORD = re.compile(r"\w+")
CHAR_NGRAMS = (2, 5)


def analyze(text: str) -> list[str]:
    """Feature strings of one message: word unigrams and bigrams, char n-grams within words."""
    words = _WORD.findall(normalize_for_model(text))
    feats = ["w " + w for w in words]
    feats += ["b " + a + "_" + b for a, b in itertools.pairwise(words)]
    lo, hi = CHAR_NGRAMS
    for w in words:
        padded = f" {w} "
        size = len(padded)
        for n in range(lo, min(hi, size) + 1):
            feats += [padded[i : i + n] for i in range(size - n + 1)]
    return feats


class LinearTfidfScorer:
    """Sublinear TF-IDF (l2-normalised) followed by a linear layer, all in numpy."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray):
        self._index = {term: i for i, term in enumerate(vocabulary)}
        self._idf = idf.astype(np.float32)
        self._weights = weights  # (n_features, n_classes)
        self._bias = bias.astype(np.float32)

    def scores(self, text: str) -> np.ndarray:
        counts = Counter(analyze(text))
        index = self._index
        rows: list[int] = []
        tf: list[float] = []
        for term, count in counts.items():
            i = index.get(term)
            if i is not None:
                rows.append(i)
                tf.append(1.0 + math.log(count))
        if not rows:
            return self._bias.copy()
        idx = np.fromiter(rows, dtype=np.int64, count=len(rows))
        values = np.fromiter(tf, dtype=np.float32, count=len(tf)) * self._idf[idx]
        values /= np.float32(np.linalg.norm(values))
        return values @ self._weights[idx].astype(np.float32) + self._bias
