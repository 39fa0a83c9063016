"""How the confidence threshold is chosen: never more than 10 % of any set's answerable questions flagged."""

from __future__ import annotations

import numpy as np

from bench.semantic_tuning import best_single_signal, fit_logistic, flagged, pick_threshold


def test_the_threshold_flags_at_most_a_tenth_of_every_sets_answerable_questions():
    low = np.linspace(0.0, 0.5, 50)  # a set whose answerable questions get low confidences
    high = np.linspace(0.3, 1.0, 20)
    threshold = pick_threshold([low, high])
    assert flagged(low, threshold) <= 0.10 and flagged(high, threshold) <= 0.10
    # The highest such threshold: a little higher flags too many of the low set.
    assert flagged(low, threshold + 0.02) > 0.10


def test_flagged_is_the_share_below_the_threshold():
    assert flagged(np.array([0.1, 0.2, 0.3, 0.4]), 0.25) == 0.5
    assert flagged(np.array([]), 0.5) == 0.0


def test_a_signal_that_separates_the_sets_flags_every_unanswerable_question():
    answerable = np.linspace(0.6, 1.0, 30)
    assert best_single_signal(answerable, np.linspace(0.0, 0.4, 30)) == 1.0
    # Either way round: a signal that is lower for answerable questions works as well.
    assert best_single_signal(-answerable, -np.linspace(0.0, 0.4, 30)) == 1.0
    assert best_single_signal(answerable, answerable) <= 0.10


def test_logistic_fit_gives_weight_to_the_feature_that_decides():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = (x[:, 0] > 0).astype(float)
    bias, decisive, noise = fit_logistic(x, y)
    assert decisive > 1.0 and abs(noise) < decisive / 5 and abs(bias) < 0.5
    # Row weights count: the same rows weighted alike give the same fit.
    assert np.allclose(fit_logistic(x, y, np.full(400, 3.0)), (bias, decisive, noise))
