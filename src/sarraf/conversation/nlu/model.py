"""The runtime NLU: intent + calibrated confidence, language and entities for one message."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import numpy as np

from sarraf.conversation.nlu import artifact
from sarraf.conversation.nlu.entities import extract_entities
from sarraf.conversation.nlu.features import Network, TfidfScorer, combine
from sarraf.conversation.nlu.langid import LanguageIdentifier
from sarraf.conversation.nlu.paths import ARTIFACT_PATH
from sarraf.conversation.nlu.types import Parse

OUT_OF_SCOPE = "out_of_scope"
_HAS_WORD = re.compile(r"[^\W_]")
RANKING_SIZE = 5


class Nlu:
    def __init__(self, arrays: artifact.ModelArrays, default_currency: str = "PLN"):
        self.arrays = arrays
        self.default_currency = default_currency
        network = None
        if arrays.hidden_weights.shape[1]:
            network = Network(
                arrays.hidden_weights,
                arrays.hidden_scale,
                arrays.hidden_bias,
                arrays.output_weights,
                arrays.output_bias,
            )
        self._scorer = TfidfScorer(arrays.vocabulary.tolist(), arrays.idf, arrays.weights, arrays.bias, network)
        self._classes: list[str] = arrays.classes.tolist()
        self._langid = LanguageIdentifier(
            arrays.lid_vocabulary.tolist(),
            arrays.lid_log_prob,
            arrays.lid_log_prior,
            arrays.lid_classes.tolist(),
        )
        self._lang_threshold = dict(zip(arrays.lid_classes.tolist(), arrays.lang_thresholds.tolist(), strict=True))

    @classmethod
    def from_file(cls, path: Path = ARTIFACT_PATH, default_currency: str = "PLN") -> Nlu:
        return cls(artifact.load(path), default_currency)

    @property
    def intents(self) -> list[str]:
        return list(self._classes)

    @property
    def threshold(self) -> float:
        return self.arrays.threshold

    def threshold_for(self, lang: str) -> float:
        """Out-of-scope threshold for one language: Arabic banking text dominates the training data, so
        Arabic chit-chat scores differently from Polish chit-chat and gets its own calibrated cut."""
        return float(self._lang_threshold.get(lang, self.arrays.threshold))

    def probabilities(self, text: str) -> np.ndarray:
        linear, network = self._scorer.scores(text)
        scores = linear if network is None else combine(linear, network, self.arrays.linear_temperature)
        z = scores * np.float32(self.arrays.temperature)
        e = np.exp(z - z.max())
        return cast(np.ndarray, e / e.sum())

    def classify(self, text: str) -> tuple[str, float, tuple[tuple[str, float], ...]]:
        probs = self.probabilities(text)
        order = np.argsort(probs)[::-1][:RANKING_SIZE]
        ranking = tuple((self._classes[i], float(probs[i])) for i in order)
        return ranking[0][0], ranking[0][1], ranking

    def language(self, text: str, known: str | None = None) -> str:
        return self._langid.identify(text, known)

    def parse(self, text: str, now: datetime | None = None, known_lang: str | None = None) -> Parse:
        """Classify ``text``; relative periods ("last month") resolve against ``now`` (UTC by default).
        ``known_lang`` is the conversation's language so far: a message that does not clearly say
        otherwise ("card", "limit") is read in it."""
        lang = self.language(text, known_lang)
        if not _HAS_WORD.search(text):  # empty, emoji-only or punctuation: nothing to classify
            return Parse(text, OUT_OF_SCOPE, 1.0, lang, [], False, ((OUT_OF_SCOPE, 1.0),))
        intent, confidence, ranking = self.classify(text)
        entities = extract_entities(
            text, lang, now or datetime.now(UTC), intent=intent, default_currency=self.default_currency
        )
        in_scope = intent != OUT_OF_SCOPE and confidence >= self.threshold_for(lang)
        return Parse(text, intent, confidence, lang, entities, in_scope, ranking)
