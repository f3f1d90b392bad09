"""The concept pages' figures show what their captions say, checked against the true model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docs" / "_scripts"))
import concept_figures  # noqa: E402


def test_the_running_example_has_the_weights_the_pages_state():
    w = concept_figures.ice_cream_scm().weights()
    assert (w.loc["sun", "temperature"], w.loc["sun", "ice_cream"], w.loc["temperature", "ice_cream"]) == (3.0, 1.0, 2.0)


def test_seeing_and_doing_have_the_true_slopes():
    ax = concept_figures.do()["concepts/img/seeing_vs_doing.png"].axes[0]
    seeing, doing = (np.polyfit(*line.get_data(), 1)[0] for line in ax.get_lines())
    # population slope of ice_cream on temperature: Cov / Var with unit noise variances 0.25
    var_t = 3.0**2 * 0.25 + 0.25
    assert seeing == pytest.approx((1.0 * 3.0 * 0.25 + 2.0 * var_t) / var_t, abs=0.05)
    assert doing == pytest.approx(2.0, abs=0.02)  # the weight of temperature -> ice_cream


def test_counterfactuals_follow_their_rows_and_fresh_draws_do_not():
    ax = concept_figures.counterfactual()["concepts/img/counterfactual.png"].axes[0]
    fresh, cf = (c.get_offsets() for c in ax.collections)
    # a counterfactual keeps the row's noise: ice' - ice = -2 * temperature, so it tracks the row
    assert np.corrcoef(cf[:, 0], cf[:, 1])[0, 1] > 0.6
    assert abs(np.corrcoef(fresh[:, 0], fresh[:, 1])[0, 1]) < 0.2


def test_interventions_break_the_tie_between_x_to_y_and_y_to_x():
    bars = concept_figures.identifiability()["concepts/img/identifiability.png"].axes[0].patches
    p = [b.get_height() for b in bars]
    assert p[0] == pytest.approx(0.5, abs=0.01)  # Markov equivalent from observation alone
    assert min(p[2:]) > 0.99
