"""Where the NLU finds its shipped artifact, its repo training data and the public datasets it is trained on."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ARTIFACT_PATH = PACKAGE_DIR / "model.npz"
DATA_DIR = PACKAGE_DIR / "data"
TEST_DATA_DIR = DATA_DIR / "test"
# test lines written by a second author who saw only the intent descriptions, never the training lines
INDEPENDENT_DATA_DIR = DATA_DIR / "independent"
REPO_ROOT = PACKAGE_DIR.parents[3]
# BANKING77, ArBanking77 and NLU++, each with its licence: in the repository (not the wheel), since only
# training and evaluation read them and they would triple the package's size.
PUBLIC_DATA_DIR = REPO_ROOT / "data"


def public_data_dir() -> Path:
    """The repository's `data/` folder; a clear error when the package runs from outside a checkout."""
    if not (PUBLIC_DATA_DIR / "banking77").is_dir():
        raise FileNotFoundError(
            f"the public NLU datasets are not at {PUBLIC_DATA_DIR}: training and evaluation run from a checkout "
            "of the repository (pip install -e .), whose data/ folder holds them")
    return PUBLIC_DATA_DIR
