"""explain: a linear effect split over its paths (the parts sum to the effect the model gives
under do), intervened models cut, nonlinear models listed without numbers, bad names refused."""

from __future__ import annotations

import pytest
import torch

import causalworld as cw
from causalworld.errors import ArgumentError, UnknownVariableError
from causalworld.serve.explain import explain


def diamond() -> cw.SCM:
    w = {("a", "b"): 0.5, ("a", "c"): -2.0, ("b", "d"): 3.0, ("c", "d"): 1.5, ("a", "d"): 0.25}
    return cw.SCM.linear(list(w), w, 1.0, dtype=torch.float64)


def test_linear_paths_multiply_and_sum_to_the_interventional_effect():
    scm = diamond()
    out = explain(scm, "a", "d")
    parts = {tuple(p["nodes"]): p["contribution"] for p in out["paths"]}
    assert parts == {("a", "b", "d"): 1.5, ("a", "c", "d"): -3.0, ("a", "d"): 0.25}
    assert out["total_effect"] == pytest.approx(sum(parts.values()))
    # the truth the model gives: E[d | do(a=1)] - E[d | do(a=0)] (common noise, so exact)
    ace = cw.average_causal_effect(scm, "d", {"a": 1.0}, {"a": 0.0}, num_samples_to_draw=200, seed=0)
    assert out["total_effect"] == pytest.approx(ace, abs=1e-9)
    assert out["parents"] == ["a", "b", "c"] and out["method"] == "linear path products"


def test_an_intervened_model_cuts_the_paths_through_its_targets():
    out = explain(diamond().do({"b": 0.0}), "a", "d")
    assert [p["nodes"] for p in out["paths"]] == [["a", "c", "d"], ["a", "d"]]
    assert out["total_effect"] == pytest.approx(-3.0 + 0.25)


def test_no_path_means_no_effect():
    out = explain(diamond(), "d", "a")
    assert out["paths"] == [] and out["total_effect"] == 0.0


def test_paths_past_the_cap_are_flagged_and_the_total_does_not_change():
    scm = diamond()
    out = explain(scm, "a", "d", max_paths=2)
    assert len(out["paths"]) == 2 and out["paths_truncated"]
    assert out["total_effect"] == pytest.approx(explain(scm, "a", "d")["total_effect"])


def test_a_nonlinear_model_lists_paths_without_contributions():
    scm = cw.random_scm(4, edges_per_node=2, mechanism="mlp", seed=1)
    cause, effect = next((a, b) for a in scm.variables for b in scm.variables if a != b and scm.graph.has_edge(a, b))
    out = explain(scm, cause, effect)
    assert out["method"] == "paths only" and out["total_effect"] is None
    assert [cause, effect] in [p["nodes"] for p in out["paths"]]
    assert all(p["contribution"] is None and p["weights"] is None for p in out["paths"])


def test_bad_names_are_refused():
    with pytest.raises(UnknownVariableError, match="did you mean 'a'"):
        explain(diamond(), "aa", "d")
    with pytest.raises(ArgumentError, match="two different"):
        explain(diamond(), "d", "d")
