"""The out-of-scope threshold search (training/train.py): the rejection budget counts only what the threshold
itself adds to what the out_of_scope class already rejects."""

from __future__ import annotations

import numpy as np
import pytest

from sarraf.conversation.nlu.training.train import REJECT_BUDGET, REJECT_MARGIN, best_threshold, reject_limit


def _scores(in_scope_conf: list[float], oos_conf: list[float], in_scope_predicted_oos: int) -> tuple[
    np.ndarray, np.ndarray, np.ndarray
]:
    """predicted_oos, conf, is_oos for in-scope lines (the first ``in_scope_predicted_oos`` of them land on
    the out_of_scope class) followed by out-of-scope lines predicted as some in-scope intent."""
    n_in, n_oos = len(in_scope_conf), len(oos_conf)
    predicted_oos = np.zeros(n_in + n_oos, dtype=bool)
    predicted_oos[:in_scope_predicted_oos] = True
    conf = np.array(in_scope_conf + oos_conf)
    is_oos = np.array([False] * n_in + [True] * n_oos)
    return predicted_oos, conf, is_oos


def test_limit_is_the_budget_when_the_out_of_scope_class_rejects_nothing() -> None:
    predicted_oos, _, is_oos = _scores([0.9] * 100, [0.3] * 20, 0)
    assert reject_limit(predicted_oos, is_oos) == REJECT_BUDGET


def test_limit_grows_with_what_the_out_of_scope_class_already_rejects() -> None:
    predicted_oos, _, is_oos = _scores([0.9] * 100, [0.3] * 20, 6)
    assert reject_limit(predicted_oos, is_oos) == pytest.approx(0.06 + REJECT_MARGIN)


def test_threshold_does_not_fall_to_the_floor_when_many_in_scope_lines_are_already_rejected() -> None:
    # 6 % of in-scope lines already go to out_of_scope (over the 3 % budget on their own); the rest are
    # confident (0.9) but one sits low (0.2); out-of-scope lines that slip through score 0.3. Counting the 6 %
    # against the budget left no candidate and returned 0.05, accepting every one of them.
    predicted_oos, conf, is_oos = _scores([0.9] * 99 + [0.2], [0.3] * 20, 6)
    threshold = best_threshold(predicted_oos, conf, is_oos)
    assert 0.3 < threshold <= 0.9
    accepted = ~predicted_oos & (conf >= threshold)
    assert not accepted[is_oos].any()
    assert (~accepted[~is_oos]).mean() <= 0.06 + REJECT_MARGIN


def test_threshold_never_adds_more_than_the_margin() -> None:
    # rejecting the out-of-scope lines (0.3) would also reject 10 % of in-scope lines (0.25): too many
    predicted_oos, conf, is_oos = _scores([0.9] * 90 + [0.25] * 10, [0.3] * 20, 6)
    threshold = best_threshold(predicted_oos, conf, is_oos)
    accepted = ~predicted_oos & (conf >= threshold)
    assert (~accepted[~is_oos]).mean() <= 0.06 + REJECT_MARGIN + 1e-9
    assert threshold <= 0.25


def test_no_in_scope_rejection_keeps_the_plain_budget() -> None:
    predicted_oos, conf, is_oos = _scores([0.9] * 98 + [0.4] * 2, [0.5] * 20, 0)
    # just above 0.5 stops the false accepts (0.5) at 2 % rejected (the 0.4 lines), within the 3 % budget
    assert 0.5 < best_threshold(predicted_oos, conf, is_oos) <= 0.9
