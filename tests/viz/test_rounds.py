"""Scores per round: the plotted lines are the histories' own numbers, means and bands over runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from causalworld.errors import ArgumentError, DTypeError, UnknownVariableError
from causalworld.viz import plot_rounds
from interventions import ExperimentResult


def _history(shd, cf=None):
    n = len(shd)
    return pd.DataFrame({"round": range(n), "n_interventions": [3 * r for r in range(n)],
                         "n_episodes": [60 * (r + 1) for r in range(n)], "shd": shd,
                         "counterfactual_error": cf if cf is not None else [np.nan] * n,
                         "edges": [12] * n, "seconds": [0.1] * n})


def _result(history):
    return ExperimentResult(scm=None, graph=None, history=history, interventions=[], learner=None,
                            data=pd.DataFrame(), targets=np.zeros((0, 0), bool))


def test_policies_compared_with_mean_and_band(tmp_path):
    random_runs = [_result(_history([6, 4, 3])), _result(_history([8, 4, 1]))]
    robin = _result(_history([6, 2, 0]))
    fig = plot_rounds({"random": random_runs, "round-robin": robin}, path=tmp_path / "shd.png")
    ax = fig.axes[0]
    lines = {line.get_gid(): line for line in ax.lines}
    assert list(lines["random"].get_ydata()) == [7.0, 4.0, 2.0]  # the mean of the two seeds
    assert list(lines["round-robin"].get_ydata()) == [6.0, 2.0, 0.0]
    assert list(lines["random"].get_xdata()) == [0.0, 1.0, 2.0]
    band = ax.collections[0].get_paths()[0].vertices  # lowest to highest run of "random"
    assert band[:, 1].min() == 1.0 and band[:, 1].max() == 8.0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["random", "round-robin"]
    assert ax.get_ylim()[0] == 0 and (tmp_path / "shd.png").stat().st_size > 5000


def test_other_metrics_and_x(tmp_path):
    h = _history([5, 3], cf=[0.5, np.nan])
    fig = plot_rounds([h, h], metric=["shd", "counterfactual_error"], x="n_interventions")
    assert len(fig.axes) == 2
    assert list(fig.axes[0].lines[0].get_xdata()) == [0.0, 3.0]
    assert fig.axes[1].lines[1].get_gid() == "run 1"
    assert np.isnan(fig.axes[1].lines[0].get_ydata()[1])  # a round with no score stays a gap


def test_bad_input():
    h = _history([5, 3])
    with pytest.raises(UnknownVariableError, match="did you mean 'shd'"):
        plot_rounds(h, metric="sdh")
    with pytest.raises(UnknownVariableError):
        plot_rounds(h, x="episodes")
    with pytest.raises(ArgumentError, match="empty history"):
        plot_rounds(h.iloc[:0])
    with pytest.raises(ArgumentError, match="no runs"):
        plot_rounds({})
    with pytest.raises(ArgumentError, match="no runs"):
        plot_rounds({"random": []})
    with pytest.raises(DTypeError):
        plot_rounds([[1, 2, 3]])
