"""How sure the model is that a message is in scope: the confidence of what the bot will DO with it.

Every BANKING77 label leads to the same answer (a colleague takes the service question), so when the top
label is one of them the relevant confidence is the probability mass of all of them together. "why was I
charged a fee" splits its mass between card_payment_fee_charged, extra_charge_on_statement and
transfer_fee_charged; none of them alone clears the out-of-scope threshold, yet the message is plainly a
fee question for the bank. The bot's own intents each lead somewhere different and keep their own
probability. Training calibrates the thresholds on exactly this number (train.calibrate).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from sarraf.conversation.nlu.taxonomy import BOT_INTENTS


def service_mask(classes: Iterable[str]) -> np.ndarray:
    """True for the BANKING77 labels (every class that is not one of the bot's own intents)."""
    return np.array([c not in BOT_INTENTS for c in classes], dtype=bool)


def scope_confidence(probs: np.ndarray, service: np.ndarray) -> np.ndarray:
    """Per row (last axis = classes): the summed service-question mass when the top class is a service
    question, else the top class's own probability."""
    top = probs.argmax(axis=-1)
    grouped = probs[..., service].sum(axis=-1)
    return np.where(service[top], grouped, probs.max(axis=-1))
