"""The conformance checks every structure learner passes, like scikit-learn's ``check_estimator``.

Each ``check_*`` function tests one promise of the contract in :mod:`causalworld.discovery.base`
on a small linear problem with known truth and raises ``AssertionError`` naming what broke;
:func:`check_learner` runs them all. The test suite runs it on every class in ``LEARNERS``.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import torch

from causalworld.discovery.base import Learner, clone
from causalworld.discovery.graphs import MixedGraph
from causalworld.discovery.knowledge import Knowledge
from causalworld.errors import (
    ArgumentError,
    InsufficientDataError,
    NonFiniteError,
    NotFittedError,
    PoorFitWarning,
    TimeLimitWarning,
    UnknownVariableError,
)

__all__ = [
    "check_learner",
    "check_settings_stored",
    "check_not_fitted",
    "check_fit_returns_self",
    "check_outputs",
    "check_edge_probs_describe_graph",
    "check_deterministic",
    "check_knowledge",
    "check_bad_input",
    "check_max_time",
    "toy_problem",
]


def toy_problem(seed: int = 0) -> tuple[Any, dict[str, torch.Tensor], list[set[str]]]:
    """A 5-variable linear SCM, 400 observational rows and 100 rows under a hard intervention on
    each of two variables: ``(scm, data, targets)``.

    Examples
    --------
    >>> scm, data, targets = toy_problem()
    >>> len(targets), sorted(data) == sorted(scm.variables)
    (600, True)
    """
    from causalworld.scm.random import random_scm

    scm = random_scm(5, edges_per_node=1.0, mechanism="linear", seed=seed)
    g = torch.Generator().manual_seed(seed)
    parts = [scm.sample(400, seed=seed + 1)]
    targets: list[set[str]] = [set()] * 400
    for i, v in enumerate(scm.variables[:2]):
        parts.append(scm.do({v: 2.0 * torch.randn(100, generator=g)}).sample(100, seed=seed + 2 + i))
        targets += [{v}] * 100
    data = {v: torch.cat([p[v] for p in parts]).double() for v in scm.variables}
    return scm, data, targets


def _fit(learner: Learner, data: Any, targets: Any, *, poor_fit: bool = False) -> Learner:
    """Fit, with a TimeLimitWarning as an error; ``poor_fit``: a PoorFitWarning is expected (a
    required edge that goes against the data) and ignored."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", TimeLimitWarning)
        if poor_fit:
            warnings.simplefilter("ignore", PoorFitWarning)
        return learner.fit(data, targets)


def check_settings_stored(learner: Learner) -> None:
    """``__init__`` stores each setting unchanged under its own name and does nothing else.

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> check_settings_stored(SortRegressLearner(sort_by="var", progress=False))  # silent: the promise holds
    """
    params = learner.get_params()
    fresh = type(learner)(**copy.deepcopy(params))
    extra = [k for k in vars(fresh) if k not in params]
    assert not extra, f"{type(learner).__name__}.__init__ sets {extra}, which are not settings"
    for k, v in params.items():
        assert _equal(getattr(fresh, k), v), f"setting {k!r} changed in __init__"


def check_not_fitted(learner: Learner) -> None:
    """Learned attributes, ``sample_graphs`` and ``score`` raise NotFittedError before ``fit``.

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> check_not_fitted(SortRegressLearner(progress=False))  # silent: the promise holds
    """
    fresh = clone(learner)
    for name in ("graph_", "cpdag_", "edge_probs_", "scm_", "lagged_graph_"):
        try:
            getattr(fresh, name)
        except NotFittedError:
            continue
        raise AssertionError(f"reading {name} before fit did not raise NotFittedError")
    for call in (lambda: fresh.sample_graphs(2, seed=0), lambda: fresh.score({"x": [1.0]})):
        try:
            call()
        except NotFittedError:
            continue
        raise AssertionError("sample_graphs / score before fit did not raise NotFittedError")


