"""The shipped model as one compressed npz of plain arrays, plus the hash of the inputs it was built from.

npz rather than a pickled sklearn estimator: it loads without scikit-learn, cannot execute code on
load, and survives library upgrades. The input hash covers the training data (repo YAML + the public
sets in data/) and the code that turns text into features, so a stale artifact is detectable by hashing
a few MB of files (~10 ms) instead of retraining.

Format 3: two models over one l2-normalised sublinear TF-IDF vector x, averaged (see features.combine):
    linear  = x @ weights + bias                                          weights (F, C) float16 (a linear SVM)
    h       = relu(x @ (hidden_weights * hidden_scale) + hidden_bias)     hidden_weights (F, H) int8
    network = h @ output_weights + output_bias                            output_weights (H, C) float16
    log p   = log(mean(softmax(linear * linear_temperature), softmax(network)))
    confidences = softmax(log p * temperature)
hidden_weights is quantised per hidden unit (column j holds round(w / hidden_scale[j])), which halves its
size against float16 at no measurable accuracy cost.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sarraf.conversation.nlu.paths import ARTIFACT_PATH, PACKAGE_DIR

FORMAT_VERSION = 3
# code whose behaviour is baked into the artifact: changing any of it must force a retrain
_FEATURE_CODE = ("normalize.py", "features.py", "lid_features.py", "training/train.py", "training/datasets.py")


@dataclass(frozen=True, slots=True)
class ModelArrays:
    vocabulary: np.ndarray  # (F,) str
    idf: np.ndarray  # (F,) float32
    weights: np.ndarray  # (F, C) float16: the linear model
    bias: np.ndarray  # (C,) float32
    hidden_weights: np.ndarray  # (F, H) int8
    hidden_scale: np.ndarray  # (H,) float32: real hidden weight = hidden_weights * hidden_scale
    hidden_bias: np.ndarray  # (H,) float32
    output_weights: np.ndarray  # (H, C) float16
    output_bias: np.ndarray  # (C,) float32
    linear_temperature: float  # turns linear scores into probabilities before averaging with the network
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


def quantize_columns(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 codes and per-column scales of a float matrix: w ≈ codes * scale."""
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    return np.round(w / scale).astype(np.int8), scale.astype(np.float32)


def save(arrays: ModelArrays, path: Path = ARTIFACT_PATH, *, compressed: bool = True) -> None:
    (np.savez_compressed if compressed else np.savez)(
        path,
        vocabulary=arrays.vocabulary,
        idf=arrays.idf,
        hidden_weights=arrays.hidden_weights,
        hidden_scale=arrays.hidden_scale,
        hidden_bias=arrays.hidden_bias,
        output_weights=arrays.output_weights,
        output_bias=arrays.output_bias,
        weights=arrays.weights,
        bias=arrays.bias,
        classes=arrays.classes,
        calibration=np.array([arrays.temperature, arrays.threshold, arrays.linear_temperature], dtype=np.float64),
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
        temperature, threshold, linear_temperature = (float(v) for v in z["calibration"])
        return ModelArrays(
            vocabulary=z["vocabulary"],
            idf=z["idf"],
            weights=z["weights"],
            bias=z["bias"],
            hidden_weights=z["hidden_weights"],
            hidden_scale=z["hidden_scale"],
            hidden_bias=z["hidden_bias"],
            output_weights=z["output_weights"],
            output_bias=z["output_bias"],
            linear_temperature=linear_temperature,
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


def load_unpacked(path: Path, cache_dir: Path) -> ModelArrays:
    """`load(path)`, through an uncompressed copy kept in `cache_dir`, named by the content hash of `path`.

    Inflating the shipped npz is most of the model's load (~0.13 s of ~0.16 s on an idle core, 0.46 s on a
    busy machine); reading a stored one is a copy. The copy is made once per artifact content: a retrained
    model.npz has another hash, so a stale copy is never read, and it is removed when its successor is
    written. `cache_dir` is the user's own cache folder (nlu.user_cache_dir(), made 0700; the copy 0600): the
    model is shipped data, not a secret. A copy that cannot be read, or written (a read-only home), is no
    reason to fail: the npz is read then."""
    with path.open("rb") as shipped:
        digest = hashlib.file_digest(shipped, "sha256").hexdigest()[:32]
    copy = cache_dir / f"nlu-{digest}.npz"
    with contextlib.suppress(OSError, ValueError, KeyError, zipfile.BadZipFile):
        return load(copy)
    arrays = load(path)
    with contextlib.suppress(OSError):
        cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # written under a temporary name and renamed: a start that reads it never sees half a file
        fd, temporary = tempfile.mkstemp(dir=cache_dir, prefix=".nlu-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as out:
                save(arrays, out, compressed=False)  # type: ignore[arg-type]  # numpy takes a file object
            os.replace(temporary, copy)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        for old in cache_dir.glob("nlu-*.npz"):
            if old != copy:
                old.unlink(missing_ok=True)
    return arrays
