"""The estimator contract every structure learner follows, and the shared work around a search.

:class:`Learner` does everything except the search itself: it checks the data and targets
(:func:`causalworld.discovery.data.prepare`), builds the background knowledge, calls the
subclass's ``_learn``, checks the answer against the knowledge, fits ``scm_`` with
:meth:`causalworld.SCM.fit`, and offers ``sample_graphs`` and the held-out ``score``.

How to write a learner
----------------------
1. Subclass :class:`Learner` and decorate it with :func:`register_learner` (the shared
   conformance checks in :mod:`causalworld.discovery.checks` then run on it).
2. ``__init__`` takes keyword settings only and stores each one unchanged under its own name
   (``self.alpha = alpha``), doing no work and no validation. Include the common settings
   ``forbidden=None, required=None, tiers=None, mechanisms=None, max_time=None,
   progress=True, seed=0``. ``get_params`` reads the settings from the ``__init__`` signature.
   ``mechanisms=None`` fits ``scm_`` with the mechanisms the learner's own model of the data
   assumes: override :meth:`Learner.default_mechanisms` (linear unless overridden).
3. Implement ``_learn(self, problem: Problem) -> Learned``. ``problem`` (see
   :class:`~causalworld.discovery.data.Problem`) holds ``X`` (``[n, c + d]`` float64, columns
   ``problem.columns`` = lagged context columns, then the ``d`` variables), ``mask`` (``[n, c + d]``
   bool, True where intervened: score a node only on rows where it is False),
   ``problem.allowed()`` and ``problem.required()`` (``[c + d, c + d]`` bool matrices from the
   knowledge: prune the search with them so forbidden edges are never even considered),
   ``regimes``, ``seed``, ``progress`` (show tqdm bars only when True) and ``deadline`` (a
   ``time.monotonic()`` value or None: check :func:`out_of_time` in the main loop; when it is
   reached, stop and return the best graph so far with ``timed_out=True``; the base class warns).
4. Return a :class:`Learned`: ``adjacency`` (``[c + d, c + d]`` bool DAG over
   ``problem.columns``, no edges into context columns, obeying the knowledge), optionally
   ``edge_probs`` (same shape, in [0, 1], zero diagonal, the learner's own probabilities; they
   must describe ``adjacency``: a pair is adjacent in it exactly when ``p(a->b) + p(b->a) >= 0.5``,
   which :func:`causalworld.discovery.checks.check_edge_probs_describe_graph` tests),
   ``cpdag`` (a :class:`~causalworld.discovery.graphs.MixedGraph` over ``problem.names``; leave
   None to get the interventional essential graph of ``adjacency``), ``sampler`` (a function
   ``(k, numpy Generator) -> list of [c + d, c + d] bool adjacency matrices``, the learner's graph
   posterior; None gives ``k`` copies of the point estimate), ``tempered`` (for a score
   posterior: a function ``temperature -> sampler`` of the posterior with every score divided by
   the temperature; None when the draws are not a score posterior), ``timed_out`` and ``info`` (a
   dict kept as ``fit_info_``).
5. Set the class attributes ``supports_lags`` (True if ``_learn`` handles context columns) and
   ``supports_knowledge``; ``min_rows(d)`` says how many non-intervened rows each node needs.

After ``fit``, the learned attributes are ``graph_`` (``networkx.DiGraph`` DAG over
``variables_``), ``cpdag_`` (:class:`MixedGraph`), ``edge_probs_`` (DataFrame, parent rows x child
columns), ``scm_`` (:class:`causalworld.SCM`), ``lagged_graph_`` and ``lagged_edge_probs_``
(``lags=1`` only, else None), ``variables_``, ``regimes_``, ``n_rows_``, ``timed_out_``,
``fit_time_`` and ``fit_info_`` (the learner's ``info``, plus ``"mechanisms"``: what ``scm_`` was
fitted with). ``max_time`` (seconds; ``None``: no limit, ``inf`` is refused) covers the whole ``fit``:
the search, then ``scm_``, whose non-linear fit runs in a child process stopped at the deadline
(``scm_`` then has linear mechanisms, ``timed_out_`` is True and a TimeLimitWarning says so). Reading any of them before ``fit`` raises
:class:`~causalworld.errors.NotFittedError`.

All learners here assume causal sufficiency: no hidden confounders (a learner that allows them can return bidirected edges through :class:`MixedGraph`).
"""

