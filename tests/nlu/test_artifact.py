"""The shipped artifact: small, loadable without scikit-learn, and rebuilt whenever its inputs change."""

from __future__ import annotations

from sarraf.conversation.nlu import artifact
from sarraf.conversation.nlu.paths import ARTIFACT_PATH
from sarraf.conversation.nlu.training.datasets import training_files

MAX_ARTIFACT_BYTES = 25 * 1024 * 1024


def test_artifact_is_small_enough_to_ship() -> None:
    assert 0 < ARTIFACT_PATH.stat().st_size <= MAX_ARTIFACT_BYTES


def test_committed_artifact_matches_its_inputs() -> None:
    """Fails when training data or feature code changed without `sarraf nlu train`."""
    recorded = artifact.load().inputs_hash
    assert recorded == artifact.inputs_hash(training_files()), "stale model.npz: run `sarraf nlu train`"


def test_artifact_arrays_are_consistent() -> None:
    arrays = artifact.load()
    n_features, n_classes = arrays.weights.shape
    n_hidden = arrays.hidden_weights.shape[1]
    assert arrays.vocabulary.shape == arrays.idf.shape == (n_features,)
    assert arrays.bias.shape == arrays.classes.shape == arrays.output_bias.shape == (n_classes,)
    assert arrays.hidden_weights.shape == (n_features, n_hidden)
    assert arrays.hidden_scale.shape == arrays.hidden_bias.shape == (n_hidden,)
    assert arrays.output_weights.shape == (n_hidden, n_classes)
    assert set(arrays.lid_classes.tolist()) == {"ar", "en", "pl"}
    assert arrays.lang_thresholds.shape == arrays.lid_classes.shape
    assert arrays.temperature > 0


def test_inference_does_not_need_scikit_learn() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from sarraf.conversation.nlu import load_default; load_default().parse('saldo'); "
        "sys.exit('sklearn' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
