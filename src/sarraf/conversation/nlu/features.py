"""Char + word n-gram analyzer and the numpy TF-IDF scorer (linear SVM + small ReLU network).

The analyzer is ours (not sklearn's) so that training (which feeds it to sklearn's TfidfVectorizer)
and inference (pure numpy here) tokenise identically. Inference needs only the vocabulary, the idf
vector and the weight matrices, stored as plain arrays: no pickled estimator to break on a
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


def combine(linear: np.ndarray, network: np.ndarray, linear_temperature: float) -> np.ndarray:
    """Log of the mean of the two models' probabilities (last axis = classes): averaging probabilities
    rather than raw scores keeps either model from dominating through its score scale."""
    p = _softmax(linear * np.float32(linear_temperature)) + _softmax(network)
    return np.log(p * np.float32(0.5))


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class Network:
    """One ReLU hidden layer over the TF-IDF vector; first-layer weights int8 with per-unit scales."""

    def __init__(
        self, codes: np.ndarray, scale: np.ndarray, hidden_bias: np.ndarray, out: np.ndarray, bias: np.ndarray
    ):
        self.codes = codes
        self.scale = scale.astype(np.float32)
        self.hidden_bias = hidden_bias.astype(np.float32)
        self.out = out.astype(np.float32)  # (H, C): small, keep it ready in float32
        self.bias = bias.astype(np.float32)

    def logits(self, idx: np.ndarray, values: np.ndarray) -> np.ndarray:
        h = np.maximum((values @ self.codes[idx].astype(np.float32)) * self.scale + self.hidden_bias, 0.0)
        return h @ self.out + self.bias


class TfidfScorer:
    """Sublinear TF-IDF (l2-normalised), then a linear layer and optionally a small network, in numpy.

    Only the weight rows of the message's own n-grams (a few hundred) are read, so the network's first
    layer costs about what the linear layer does; see artifact.py for the array layout.
    """

    def __init__(
        self,
        vocabulary: list[str],
        idf: np.ndarray,
        weights: np.ndarray,
        bias: np.ndarray,
        network: Network | None = None,
    ):
        self._index = {term: i for i, term in enumerate(vocabulary)}
        self._idf = idf.astype(np.float32)
        self._weights = weights  # (n_features, n_classes)
        self._bias = bias.astype(np.float32)
        self._network = network

    def scores(self, text: str) -> tuple[np.ndarray, np.ndarray | None]:
        """Linear scores and network logits (None without a network)."""
        counts = Counter(analyze(text))
        index = self._index
        rows: list[int] = []
        tf: list[float] = []
        for term, count in counts.items():
            i = index.get(term)
            if i is not None:
                rows.append(i)
                tf.append(1.0 + math.log(count))
        idx = np.fromiter(rows, dtype=np.int64, count=len(rows))
        values = np.fromiter(tf, dtype=np.float32, count=len(tf)) * self._idf[idx]
        if rows:
            values /= np.float32(np.linalg.norm(values))
        linear = values @ self._weights[idx].astype(np.float32) + self._bias
        return linear, None if self._network is None else self._network.logits(idx, values)