from __future__ import annotations

import copy
import inspect
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import networkx as nx
import numpy as np
import pandas as pd
import torch

from causalworld.discovery.data import Problem, lag_name, prepare, read_columns, unrolled_name
from causalworld.discovery.graphs import MixedGraph, essential_graph
from causalworld.discovery.knowledge import Knowledge
from causalworld.discovery.timelimit import call_with_timeout
from causalworld.memory import check_memory
from causalworld.scm.seeding import check_seed
from causalworld.errors import (
    ArgumentError,
    DTypeError,
    GraphError,
    MissingVariableError,
    NotFittedError,
    OutOfRangeError,
    ShapeError,
    TimeLimitWarning,
    UnknownVariableError,
)
from causalworld.scm.targets import targets_mask

__all__ = ["Learner", "Learned", "register_learner", "LEARNERS", "out_of_time", "clone", "identifying_regimes"]

LEARNERS: dict[str, type["Learner"]] = {}
"""Every registered learner class by name (``register_learner`` fills it; the conformance checks run on each)."""

Sampler = Callable[[int, np.random.Generator], list[np.ndarray]]

# Most graphs one sample_graphs call returns: each is a networkx DiGraph (~20 us and a few hundred
# bytes per node and edge to build), so a million already takes tens of seconds.
MAX_GRAPH_SAMPLES = 10**6


def register_learner(cls: type["Learner"]) -> type["Learner"]:
    """Class decorator: list a learner in :data:`LEARNERS` (the conformance checks run on each).

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> LEARNERS["SortRegressLearner"] is SortRegressLearner
    True
    >>> @register_learner
    ... class MyLearner(SortRegressLearner):
    ...     pass
    >>> "MyLearner" in LEARNERS
    True
    >>> del LEARNERS["MyLearner"]  # keep the registry to the shipped learners
    """
    LEARNERS[cls.__name__] = cls
    return cls


def out_of_time(problem: Problem) -> bool:
    """True once ``problem.deadline`` (from ``max_time``) has passed.

    Examples
    --------
    >>> import time
    >>> from causalworld.discovery.data import prepare
    >>> data = {"x": [0.1, 1.2, -0.3, 0.8], "y": [1.0, 0.2, 0.5, -1.1]}
    >>> out_of_time(prepare(data)), out_of_time(prepare(data, deadline=time.monotonic() - 1.0))
    (False, True)
    """
    return problem.deadline is not None and time.monotonic() >= problem.deadline


def identifying_regimes(regimes: Sequence[frozenset[str]], interventions: str = "hard") -> list[set[str]]:
    """The target sets whose interventional equivalence class the data identify.

    Perfect interventions: the regimes as they are. Soft interventions identify the same class
    when observational rows are among them; without them only the differences between regimes
    count: the class is that of ``{T ^ T_0 : T in regimes}`` (symmetric differences with one
    regime ``T_0``, which gives the empty set for ``T_0``) (Yang, Katcoff & Uhler 2018).

    Examples
    --------
    >>> [sorted(t) for t in identifying_regimes([frozenset({"x"}), frozenset({"y"})], "soft")]
    [[], ['x', 'y']]
    >>> [sorted(t) for t in identifying_regimes([frozenset({"x"}), frozenset({"y"})])]
    [['x'], ['y']]
    """
    if interventions != "soft" or frozenset() in regimes or not regimes:
        return [set(r) for r in regimes]
    first = regimes[0]
    return [set(r ^ first) for r in regimes]


def clone(learner: "Learner") -> "Learner":
    """A new, unfitted learner with the same settings.

    Examples
    --------
    >>> from causalworld.discovery import SortRegressLearner
    >>> learner = SortRegressLearner(sort_by="var", progress=False)
    >>> twin = clone(learner)
    >>> twin is learner, twin.get_params() == learner.get_params()
    (False, True)
    """
    return type(learner)(**copy.deepcopy(learner.get_params()))


