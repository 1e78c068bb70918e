"""The shipped model as one compressed npz of plain arrays, plus the hash of the inputs it was built from.

npz rather than a pickled sklearn estimator: it loads without scikit-learn, cannot execute code on
load, and survives library upgrades. The input hash covers the training data (repo YAML + the shared
public sets) and the code that turns text into features, so a stale artifact is detectable by hashing
a few MB of files (~10 ms) instead of retraining.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sarraf.conversation.nlu.paths import ARTIFACT_PATH, PACKAGE_DIR

FORMAT_VERSION = 2
# code whose behaviour is baked into the artifact: changing any of it must force a retrain
_FEATURE_CODE = ("normalize.py", "features.py", "langid.py", "training/train.py", "training/datasets.py")


@dataclass(frozen=True, slots=True)
class ModelArrays:
    vocabulary: np.ndarray  # (F,) str
    idf: np.ndarray  # (F,) float32
    weights: np.ndarray  # (F, C) float16
    bias: np.ndarray  # (C,) float32
    classes: np.ndarray  # (C,) str
    temperature: float  # softmax(scores * temperature) gives calibrated confidences
    threshold: float  # below it the message is out of scope (languages without their own threshold)
    lang_thresholds: np.ndarray  # (L,) float32, aligned with lid_classes: per-language out-of-scope threshold
    lid_vocabulary: np.ndarray  # (G,) str
    lid_log_prob: np.ndarray  # (G, L) float32
    lid_log_prior: np.ndarray  # (L,) float32
    lid_classes: np.ndarray  # (L,) str
    inputs_hash: str


def inputs_hash(files: list[Path]) -> str:
    digest = hashlib.sha256(f"format={FORMAT_VERSION}".encode())
    for path in [*files, *(PACKAGE_DIR / name for name in _FEATURE_CODE)]:
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def save(arrays: ModelArrays, path: Path = ARTIFACT_PATH) -> None:
    np.savez_compressed(
        path,
        vocabulary=arrays.vocabulary,
        idf=arrays.idf,
        weights=arrays.weights,
        bias=arrays.bias,
        classes=arrays.classes,
        calibration=np.array([arrays.temperature, arrays.threshold], dtype=np.float64),
        lid_vocabulary=arrays.lid_vocabulary,
        lid_log_prob=arrays.lid_log_prob,
        lid_log_prior=arrays.lid_log_prior,
        lid_classes=arrays.lid_classes,
        lang_thresholds=arrays.lang_thresholds,
        inputs_hash=np.array(arrays.inputs_hash),
        format_version=np.array(FORMAT_VERSION),
    )


def load(path: Path = ARTIFACT_PATH) -> ModelArrays:
    with np.load(path, allow_pickle=False) as z:
        if int(z["format_version"]) != FORMAT_VERSION:
            raise ValueError(f"{path}: artifact format {int(z['format_version'])}, expected {FORMAT_VERSION}")
        temperature, threshold = (float(v) for v in z["calibration"])
        return ModelArrays(
            vocabulary=z["vocabulary"],
            idf=z["idf"],
            weights=z["weights"],
            bias=z["bias"],
            classes=z["classes"],
            temperature=temperature,
            threshold=threshold,
            lid_vocabulary=z["lid_vocabulary"],
            lid_log_prob=z["lid_log_prob"],
            lid_log_prior=z["lid_log_prior"],
            lid_classes=z["lid_classes"],
            lang_thresholds=z["lang_thresholds"],
            inputs_hash=str(z["inputs_hash"]),
        )
