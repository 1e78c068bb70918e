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

from functools import lru_cache

from sarraf.conversation.nlu.model import Nlu
from sarraf.conversation.nlu.types import Entity, Parse

__all__ = ["Entity", "Nlu", "Parse", "load_default"]


@lru_cache(maxsize=1)
def load_default() -> Nlu:
    """The shipped model, loaded once per process."""
    return Nlu.from_file()
