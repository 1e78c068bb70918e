"""Build the NLU artifact deterministically from the repo YAML and the shared public datasets.

Model: sublinear char(2-5, within words) + word(1-2) TF-IDF into a linear SVM (one-vs-rest,
liblinear). Confidences are softmax(scores * T); T and the out-of-scope thresholds (overall and per
language) are tuned on out-of-fold scores of the training data (k folds keyed by a hash of the text),
never on a test split.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.svm import LinearSVC

from sarraf.conversation.nlu import artifact
from sarraf.conversation.nlu.features import analyze
from sarraf.conversation.nlu.langid import lid_features
from sarraf.conversation.nlu.training import datasets
from sarraf.conversation.nlu.training.datasets import Example

SVM_C = 0.8
REPO_WEIGHT = 3.0  # the hand-written bot/Polish lines are few next to 30k public ones
FOLDS = 4
# a false accept (answering a weather question with a banking flow) costs 1.5x a needless "please rephrase"
FALSE_ACCEPT_COST = 1.5
OUT_OF_SCOPE = "out_of_scope"
LANGID_PER_LANGUAGE = 1500
Step = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TrainingSet:
    examples: list[Example]
    weights: np.ndarray

    @property
    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

    @property
    def labels(self) -> np.ndarray:
        return np.array([e.intent for e in self.examples])


def load_training_set() -> TrainingSet:
    repo = datasets.repo_examples(datasets.repo_training_files())
    public = (
        datasets.banking77("train")
        + datasets.arbanking77("train")
        + datasets.arbanking77("val")
        + datasets.nlupp_bot_turns()
    )
    examples = repo + public
    weights = np.array([REPO_WEIGHT] * len(repo) + [1.0] * len(public), dtype=np.float64)
    return TrainingSet(examples, weights)


def fold_of(text: str) -> int:
    return hashlib.sha256(text.encode()).digest()[0] % FOLDS


def fit_linear(texts: list[str], labels: np.ndarray, weights: np.ndarray) -> tuple[TfidfVectorizer, LinearSVC]:
    vectorizer = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=2, dtype=np.float32)
    x = vectorizer.fit_transform(texts)
    svm = LinearSVC(C=SVM_C, random_state=0)
    svm.fit(x, labels, sample_weight=weights)
    return vectorizer, svm


def out_of_fold_scores(data: TrainingSet, step: Step) -> np.ndarray:
    classes = np.unique(data.labels)
    folds = np.array([fold_of(t) for t in data.texts])
    scores = np.zeros((len(data.examples), len(classes)), dtype=np.float32)
    texts = np.array(data.texts, dtype=object)
    for k in range(FOLDS):
        train, held = folds != k, folds == k
        vectorizer, svm = fit_linear(list(texts[train]), data.labels[train], data.weights[train])
        assert list(svm.classes_) == list(classes)
        scores[held] = svm.decision_function(vectorizer.transform(list(texts[held])))
        step(f"fold {k + 1}/{FOLDS}")
    return scores


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def calibrate(
    scores: np.ndarray, labels: np.ndarray, classes: np.ndarray, langs: np.ndarray, lid_classes: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """Temperature minimising out-of-fold log loss, then out-of-scope thresholds (one overall, one per
    language in ``lid_classes`` order) minimising rejections + weighted false accepts."""
    target = np.searchsorted(classes, labels)
    best_t, best_nll = 1.0, np.inf
    for t in np.geomspace(0.5, 50, 60):
        p = softmax(scores * t)[np.arange(len(target)), target]
        nll = float(-np.mean(np.log(np.clip(p, 1e-12, 1))))
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    probs = softmax(scores * best_t)
    top, conf = probs.argmax(axis=1), probs.max(axis=1)
    oos = classes == OUT_OF_SCOPE
    is_oos = oos[target]
    overall = best_threshold(oos[top], conf, is_oos)
    per_lang = [
        best_threshold(oos[top][m], conf[m], is_oos[m]) if is_oos[m].any() else overall
        for m in (langs == lang for lang in lid_classes)
    ]
    return best_t, overall, np.array(per_lang, dtype=np.float32)


def best_threshold(predicted_oos: np.ndarray, conf: np.ndarray, is_oos: np.ndarray) -> float:
    threshold, best_cost = 0.0, np.inf
    for candidate in np.linspace(0.05, 0.95, 91):
        accepted = ~predicted_oos & (conf >= candidate)
        cost = (~accepted[~is_oos]).mean() + FALSE_ACCEPT_COST * accepted[is_oos].mean()
        if cost < best_cost:
            threshold, best_cost = float(candidate), float(cost)
    return threshold


def fit_langid(examples: list[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    latin = [e for e in examples if not any("\u0600" <= ch <= "\u06ff" for ch in e.text)]
    # "yes"/"thanks" typed by an Arabic speaker are English text: only Arabizi teaches the Arabic class
    non_arabic = {e.text.casefold() for e in latin if e.lang != "ar"}
    latin = [e for e in latin if e.lang != "ar" or e.text.casefold() not in non_arabic]
    # naive Bayes over-trusts a class with far more text; cap each language at a comparable size
    by_lang: dict[str, list[Example]] = {}
    for e in sorted(latin, key=lambda e: (e.source not in datasets.REPO_SOURCES, fold_of(e.text), e.text)):
        if len(by_lang.setdefault(e.lang, [])) < LANGID_PER_LANGUAGE:
            by_lang[e.lang].append(e)
    latin = [e for part in by_lang.values() for e in part]
    vectorizer = CountVectorizer(analyzer=lid_features, min_df=1)
    x = vectorizer.fit_transform([e.text for e in latin])
    nb = MultinomialNB(alpha=0.3, fit_prior=False)
    nb.fit(x, [e.lang for e in latin])
    vocab = vectorizer.get_feature_names_out().astype(str)
    return vocab, nb.feature_log_prob_.T.astype(np.float32), nb.class_log_prior_.astype(np.float32), nb.classes_


def train(step: Step) -> artifact.ModelArrays:
    """Train everything; ``step`` is called once per finished stage (for a progress bar)."""
    inputs_hash = artifact.inputs_hash(datasets.training_files())
    data = load_training_set()
    step("data loaded")
    classes = np.unique(data.labels)
    lid_vocab, lid_log_prob, lid_prior, lid_classes = fit_langid(data.examples)
    step("language id")
    langs = np.array([e.lang for e in data.examples])
    oof = out_of_fold_scores(data, step)
    temperature, threshold, lang_thresholds = calibrate(oof, data.labels, classes, langs, lid_classes)
    step("calibrated")
    vectorizer, svm = fit_linear(data.texts, data.labels, data.weights)
    step("final model")
    return artifact.ModelArrays(
        vocabulary=vectorizer.get_feature_names_out().astype(str),
        idf=vectorizer.idf_.astype(np.float32),
        weights=svm.coef_.T.astype(np.float16),
        bias=svm.intercept_.astype(np.float32),
        classes=svm.classes_.astype(str),
        temperature=temperature,
        threshold=threshold,
        lang_thresholds=lang_thresholds,
        lid_vocabulary=lid_vocab,
        lid_log_prob=lid_log_prob,
        lid_log_prior=lid_prior,
        lid_classes=lid_classes.astype(str),
        inputs_hash=inputs_hash,
    )


TRAIN_STEPS = FOLDS + 4
