"""Where the NLU finds its shipped artifact, its repo training data and the shared public datasets."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ARTIFACT_PATH = PACKAGE_DIR / "model.npz"
DATA_DIR = PACKAGE_DIR / "data"
TEST_DATA_DIR = DATA_DIR / "test"
REPO_ROOT = PACKAGE_DIR.parents[3]


def shared_dir() -> Path:
    """The read-only `shared` folder beside the repo root (env SARRAF_SHARED_DIR overrides)."""
    override = os.environ.get("SARRAF_SHARED_DIR")
    return Path(override) if override else REPO_ROOT.parent / "shared"


def shared_data_dir() -> Path:
    return shared_dir() / "data"
