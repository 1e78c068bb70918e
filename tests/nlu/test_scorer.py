"""The numpy runtime scores exactly what the trained models compute, with or without the network."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from sarraf.conversation.nlu import artifact
from sarraf.conversation.nlu.features import Network, TfidfScorer, combine
from sarraf.conversation.nlu.training.train import fit_model, model_arrays

TEXTS = [
    "what's my balance",
    "show my balance please",
    "ile mam na koncie",
    "saldo konta",
    "كم رصيدي",
    "freeze my card",
    "zablokuj kartę",
    "جمد بطاقتي",
    "block my card now",
    "zamroź kartę proszę",
    "hello there",
    "cześć",
    "مرحبا",
]
# three classes: with two, scikit-learn collapses the SVM to a single score column
LABELS = np.array(["balance"] * 5 + ["freeze"] * 5 + ["greeting"] * 3)
PROBE = ["my balance", "zablokuj moją kartę", "بطاقتي", "hello", "nothing known here"]


def _scorer(arrays: dict[str, np.ndarray]) -> TfidfScorer:
    network = Network(
        arrays["hidden_weights"],
        arrays["hidden_scale"],
        arrays["hidden_bias"],
        arrays["output_weights"],
        arrays["output_bias"],
    )
    return TfidfScorer(arrays["vocabulary"].tolist(), arrays["idf"], arrays["weights"], arrays["bias"], network)


def test_numpy_runtime_matches_the_trained_models() -> None:
    fitted = fit_model(TEXTS, LABELS, np.ones(len(TEXTS)))
    scorer = _scorer(model_arrays(fitted))
    expected_linear, expected_network = fitted.scores(PROBE)
    got = [scorer.scores(text) for text in PROBE]
    got_linear = np.array([linear for linear, _ in got])
    got_network = np.array([network for _, network in got])
    # float16 / int8 weights: close to, not bit-equal with, the float models; the decisions are the same
    np.testing.assert_allclose(got_linear, expected_linear, atol=0.01)
    np.testing.assert_allclose(got_network, expected_network, atol=0.05 * np.abs(expected_network).max())
    assert (got_network.argmax(axis=1) == expected_network.argmax(axis=1)).all()


def test_combined_scores_are_log_mean_probabilities() -> None:
    linear = np.array([2.0, 0.0, -2.0], dtype=np.float32)
    network = np.array([0.0, 0.0, 0.0], dtype=np.float32)
    p = np.exp(combine(linear, network, 1.0))
    soft = np.exp(linear) / np.exp(linear).sum()
    np.testing.assert_allclose(p, (soft + 1 / 3) / 2, rtol=1e-6)
    assert abs(float(p.sum()) - 1.0) < 1e-6


def test_training_is_repeatable() -> None:
    first = fit_model(TEXTS, LABELS, np.ones(len(TEXTS)))
    second = fit_model(TEXTS, LABELS, np.ones(len(TEXTS)))
    for a, b in zip(first.scores(PROBE), second.scores(PROBE), strict=True):
        np.testing.assert_array_equal(a, b)


def test_linear_scorer_without_network() -> None:
    vocabulary = ["w saldo", "w karta"]
    weights = np.array([[1.0, -1.0], [-1.0, 1.0]], dtype=np.float16)
    scorer = TfidfScorer(vocabulary, np.ones(2, np.float32), weights, np.zeros(2, np.float32))
    linear, network = scorer.scores("saldo")
    np.testing.assert_allclose(linear, [1.0, -1.0])
    assert network is None
    np.testing.assert_allclose(scorer.scores("unknown words")[0], [0.0, 0.0])


def test_quantized_columns_reconstruct_the_weights() -> None:
    w = np.random.default_rng(0).normal(size=(50, 8)).astype(np.float32)
    w[:, 3] = 0.0  # a dead unit must not divide by zero
    codes, scale = artifact.quantize_columns(w)
    assert codes.dtype == np.int8
    np.testing.assert_allclose(codes * scale, w, atol=float(np.abs(w).max()) / 127)


def test_network_survives_save_and_load(tmp_path: Path) -> None:
    shipped = artifact.load()
    n_features, n_classes = shipped.weights.shape
    codes, scale = artifact.quantize_columns(np.random.default_rng(1).normal(size=(n_features, 4)))
    arrays = dataclasses.replace(
        shipped,
        hidden_weights=codes,
        hidden_scale=scale,
        hidden_bias=np.zeros(4, np.float32),
        output_weights=np.ones((4, n_classes), np.float16),
        output_bias=np.zeros(n_classes, np.float32),
        linear_temperature=3.5,
    )
    artifact.save(arrays, tmp_path / "model.npz")
    loaded = artifact.load(tmp_path / "model.npz")
    np.testing.assert_array_equal(loaded.hidden_weights, codes)
    np.testing.assert_array_equal(loaded.hidden_scale, scale)
    assert loaded.output_weights.shape == (4, n_classes)
    assert loaded.linear_temperature == 3.5
