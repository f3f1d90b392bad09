"""Greedy local search with a decomposable score, over DAGs and over variable orders.

:func:`hill_climb` adds, deletes or reverses one edge at a time, taking the move that raises the
score most, until no move helps. :func:`order_search` moves one variable at a time to another
place in a causal order, each node taking the best parents it finds greedily among the variables
before it: it escapes the local optima of edge moves where a chain of wrong orientations blocks
every single reversal (around the hubs of scale-free graphs).

The continuous learners use them to polish a graph read out of their parameters: with the
interventional scores of :mod:`causalworld.discovery.scores` a few moves fix the weak edges a
thresholded read-out misses. Background knowledge is a hard constraint: a move that adds a
forbidden edge or removes a required one is never considered. :func:`pair_posterior` gives the
edge probabilities of the single-edge neighbourhood of the graph a search returns.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import networkx as nx
import numpy as np

from causalworld.discovery.scores import LocalScore
from causalworld.errors import ArgumentError, GraphError, ShapeError

__all__ = ["hill_climb", "order_search", "search_objective", "pair_posterior"]


def hill_climb(
    score: LocalScore,
    adjacency: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    required: np.ndarray | None = None,
    deadline: float | None = None,
    structure_prior: str = "fanin",
    max_moves: int = 10_000,
    cache: dict | None = None,
    shortlist: int | None = None,
) -> tuple[np.ndarray, bool]:
    """Improve ``adjacency`` (``A[i, j]`` = ``i -> j``) by greedy single-edge moves under ``score``.

    Parameters
    ----------
    score
        A decomposable local score over the same columns (``score.local_one(j, parents)``).
    adjacency
        The starting DAG, ``[p, p]`` bool.
    allowed, required
        ``[p, p]`` bool masks from the background knowledge: edges outside ``allowed`` are never
        added, edges in ``required`` never removed or reversed.
    deadline
        A ``time.monotonic()`` value: stop there with the best graph so far.
    structure_prior
        ``"fanin"`` (as :class:`~causalworld.discovery.exact.ExactLearner`'s default: uniform over
        a node's number of parents, then over the sets of that size, which keeps chance edges
        out) or ``"uniform"``.
    cache
        A dict of local scores (structure prior included) by ``(node, parents)``, filled in
        place: pass the same dict to later calls on the same score, knowledge and prior (such as
        :func:`pair_posterior`) to reuse them.
    shortlist
        Score only a shortlist of each node's possible new parents exactly: additions are most of
        a round's moves (``p^2`` against the graph's edges), and with a costly score
        (:class:`~causalworld.discovery.scores.RFFScore` at 100 variables: ~10,000 regressions a
        round) they are first ranked by the score's cheap estimate
        (:meth:`~causalworld.discovery.scores.LocalScore.addition_gains`). Of the parents a node
        may take without a cycle, the ``shortlist`` best by the estimate and every one it rates
        above zero are scored exactly; the others keep the estimate (clipped to zero at most),
        so they are not moves. Deletions and reversals are always scored exactly. ``None``
        (default): every addition is scored exactly.

    Returns
    -------
    (adjacency, timed_out)

    Examples
    --------
    >>> import causalworld as cw, torch
    >>> from causalworld.discovery.scores import BICScore
    >>> truth = cw.SCM.linear([("a", "b"), ("b", "c")], {("a", "b"): 1.5, ("b", "c"): -2.0}, 1.0)
    >>> s = truth.sample(2000, seed=0)
    >>> X = torch.stack([s[v] for v in truth.variables], 1).double()
    >>> A, _ = hill_climb(BICScore(X), np.zeros((3, 3), bool))
    >>> int(A.sum()), bool(A[0, 1] or A[1, 0]), bool(A[1, 2] or A[2, 1])
    (2, True, True)
    """
    cache = {} if cache is None else cache
    A, g, allowed, required, local = _setup(score, adjacency, allowed, required, structure_prior, "hill_climb", cache)
    p = A.shape[0]
    parents = [frozenset(np.flatnonzero(A[:, j]).tolist()) for j in range(p)]
    additions = _additions(local, score, shortlist, allowed, structure_prior, cache)

    timed_out = False
    for _ in range(max_moves):
        if deadline is not None and time.monotonic() > deadline:
            timed_out = True
            break
        best, move = 1e-9, None
        for j in range(p):
            # Checked per node too: one round scores every candidate move (p^2 regressions with
            # the RFF score, minutes at 100 variables), so a check per round overshoots max_time.
            if deadline is not None and time.monotonic() > deadline:
                timed_out = True
                break
            if shortlist is not None:  # the additions that keep the graph acyclic, shortlisted
                below = nx.descendants(g, j)
                adds = additions(j, parents[j], [i for i in range(p) if i != j and i not in below])
            base_j = local(j, parents[j])
            for i in range(p):
                if i == j:
                    continue
                if A[i, j]:
                    if required[i, j]:
                        continue
                    gain = local(j, parents[j] - {i}) - base_j
                    if gain > best:
                        best, move = gain, ("delete", i, j)
                    if allowed[j, i]:
                        g.remove_edge(i, j)
                        acyclic = not nx.has_path(g, i, j)
                        g.add_edge(i, j)
                        if acyclic:
                            gain_r = gain + local(i, parents[i] | {j}) - local(i, parents[i])
                            if gain_r > best:
                                best, move = gain_r, ("reverse", i, j)
                elif shortlist is not None:
                    if adds.get(i, -math.inf) > best:
                        best, move = adds[i], ("add", i, j)
                elif allowed[i, j] and not A[j, i]:
                    gain = local(j, parents[j] | {i}) - base_j
                    if gain > best and not nx.has_path(g, j, i):
                        best, move = gain, ("add", i, j)
        if move is None or timed_out:
            break
        op, i, j = move
        if op == "add":
            A[i, j] = True
            g.add_edge(i, j)
            parents[j] = parents[j] | {i}
        else:
            A[i, j] = False
            g.remove_edge(i, j)
            parents[j] = parents[j] - {i}
            if op == "reverse":
                A[j, i] = True
                g.add_edge(j, i)
                parents[i] = parents[i] | {j}
    return A, timed_out


def order_search(
    score: LocalScore,
    adjacency: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    required: np.ndarray | None = None,
    deadline: float | None = None,
    structure_prior: str = "fanin",
    max_sweeps: int = 50,
) -> tuple[np.ndarray, bool]:
    """Improve a DAG by searching over causal orders, starting from a topological order of
    ``adjacency``; returns the best DAG found (never scoring below the start).

    For a given order every node takes its parents greedily among the variables before it (one
    parent added or removed at a time, the best change first, with the same local score and
    structure prior as :func:`hill_climb`, starting from the parents it has). A move takes one variable to another
    place in the order; the variables it passes keep their parents, or lose it as a parent, or
    may take it as a new one. Each sweep tries every variable at every place and applies the
    best move; the search stops when no move raises the score.

    Parameters are those of :func:`hill_climb`; ``max_sweeps`` bounds the moves.

    Examples
    --------
    >>> import causalworld as cw, torch
    >>> from causalworld.discovery.scores import BICScore
    >>> truth = cw.SCM.linear([("a", "b"), ("b", "c")], {("a", "b"): 1.5, ("b", "c"): -2.0}, 1.0)
    >>> g = torch.Generator().manual_seed(0)
    >>> parts = [truth.sample(500, seed=1)] + [truth.do({v: 2 * torch.randn(200, generator=g)}).sample(200, seed=2)
    ...                                        for v in "abc"]
    >>> X = torch.stack([torch.cat([p[v] for p in parts]) for v in "abc"], 1).double()
    >>> mask = torch.zeros(len(X), 3, dtype=torch.bool)
    >>> for k in range(3):
    ...     mask[500 + 200 * k: 700 + 200 * k, k] = True
    >>> wrong = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], bool)  # c -> b -> a: every edge reversed
    >>> A, _ = order_search(BICScore(X, mask), wrong)
    >>> A.astype(int).tolist()
    [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    """
    A0, g, allowed, required, local = _setup(score, adjacency, allowed, required, structure_prior, "order_search")
    p = A0.shape[0]

    def best_parents(j: int, before: set[int], start: frozenset[int]) -> tuple[frozenset[int], float] | None:
        """Greedy parents of ``j`` among ``before`` from ``start`` (None: a required parent is not before)."""
        req = set(np.flatnonzero(required[:, j]).tolist())
        if not req <= before:
            return None
        pool = [i for i in before if allowed[i, j]]
        ps = frozenset((start & set(pool)) | req)
        cur = local(j, ps)
        while True:
            best, nxt = 1e-9, None
            for i in pool:
                cand = ps - {i} if i in ps else ps | {i}
                if i in ps and i in req:
                    continue
                gain = local(j, cand) - cur
                if gain > best:
                    best, nxt = gain, cand
            if nxt is None:
                return ps, cur
            ps, cur = nxt, cur + best

    order = list(nx.lexicographical_topological_sort(g))
    parents: list[frozenset[int]] = [frozenset(np.flatnonzero(A0[:, j]).tolist()) for j in range(p)]
    start_total = sum(local(j, parents[j]) for j in range(p))
    node = []
    for at, j in enumerate(order):  # the start's own parents, improved within its order
        if deadline is not None and time.monotonic() > deadline:
            return A0.copy(), True
        res = best_parents(j, set(order[:at]), parents[j])
        node.append(res if res is not None else (parents[j], local(j, parents[j])))
    cur_parents = {j: node[at][0] for at, j in enumerate(order)}
    cur_score = {j: node[at][1] for at, j in enumerate(order)}
    timed_out = False
    for _ in range(max_sweeps):
        best_gain, best_move = 1e-9, None
        for a, j in enumerate(order):
            rest = order[:a] + order[a + 1:]  # the order without j; j goes in at position b
            ps, base = cur_parents[j], cur_score[j]
            # One toggle of j's current parents, measured once for every position: where no
            # toggle helps and every parent stays before j, the greedy re-pick keeps ps as it is.
            removals = max((local(j, ps - {i}) - base for i in ps if not required[i, j]), default=-math.inf)
            additions = {i: local(j, ps | {i}) - base for i in range(p) if allowed[i, j] and i not in ps and i != j}
            seen: set[int] = set()
            best_add, n_parents_before = -math.inf, 0
            for b in range(p):
                if b:
                    i = rest[b - 1]
                    seen.add(i)
                    best_add = max(best_add, additions.get(i, -math.inf))
                    n_parents_before += i in ps
                if b == a:
                    continue
                if deadline is not None and time.monotonic() > deadline:
                    timed_out = True
                    break
                if n_parents_before == len(ps) and max(removals, best_add) <= 1e-9:
                    res: tuple[frozenset[int], float] | None = (ps, base)
                else:
                    res = best_parents(j, seen, ps)
                if res is None:
                    continue
                changes = {j: res}
                passed = rest[b:a] if b < a else rest[a:b]
                feasible = True
                for k in passed:
                    if b < a:  # j moved before k: k may now take j
                        if required[k, j]:
                            feasible = False
                            break
                        trial = cur_parents[k] | {j}
                        if allowed[j, k] and local(k, trial) > cur_score[k] + 1e-9:
                            changes[k] = (trial, local(k, trial))
                    elif j in cur_parents[k]:  # j moved after k: k loses j
                        if required[j, k]:
                            feasible = False
                            break
                        res_k = best_parents(k, set(rest[:rest.index(k)]), cur_parents[k] - {j})
                        if res_k is None:
                            feasible = False
                            break
                        changes[k] = res_k
                if not feasible:
                    continue
                gain = sum(v[1] - cur_score[k] for k, v in changes.items())
                if gain > best_gain:
                    best_gain, best_move = gain, (rest[:b] + [j] + rest[b:], changes)
            if timed_out:
                break
        if best_move is None or timed_out:
            break
        order, changes = best_move
        for k, (ps_k, sc) in changes.items():
            cur_parents[k], cur_score[k] = ps_k, sc
    A = np.zeros((p, p), bool)
    for j, ps in cur_parents.items():
        A[list(ps), j] = True
    if sum(cur_score.values()) < start_total:  # pragma: no cover - greedy steps only go up
        return A0.copy(), timed_out
    return A, timed_out


_Local = Callable[[int, frozenset[int]], float]


def _setup(score: LocalScore, adjacency: np.ndarray, allowed: np.ndarray | None, required: np.ndarray | None,
           structure_prior: str, caller: str,
           cache: dict | None = None) -> tuple[np.ndarray, nx.DiGraph, np.ndarray, np.ndarray, _Local]:
    """Checked inputs of a search: the starting adjacency (a copy) and its graph, the knowledge
    masks, and a cached local score with the structure prior (in ``cache`` when given)."""
    A = np.asarray(adjacency, dtype=bool).copy()
    p = A.shape[0]
    if A.shape != (p, p):
        raise ShapeError(f"adjacency must be square, got shape {A.shape}")
    allowed = np.ones((p, p), bool) if allowed is None else np.array(allowed, dtype=bool)
    required = np.zeros((p, p), bool) if required is None else np.asarray(required, bool)
    np.fill_diagonal(allowed, False)
    g = nx.DiGraph()
    g.add_nodes_from(range(p))
    g.add_edges_from(zip(*np.nonzero(A)))
    if not nx.is_directed_acyclic_graph(g):
        raise GraphError(f"{caller} needs an acyclic starting graph")
    if (A & ~allowed).any() or (required & ~A).any():
        raise ArgumentError(
            f"{caller}'s starting graph must obey the knowledge (no forbidden edge, every required edge); "
            "start from the required edges alone if unsure"
        )
    if structure_prior not in ("fanin", "uniform"):
        raise ArgumentError(f"structure_prior must be 'fanin' or 'uniform', got {structure_prior!r}")
    candidates = allowed.sum(0)  # how many parents each node may have
    cache = {} if cache is None else cache

    def local(j: int, ps: frozenset[int]) -> float:
        key = (j, ps)
        if key not in cache:
            value = score.local_one(j, sorted(ps))
            value += _log_prior(structure_prior, int(candidates[j]), len(ps))
            cache[key] = value
        return cache[key]

    return A, g, allowed, required, local


def _log_prior(structure_prior: str, m: int, k: int) -> float:
    """The structure prior of a node with ``k`` parents among ``m`` candidates (up to a constant)."""
    if structure_prior == "uniform":
        return 0.0
    return -(math.lgamma(m + 1) - math.lgamma(k + 1) - math.lgamma(max(m - k, 0) + 1))


def _additions(local: _Local, score: LocalScore, shortlist: int | None, allowed: np.ndarray,
               structure_prior: str, cache: dict) -> Callable[[int, frozenset[int], list[int]], dict[int, float]]:
    """``additions(j, ps, free)``: the objective change of adding each allowed ``i`` of ``free``
    (those that keep the graph acyclic) to the parents ``ps`` of ``j``, exact or shortlisted
    (see :func:`hill_climb`'s ``shortlist``); the estimates go in ``cache`` too, keyed apart
    from the local scores."""
    if shortlist is not None and (isinstance(shortlist, bool) or not isinstance(shortlist, (int, np.integer))
                                  or shortlist < 1):
        raise ArgumentError(f"shortlist must be None or a positive int (additions per node scored exactly), "
                            f"got {shortlist!r}")
    m_of = allowed.sum(0)

    def additions(j: int, ps: frozenset[int], free: list[int]) -> dict[int, float]:
        cands = [i for i in free if allowed[i, j] and i not in ps]
        if shortlist is None:
            return {i: local(j, ps | {i}) - local(j, ps) for i in cands}
        key = ("additions", j, ps)
        if key not in cache:  # every allowed candidate once per parent set
            every = [i for i in np.flatnonzero(allowed[:, j]).tolist() if i not in ps]
            step = _log_prior(structure_prior, int(m_of[j]), len(ps) + 1) - _log_prior(structure_prior, int(m_of[j]), len(ps))
            cache[key] = dict(zip(every, (score.addition_gains(j, sorted(ps), every) + step).tolist()))
        est = cache[key]
        ranked = sorted(cands, key=lambda i: (-est[i], i))
        exact = set(ranked[:int(shortlist)]) | {i for i in cands if est[i] > _TIE}
        return {i: local(j, ps | {i}) - local(j, ps) if i in exact else min(est[i], 0.0) for i in cands}

    return additions


def search_objective(score: LocalScore, adjacency: np.ndarray, *, allowed: np.ndarray | None = None,
                     structure_prior: str = "fanin", cache: dict | None = None) -> float:
    """What :func:`hill_climb` and :func:`order_search` maximise: the sum of the local scores plus
    the structure prior, for a DAG ``adjacency`` (compare their results with this, not with
    ``score.graph_score``, which leaves the prior out). ``cache``: as for :func:`hill_climb`
    (a graph a search with the same cache returned is then scored without a regression).

    Examples
    --------
    >>> import torch
    >>> from causalworld.discovery.scores import BICScore
    >>> X = torch.randn(200, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    >>> empty = np.zeros((3, 3), bool)
    >>> search_objective(BICScore(X), empty) == BICScore(X).graph_score(empty)  # no parents: no prior term
    True
    """
    A, _, _, _, local = _setup(score, adjacency, allowed, None, structure_prior, "search_objective", cache)
    return float(sum(local(j, frozenset(np.flatnonzero(A[:, j]).tolist())) for j in range(A.shape[0])))


# Moves within this of zero are ties for hill_climb (it moves only on a gain above it); in
# pair_posterior a tie goes to the state the graph has, so a local optimum's own edges get
# probability >= 1/2 and its non-edges < 1/2 however rounding falls.
_TIE = 1e-9


def pair_posterior(
    score: LocalScore,
    adjacency: np.ndarray,
    *,
    allowed: np.ndarray | None = None,
    required: np.ndarray | None = None,
    structure_prior: str = "fanin",
    cache: dict | None = None,
    shortlist: int | None = None,
) -> np.ndarray:
    """Edge probabilities of each pair given the rest of the DAG ``adjacency``, from its score.

    For each pair ``a, b`` the three graphs that agree with ``adjacency`` everywhere else (no
    edge, ``a -> b``, ``b -> a``; one that is cyclic or against the knowledge is left out) are
    scored with the objective of :func:`hill_climb`. The pair is adjacent with probability
    ``sigmoid(s_edge - s_none)``, where ``s_edge`` is the better of the two orientations (the
    odds of the best graph with the edge against the best without it, as likelihood-ratio
    support for a branch of a tree is computed), and the two orientations share that
    probability by ``softmax(s_ab, s_ba)``. Scores are log marginal likelihoods or penalised
    log-likelihoods in nats, so these are local, conditional posterior probabilities (a
    pseudo-posterior with the RFF score), not marginals over all DAGs.

    On a graph no single-edge move improves (what :func:`hill_climb` returns when it is not
    stopped early), every edge has adjacency probability ``>= 0.5`` and every other pair less:
    the probabilities describe the graph. Required edges get probability 1.

    Parameters
    ----------
    score, adjacency, allowed, required, structure_prior, cache, shortlist
        As for :func:`hill_climb`; ``adjacency`` is the DAG whose neighbourhood is scored. With a
        ``shortlist``, an edge outside the graph and off its child's shortlist is rated by the
        score's estimate (clipped to zero at most: a probability at most 1/2, below it where the
        estimate is negative); pass the ``shortlist`` :func:`hill_climb` used, so its graph
        is described.

    Returns
    -------
    numpy.ndarray
        ``[p, p]`` float, ``P[a, b] = p(a -> b)``, zero diagonal.

    Raises
    ------
    GraphError
        ``adjacency`` is cyclic.
    ArgumentError
        ``adjacency`` contradicts the knowledge, or an unknown ``structure_prior``.

    Examples
    --------
    >>> import causalworld as cw, torch
    >>> from causalworld.discovery.scores import BICScore
    >>> truth = cw.SCM.linear([("a", "b")], {("a", "b"): 0.1}, 1.0)  # a weak edge
    >>> s = truth.sample(500, seed=0)
    >>> X = torch.stack([s[v] for v in truth.variables], 1).double()
    >>> A, _ = hill_climb(BICScore(X), np.zeros((2, 2), bool))
    >>> P = pair_posterior(BICScore(X), A)
    >>> bool(A.any()) == bool(P[0, 1] + P[1, 0] >= 0.5)
    True
    """
    cache = {} if cache is None else cache
    A, g, allowed, required, local = _setup(score, adjacency, allowed, required, structure_prior, "pair_posterior",
                                            cache)
    p = A.shape[0]
    parents = [frozenset(np.flatnonzero(A[:, j]).tolist()) for j in range(p)]
    base = [local(j, parents[j]) for j in range(p)]
    additions = _additions(local, score, shortlist, allowed, structure_prior, cache)
    reach = np.zeros((p, p), bool)  # reach[u, v]: a directed path u -> ... -> v
    for u in range(p):
        reach[u, list(nx.descendants(g, u))] = True
    # Each node's gain from every parent it may add without a cycle (shortlisted as in hill_climb).
    adds = [additions(j, parents[j], [i for i in range(p) if i != j and not reach[j, i]]) for j in range(p)]

    def toggle(i: int, j: int) -> float:
        """Objective change of switching ``i -> j`` (on if off, off if on), the rest fixed."""
        return local(j, parents[j] ^ {i}) - base[j]

    P = np.zeros((p, p))
    for a in range(p):
        for b in range(a + 1, p):
            if required[a, b] or required[b, a]:
                P[a, b], P[b, a] = float(required[a, b]), float(required[b, a])
                continue
            if A[a, b] or A[b, a]:
                u, v = (a, b) if A[a, b] else (b, a)  # the graph's edge u -> v
                s_none = toggle(u, v)
                g.remove_edge(u, v)
                turnable = allowed[v, u] and not nx.has_path(g, u, v)
                g.add_edge(u, v)
                s = {(u, v): 0.0, (v, u): s_none + toggle(v, u) if turnable else -math.inf}
                present = True
            else:
                s_none = 0.0
                s = {(i, j): adds[j].get(i, -math.inf) for i, j in ((a, b), (b, a))}
                present = False
            if max(s.values()) == -math.inf:
                continue
            odds = max(s.values()) - s_none
            if abs(odds) <= _TIE:
                odds = _TIE if present else -_TIE
            w = {e: math.exp(v - max(s.values())) for e, v in s.items()}
            total = sum(w.values())
            for (i, j), wij in w.items():
                P[i, j] = _sigmoid(odds) * wij / total
    return P


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