def check_fit_returns_self(learner: Learner, data: Any, targets: Any) -> None:
    """``fit`` returns the learner itself and leaves its settings as they were.

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> scm, data, targets = toy_problem()
    >>> check_fit_returns_self(SortRegressLearner(progress=False), data, targets)  # silent: the promise holds
    """
    fresh = clone(learner)
    before = copy.deepcopy(fresh.get_params())
    out = _fit(fresh, data, targets)
    assert out is fresh, "fit must return self"
    after = fresh.get_params()
    for k in before:
        assert _equal(before[k], after[k]), f"fit changed the setting {k!r}"


def check_outputs(learner: Learner, data: Any, targets: Any) -> None:
    """The learned attributes have the promised types, shapes and consistency.

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> scm, data, targets = toy_problem()
    >>> check_outputs(SortRegressLearner(progress=False), data, targets)  # silent: the promise holds
    """
    from causalworld.scm.model import SCM

    fitted = _fit(clone(learner), data, targets)
    names = list(data)
    assert list(fitted.variables_) == names, "variables_ must follow the data's column order"
    g = fitted.graph_
    assert isinstance(g, nx.DiGraph) and nx.is_directed_acyclic_graph(g), "graph_ must be a networkx DAG"
    assert set(g.nodes) == set(names), "graph_ must have one node per variable"
    cp = fitted.cpdag_
    assert isinstance(cp, MixedGraph), "cpdag_ must be a MixedGraph"
    skeleton = {frozenset(e) for e in g.edges}
    cp_skeleton = {frozenset(e) for e in cp.directed} | {frozenset(e) for e in cp.undirected}
    assert skeleton == cp_skeleton, "cpdag_ must have the skeleton of graph_"
    assert cp.directed <= set(g.edges), "every directed edge of cpdag_ must be in graph_"
    P = fitted.edge_probs_
    assert isinstance(P, pd.DataFrame) and list(P.index) == names and list(P.columns) == names, \
        "edge_probs_ must be a DataFrame with the variables as rows and columns"
    v = P.to_numpy()
    assert np.all((v >= 0) & (v <= 1)), "edge_probs_ must lie in [0, 1]"
    assert np.all(np.diag(v) == 0), "edge_probs_ must have a zero diagonal"
    draws = fitted.sample_graphs(4, seed=1)
    assert len(draws) == 4 and all(isinstance(d, nx.DiGraph) and nx.is_directed_acyclic_graph(d) for d in draws), \
        "sample_graphs(k) must return k DAGs"
    again = fitted.sample_graphs(4, seed=1)
    assert [sorted(d.edges) for d in draws] == [sorted(d.edges) for d in again], "sample_graphs must follow its seed"
    assert isinstance(fitted.scm_, SCM) and set(fitted.scm_.graph.edges) == set(g.edges), "scm_ must be fitted on graph_"
    s = fitted.score(data, targets)
    assert isinstance(s, float) and np.isfinite(s), "score must be a finite float"


