"""Baseline learners, so a method is always compared in one line: PC and GES from causal-learn,
and a plain sort-and-regress baseline (order by R² or variance, regress, prune).

PC and GES return an equivalence class; it is checked against the background knowledge,
closed under Meek's rules and extended to a DAG for ``graph_``. With ``n_bootstrap`` resamples
``edge_probs_`` are bootstrap frequencies and ``graph_`` is the bagged graph they describe (the
pairs adjacent in at least half the resamples); without, ``edge_probs_`` is the 0/1 matrix of
``graph_``. With ``max_time`` (which covers the whole ``fit``), each causal-learn call runs in a
child process that is stopped when the time is up, since causal-learn cannot be interrupted
from inside.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import networkx as nx
import numpy as np
from scipy import stats
from tqdm.auto import tqdm

from causalworld.discovery.base import Learned, Learner, out_of_time, register_learner
from causalworld.discovery.data import Problem
from causalworld.discovery.consensus import adjacency_probs, median_graph
from causalworld.discovery.graphs import MixedGraph, consistent_extension, essential_graph, meek_closure
from causalworld.discovery.knowledge import Knowledge
from causalworld.discovery.timelimit import call_with_timeout
from causalworld.errors import ArgumentError, InsufficientDataError, OutOfRangeError

__all__ = ["PCLearner", "GESLearner", "SortRegressLearner", "orient_with_knowledge"]


# causal-learn's nonparametric independence tests: with them PC assumes no functional form, and
# ``scm_`` is fitted with MLP mechanisms by default.
_KERNEL_TESTS = ("kci", "fastkci", "rcit")
_GAUSSIAN_TESTS = ("fisherz", "mv_fisherz", "mc_fisherz")
_INDEP_TESTS = _GAUSSIAN_TESTS + ("chisq", "gsq", "d_separation") + _KERNEL_TESTS
_GES_SCORES = ("local_score_BIC", "local_score_BIC_from_cov", "local_score_BIC_from_cov_deterministic",
               "local_score_BDeu", "local_score_CV_general", "local_score_marginal_general", "local_score_CV_multi",
               "local_score_marginal_multi")


# ---------------------------------------------------------------------- shared post-processing
def orient_with_knowledge(names: list[str], directed: set[tuple[str, str]], undirected: set[tuple[str, str]],
                          knowledge: Knowledge) -> tuple[MixedGraph, nx.DiGraph]:
    """Make a (possibly conflicting) partially directed graph obey ``knowledge`` and extend it.

    Directed edges the knowledge forbids are reversed when the reverse is allowed, else dropped;
    undirected edges with one allowed direction take it; required edges are added; cycles among
    directed edges are broken by dropping a non-required edge; Meek's rules propagate the result.
    The DAG is a consistent extension (Dor & Tarsi) when one exists, else the edges are oriented
    along a topological order of the directed part that respects the tiers.

    Returns
    -------
    (MixedGraph, networkx.DiGraph)
        The equivalence class after the knowledge, and a DAG in it.

    Examples
    --------
    >>> k = Knowledge(forbidden=[("b", "a")])
    >>> pdag, dag = orient_with_knowledge(["a", "b"], set(), {("a", "b")}, k)
    >>> pdag, sorted(dag.edges)
    (MixedGraph(a -> b), [('a', 'b')])
    """
    allowed = knowledge.allowed(names)
    idx = {v: i for i, v in enumerate(names)}
    required = set(knowledge.required)

    def ok(u: str, v: str) -> bool:
        return bool(allowed[idx[u], idx[v]])

    def settle(d_edges: set[tuple[str, str]], u_edges: set[tuple[str, str]]):
        D: set[tuple[str, str]] = set()
        U: set[tuple[str, str]] = set()
        for u, v in d_edges:
            if ok(u, v):
                D.add((u, v))
            elif ok(v, u):
                D.add((v, u))
        for u, v in u_edges:
            a, b = ok(u, v), ok(v, u)
            if a and b:
                U.add((u, v))
            elif a or b:
                D.add((u, v) if a else (v, u))
        for u, v in required:
            D.discard((v, u))
            U.discard((u, v))
            U.discard((v, u))
            D.add((u, v))
        U = {e for e in U if (e[0], e[1]) not in D and (e[1], e[0]) not in D}
        g = nx.DiGraph(list(D))
        while True:
            try:
                cycle = nx.find_cycle(g)
            except nx.NetworkXNoCycle:
                break
            drop = next(((u, v) for u, v, *_ in cycle if (u, v) not in required), None)
            g.remove_edge(*drop)  # required edges are acyclic (checked), so one is not required
            D.discard(drop)
        return D, U

    D, U = settle(directed, undirected)
    closed = meek_closure(MixedGraph(names, D, U))
    D, U = settle(set(closed.directed), set(closed.undirected))
    pdag = MixedGraph(names, D, U)
    dag = consistent_extension(pdag)
    if dag is None or not nx.is_directed_acyclic_graph(dag):
        dag = _orient_by_order(names, D, U, knowledge, ok)
    return pdag, dag


def _orient_by_order(names: list[str], D: set[tuple[str, str]], U: set[tuple[str, str]], knowledge: Knowledge,
                     ok: Callable[[str, str], bool]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(names)
    g.add_edges_from(D)
    pos = {v: i for i, v in enumerate(names)}
    order = list(nx.lexicographical_topological_sort(g, key=lambda v: (knowledge.tiers.get(v, 0), pos[v])))
    rank = {v: i for i, v in enumerate(order)}
    for u, v in U:
        a, b = (u, v) if rank[u] < rank[v] else (v, u)
        if ok(a, b):
            g.add_edge(a, b)
    return g


def _adjacency(dag: nx.DiGraph, names: list[str]) -> np.ndarray:
    idx = {v: i for i, v in enumerate(names)}
    a = np.zeros((len(names), len(names)), dtype=bool)
    for u, v in dag.edges:
        a[idx[u], idx[v]] = True
    return a


def _edge_weights(pdag: MixedGraph, names: list[str]) -> np.ndarray:
    """1 for ``u -> v``, 1/2 each way for ``u -- v`` (the bootstrap count of one run)."""
    idx = {v: i for i, v in enumerate(names)}
    w = np.zeros((len(names), len(names)))
    for u, v in pdag.directed:
        w[idx[u], idx[v]] = 1.0
    for u, v in pdag.undirected:
        w[idx[u], idx[v]] = w[idx[v], idx[u]] = 0.5
    return w


def _from_cl_matrix(G: np.ndarray, names: list[str]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """causal-learn's endpoint matrix: ``G[j, i] = 1, G[i, j] = -1`` is ``i -> j``; ``-1, -1`` is
    ``i -- j``; ``1, 1`` (a conflict) is read as undirected."""
    directed, undirected = set(), set()
    d = len(names)
    for i in range(d):
        for j in range(i + 1, d):
            a, b = G[i, j], G[j, i]
            if a == 0 and b == 0:
                continue
            if a == -1 and b == 1:
                directed.add((names[i], names[j]))
            elif a == 1 and b == -1:
                directed.add((names[j], names[i]))
            else:
                undirected.add((names[i], names[j]))
    return directed, undirected


def _run_pc(X: np.ndarray, names: list[str], options: dict[str, Any], spec: tuple) -> np.ndarray:
    from causallearn.graph.GraphNode import GraphNode
    from causallearn.search.ConstraintBased.PC import pc

    k = Knowledge(*spec)
    bk = None if k.empty else k.to_causallearn(names, [GraphNode(v) for v in names])
    cg = pc(X, background_knowledge=bk, node_names=list(names), verbose=False, show_progress=False, **options)
    return np.asarray(cg.G.graph)


def _run_ges(X: np.ndarray, names: list[str], options: dict[str, Any], spec: tuple) -> np.ndarray:
    from causallearn.search.ScoreBased.GES import ges

    record = ges(X, node_names=list(names), **options)
    return np.asarray(record["G"].graph)


def _preload_causallearn() -> None:
    """Import causal-learn's searches in this process, so that the child processes that run them
    under ``max_time`` are forked with them loaded: each child would otherwise import them again,
    about 0.5 s a run (a PC bootstrap of 300 rows takes 25 ms)."""
    import causallearn.graph.GraphNode  # noqa: F401
    import causallearn.search.ConstraintBased.PC  # noqa: F401
    import causallearn.search.ScoreBased.GES  # noqa: F401


def _left(problem: Problem) -> float | None:
    """Seconds left before ``problem.deadline`` (None: no limit)."""
    return None if problem.deadline is None else max(problem.deadline - time.monotonic(), 0.0)


def _bagged(names: list[str], probs: np.ndarray, knowledge: Knowledge, problem: Problem) -> tuple[MixedGraph, np.ndarray]:
    """The bagged equivalence class of the bootstrap runs and a DAG in it: the pairs adjacent in
    at least half the resamples (``p(a->b) + p(b->a) >= 0.5``), directed where one orientation
    outweighs the other, then closed and extended as a single run is (:func:`orient_with_knowledge`,
    which keeps the v-structures). Where that extension has to drop a pair (directed cycles), the
    median-probability graph of ``probs`` is returned with the class of its own."""
    adjacent = adjacency_probs(probs) >= 0.5
    directed, undirected = set(), set()
    for a, b in zip(*np.nonzero(np.triu(adjacent, 1))):
        if probs[a, b] != probs[b, a]:
            directed.add((names[a], names[b]) if probs[a, b] > probs[b, a] else (names[b], names[a]))
        else:
            undirected.add((names[a], names[b]))
    pdag, dag = orient_with_knowledge(names, directed, undirected, knowledge)
    adjacency = _adjacency(dag, names)
    if np.array_equal(adjacency | adjacency.T, adjacent & ~np.eye(len(names), dtype=bool)):
        return pdag, adjacency
    adjacency = median_graph(probs, problem.allowed(), problem.required())  # pragma: no cover - rare
    g = nx.DiGraph([(names[i], names[j]) for i, j in zip(*np.nonzero(adjacency))])
    g.add_nodes_from(names)
    cls = essential_graph(g, [set()])
    return MixedGraph(names, cls.directed, cls.undirected), adjacency


class _CausalLearnBaseline(Learner):
    """PC and GES: run causal-learn on the rows, post-process, bootstrap."""

    _runner: Callable[..., np.ndarray]

    def min_rows(self, d: int) -> int:
        return max(10, d + 3)

    def _cl_options(self) -> dict[str, Any]:  # pragma: no cover - defined by subclasses
        return {}

    def _gaussian(self) -> bool:  # pragma: no cover - defined by subclasses
        return False

    def _check_columns(self, X: np.ndarray, names: list[str]) -> None:
        """Refuse what causal-learn fails on with a bare error: fewer than two variables, and
        (for its Gaussian tests and scores) duplicated or collinear columns."""
        if len(names) < 2:
            raise InsufficientDataError(
                f"{type(self).__name__} learns edges between two or more variables; the data have {len(names)} "
                f"({names}): add the variables it may depend on")
        if not self._gaussian():
            return
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                if np.array_equal(X[:, i], X[:, j]):
                    raise InsufficientDataError(
                        f"columns {names[i]!r} and {names[j]!r} are identical on the rows used; the Gaussian test's "
                        f"correlation matrix is singular: drop one of them")
        corr = np.corrcoef(X, rowvar=False)
        if not np.all(np.isfinite(corr)) or np.linalg.matrix_rank(corr, tol=1e-10) < len(names):
            raise InsufficientDataError(
                f"the columns {names} are collinear on the rows used (one is a linear function of others); the "
                "Gaussian test's correlation matrix is singular: drop the redundant columns")

    def _rows(self, problem: Problem) -> np.ndarray:
        if self.rows == "observational":
            keep = problem.observational().numpy()
            if keep.sum() < self.min_rows(problem.d):
                raise InsufficientDataError(
                    f"{type(self).__name__} uses the observational rows only (rows='observational') and the data have "
                    f"{int(keep.sum())}; give more observational rows, or pass rows='all'"
                )
            return problem.X[keep].numpy()
        if self.rows == "all":
            return problem.X.numpy()
        raise ArgumentError(f"rows must be 'observational' or 'all', got {self.rows!r}")

    def _learn(self, problem: Problem) -> Learned:
        if isinstance(self.n_bootstrap, bool) or not isinstance(self.n_bootstrap, (int, np.integer)) or self.n_bootstrap < 0:
            raise OutOfRangeError(f"n_bootstrap must be an int >= 0, got {self.n_bootstrap!r}")
        names = list(problem.names)
        X = self._rows(problem)
        options = self._cl_options()
        self._check_columns(X, names)
        k = problem.knowledge
        spec = (list(k.forbidden), list(k.required), dict(k.tiers))
        runner = type(self)._runner
        _preload_causallearn()
        G, timed_out = call_with_timeout(runner, (X, names, options, spec), _left(problem))
        if timed_out:
            directed: set[tuple[str, str]] = set()
            undirected: set[tuple[str, str]] = set()
        else:
            directed, undirected = _from_cl_matrix(G, names)
        pdag, dag = orient_with_knowledge(names, directed, undirected, k)
        adjacency = _adjacency(dag, names)
        rng = np.random.default_rng(self.seed)
        weights, dags = [], []
        for _ in tqdm(range(self.n_bootstrap), desc=f"{type(self).__name__} bootstrap", disable=not problem.progress, leave=False):
            if out_of_time(problem):  # the rest of the resamples are left out
                break
            rows = rng.integers(0, X.shape[0], X.shape[0])
            Gb, late = call_with_timeout(runner, (X[rows], names, options, spec), _left(problem))
            if late:
                continue
            pb, db = orient_with_knowledge(names, *_from_cl_matrix(Gb, names), k)
            weights.append(_edge_weights(pb, names))
            dags.append(_adjacency(db, names))
        probs = np.mean(weights, 0) if weights else adjacency.astype(float)
        info = {"rows_used": int(X.shape[0]), "bootstrap_runs": len(weights),
                "bootstrap_timed_out": self.n_bootstrap - len(weights)}
        if weights:
            pdag, adjacency = _bagged(names, probs, k, problem)
            info["graph"] = "bagged: adjacent in at least half the resamples"
        sampler = None
        if dags:
            def sampler(n: int, g: np.random.Generator, pool=tuple(dags)) -> list[np.ndarray]:
                return [pool[i] for i in g.integers(0, len(pool), n)]
        return Learned(adjacency, edge_probs=probs, cpdag=pdag, sampler=sampler, timed_out=timed_out, info=info)


@register_learner
class PCLearner(_CausalLearnBaseline):
    """The PC algorithm of causal-learn (``causallearn.search.ConstraintBased.PC.pc``).

    ``cpdag_`` is PC's output after the background knowledge and Meek's rules; ``graph_`` a
    consistent DAG extension of it; ``edge_probs_`` bootstrap frequencies over ``n_bootstrap``
    resamples (``u -> v`` counts 1, ``u -- v`` counts 1/2 each way; 0 resamples gives the 0/1
    matrix of ``graph_``), and ``sample_graphs`` draws from the bootstrap DAGs. With resamples,
    ``cpdag_`` and ``graph_`` are the bagged class the frequencies describe: the pairs adjacent
    in at least half the resamples (``p(a->b) + p(b->a) >= 0.5``), directed the way that
    outweighs the other (equal weights: undirected), closed and extended as above
    (Friedman, Goldszmidt & Wyner 1999 read confident features off bootstrap frequencies so). The background
    knowledge is passed to causal-learn (its ``BackgroundKnowledge``: forbidden, required, tiers)
    and enforced again on the output, since causal-learn may leave required edges out.
    Interventions are not modelled: by default only the observational rows are used
    (``rows="all"`` pools every row). Assumes no hidden confounders.

    Parameters
    ----------
    alpha
        Significance level of the conditional independence tests.
    indep_test
        causal-learn's test name (``"fisherz"`` for Gaussian data, ``"kci"``, ``"chisq"``, ...).
    stable
        The order-independent ("stable") skeleton search.
    n_bootstrap
        Bootstrap resamples for ``edge_probs_`` (and the bagged ``graph_``, above).
    rows
        ``"observational"`` (rows without intervention) or ``"all"``.
    mechanisms
        Mechanisms of ``scm_`` (:meth:`causalworld.SCM.fit`); ``None``: ``"mlp"`` with a kernel
        test (``"kci"``, ``"fastkci"``, ``"rcit"``), else ``"linear"``.
    max_time
        Seconds allowed for the whole ``fit`` (the causal-learn run, the resamples and ``scm_``;
        ``None`` or ``inf``: no limit); a main run that hits it leaves the graph empty (only
        required edges) with a TimeLimitWarning, and resamples that hit it are left out
        (``fit_info_["bootstrap_timed_out"]``).

    Examples
    --------
    >>> import causalworld as cw
    >>> truth = cw.SCM.linear([("a", "c"), ("b", "c")], {("a", "c"): 1.0, ("b", "c"): 1.0}, 1.0)
    >>> pc = PCLearner(progress=False).fit(truth.sample(1000, seed=0))
    >>> pc.cpdag_
    MixedGraph(a -> c, b -> c)
    """

    _runner = staticmethod(_run_pc)

    def __init__(self, *, alpha: float = 0.01, indep_test: str = "fisherz", stable: bool = True,
                 n_bootstrap: int = 0, rows: str = "observational", forbidden: Any = None, required: Any = None,
                 tiers: Any = None, mechanisms: Any = None, max_time: float | None = None,
                 progress: bool = True, seed: int = 0) -> None:
        self.alpha = alpha
        self.indep_test = indep_test
        self.stable = stable
        self.n_bootstrap = n_bootstrap
        self.rows = rows
        self.forbidden = forbidden
        self.required = required
        self.tiers = tiers
        self.mechanisms = mechanisms
        self.max_time = max_time
        self.progress = progress
        self.seed = seed

    def default_mechanisms(self) -> str:
        """``"mlp"`` with a kernel (nonparametric) independence test, else ``"linear"``.

        Examples
        --------
        >>> PCLearner().default_mechanisms(), PCLearner(indep_test="kci").default_mechanisms()
        ('linear', 'mlp')
        """
        return "mlp" if self.indep_test in _KERNEL_TESTS else "linear"

    def _cl_options(self) -> dict[str, Any]:
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float, np.floating)) or not 0 < self.alpha < 1:
            raise OutOfRangeError(f"alpha must be a number in (0, 1), got {self.alpha!r}")
        if self.indep_test not in _INDEP_TESTS:
            raise ArgumentError(f"indep_test must be one of causal-learn's tests {list(_INDEP_TESTS)}, got {self.indep_test!r}")
        if not isinstance(self.stable, (bool, np.bool_)):
            raise ArgumentError(f"stable must be True or False, got {self.stable!r}")
        return {"alpha": float(self.alpha), "indep_test": self.indep_test, "stable": bool(self.stable)}

    def _gaussian(self) -> bool:
        return self.indep_test in _GAUSSIAN_TESTS


@register_learner
class GESLearner(_CausalLearnBaseline):
    """Greedy equivalence search of causal-learn (``causallearn.search.ScoreBased.GES.ges``).

    Outputs as for :class:`PCLearner`. causal-learn's GES takes no background knowledge, so
    giving ``forbidden``, ``required`` or ``tiers`` raises :class:`~causalworld.errors.ArgumentError`
    at ``fit``. Uses the observational rows by default (``rows="all"`` pools every row). Assumes
    no hidden confounders.

    Parameters
    ----------
    score_func
        causal-learn's score (``"local_score_BIC"``, ``"local_score_BDeu"``, ...).
    max_parents
        causal-learn's ``maxP`` (None: no limit).
    lambda_value
        BIC penalty multiplier of causal-learn (its default is 0.5).
    mechanisms
        Mechanisms of ``scm_`` (:meth:`causalworld.SCM.fit`); ``None``: ``"mlp"`` with
        causal-learn's kernel scores (``*_general``, ``*_multi``), else ``"linear"``.

    Examples
    --------
    >>> import causalworld as cw
    >>> truth = cw.SCM.linear([("a", "c"), ("b", "c")], {("a", "c"): 1.0, ("b", "c"): 1.0}, 1.0)
    >>> GESLearner(progress=False).fit(truth.sample(1000, seed=0)).cpdag_
    MixedGraph(a -> c, b -> c)
    """

    supports_knowledge = False
    _runner = staticmethod(_run_ges)

    def __init__(self, *, score_func: str = "local_score_BIC", max_parents: int | None = None,
                 lambda_value: float = 0.5, n_bootstrap: int = 0, rows: str = "observational",
                 forbidden: Any = None, required: Any = None, tiers: Any = None, mechanisms: Any = None,
                 max_time: float | None = None, progress: bool = True, seed: int = 0) -> None:
        self.score_func = score_func
        self.max_parents = max_parents
        self.lambda_value = lambda_value
        self.n_bootstrap = n_bootstrap
        self.rows = rows
        self.forbidden = forbidden
        self.required = required
        self.tiers = tiers
        self.mechanisms = mechanisms
        self.max_time = max_time
        self.progress = progress
        self.seed = seed

    def default_mechanisms(self) -> str:
        """``"mlp"`` with causal-learn's kernel (``*_general``, ``*_multi``) scores, else ``"linear"``.

        Examples
        --------
        >>> GESLearner().default_mechanisms()
        'linear'
        >>> GESLearner(score_func="local_score_marginal_general").default_mechanisms()
        'mlp'
        """
        return "mlp" if str(self.score_func).endswith(("_general", "_multi")) else "linear"

    def _gaussian(self) -> bool:
        return self.score_func in ("local_score_BIC", "local_score_BIC_from_cov")

    def _cl_options(self) -> dict[str, Any]:
        if self.score_func not in _GES_SCORES:
            raise ArgumentError(f"score_func must be one of causal-learn's GES scores {list(_GES_SCORES)}, got {self.score_func!r}")
        mp = self.max_parents
        if mp is not None and (isinstance(mp, bool) or not isinstance(mp, (int, np.integer)) or mp < 0):
            raise OutOfRangeError(f"max_parents must be None or an int >= 0, got {mp!r}")
        lam = self.lambda_value
        if isinstance(lam, bool) or not isinstance(lam, (int, float, np.floating)) or not 0 <= lam < np.inf:
            raise OutOfRangeError(f"lambda_value must be a finite number >= 0 (causal-learn's BIC penalty), got {lam!r}")
        return {"score_func": self.score_func, "maxP": self.max_parents,
                "parameters": {"lambda_value": float(self.lambda_value)}}


@register_learner
class SortRegressLearner(Learner):
    """Sort-and-regress: order the variables by a marginal statistic, regress each on the ones
    before it, prune the weak coefficients (Reisach et al. 2021, 2023).

    A deliberately plain baseline: on simulated data whose variance (or R²) grows along the
    causal order it does well without any causal reasoning, so a method that beats it only on
    unstandardised data is seen. Each variable is regressed on the rows where it was not
    intervened; the order respects tiers and required edges; forbidden edges are never fitted.

    Parameters
    ----------
    sort_by
        ``"r2"`` (R² of each variable regressed on all the others, increasing; scale-invariant) or
        ``"var"`` (variance, increasing).
    alpha
        A coefficient is kept when its t-test p-value is below ``alpha``.
    n_bootstrap
        Bootstrap resamples for ``edge_probs_`` (0 gives the 0/1 matrix of ``graph_``); with
        resamples ``graph_`` is their median-probability graph
        (:func:`~causalworld.discovery.consensus.median_graph`: the pairs found in at least half
        of them, each oriented its more frequent way).
    mechanisms
        Mechanisms of ``scm_`` (:meth:`causalworld.SCM.fit`); ``None``: ``"linear"``, the model
        the regressions assume.
    max_time
        Seconds; variables not reached keep only their required parents (TimeLimitWarning).

    Examples
    --------
    >>> import causalworld as cw
    >>> truth = cw.SCM.linear([("a", "b"), ("b", "c")], {("a", "b"): 2.0, ("b", "c"): 2.0}, 1.0)
    >>> sorted(SortRegressLearner(sort_by="var", progress=False).fit(truth.sample(500, seed=0)).graph_.edges)
    [('a', 'b'), ('b', 'c')]
    """

    def __init__(self, *, sort_by: str = "r2", alpha: float = 0.01, n_bootstrap: int = 0, forbidden: Any = None,
                 required: Any = None, tiers: Any = None, mechanisms: Any = None, max_time: float | None = None,
                 progress: bool = True, seed: int = 0) -> None:
        self.sort_by = sort_by
        self.alpha = alpha
        self.n_bootstrap = n_bootstrap
        self.forbidden = forbidden
        self.required = required
        self.tiers = tiers
        self.mechanisms = mechanisms
        self.max_time = max_time
        self.progress = progress
        self.seed = seed

    @staticmethod
    def _ols(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
        """Coefficients, two-sided p-values and R² of ``y ~ X`` with an intercept."""
        n, k = X.shape
        A = np.column_stack([X, np.ones(n)])
        coef, *_ = np.linalg.lstsq(A, y, rcond=None)
        resid = y - A @ coef
        rss = float(resid @ resid)
        r2 = 1.0 - rss / max(float(((y - y.mean()) ** 2).sum()), 1e-300)
        dof = max(n - k - 1, 1)
        cov = np.linalg.pinv(A.T @ A) * (rss / dof)
        se = np.sqrt(np.clip(np.diag(cov)[:k], 1e-300, None))
        pvals = 2 * stats.t.sf(np.abs(coef[:k] / se), dof)
        return coef[:k], pvals, r2

    def _one(self, problem: Problem, rows: np.ndarray) -> tuple[np.ndarray, bool]:
        X = problem.X.numpy()[rows]
        M = problem.mask.numpy()[rows]
        names = list(problem.names)
        d = problem.d
        allowed, required = problem.allowed(), problem.required()
        key = np.zeros(d)
        for j in range(d):
            keep = ~M[:, j]
            if self.sort_by == "var":
                key[j] = X[keep, j].var()
            elif self.sort_by == "r2":
                others = [i for i in range(d) if i != j]
                key[j] = self._ols(X[keep][:, others], X[keep, j])[2] if others else 0.0
            else:
                raise ArgumentError(f"sort_by must be 'r2' or 'var', got {self.sort_by!r}")
        g = nx.DiGraph()
        g.add_nodes_from(range(d))
        g.add_edges_from(zip(*np.nonzero(required)))
        tiers = problem.knowledge.tiers
        order = list(nx.lexicographical_topological_sort(g, key=lambda j: (tiers.get(names[j], 0), key[j], j)))
        adjacency = required.copy()
        timed_out = False
        for pos, j in enumerate(order):
            if out_of_time(problem):
                timed_out = True
                break
            cands = [i for i in order[:pos] if allowed[i, j]]
            if not cands:
                continue
            keep = ~M[:, j]
            if keep.sum() <= len(cands) + 2:
                raise InsufficientDataError(
                    f"{names[j]!r} has {int(keep.sum())} rows where it was not intervened, too few to regress it on "
                    f"{len(cands)} candidate parents; give more rows"
                )
            _, pvals, _ = self._ols(X[keep][:, cands], X[keep, j])
            for i, pv in zip(cands, pvals):
                if pv < self.alpha:
                    adjacency[i, j] = True
        return adjacency, timed_out

    def _learn(self, problem: Problem) -> Learned:
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float, np.floating)) or not 0 < self.alpha < 1:
            raise OutOfRangeError(f"alpha must be a number in (0, 1), got {self.alpha!r}")
        if isinstance(self.n_bootstrap, bool) or not isinstance(self.n_bootstrap, (int, np.integer)) or self.n_bootstrap < 0:
            raise OutOfRangeError(f"n_bootstrap must be an int >= 0, got {self.n_bootstrap!r}")
        adjacency, timed_out = self._one(problem, np.arange(problem.n))
        rng = np.random.default_rng(self.seed)
        boots = []
        for _ in tqdm(range(self.n_bootstrap), desc="SortRegressLearner bootstrap", disable=not problem.progress, leave=False):
            if out_of_time(problem):
                timed_out = True
                break
            boots.append(self._one(problem, rng.integers(0, problem.n, problem.n))[0])
        probs = np.mean(boots, 0) if boots else adjacency.astype(float)
        if boots:  # the graph the frequencies describe, not the full-data fit
            adjacency = median_graph(probs, problem.allowed(), problem.required())
        sampler = None
        if boots:
            def sampler(n: int, g: np.random.Generator, pool=tuple(boots)) -> list[np.ndarray]:
                return [pool[i] for i in g.integers(0, len(pool), n)]
        return Learned(adjacency, edge_probs=probs, sampler=sampler, timed_out=timed_out,
                       info={"bootstrap_runs": len(boots), "sort_by": self.sort_by})
