"""The unpacked copy of the model (artifact.load_unpacked): same arrays, one copy per content, never trusted blindly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from sarraf.conversation.nlu import artifact
from sarraf.conversation.nlu.paths import ARTIFACT_PATH


def _same(a: artifact.ModelArrays, b: artifact.ModelArrays) -> None:
    for field in dataclasses.fields(a):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), field.name
        else:
            assert x == y, field.name


def test_the_copy_holds_the_shipped_arrays_and_is_read_next_time(tmp_path: Path) -> None:
    shipped = artifact.load()
    cache = tmp_path / "cache"
    _same(shipped, artifact.load_unpacked(ARTIFACT_PATH, cache))
    copies = list(cache.glob("nlu-*.npz"))
    assert len(copies) == 1 and copies[0].stat().st_mode & 0o077 == 0  # the user's own, like the data folder
    assert cache.stat().st_mode & 0o077 == 0
    _same(shipped, artifact.load_unpacked(ARTIFACT_PATH, cache))
    assert list(cache.glob("nlu-*.npz")) == copies and not list(cache.glob(".nlu-*"))


def test_a_broken_copy_is_replaced_and_another_models_copy_removed(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    artifact.load_unpacked(ARTIFACT_PATH, cache)
    (copy,) = cache.glob("nlu-*.npz")
    copy.write_bytes(b"not a zip")  # e.g. a disk that filled up under another tool
    stale = cache / "nlu-0000.npz"
    stale.write_bytes(b"an older model's copy")
    _same(artifact.load(), artifact.load_unpacked(ARTIFACT_PATH, cache))
    assert sorted(cache.glob("nlu-*.npz")) == [copy] and copy.stat().st_size > 1_000_000


def test_a_retrained_model_gets_its_own_copy(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    artifact.load_unpacked(ARTIFACT_PATH, cache)
    other = tmp_path / "model.npz"
    arrays = dataclasses.replace(artifact.load(), threshold=0.123)
    artifact.save(arrays, other)
    loaded = artifact.load_unpacked(other, cache)
    assert loaded.threshold == 0.123 and len(list(cache.glob("nlu-*.npz"))) == 1


def test_an_unwritable_cache_folder_only_costs_the_copy(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder would be")
    _same(artifact.load(), artifact.load_unpacked(ARTIFACT_PATH, blocked / "cache"))
