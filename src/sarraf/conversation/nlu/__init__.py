"""Multilingual (ar / pl / en) banking NLU: intents, language and entities for one chat message.

    from sarraf.conversation.nlu import load_default
    p = load_default().parse("ile wydałem na jedzenie w zeszłym miesiącu?")
    p.intent, p.confidence, p.lang, p.entities, p.in_scope

The model is TF-IDF features scored by a linear SVM and a one-hidden-layer network whose probabilities are
averaged, all in numpy, loaded from ``model.npz`` beside this file; rebuild it with ``sarraf nlu train``.
Trained in part on ArBanking77 (CC BY-SA 4.0, SinaLab), so the shipped model is
distributed under CC BY-SA 4.0; BANKING77 and NLU++ (PolyAI, CC BY 4.0) are credited likewise.
"""

from __future__ import annotations

import os
from pathlib import Path

from sarraf.conversation.nlu import artifact
from sarraf.conversation.nlu.model import Nlu
from sarraf.conversation.nlu.paths import ARTIFACT_PATH
from sarraf.conversation.nlu.types import Entity, Parse

__all__ = ["Entity", "Nlu", "Parse", "load_default"]

_loaded: list[Nlu] = []  # the one model of this process, once loaded


def user_cache_dir() -> Path:
    """Where this user's gateway keeps what it derives from shipped files (the unpacked model): SARRAF_CACHE_DIR,
    else $XDG_CACHE_HOME/sarraf, else ~/.cache/sarraf. Per user, not per data folder, so a new data folder
    (a test, a try-out, each `serve` of the cold-start bench) does not unpack the model again."""
    if named := os.environ.get("SARRAF_CACHE_DIR"):
        return Path(named).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "sarraf"


def load_default(cache_dir: Path | None = None) -> Nlu:
    """The shipped model, loaded once per process. `cache_dir`: the gateway's own folder where an uncompressed
    copy may be kept, so a later start skips inflating the npz (artifact.load_unpacked); the first load's
    folder is the one used."""
    if not _loaded:
        arrays = artifact.load() if cache_dir is None else artifact.load_unpacked(ARTIFACT_PATH, cache_dir)
        _loaded.append(Nlu(arrays))
    return _loaded[0]
