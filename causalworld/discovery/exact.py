"""``ExactLearner``: the highest-scoring DAG by dynamic programming, and exact edge posteriors.

The search of Silander & Myllymäki (2006): score every allowed parent set of every node (batched
Cholesky solves on each node's interventional sufficient statistics, :mod:`.scores`), take the
best parent set inside every candidate set by a subset ("zeta") transform, then the best order by
a DP over the 2^d subsets. Edge posteriors are exact sums over DAGs under the order-modular prior
of Koivisto & Sood (2004), by the same subset transforms with ``logaddexp``; graphs are sampled
exactly from that posterior. Background knowledge removes parent sets before they are scored.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from causalworld.discovery.base import Learned, Learner, Sampler, out_of_time, register_learner
from causalworld.discovery.data import Problem, unrolled_name
from causalworld.discovery.score_choice import choose_score
from causalworld.discovery.scores import check_min_explained, make_score
from causalworld.errors import ArgumentError, OutOfRangeError
from causalworld.memory import check_memory

__all__ = ["ExactLearner", "SCORE_FUNCS"]

MAX_NODES = 22  # 2^22 subsets per DP table; beyond this the DP does not fit a laptop
# Most parent sets one fit scores, per score: ~1-10 µs each with BIC / BGe (batched Cholesky)
# ~5-50 ms each with RFF (a 100-feature leave-one-out regression on up to 5,000 rows), and
# ~0.1 ms (linear) to 0.4 ms (quadratic) each with the mixed score (2,000 rows, 12 columns, 3 discrete).
MAX_PARENT_SETS = {"bic": 20_000_000, "bge": 20_000_000, "quadratic": 5_000_000, "linear-quadratic": 4_000_000,
                   "rff": 50_000, "mixed": 2_000_000, "mixed-quadratic": 600_000}
SCORE_FUNCS = ("auto", *MAX_PARENT_SETS)
"""Every ``score_func`` :class:`ExactLearner` takes (``"auto"`` chooses among the others)."""


def _columns_of(variable: str, problem: Problem) -> list[str]:
    """The columns of ``problem.frame`` that hold ``variable`` (one per step with lags)."""
    if not problem.lags:
        return [variable]
    return [unrolled_name(variable, t) for t in range(problem.n_steps)]


def _is_codes(frame: Any, columns: list[str]) -> bool:
    """Whether ``columns`` of ``frame`` hold only the integers ``0 .. K-1`` (``K >= 2``)."""
    values = np.unique(np.concatenate([frame[c].to_numpy() for c in columns]))
    return len(values) >= 2 and bool(np.array_equal(values, np.arange(len(values))))


def _compress(masks: np.ndarray, j: int) -> np.ndarray:
    """Drop bit ``j`` from each mask (masks that lack bit ``j``)."""
    return (masks & ((1 << j) - 1)) | ((masks >> (j + 1)) << j)


def _expand(masks: np.ndarray, j: int) -> np.ndarray:
    """Insert a zero bit at position ``j`` (the inverse of :func:`_compress`)."""
    return (masks & ((1 << j) - 1)) | ((masks >> j) << (j + 1))


def _zeta(table: np.ndarray, op: np.ufunc) -> np.ndarray:
    """In place: ``table[S] = op over all subsets T of S of table[T]`` (``op`` = max or logaddexp)."""
    m = table.size.bit_length() - 1
    for b in range(m):
        v = table.reshape(-1, 2, 1 << b)  # (..., bit b, lower bits)
        op(v[:, 1, :], v[:, 0, :], out=v[:, 1, :])
    return table


def _popcount(x: np.ndarray) -> np.ndarray:
    c = np.zeros(x.shape, dtype=np.int64)
    y = x.copy()
    while y.any():
        c += y & 1
        y >>= 1
    return c


class _Tables:
    """Per-node parent sets and their scores, and the subset tables the DPs use."""

    def __init__(self, d: int) -> None:
        self.d = d
        self.full: list[np.ndarray] = []  # per node: int64 masks over all p columns
        self.scored: list[np.ndarray] = []  # per node: int64 masks over the d scored nodes
        self.scores: list[np.ndarray] = []  # per node: float64 local scores


@register_learner
class ExactLearner(Learner):
    """Score-based structure learning that finds the best DAG exactly (up to about 20 variables).

    Maximises a decomposable interventional score (BIC, BGe or RFF; a node is scored only on the
    rows where it was not intervened, and with ``interventions="soft"`` also on the others, each
    regime with parameters of its own) over all DAGs whose nodes have at most ``max_parents`` parents,
    by dynamic programming over parent sets and orders. ``edge_probs_`` are exact posterior edge
    probabilities under the order-modular prior (uniform over orders, then over parent sets
    given the order, weighted by ``exp(score)``; Koivisto & Sood 2004), not the uniform prior over
    DAGs; ``sample_graphs`` draws exactly from the same posterior. ``graph_`` is the
    highest-scoring DAG whose adjacencies are the pairs with posterior adjacency probability
    ``p(a->b) + p(b->a) >= 0.5`` (the median-probability skeleton, Barbieri & Berger 2004: it
    minimises the expected number of wrong adjacencies), so it never contradicts ``edge_probs_``;
    where the data are decisive it is the MAP DAG (``fit_info_["map_differs"]`` says when it is
    not), and after a ``max_time`` stop, with no posterior, it is the best DAG found. With ``lags=1`` the lag-1
    copies ``"x[t-1]"`` are candidate parents of every variable.

    Assumes no hidden confounders, Gaussian (linear) conditionals for the BIC and BGe scores, and
    interventions whose targets are known: perfect ones, or soft ones (``interventions="soft"``).

    Parameters
    ----------
    score_func
        ``"auto"`` (default), ``"bic"`` (Gaussian BIC), ``"bge"`` (Bayesian Gaussian equivalent:
        the log marginal likelihood under a normal-Wishart prior) or ``"rff"`` (a nonlinear
        regression score, :class:`~causalworld.discovery.scores.RFFScore`, for nonlinear
        mechanisms: slower, one small ridge regression per parent set; with it the edge
        posteriors are a pseudo-posterior). ``"auto"`` picks the RFF score when some variable's
        relation to another is clearly nonlinear on held-out rows, else the BIC
        (:func:`~causalworld.discovery.score_choice.choose_score`, about 1 s at 10 variables,
        3-4 s at 20); ``fit_info_["score_func"]`` and ``fit_info_["score_choice"]`` say which and why.
        ``"quadratic"``: the BIC of a second-order regression
        (:class:`~causalworld.discovery.scores.QuadraticBICScore`). ``"linear-quadratic"``: the
        average of the linear and the second-order regression's BIC per node
        (:class:`~causalworld.discovery.scores.LinearQuadraticScore`), which keeps a weak linear
        parent that the quadratic score alone charges for squares and products it does not need
        (the experimenter's default). ``"mixed"`` (and
        ``"mixed-quadratic"``, its second-order form) for data with discrete columns (integer
        values, 2 to 9 of them: switches, labels' codes): a conditional Gaussian per combination of
        a node's discrete parents, a logistic regression for a discrete node
        (:class:`~causalworld.discovery.mixed.MixedScore`), which orients a binary cause of a
        continuous effect from observation alone; its ``scm_`` then fits those columns, when they
        hold the codes ``0 .. K-1``, as categories (``fit_info_["discrete"]`` names them).
    structure_prior
        ``"fanin"`` (default): a prior uniform over each node's number of parents, then over the
        parent sets of that size (Friedman & Koller 2003), which adds ``-log C(m, k)`` to a node
        with ``k`` of ``m`` candidate parents and keeps an exhaustive search from picking up
        chance edges; ``"uniform"``: no structure prior.
    max_parents
        Most parents per node (``"auto"``: no limit when a node has at most 10 candidate parents,
        else 5; with the RFF score, whose parent sets cost a regression each, no limit up to 6
        candidates, else 3; ``None``: no limit). Every parent set within it is scored; a fit that would
        score more than ``MAX_PARENT_SETS`` of them (20 million with BIC / BGe, 50,000 with RFF, 2 million with
        the mixed score) is refused up front with an ``OutOfRangeError`` naming the count and a ``max_parents``
        that fits.
    bic_penalty, alpha_mu
        Options of the BIC (penalty multiplier) and BGe (prior equivalent sample size) scores.
    min_explained
        The least share of a node's remaining variance (a partial R²) a parent must explain to be
        worth adding, whatever the number of rows: each parent pays ``-n / 2 * log(1 -
        min_explained)`` nats on top of the score's own penalty (every score; ``0`` turns it
        off). BIC's ``log n`` penalty vanishes relative to the gain of a weak dependence, which
        grows with ``n`` under a misspecified model, so on thousands of real rows it keeps
        nearly every pair; the default ``0.01`` does not let it (see ``docs/discovery.md``).
    interventions
        ``"hard"`` (perfect interventions: a node is scored only on the rows where it was not
        intervened) or ``"soft"`` (interventions change the targeted node's mechanism and keep its
        parents, e.g. a shift ``do(x = x + 2)``: the targeted rows are scored too, each regime
        with parameters of its own; see :class:`~causalworld.discovery.scores.LocalScore`).
        ``"hard"`` is also valid on soft data, with less evidence about a targeted node's parents.
    exact_posterior_max
        Up to this many variables the edge posteriors are exact sums; above it they are the
        frequencies in ``n_posterior_samples`` exact posterior draws.
    n_posterior_samples
        Posterior draws for edge probabilities above ``exact_posterior_max`` variables. ``fit``
        refuses (:class:`~causalworld.errors.MemoryLimitError`) more draws than fit in free memory.
    forbidden, required, tiers
        Background knowledge (see :class:`~causalworld.discovery.knowledge.Knowledge`); parent
        sets that contradict it are never scored.
    mechanisms
        Mechanisms for ``scm_`` (passed to :meth:`causalworld.SCM.fit`). ``None`` (default):
        those the score assumes, ``"linear"`` for BIC and BGe, ``"mlp"`` for RFF.
    max_time
        Seconds; when they run out, parent sets not yet scored are left out (the result is then the
        best graph with the sets scored so far, typically a lower in-degree) with a
        :class:`~causalworld.errors.TimeLimitWarning`.
    progress
        Show a progress bar.
    seed
        Seed for ``scm_`` fitting and posterior draws.

    Examples
    --------
    >>> import torch, causalworld as cw
    >>> truth = cw.SCM.linear([("a", "b"), ("b", "c")], {("a", "b"): 1.5, ("b", "c"): -1.0}, 1.0)
    >>> obs = truth.sample(400, seed=0)
    >>> do_b = truth.do({"b": torch.randn(200, generator=torch.Generator().manual_seed(1)) * 2}).sample(200, seed=2)
    >>> data = {v: torch.cat([obs[v], do_b[v]]) for v in truth.variables}
    >>> targets = [set()] * 400 + [{"b"}] * 200
    >>> learner = ExactLearner(progress=False).fit(data, targets)
    >>> sorted(learner.graph_.edges)
    [('a', 'b'), ('b', 'c')]
    >>> learner.cpdag_  # the intervention on b orients both edges
    MixedGraph(a -> b, b -> c)
    >>> float(learner.edge_probs_.loc["a", "b"]) > 0.99
    True
    """

    supports_lags = True

    def __init__(self, *, score_func: str = "auto", structure_prior: str = "fanin", max_parents: int | str | None = "auto",
                 bic_penalty: float = 1.0, min_explained: float = 0.01,
                 alpha_mu: float = 1.0, interventions: str = "hard", exact_posterior_max: int = 16, n_posterior_samples: int = 2000,
                 forbidden: Any = None, required: Any = None, tiers: Any = None, mechanisms: Any = None,
                 max_time: float | None = None, progress: bool = True, seed: int = 0) -> None:
        self.score_func = score_func
        self.structure_prior = structure_prior
        self.max_parents = max_parents
        self.bic_penalty = bic_penalty
        self.min_explained = min_explained
        self.alpha_mu = alpha_mu
        self.interventions = interventions
        self.exact_posterior_max = exact_posterior_max
        self.n_posterior_samples = n_posterior_samples
        self.forbidden = forbidden
        self.required = required
        self.tiers = tiers
        self.mechanisms = mechanisms
        self.max_time = max_time
        self.progress = progress
        self.seed = seed

    def default_mechanisms(self) -> str:
        """``"mlp"`` with the nonlinear RFF score, else ``"linear"`` (BIC and BGe are linear-Gaussian);
        with ``score_func="auto"``, after the score chosen in the last ``fit`` (before it: linear).

        Examples
        --------
        >>> ExactLearner(score_func="bic").default_mechanisms(), ExactLearner(score_func="rff").default_mechanisms()
        ('linear', 'mlp')
        >>> ExactLearner(score_func="linear-quadratic").default_mechanisms()  # the second-order fit holds the line
        'quadratic'
        """
        return {"rff": "mlp", "quadratic": "quadratic", "linear-quadratic": "quadratic",
                "mixed-quadratic": "quadratic"}.get(self._score_name(), "linear")

    def _score_name(self) -> str:
        """The score of the last fit (``score_func``, or what ``"auto"`` chose)."""
        if self.score_func == "auto":
            return getattr(self, "_chosen_score", "bic")
        return self.score_func

    def min_rows(self, d: int) -> int:
        """Fewest rows per variable: three more than the largest parent set scored (at least 5).

        Examples
        --------
        >>> ExactLearner(max_parents=2).min_rows(10), ExactLearner().min_rows(3)
        (5, 6)
        """
        k = self.max_parents if isinstance(self.max_parents, int) and not isinstance(self.max_parents, bool) else min(d, 10)
        return max(5, k + 3)

    def _options(self, score_func: str) -> dict[str, Any]:
        if self.interventions not in ("hard", "soft"):
            raise ArgumentError(f"interventions must be 'hard' or 'soft', got {self.interventions!r}")
        soft = self.interventions == "soft"
        if score_func in ("bic", "quadratic", "linear-quadratic", "mixed", "mixed-quadratic"):
            pen = self.bic_penalty
            if isinstance(pen, bool) or not isinstance(pen, (int, float, np.integer, np.floating)) or not 0 <= pen < math.inf:
                raise OutOfRangeError(f"bic_penalty must be a finite number >= 0 (1.0 is BIC's), got {pen!r}")
            options = {"penalty": float(pen), "soft": soft, "min_explained": self.min_explained}
            if score_func.startswith("mixed"):
                options["basis"] = "quadratic" if score_func == "mixed-quadratic" else "linear"
            return options
        if score_func == "bge":
            am = self.alpha_mu
            if isinstance(am, bool) or not isinstance(am, (int, float, np.integer, np.floating)) or not 0 < am < math.inf:
                raise OutOfRangeError(f"alpha_mu must be a finite number > 0, got {am!r}")
            return {"alpha_mu": float(am), "soft": soft, "min_explained": self.min_explained}
        if score_func == "rff":
            return {"seed": int(self.seed), "soft": soft, "min_explained": self.min_explained}
        names = ", ".join(repr(name) for name in SCORE_FUNCS[:-1])
        raise ArgumentError(f"score_func must be {names} or {SCORE_FUNCS[-1]!r}, got {self.score_func!r}")

    def _cap(self, n_candidates: int, score_func: str = "bic") -> int:
        mp = self.max_parents
        if mp == "auto" and score_func == "rff":
            return n_candidates if n_candidates <= 6 else 3
        if mp == "auto":
            return n_candidates if n_candidates <= 10 else 5
        if mp is None:
            return n_candidates
        if isinstance(mp, bool) or not isinstance(mp, (int, np.integer)) or mp < 0:
            raise OutOfRangeError(f"max_parents must be 'auto', None or an int >= 0, got {mp!r}")
        return int(mp)

    def _fit_scm(self, graph: Any, problem: Problem, mechanisms: str | dict) -> Any:
        """``scm_`` as every learner fits it, except that with the mixed score the variables it read
        as discrete, when their values are the codes ``0 .. K-1``, are fitted as categories
        (a logistic mechanism, a Bernoulli root) rather than as Gaussian columns."""
        codes = [v for v in getattr(self, "_discrete", []) if _is_codes(problem.frame, _columns_of(v, problem))]
        if codes:
            frame = problem.frame.copy()
            for v in codes:
                for col in _columns_of(v, problem):
                    frame[col] = frame[col].to_numpy().round().astype(np.int64)
            problem = dataclasses.replace(problem, frame=frame)
            self.fit_info_["discrete"] = codes
        return super()._fit_scm(graph, problem, mechanisms)

    # ------------------------------------------------------------------ the search
    def _learn(self, problem: Problem) -> Learned:
        d, c = problem.d, problem.c
        p = c + d
        if d > MAX_NODES:
            raise ArgumentError(
                f"ExactLearner searches 2^d subsets and stops at {MAX_NODES} variables; the data have {d}: "
                "use GESLearner or PCLearner (or a gradient-based learner) for more"
            )
        if p > 62:
            raise ArgumentError(f"ExactLearner handles at most 62 columns including lagged copies; got {p}")
        for name, value in (("exact_posterior_max", self.exact_posterior_max), ("n_posterior_samples", self.n_posterior_samples)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise OutOfRangeError(f"{name} must be an int >= 0, got {value!r}")
        # each posterior draw: a [p, p] bool matrix (and its copy for the mean), the order search's
        # [d] rows of float64 logits, Gumbels and int64 states, and one array object
        per_draw = 2 * p * p + 48 * d + 200
        check_memory(int(self.n_posterior_samples) * per_draw, what=f"n_posterior_samples={self.n_posterior_samples}",
                     per_item=per_draw, fix="draw {fit} posterior samples (the edge frequencies settle long before)")
        if self.structure_prior not in ("fanin", "uniform"):
            raise ArgumentError(f"structure_prior must be 'fanin' or 'uniform', got {self.structure_prior!r}")
        score_func, why = self.score_func, "set by score_func"
        check_min_explained(self.min_explained)
        if score_func == "auto":
            score_func, why = choose_score(problem.X.numpy(), problem.mask.numpy(), seed=int(self.seed))
        options = self._options(score_func)  # checks score_func and the score's settings
        self._chosen_score = score_func
        # "mixed-quadratic" is the mixed score with the quadratic basis (in options)
        scorer = make_score("mixed" if score_func.startswith("mixed") else score_func, problem.X.numpy(),
                            problem.mask.numpy(), context=c, **options)
        allowed, required = problem.allowed(), problem.required()
        tables = _Tables(d)
        plans = []
        for j in range(d):
            col = c + j
            req = np.flatnonzero(required[:, col])
            free = np.flatnonzero(allowed[:, col] & ~required[:, col])
            cap = self._cap(len(req) + len(free), score_func)
            if len(req) > cap:
                raise ArgumentError(
                    f"{problem.names[j]!r} has {len(req)} required parents but max_parents={cap}; raise max_parents"
                )
            plans.append((col, req, free, min(cap - len(req), len(free))))
            tables.full.append(np.zeros(0, dtype=np.int64))
            tables.scored.append(np.zeros(0, dtype=np.int64))
            tables.scores.append(np.zeros(0))
        planned = sum(math.comb(len(free), s) for _, _, free, extra in plans for s in range(extra + 1))
        limit = MAX_PARENT_SETS.get(score_func, MAX_PARENT_SETS["bic"])
        if planned > limit:
            suggest = next((k for k in range(max((pl[3] for pl in plans), default=0), -1, -1)
                            if sum(math.comb(len(free), s) for _, _, free, extra in plans
                                   for s in range(min(extra, k) + 1)) <= limit), 0)
            raise OutOfRangeError(
                f"ExactLearner would score {planned:,} parent sets with score_func={score_func!r} (at most "
                f"{limit:,} are scored in one fit: beyond that it runs for hours); pass max_parents={suggest} or "
                "lower, forbid edges, or use GESLearner / GradientLearner")
        max_extra = max((pl[3] for pl in plans), default=0)
        total = sum(pl[3] + 1 for pl in plans)
        timed_out = False
        n_sets = 0
        with tqdm(total=total, desc="scoring parent sets", disable=not problem.progress, leave=False) as bar:
            for size in range(max_extra + 1):
                for j, (col, req, free, extra) in enumerate(plans):
                    if size > extra:
                        continue
                    if size > 0 and out_of_time(problem):
                        timed_out = True
                        break
                    combos = list(itertools.combinations(free.tolist(), size))
                    combos = np.array(combos, dtype=np.int64).reshape(len(combos), size)
                    sets = np.concatenate([np.broadcast_to(req, (len(combos), len(req))), combos], 1)
                    sc = scorer.local(col, sets)
                    if self.structure_prior == "fanin":  # uniform over in-degrees, then over sets of that size
                        m = len(req) + len(free)
                        sc = sc - (math.lgamma(m + 1) - math.lgamma(sets.shape[1] + 1) - math.lgamma(m - sets.shape[1] + 1))
                    bits = np.left_shift(np.int64(1), sets).sum(1) if sets.shape[1] else np.zeros(len(sets), dtype=np.int64)
                    tables.full[j] = np.concatenate([tables.full[j], bits])
                    tables.scored[j] = np.concatenate([tables.scored[j], bits >> c])
                    tables.scores[j] = np.concatenate([tables.scores[j], sc])
                    n_sets += len(sets)
                    bar.update(1)
                if timed_out:
                    break
        adjacency, best = self._map_graph(tables, c, p)
        discrete = getattr(scorer, "discrete", None)
        if discrete is not None:  # the mixed score: which variables it read as discrete
            self._discrete = [problem.names[j] for j in range(d) if discrete[c + j]]
        else:
            self._discrete = []
        info: dict[str, Any] = {"score": best, "n_parent_sets": n_sets, "score_func": score_func, "score_choice": why,
                                "interventions": self.interventions,
                                "max_parents": [pl[3] + len(pl[1]) for pl in plans]}
        if timed_out or out_of_time(problem):
            info["posterior"] = "none (out of time)"
            return Learned(adjacency, timed_out=True, info=info)
        post = _Posterior(tables, c, p)
        if d <= self.exact_posterior_max:
            probs = post.edge_probs()
            info["posterior"] = "exact (order-modular prior)"
        else:
            draws = post.sample(int(self.n_posterior_samples), np.random.default_rng(self.seed)) if self.n_posterior_samples else []
            probs = np.mean(draws, 0) if draws else adjacency.astype(float)
            info["posterior"] = f"{len(draws)} exact draws (order-modular prior)"
        info["log_evidence"] = post.log_z
        probs = np.clip(probs, 0.0, 1.0)
        median = self._median_graph(tables, probs, c, p)
        if median is None:  # pragma: no cover - knowledge that leaves no scored orientation of it
            info["graph"] = "MAP (no scored DAG has the median-probability skeleton)"
        else:
            info["graph"] = "median-probability skeleton, best-scoring orientation"
            info["map_differs"] = bool((median != adjacency).any())
            adjacency = median
        return Learned(adjacency, edge_probs=probs, sampler=post.sample, tempered=post.tempered, info=info)

    @staticmethod
    def _map_graph(tables: _Tables, c: int, p: int) -> tuple[np.ndarray, float]:
        d = tables.d
        bps = []
        for j in range(d):
            t = np.full(1 << max(d - 1, 0), -np.inf)
            np.maximum.at(t, _compress(tables.scored[j], j), tables.scores[j])
            bps.append(_zeta(t, np.maximum))
        Q, sink = _best_sinks(d, lambda j, prev: bps[j][_compress(prev, j)])
        adjacency = np.zeros((p, p), dtype=bool)
        S = (1 << d) - 1
        while S:
            j = int(sink[S])
            S ^= 1 << j
            ok = (tables.scored[j] & ~S) == 0
            idx = np.flatnonzero(ok)[np.argmax(tables.scores[j][ok])]
            bits = int(tables.full[j][idx])
            adjacency[[i for i in range(p) if bits >> i & 1], c + j] = True
        return adjacency, float(Q[-1])


    @staticmethod
    def _median_graph(tables: _Tables, probs: np.ndarray, c: int, p: int) -> np.ndarray | None:
        """The highest-scoring DAG whose adjacencies are the pairs of adjacency probability
        ``>= 0.5`` (and whose lagged parents are those of probability ``>= 0.5``), or None when no
        scored parent sets give one.

        Given an order, each node's parents are then fixed (its neighbours before it), so the best
        orientation is the same DP over subsets as the MAP search with one parent set per node
        and predecessor set.
        """
        d = tables.d
        sub = probs[c:, c:]
        adjacent = (sub + sub.T >= 0.5) & ~np.eye(d, dtype=bool)
        lagged = probs[:c, c:] >= 0.5  # (c, d)
        nbits, keys, values = [], [], []
        for j in range(d):
            nb = np.flatnonzero(adjacent[:, j])
            pick = (np.arange(1 << nb.size, dtype=np.int64)[:, None] >> np.arange(nb.size)) & 1  # (subsets, m)
            subsets = (pick * np.left_shift(np.int64(1), nb.astype(np.int64))).sum(1)  # over scored nodes
            subsets.sort()
            context = int(sum(1 << int(u) for u in np.flatnonzero(lagged[:, j])))
            full = (subsets << c) | context
            order = np.argsort(tables.full[j])
            at = np.clip(np.searchsorted(tables.full[j], full, sorter=order), 0, max(len(order) - 1, 0))
            found = order[at] if len(order) else np.zeros(len(full), dtype=np.int64)
            hit = tables.full[j][found] == full if len(order) else np.zeros(len(full), bool)
            nbits.append(int(np.left_shift(np.int64(1), nb.astype(np.int64)).sum()) if nb.size else 0)
            keys.append(subsets)
            values.append(np.where(hit, tables.scores[j][found] if len(order) else 0.0, -np.inf))
        Q, sink = _best_sinks(d, lambda j, prev: values[j][np.searchsorted(keys[j], prev & nbits[j])])
        if not np.isfinite(Q[-1]):
            return None
        adjacency = np.zeros((p, p), dtype=bool)
        S = (1 << d) - 1
        while S:
            j = int(sink[S])
            S ^= 1 << j
            adjacency[[c + i for i in range(d) if (S & nbits[j]) >> i & 1], c + j] = True
            adjacency[np.flatnonzero(lagged[:, j]), c + j] = True
        return adjacency



def _best_sinks(d: int, best_parents) -> tuple[np.ndarray, np.ndarray]:
    """The order DP over subsets of ``d`` nodes: ``Q[S]``, the best score of a DAG on ``S``, and
    ``sink[S]``, its last node; ``best_parents(j, prev)`` is node ``j``'s best score with parents
    inside each set of ``prev``."""
    masks = np.arange(1 << d, dtype=np.int64)
    pc = _popcount(masks)
    Q = np.full(1 << d, -np.inf)
    Q[0] = 0.0
    sink = np.zeros(1 << d, dtype=np.int64)
    for k in range(1, d + 1):
        layer = masks[pc == k]
        best = np.full(layer.size, -np.inf)
        arg = np.zeros(layer.size, dtype=np.int64)
        for j in range(d):
            has = ((layer >> j) & 1).astype(bool)
            prev = layer[has] ^ (1 << j)
            cand = Q[prev] + best_parents(j, prev)
            better = cand > best[has]
            cur, a = best[has], arg[has]
            cur[better], a[better] = cand[better], j
            best[has], arg[has] = cur, a
        Q[layer] = best
        sink[layer] = arg
    return Q, sink


class _Posterior:
    """Exact sums over DAGs under the order-modular prior (Koivisto & Sood 2004), in log space."""

    def __init__(self, tables: _Tables, c: int, p: int) -> None:
        d = tables.d
        self.tables, self.c, self.p, self.d = tables, c, p, d
        self.tab: list[np.ndarray] = []  # per node: log sum of exp(score) by exact scored part
        self.alpha: list[np.ndarray] = []  # per node: log sum over parent sets inside each subset
        for j in range(d):
            t = np.full(1 << max(d - 1, 0), -np.inf)
            np.logaddexp.at(t, _compress(tables.scored[j], j), tables.scores[j])
            self.tab.append(t)
            self.alpha.append(_zeta(t.copy(), np.logaddexp))
        masks = np.arange(1 << d, dtype=np.int64)
        pc = _popcount(masks)
        self.masks = masks
        L = np.full(1 << d, -np.inf)
        L[0] = 0.0
        for k in range(1, d + 1):
            layer = masks[pc == k]
            acc = np.full(layer.size, -np.inf)
            for j in range(d):
                has = ((layer >> j) & 1).astype(bool)
                prev = layer[has] ^ (1 << j)
                acc[has] = np.logaddexp(acc[has], L[prev] + self.alpha[j][_compress(prev, j)])
            L[layer] = acc
        R = np.full(1 << d, -np.inf)
        R[-1] = 0.0
        for k in range(d - 1, -1, -1):
            layer = masks[pc == k]
            acc = np.full(layer.size, -np.inf)
            for j in range(d):
                lacks = ((layer >> j) & 1) == 0
                S = layer[lacks]
                acc[lacks] = np.logaddexp(acc[lacks], self.alpha[j][_compress(S, j)] + R[S | (1 << j)])
            R[layer] = acc
        self.L, self.R = L, R
        self.log_z = float(L[-1])

    def edge_probs(self) -> np.ndarray:
        """``[p, p]`` posterior probability of each edge (columns: the scored nodes)."""
        d, c, p, tables = self.d, self.c, self.p, self.tables
        probs = np.zeros((p, p))
        sub = np.arange(1 << max(d - 1, 0), dtype=np.int64)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for j in range(d):
                full = _expand(sub, j)
                base = self.L[full] + self.R[full | (1 << j)] - self.log_z  # log weight of "j after exactly S"
                alpha = self.alpha[j]
                for i in range(d):
                    if i == j:
                        continue
                    ci = i if i < j else i - 1
                    a = alpha.reshape(-1, 2, 1 << ci)
                    b = base.reshape(-1, 2, 1 << ci)[:, 1, :]
                    a1, a0 = a[:, 1, :], a[:, 0, :]
                    gamma = a1 + np.log1p(-np.exp(np.minimum(a0 - a1, 0.0)))  # sets inside S that contain i
                    probs[c + i, c + j] = float(np.nansum(np.exp(b + gamma)))
                for u in range(c):
                    has_u = ((tables.full[j] >> u) & 1).astype(bool)
                    t = np.full(1 << max(d - 1, 0), -np.inf)
                    np.logaddexp.at(t, _compress(tables.scored[j][has_u], j), tables.scores[j][has_u])
                    gamma = _zeta(t, np.logaddexp)
                    probs[u, c + j] = float(np.nansum(np.exp(base + gamma)))
        return probs

    def tempered(self, temperature: float) -> Sampler:
        """The sampler of the tempered posterior ``p_T(G) ∝ prior(order) exp(score(G) / T)``: every
        local score (its structure-prior term included) divided by ``temperature``."""
        t = _Tables(self.d)
        t.full, t.scored = list(self.tables.full), list(self.tables.scored)
        t.scores = [s / float(temperature) for s in self.tables.scores]
        return _Posterior(t, self.c, self.p).sample

    def sample(self, k: int, rng: np.random.Generator) -> list[np.ndarray]:
        """``k`` DAGs (``[p, p]`` bool) drawn exactly from the posterior: an order by the backward
        sums, then each node's parent set given its predecessors."""
        d, c, p, tables = self.d, self.c, self.p, self.tables
        if k == 0:
            return []
        S = np.zeros(k, dtype=np.int64)
        preds = np.zeros((k, d), dtype=np.int64)
        with np.errstate(invalid="ignore"):
            for _ in range(d):
                logits = np.full((k, d), -np.inf)
                for j in range(d):
                    free = ((S >> j) & 1) == 0
                    logits[free, j] = self.alpha[j][_compress(S[free], j)] + self.R[S[free] | (1 << j)]
                choice = np.argmax(logits + rng.gumbel(size=(k, d)), 1)
                preds[np.arange(k), choice] = S
                S |= np.left_shift(np.int64(1), choice)
        out = np.zeros((k, p, p), dtype=bool)
        bits = np.arange(p, dtype=np.int64)
        for j in range(d):
            sc, scored, full = tables.scores[j], tables.scored[j], tables.full[j]
            # draws that put the same nodes before j share one distribution over parent sets
            uniq, inverse = np.unique(preds[:, j], return_inverse=True)
            for u, S in enumerate(uniq):
                who = np.flatnonzero(inverse == u)
                ok = np.flatnonzero((scored & ~S) == 0)
                w = np.exp(sc[ok] - sc[ok].max())
                chosen = full[ok[rng.choice(len(ok), size=len(who), p=w / w.sum())]]
                out[who, :, c + j] = ((chosen[:, None] >> bits[None, :]) & 1).astype(bool)
        return list(out)