@dataclass
class Learned:
    """What a learner's ``_learn`` returns (see the module docstring for the contract).

    Examples
    --------
    >>> learned = Learned(adjacency=np.array([[0, 1], [0, 0]]))  # x0 -> x1
    >>> learned.edge_probs is None, learned.timed_out
    (True, False)
    """

    adjacency: np.ndarray
    edge_probs: np.ndarray | None = None
    cpdag: MixedGraph | None = None
    sampler: Sampler | None = None
    tempered: Callable[[float], Sampler] | None = None
    timed_out: bool = False
    info: dict[str, Any] = field(default_factory=dict)


class Learner:
    """Base class of the structure learners (scikit-learn's estimator contract).

    Subclasses define ``__init__`` (settings only) and ``_learn``; see the module docstring.

    Examples
    --------
    >>> import causalworld as cw
    >>> from causalworld.discovery import SortRegressLearner
    >>> truth = cw.SCM.linear([("a", "b")], {("a", "b"): 2.0}, 1.0)
    >>> learner = SortRegressLearner(sort_by="var", progress=False)
    >>> learner.fit(truth.sample(300, seed=0)) is learner
    True
    >>> sorted(learner.graph_.edges), learner.edge_probs_.loc["a", "b"]
    ([('a', 'b')], np.float64(1.0))
    >>> held_out = truth.sample(100, seed=1)
    >>> learner.score(held_out) < learner.score(held_out, [{"b"}] * 100)  # b's (negative) term left out
    True
    >>> [sorted(g.edges) for g in learner.sample_graphs(2, seed=0)]
    [[('a', 'b')], [('a', 'b')]]
    """

    supports_lags: ClassVar[bool] = False
    supports_knowledge: ClassVar[bool] = True

    # ------------------------------------------------------------------ settings
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]

    def get_params(self) -> dict[str, Any]:
        """The settings given to ``__init__``, by name.

        Examples
        --------
        >>> from causalworld.discovery import SortRegressLearner
        >>> params = SortRegressLearner(sort_by="var", progress=False).get_params()
        >>> params["sort_by"], params["seed"]
        ('var', 0)
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> "Learner":
        """Change settings (takes effect at the next ``fit``); returns self.

        Examples
        --------
        >>> from causalworld.discovery import SortRegressLearner
        >>> SortRegressLearner(progress=False).set_params(sort_by="var", seed=3)
        SortRegressLearner(sort_by='var', progress=False, seed=3)
        >>> SortRegressLearner().set_params(sort_bye="var")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        causalworld.errors.UnknownVariableError: ...
        """
        names = self._param_names()
        for k, v in params.items():
            if k not in names:
                raise UnknownVariableError.of(k, names, where=f"the settings of {type(self).__name__}")
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        shown = []
        for name, p in sig.parameters.items():
            if name == "self" or not hasattr(self, name):
                continue
            value = getattr(self, name)
            if p.default is inspect.Parameter.empty or not _same(value, p.default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: a learned attribute read before fit.
        if name.endswith("_") and not name.startswith("__"):
            if self.__dict__.get("_fitted", False):
                raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
            raise NotFittedError(
                f"{type(self).__name__}.{name} is learned by fit; call .fit(data, targets) before reading it"
            )
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _check_fitted(self) -> None:
        if not self.__dict__.get("_fitted", False):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet; call .fit(data, targets) first")

    def _common_settings(self) -> None:
        """Check the settings every learner shares (called at the start of ``fit``)."""
        max_time = getattr(self, "max_time", None)
        if max_time is not None and (isinstance(max_time, bool) or not isinstance(max_time, (int, float)) or not max_time > 0
                                     or max_time == float("inf")):
            raise OutOfRangeError(f"max_time must be a positive, finite number of seconds, or None for no limit; got {max_time!r}")
        seed = getattr(self, "seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise ArgumentError(f"seed must be an int, got {seed!r}")
        check_seed(seed, allow_none=False)  # 0..2**64-1: a negative seed would alias a large one
        mech = getattr(self, "mechanisms", None)
        if mech is not None and not isinstance(mech, (str, dict)):
            raise DTypeError(
                f"mechanisms must be None, 'linear', 'mlp', 'auto' or a {{variable: choice}} dict, got {mech!r}")

    def default_mechanisms(self) -> str:
        """The mechanisms of ``scm_`` when ``mechanisms=None``: those the learner's own model of the
        data assumes (``"linear"`` here, for the linear-Gaussian tests and scores; a learner with a
        nonlinear score or conditionals returns ``"mlp"``).

        Examples
        --------
        >>> from causalworld.discovery import SortRegressLearner
        >>> SortRegressLearner().default_mechanisms()
        'linear'
        """
        return "linear"

    def _mechanisms(self) -> str | dict:
        mech = getattr(self, "mechanisms", None)
        return self.default_mechanisms() if mech is None else mech

    def knowledge(self) -> Knowledge:
        """The background knowledge from the ``forbidden``, ``required`` and ``tiers`` settings.

        Examples
        --------
        >>> from causalworld.discovery import SortRegressLearner
        >>> SortRegressLearner(forbidden=[("a", "b")]).knowledge()
        Knowledge(forbidden=[('a', 'b')], required=[], tiers={})
        """
        k = Knowledge(getattr(self, "forbidden", None), getattr(self, "required", None), getattr(self, "tiers", None))
        if not k.empty and not self.supports_knowledge:
            raise ArgumentError(
                f"{type(self).__name__} cannot use background knowledge (forbidden / required / tiers): the "
                "library it calls has no way to take it; use ExactLearner, or PCLearner, which passes it on"
            )
        return k

    def min_rows(self, d: int) -> int:
        """Fewest rows each variable needs where it was not intervened.

        Examples
        --------
        >>> from causalworld.discovery import SortRegressLearner
        >>> SortRegressLearner().min_rows(3), SortRegressLearner().min_rows(10)
        (5, 12)
        """
        return max(5, d + 2)

    # ------------------------------------------------------------------ fit
    def fit(self, data: Any, targets: Any = None, *, lags: int = 0) -> "Learner":
        """Learn the graph and mechanisms from ``data`` and the intervention ``targets``.

        Parameters
        ----------
        data
            A DataFrame or dict of float columns, one per variable (``[n]``, or ``[n, T]`` with
            ``lags=1``).
        targets
            Which variables were intervened in each row (perfect interventions, or soft ones for
            learners with ``interventions="soft"``): ``None`` (all observational), one set of
            names per row (empty = observational), an ``[n, d]`` boolean mask in the data's column
            order, or (``lags=1``) an ``[n, T, d]`` mask.
        lags
            1 to learn lag-1 edges ``x[t-1] -> y[t]`` together with instantaneous ones.

        Returns
        -------
        self
        """
        start = time.monotonic()
        for name in [k for k in self.__dict__ if k.endswith("_") and not k.startswith("_")]:
            del self.__dict__[name]
        self.__dict__["_fitted"] = False
        self._common_settings()
        if lags and not self.supports_lags:
            raise ArgumentError(f"{type(self).__name__} does not learn lagged edges; use ExactLearner for lags=1")
        knowledge = self.knowledge()
        max_time = getattr(self, "max_time", None)
        n_cols = len(data.columns) if isinstance(data, pd.DataFrame) else len(data) if hasattr(data, "__len__") else 0
        problem = prepare(data, targets, knowledge=knowledge, lags=lags, min_rows=self.min_rows(n_cols * (1 + lags)),
                          seed=int(getattr(self, "seed", 0)), progress=bool(getattr(self, "progress", False)),
                          deadline=None if max_time is None else start + float(max_time), learner=type(self).__name__)
        learned = self._learn(problem)
        self._finish(problem, learned)
        self.fit_time_ = time.monotonic() - start
        return self

    def _learn(self, problem: Problem) -> Learned:  # pragma: no cover - every subclass defines it
        raise TypeError(f"{type(self).__name__} must define _learn(problem) -> Learned")

    def _finish(self, problem: Problem, learned: Learned) -> None:
        cols = list(problem.columns)
        names = list(problem.names)
        c = problem.c
        adj = np.asarray(learned.adjacency, dtype=bool)
        if adj.shape != (len(cols), len(cols)):
            raise ShapeError(f"{type(self).__name__}._learn returned an adjacency of shape {adj.shape}; expected {(len(cols),) * 2}")
        full = nx.DiGraph()
        full.add_nodes_from(cols)
        full.add_edges_from((cols[i], cols[j]) for i, j in zip(*np.nonzero(adj)))
        if not nx.is_directed_acyclic_graph(full) or adj[:, :c].any():
            raise GraphError(f"{type(self).__name__} produced a graph with a cycle or an edge into a lagged copy")
        bad = problem.knowledge.violations(full)
        if bad:
            raise GraphError(f"{type(self).__name__} produced a graph that contradicts the background knowledge: {bad}")
        graph = full.subgraph(names).copy()
        probs = adj.astype(float) if learned.edge_probs is None else np.asarray(learned.edge_probs, dtype=float)
        if probs.shape != adj.shape or not np.all((probs >= 0) & (probs <= 1)):
            raise GraphError(f"{type(self).__name__} produced edge probabilities outside [0, 1] or of the wrong shape")
        probs = probs.copy()
        probs[~problem.allowed()] = 0.0  # known exactly: no rounding noise where knowledge decides
        probs[problem.required()] = 1.0
        np.fill_diagonal(probs, 0.0)
        if learned.cpdag is not None:
            cpdag = learned.cpdag
        else:
            allowed = problem.allowed()
            known = [(cols[i], cols[j]) for i, j in zip(*np.nonzero(adj & ~allowed.T))]
            eg = essential_graph(full, identifying_regimes(problem.regimes, getattr(self, "interventions", "hard")),
                                 known=known)
            cpdag = MixedGraph(names, [e for e in eg.directed if e[0] in graph and e[1] in graph],
                               [e for e in eg.undirected if e[0] in graph and e[1] in graph])
        self.variables_ = tuple(names)
        self.graph_ = graph
        self.cpdag_ = cpdag
        self.edge_probs_ = pd.DataFrame(probs[c:, c:], index=names, columns=names)
        self.regimes_ = list(problem.regimes)
        self.n_rows_ = problem.n
        self.timed_out_ = bool(learned.timed_out)
        self.fit_info_ = dict(learned.info)
        mechanisms = self._mechanisms()
        self.fit_info_["mechanisms"] = mechanisms
        self._sampler = learned.sampler
        self._tempered = learned.tempered
        self._tempered_samplers: dict[float, Sampler] = {}
        self._adjacency = adj
        self._columns = tuple(cols)
        self._lags = problem.lags
        self._n_steps = problem.n_steps
        if problem.lags:
            lagged = nx.DiGraph()
            lagged.add_nodes_from(cols)
            lagged.add_edges_from((u, v) for u, v in full.edges if u in problem.context)
            self.lagged_graph_ = lagged
            self.lagged_edge_probs_ = pd.DataFrame(probs[:c, c:], index=list(problem.context), columns=names)
            fit_graph = self._unrolled(graph, lagged, names, problem.n_steps)
        else:
            self.lagged_graph_ = None
            self.lagged_edge_probs_ = None
            fit_graph = graph
        if learned.timed_out:
            warnings.warn(
                f"{type(self).__name__} ran out of max_time={getattr(self, 'max_time', None)} s and returned the best "
                "graph found so far (timed_out_ is True); give it more time for the full search",
                TimeLimitWarning, stacklevel=3)
        self.scm_ = self._fit_scm(fit_graph, problem, mechanisms)
        self.__dict__["_fitted"] = True

    def _fit_scm(self, graph: nx.DiGraph, problem: Problem, mechanisms: str | dict) -> Any:
        """``scm_`` fitted within what is left of ``max_time``: a fit that is not linear runs in
        a child process stopped at the deadline, and then (or when no time is left) ``scm_`` gets
        linear mechanisms, which fit in one least-squares solve each, with a TimeLimitWarning."""
        from causalworld.scm.model import SCM

        def fit(choice: str | dict) -> SCM:
            return SCM.fit(graph, problem.frame, choice, targets=problem.frame_targets,
                           progress=bool(getattr(self, "progress", False)), seed=int(getattr(self, "seed", 0)))

        if problem.deadline is None or math.isinf(problem.deadline) or mechanisms == "linear":
            return fit(mechanisms)
        left = problem.deadline - time.monotonic()
        if left > 0:
            scm, late = call_with_timeout(fit, (mechanisms,), left)
            if not late:
                return scm
        self.timed_out_ = True
        self.fit_info_["mechanisms"] = "linear (max_time ran out)"
        warnings.warn(
            f"{type(self).__name__}'s max_time={getattr(self, 'max_time', None)} s ran out before scm_ was fitted with "
            f"mechanisms={mechanisms!r}; scm_ has linear mechanisms instead (timed_out_ is True): give more time, or "
            "refit with causalworld.SCM.fit(learner.graph_, data, ...)", TimeLimitWarning, stacklevel=4)
        return fit("linear")

    @staticmethod
    def _unrolled(graph: nx.DiGraph, lagged: nx.DiGraph, names: list[str], T: int) -> nx.DiGraph:
        g = nx.DiGraph()
        g.add_nodes_from(unrolled_name(v, t) for t in range(T) for v in names)
        lag_of = {lag_name(v): v for v in names}
        for t in range(T):
            g.add_edges_from((unrolled_name(u, t), unrolled_name(v, t)) for u, v in graph.edges)
            if t:
                g.add_edges_from((unrolled_name(lag_of[u], t - 1), unrolled_name(v, t)) for u, v in lagged.edges)
        return g

    # ------------------------------------------------------------------ after fit
    def sample_graphs(self, k: int, seed: int | None = 0, *, temperature: float = 1.0) -> list[nx.DiGraph]:
        """``k`` DAGs drawn from the learner's uncertainty about the graph.

        Over ``variables_``; with ``lags=1`` over the lag-1 copies and the variables (lagged edges
        included). Learners without a posterior return bootstrap graphs or copies of ``graph_``.
        At most ``MAX_GRAPH_SAMPLES`` (10**6) graphs per call (``OutOfRangeError``), and only as
        many as fit in free memory (``MemoryLimitError``); ``edge_probs_`` holds the edge
        frequencies without drawing graphs.

        ``temperature`` (a score posterior's learners only, e.g. ``ExactLearner``): draw from
        ``p_T(G | order) ∝ (prior(G | order) exp(score(G)))^(1 / T)`` instead, every local score
        (its structure-prior term included) divided by ``T``: for a likelihood score, roughly the
        posterior of data worth ``1 / T`` of their rows. ``T > 1`` widens a posterior that a
        misspecified score makes too sure of itself (a power posterior); ``edge_probs_`` and
        ``graph_`` stay those of ``T = 1``. Learners whose draws are not a score posterior
        (bootstrap refits, edge probabilities, copies of ``graph_``) raise an ``ArgumentError``
        for ``T != 1``.
        """
        self._check_fitted()
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise OutOfRangeError(f"k must be a positive int, got {k!r}")
        sampler = self._sampler_at(temperature)
        if k > MAX_GRAPH_SAMPLES:
            raise OutOfRangeError(
                f"sample_graphs(k={k}) asks for more than MAX_GRAPH_SAMPLES = {MAX_GRAPH_SAMPLES} graphs in one call; "
                "draw them in batches with different seeds, or read edge frequencies from edge_probs_"
            )
        p = len(self._columns)
        per_graph = 16 * p * p + 300 * (p + int(np.count_nonzero(self._adjacency))) + 500  # matrices, DiGraph
        check_memory(int(k) * per_graph, what=f"sample_graphs(k={k})", per_item=per_graph,
                     fix="draw {fit} graphs at a time with different seeds")
        rng = np.random.default_rng(seed)
        mats = sampler(int(k), rng) if sampler is not None else [self._adjacency] * int(k)
        cols = list(self._columns)
        keep = cols if self._lags else list(self.variables_)
        out = []
        for a in mats:
            g = nx.DiGraph()
            g.add_nodes_from(keep)
            g.add_edges_from((cols[i], cols[j]) for i, j in zip(*np.nonzero(a)) if cols[i] in keep)
            out.append(g)
        return out

    def _sampler_at(self, temperature: Any) -> Sampler | None:
        """The sampler of the posterior at ``temperature`` (a tempered one is made once per temperature)."""
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.integer, np.floating)) \
                or not math.isfinite(temperature) or temperature <= 0:
            raise OutOfRangeError(f"temperature must be a finite number > 0, got {temperature!r}")
        if temperature == 1:
            return self._sampler
        if self._tempered is None:
            why = "its fit ran out of time before the posterior" if self.timed_out_ else \
                "its graphs are drawn from bootstrap refits, edge probabilities or its point estimate"
            raise ArgumentError(
                f"{type(self).__name__} has no score posterior ({why}), so temperature={temperature!r} has nothing to "
                "temper: pass temperature=1, or use ExactLearner (without running out of max_time)"
            )
        key = float(temperature)
        if key not in self._tempered_samplers:
            self._tempered_samplers[key] = self._tempered(key)
        return self._tempered_samplers[key]

    def score(self, data: Any, targets: Any = None) -> float:
        """Held-out interventional log-likelihood of ``data`` under ``scm_``, mean per row.

        Each row sums ``log p(x_v | parents)`` over the variables *not* intervened in that row
        (an intervened variable's value is set, not drawn). Higher is better.
        """
        self._check_fitted()
        names = list(self.variables_)
        cols = read_columns(data, allow_2d=bool(self._lags))
        unknown = [c for c in cols if c not in names]
        if unknown:
            raise UnknownVariableError.of(unknown[0], names, where="the fitted variables")
        missing = [v for v in names if v not in cols]
        if missing:
            raise MissingVariableError(f"data lacks {missing}; score needs a column for every fitted variable")
        n = next(iter(cols.values())).shape[0]
        if self._lags:
            T = self._n_steps
            shape = next(iter(cols.values())).shape
            if len(shape) != 2 or shape[1] != T:
                raise ShapeError(f"the model was fitted on {T} time steps; give [n, {T}] columns")
            values = {unrolled_name(v, t): cols[v][:, t] for t in range(T) for v in names}
            if isinstance(targets, (np.ndarray, torch.Tensor)) and np.ndim(targets) == 3:
                tm = np.asarray(targets.detach().cpu() if isinstance(targets, torch.Tensor) else targets).astype(bool)
                if tm.shape != (n, T, len(names)):
                    raise ShapeError(f"a per-step targets mask must be [n, T, d] = {(n, T, len(names))}")
            else:
                tm = np.repeat(targets_mask(targets, names, n)[:, None, :], T, axis=1)
            mask = tm.reshape(n, T * len(names))
            order = [unrolled_name(v, t) for t in range(T) for v in names]
        else:
            values = {v: cols[v] for v in names}
            mask = targets_mask(targets, list(cols), n)
            order = list(cols)
        scm = self.scm_
        vals = scm.as_tensors(values, require=scm.variables)
        keep = torch.from_numpy(~mask).to(scm.device)
        index = {v: i for i, v in enumerate(order)}
        total = torch.zeros(n, dtype=scm.dtype, device=scm.device)
        for v in scm.variables:
            ps = scm.parents(v)
            pa = torch.stack([vals[p] for p in ps], 1) if ps else torch.empty(n, 0, dtype=scm.dtype, device=scm.device)
            lp = scm.mechanisms[v].log_prob(vals[v], pa).to(scm.dtype)
            total += torch.where(keep[:, index[v]], lp, torch.zeros_like(lp))
        return float(total.mean())


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) if not isinstance(a, np.ndarray) else False
    except Exception:  # values that cannot be compared are shown
        return False