def check_edge_probs_describe_graph(learner: Learner, data: Any, targets: Any, *, draws: int = 400) -> None:
    """``edge_probs_`` and ``sample_graphs`` describe ``graph_``: a pair is adjacent in ``graph_``
    exactly when its adjacency probability ``p(a->b) + p(b->a)`` is at least 0.5, and in
    ``draws`` sampled graphs each pair is adjacent about that often (within 0.15).

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> scm, data, targets = toy_problem()
    >>> check_edge_probs_describe_graph(SortRegressLearner(progress=False), data, targets)  # silent: the promise holds
    """
    fitted = _fit(clone(learner), data, targets)
    names = list(fitted.variables_)
    P = fitted.edge_probs_.loc[names, names].to_numpy()
    adjacency = P + P.T
    A = nx.to_numpy_array(fitted.graph_, nodelist=names) > 0
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    weak = [(names[i], names[j], round(float(adjacency[i, j]), 3)) for i, j in pairs
            if (A[i, j] or A[j, i]) and not adjacency[i, j] >= 0.5]
    strong = [(names[i], names[j], round(float(adjacency[i, j]), 3)) for i, j in pairs
              if not (A[i, j] or A[j, i]) and adjacency[i, j] >= 0.5]
    cause = ("make graph_ the pairs of adjacency probability >= 0.5 "
             "(causalworld.discovery.consensus.median_graph), or compute the probabilities around graph_")
    assert not weak, f"graph_ has edges whose p(a->b) + p(b->a) is below 0.5 (a, b, p): {weak}; {cause}"
    assert not strong, f"pairs outside graph_ have p(a->b) + p(b->a) >= 0.5 (a, b, p): {strong}; {cause}"
    freq = np.zeros_like(P)
    for g in fitted.sample_graphs(draws, seed=0):
        G = nx.to_numpy_array(g, nodelist=names) > 0
        freq += (G | G.T) / draws
    gap = np.abs(freq - np.clip(adjacency, 0, 1))
    i, j = np.unravel_index(np.argmax(gap), gap.shape)
    assert gap.max() <= 0.15, (
        f"sample_graphs({draws}) has {names[i]} and {names[j]} adjacent in {freq[i, j]:.2f} of the draws but "
        f"edge_probs_ say {adjacency[i, j]:.2f}: the sampler must draw from the distribution edge_probs_ summarise")


def check_deterministic(learner: Learner, data: Any, targets: Any) -> None:
    """The same settings and seed give the same graph and edge probabilities.

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> scm, data, targets = toy_problem()
    >>> check_deterministic(SortRegressLearner(progress=False), data, targets)  # silent: the promise holds
    """
    a = _fit(clone(learner), data, targets)
    b = _fit(clone(learner), data, targets)
    assert sorted(a.graph_.edges) == sorted(b.graph_.edges), "two fits with the same seed gave different graphs"
    assert np.allclose(a.edge_probs_.to_numpy(), b.edge_probs_.to_numpy()), "edge_probs_ differ between equal fits"


def check_knowledge(learner: Learner, data: Any, targets: Any, truth: Any) -> None:
    """Forbidden edges never appear, required edges always do, tiers hold, in every output
    (``graph_``, ``cpdag_``, ``edge_probs_``, ``sample_graphs``). A learner that cannot take
    knowledge must refuse it with ArgumentError.

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> scm, data, targets = toy_problem()
    >>> check_knowledge(SortRegressLearner(progress=False), data, targets, scm)  # silent: the promise holds
    """
    names = list(data)
    true_edges = sorted(truth.graph.edges)
    non_edges = [(u, v) for u in names for v in names if u != v and not truth.graph.has_edge(u, v)
                 and not truth.graph.has_edge(v, u)]
    forbidden = [true_edges[0]] if true_edges else []
    required = [non_edges[0]] if non_edges else []
    order = list(truth.variables)
    tiers = [order[: len(order) // 2], order[len(order) // 2:]]
    kn = Knowledge(forbidden, required, tiers)
    try:
        kn.check(names)
    except ArgumentError:  # the required non-edge goes against the tiers: drop it
        required = []
        kn = Knowledge(forbidden, required, tiers)
    configured = clone(learner).set_params(forbidden=forbidden, required=required, tiers=tiers)
    if not type(learner).supports_knowledge:
        try:
            configured.fit(data, targets)
        except ArgumentError:
            return
        raise AssertionError(f"{type(learner).__name__} cannot take knowledge but did not refuse it")
    fitted = _fit(configured, data, targets, poor_fit=bool(required))  # the required non-edge explains nothing
    assert not kn.violations(fitted.graph_), f"graph_ contradicts the knowledge: {kn.violations(fitted.graph_)}"
    cp = fitted.cpdag_
    for u, v in forbidden:
        assert (u, v) not in cp.directed and frozenset((u, v)) not in {frozenset(e) for e in cp.undirected}, \
            f"cpdag_ allows the forbidden edge {u} -> {v}"
    for u, v in required:
        assert (u, v) in cp.directed, f"cpdag_ lacks the required edge {u} -> {v}"
    allowed = kn.allowed(names)
    idx = {n: i for i, n in enumerate(names)}
    for u, v in cp.undirected:
        assert allowed[idx[u], idx[v]] and allowed[idx[v], idx[u]], f"cpdag_ leaves {u} -- {v} open against the knowledge"
    P = fitted.edge_probs_.to_numpy()
    assert np.all(P[~allowed] == 0), "edge_probs_ give forbidden edges a probability above 0"
    for u, v in required:
        assert P[idx[u], idx[v]] == 1, f"edge_probs_ give the required edge {u} -> {v} a probability below 1"
    for d in fitted.sample_graphs(5, seed=0):
        assert not kn.violations(d), f"a sampled graph contradicts the knowledge: {kn.violations(d)}"


def check_bad_input(learner: Learner, data: Any, targets: Any) -> None:
    """Bad input gets a typed error: NaN, a constant column, unknown target names, no data, too
    few rows.

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> scm, data, targets = toy_problem()
    >>> check_bad_input(SortRegressLearner(progress=False), data, targets)  # silent: the promise holds
    """
    names = list(data)
    cases: list[tuple[str, Callable[[], Any], type]] = []
    nan = {k: v.clone() for k, v in data.items()}
    nan[names[0]][3] = float("nan")
    cases.append(("NaN", lambda: clone(learner).fit(nan, targets), NonFiniteError))
    const = {k: v.clone() for k, v in data.items()}
    const[names[1]] = torch.ones_like(const[names[1]])
    cases.append(("a constant column", lambda: clone(learner).fit(const, targets), InsufficientDataError))
    cases.append(("an unknown target", lambda: clone(learner).fit(data, [{"nope"}] + list(targets[1:])), UnknownVariableError))
    cases.append(("no columns", lambda: clone(learner).fit({}, None), InsufficientDataError))
    few = {k: v[:3] for k, v in data.items()}
    cases.append(("three rows", lambda: clone(learner).fit(few, None), InsufficientDataError))
    for what, call, err in cases:
        try:
            call()
        except err:
            continue
        except Exception as e:  # the wrong kind of error
            raise AssertionError(f"{what}: expected {err.__name__}, got {type(e).__name__}: {e}") from e
        raise AssertionError(f"{what}: expected {err.__name__}, but fit succeeded")


def check_max_time(learner: Learner, data: Any, targets: Any) -> None:
    """A tiny ``max_time`` returns a valid (if poor) answer with a TimeLimitWarning.

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> scm, data, targets = toy_problem()
    >>> check_max_time(SortRegressLearner(progress=False), data, targets)  # silent: the promise holds
    """
    tiny = clone(learner).set_params(max_time=1e-9)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tiny.fit(data, targets)
    assert any(issubclass(w.category, TimeLimitWarning) for w in caught), "max_time ran out without a TimeLimitWarning"
    assert tiny.timed_out_ is True, "timed_out_ must be True after running out of time"
    assert nx.is_directed_acyclic_graph(tiny.graph_), "the answer after running out of time must still be a DAG"


def check_learner(learner: Learner) -> None:
    """Run every check on ``learner`` (its settings are kept; give fast ones).

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> check_learner(SortRegressLearner(progress=False))
    """
    truth, data, targets = toy_problem()
    check_settings_stored(learner)
    check_not_fitted(learner)
    check_fit_returns_self(learner, data, targets)
    check_outputs(learner, data, targets)
    check_edge_probs_describe_graph(learner, data, targets)
    check_deterministic(learner, data, targets)
    check_knowledge(learner, data, targets, truth)
    check_bad_input(learner, data, targets)
    check_max_time(learner, data, targets)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, (np.ndarray, torch.Tensor)) or isinstance(b, (np.ndarray, torch.Tensor)):
        return type(a) is type(b) and bool(np.array_equal(np.asarray(a), np.asarray(b)))
    try:
        return bool(a == b)
    except Exception:  # objects without a usable ==: compare identity
        return a is b
