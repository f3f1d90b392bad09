"""Scores of a learned model against the truth the simulator knows: graph distances (SHD, edge
precision / recall / F1, orientation accuracy, SID), AUROC of edge probabilities, and the
counterfactual error of a learned SCM, and how well latents recover true variables (``latent_r2``).
Every stage of the loop is measured here.

Graphs may be a ``networkx.DiGraph`` (a DAG, or a CPDAG where an undirected edge is a pair of
opposite edges), any object with ``to_networkx()`` (such as the learners' ``MixedGraph``), or an
edge list. Each unordered pair of variables carries one *mark*: no edge, ``u -> v``, ``v -> u`` or
``u -- v``; the graph metrics compare these marks pair by pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import torch
from torch import Tensor

from causalworld.errors import ArgumentError, DTypeError, GraphError, NonFiniteError, ShapeError, UnknownVariableError

__all__ = [
    "shd",
    "edge_precision",
    "edge_recall",
    "edge_f1",
    "orientation_accuracy",
    "sid",
    "auroc",
    "counterfactual_error",
    "latent_r2",
    "LatentScores",
]

_NONE, _FWD, _BWD, _UND = 0, 1, 2, 3


def _as_digraph(graph: Any) -> nx.DiGraph:
    if hasattr(graph, "to_networkx") and not isinstance(graph, nx.Graph):
        graph = graph.to_networkx()
    if isinstance(graph, nx.DiGraph):
        return graph
    if isinstance(graph, nx.Graph):
        raise GraphError("an undirected networkx.Graph was given; give a DiGraph (undirected edges as opposite pairs)")
    if hasattr(graph, "graph") and hasattr(graph.graph, "nodes"):  # an SCM
        return nx.DiGraph(graph.graph)
    if isinstance(graph, (list, tuple)):
        g = nx.DiGraph()
        for e in graph:
            if not (isinstance(e, (list, tuple)) and len(e) == 2):
                raise GraphError(f"an edge list must hold (u, v) pairs; got {e!r}")
            g.add_edge(*e)
        return g
    raise DTypeError(f"cannot read a graph from {type(graph).__name__}; give a networkx.DiGraph, a MixedGraph or an edge list")


def _marks(true: Any, learned: Any) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Node list and the mark matrices ``M[i, j]`` (``i < j``) of both graphs."""
    t, l = _as_digraph(true), _as_digraph(learned)
    nodes = list(t.nodes) + [v for v in l.nodes if v not in t]  # a node without edges may be left out
    idx = {v: i for i, v in enumerate(nodes)}

    def mat(g: nx.DiGraph) -> np.ndarray:
        a = np.zeros((len(nodes), len(nodes)), dtype=bool)
        for u, v in g.edges:
            if u == v:
                raise GraphError(f"self-loop on {u!r}; a causal graph has none")
            a[idx[u], idx[v]] = True
        m = np.where(a & a.T, _UND, np.where(a, _FWD, np.where(a.T, _BWD, _NONE)))
        return np.triu(m, 1)

    return nodes, mat(t), mat(l)


def shd(true: Any, learned: Any) -> int:
    """Structural Hamming distance: the number of variable pairs whose edge differs.

    Each unordered pair counts at most 1: a missing edge, an extra edge, a reversed edge, and an
    undirected edge where the other graph has a directed one (or the reverse) each count 1. This
    is the convention of Tsamardinos et al. (2006) and of ``pcalg::shd``, and compares DAGs,
    CPDAGs or one with the other. To compare equivalence classes, pass both CPDAGs.

    Examples
    --------
    >>> shd([("a", "b"), ("b", "c")], [("b", "a"), ("b", "c")])
    1
    >>> shd([("a", "b")], [("a", "b"), ("b", "a")])  # directed vs undirected
    1
    """
    _, t, l = _marks(true, learned)
    return int((t != l).sum())


def _counts(true: Any, learned: Any, directed: bool) -> tuple[int, int, int]:
    _, t, l = _marks(true, learned)
    tp = int(((t != _NONE) & (l != _NONE) & ((t == l) | (not directed))).sum())
    return tp, int((l != _NONE).sum()), int((t != _NONE).sum())


def edge_precision(true: Any, learned: Any, *, directed: bool = True) -> float:
    """Fraction of the learned edges that are true edges with the same mark (``directed=True``)
    or adjacent in the true graph (``directed=False``). 1.0 when nothing was learned.

    Examples
    --------
    >>> edge_precision([("a", "b")], [("a", "b"), ("a", "c")])
    0.5
    """
    tp, pred, _ = _counts(true, learned, directed)
    return tp / pred if pred else 1.0


def edge_recall(true: Any, learned: Any, *, directed: bool = True) -> float:
    """Fraction of the true edges found with the same mark (``directed=True``) or found adjacent
    (``directed=False``). 1.0 when the true graph is empty.

    Examples
    --------
    >>> edge_recall([("a", "b"), ("b", "c")], [("b", "a"), ("b", "c")])
    0.5
    >>> edge_recall([("a", "b"), ("b", "c")], [("b", "a"), ("b", "c")], directed=False)
    1.0
    """
    tp, _, real = _counts(true, learned, directed)
    return tp / real if real else 1.0


def edge_f1(true: Any, learned: Any, *, directed: bool = True) -> float:
    """Harmonic mean of :func:`edge_precision` and :func:`edge_recall`.

    Examples
    --------
    >>> round(edge_f1([("a", "b"), ("b", "c")], [("a", "b"), ("a", "c")]), 3)
    0.5
    """
    tp, pred, real = _counts(true, learned, directed)
    if pred + real == 0:
        return 1.0
    return 2 * tp / (pred + real)


def orientation_accuracy(true: Any, learned: Any) -> float:
    """Among the pairs adjacent in both graphs, the fraction whose marks agree (a learned
    undirected edge against a true directed one counts as wrong). 1.0 if no pair is shared.

    Examples
    --------
    >>> orientation_accuracy([("a", "b"), ("b", "c")], [("b", "a"), ("b", "c"), ("a", "c")])
    0.5
    """
    _, t, l = _marks(true, learned)
    both = (t != _NONE) & (l != _NONE)
    n = int(both.sum())
    return float((t[both] == l[both]).sum() / n) if n else 1.0


def sid(true: Any, learned: Any) -> int:
    """Structural intervention distance (Peters & Bühlmann 2015): the number of ordered pairs
    ``(i, j)``, ``i != j``, for which the learned DAG gives a wrong ``p(x_j | do(x_i))``.

    The learned DAG ``G`` answers by adjusting for ``pa_G(i)`` (and says "no effect" when
    ``j`` is a parent of ``i``). The pair is wrong when that is not a valid adjustment in the true
    DAG ``H``: if ``j`` is in ``pa_G(i)``, wrong iff ``j`` is a descendant of ``i`` in ``H``;
    otherwise wrong iff ``pa_G(i)`` contains a descendant in ``H`` of a node on a directed path
    from ``i`` to ``j`` (other than ``i``), or does not d-separate ``i`` from ``j`` in ``H`` with
    the first edge of every directed path from ``i`` to ``j`` removed (the adjustment criterion of
    Shpitser et al. 2010). Written from the definition, ``O(d^2)`` d-separation tests: fine for the
    graphs of tests and small benchmarks. Both graphs must be DAGs.

    Examples
    --------
    >>> sid([("a", "b"), ("b", "c")], [("a", "b"), ("b", "c")])
    0
    >>> sid([("a", "b"), ("b", "c")], [])  # the empty graph reads p(a | b) as p(a | do(b))
    3
    """
    H, G = _as_digraph(true), _as_digraph(learned)
    for name, g in (("true", H), ("learned", G)):
        if not nx.is_directed_acyclic_graph(g):
            raise GraphError(f"sid needs DAGs; the {name} graph has a cycle or undirected edges (orient them first)")
    nodes = list(H.nodes)
    for v in G.nodes:
        if v not in H:
            raise UnknownVariableError.of(v, nodes, where="the true graph")
    desc = {v: nx.descendants(H, v) for v in nodes}
    errors = 0
    for i in nodes:
        pa = set(G.predecessors(i)) if i in G else set()
        # nodes on proper directed paths from i (i itself excluded) and the first edges of those paths
        for j in nodes:
            if j == i:
                continue
            if j in pa:
                errors += j in desc[i]
                continue
            on_path = {w for w in desc[i] if w == j or j in desc[w]} if j in desc[i] else set()
            forbidden = set().union(*(desc[w] | {w} for w in on_path)) if on_path else set()
            if pa & forbidden:
                errors += 1
                continue
            Hb = H.copy()
            Hb.remove_edges_from([(i, w) for w in H.successors(i) if w in on_path])
            if not nx.is_d_separator(Hb, {i}, {j}, pa):
                errors += 1
    return errors


def auroc(true: Any, edge_probs: Any, *, variables: Sequence[str] | None = None) -> float:
    """Area under the ROC curve of ``edge_probs`` (parent rows x child columns, a DataFrame or a
    matrix with ``variables``) for telling the true directed edges from the other ordered pairs
    (the diagonal excluded). Ties count one half (Mann-Whitney). ``nan`` when the true graph has
    no edges or is complete.

    Examples
    --------
    >>> p = pd.DataFrame([[0, 0.9, 0.2], [0.1, 0, 0.8], [0.3, 0.05, 0]], index=list("abc"), columns=list("abc"))
    >>> auroc([("a", "b"), ("b", "c")], p)
    1.0
    """
    H = _as_digraph(true)
    if isinstance(edge_probs, pd.DataFrame):
        names = list(edge_probs.index)
        if list(edge_probs.columns) != names:
            raise ShapeError("edge_probs must have the same variables, in the same order, as rows and columns")
        P = edge_probs.to_numpy(dtype=float)
    else:
        P = np.asarray(edge_probs.detach().cpu() if hasattr(edge_probs, "detach") else edge_probs, dtype=float)
        names = list(variables) if variables is not None else list(H.nodes)
    if P.ndim != 2 or P.shape != (len(names), len(names)):
        raise ShapeError(f"edge_probs must be square over {len(names)} variables; got shape {P.shape}")
    for v in H.nodes:
        if v not in names:
            raise UnknownVariableError.of(v, names, where="edge_probs")
    idx = {v: i for i, v in enumerate(names)}
    y = np.zeros_like(P, dtype=bool)
    for u, v in H.edges:
        y[idx[u], idx[v]] = True
    off = ~np.eye(len(names), dtype=bool)
    scores, labels = P[off], y[off]
    pos, neg = int(labels.sum()), int((~labels).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def counterfactual_error(true_scm: Any, learned_scm: Any, *, n_rows: int = 1000, seed: int = 0,
                         variables: Sequence[str] | None = None, by_pair: bool = False) -> float | pd.DataFrame:
    """Normalised mean absolute error of a learned SCM's counterfactuals against the true SCM's.

    Protocol: draw ``n_rows`` observed rows from ``true_scm`` (``seed``). For each intervened
    variable ``x`` (every continuous variable, or ``variables``), set ``x`` in every row to a value
    drawn uniformly between the 5th and 95th percentiles of the observed ``x`` (inside the
    learned model's fitted range too, when it has one): a hard intervention within the observed
    range. Both models answer the counterfactual of every row under that intervention (abduct,
    act, predict). For each target ``y != x`` that is a descendant of ``x`` in either model's
    graph, the error is ``mean |y_cf_true - y_cf_learned| / std(y)``, with ``std(y)`` the standard
    deviation of ``y`` in the observed rows. The result is the mean over those ``(x, y)`` pairs
    (0.0 when there are none). Pairs where neither model lets ``x`` affect ``y`` are left out: both
    return the observed ``y`` there.

    Parameters
    ----------
    true_scm, learned_scm
        SCMs over the same variable names (continuous ones are compared).
    n_rows
        Observed rows (1,000 by default).
    seed
        Seed of the observed rows and the intervention values.
    variables
        The variables to intervene on (default: every continuous variable).
    by_pair
        Return a DataFrame with one row per ``(intervened, target)`` pair instead of the mean.

    Examples
    --------
    >>> import causalworld as cw
    >>> truth = cw.SCM.linear([("a", "b")], {("a", "b"): 2.0}, 1.0)
    >>> counterfactual_error(truth, truth)
    0.0
    >>> wrong = cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}, 1.0)
    >>> 0.3 < counterfactual_error(truth, wrong) < 0.6
    True
    """
    if isinstance(n_rows, bool) or not isinstance(n_rows, int) or n_rows < 2:
        raise ArgumentError(f"n_rows must be an int >= 2, got {n_rows!r}")
    names = list(true_scm.variables)
    if set(learned_scm.variables) != set(names):
        missing = sorted(set(names) - set(learned_scm.variables))
        extra = sorted(set(learned_scm.variables) - set(names))
        raise UnknownVariableError(
            f"the learned SCM has other variables than the true one (missing {missing}, extra {extra}); "
            "compare models over the same variables"
        )
    continuous = [v for v in names if true_scm.cardinality(v) is None and learned_scm.cardinality(v) is None]
    if variables is None:
        xs = continuous
    else:
        xs = list(variables)
        for v in xs:
            if v not in names:
                raise UnknownVariableError.of(v, names, where="the SCM")
            if v not in continuous:
                raise ArgumentError(f"{v!r} is discrete; counterfactual_error compares continuous variables")
    if not xs:
        raise ArgumentError("no continuous variable to intervene on; counterfactual_error compares continuous variables")
    obs = true_scm.sample(n_rows, seed=seed)
    obs_learned = learned_scm.as_tensors({v: obs[v] for v in names}, require=names, what="observed")
    gen = torch.Generator().manual_seed(int(seed) + 1)
    desc_t = {v: nx.descendants(true_scm.graph, v) for v in names}
    desc_l = {v: nx.descendants(learned_scm.graph, v) for v in names}
    ranges = learned_scm.fitted_ranges
    rows = []
    for x in xs:
        col = obs[x].double()
        lo, hi = float(torch.quantile(col, 0.05)), float(torch.quantile(col, 0.95))
        if x in ranges:
            lo, hi = max(lo, ranges[x][0]), min(hi, ranges[x][1])
        if hi < lo:
            hi = lo
        values = lo + (hi - lo) * torch.rand(n_rows, generator=gen, dtype=torch.float64)
        ys = [y for y in continuous if y != x and (y in desc_t[x] or y in desc_l[x])]
        if not ys:
            continue
        cf_true = true_scm.counterfactual(obs, {x: values.to(true_scm.dtype)})
        cf_learned = learned_scm.counterfactual(obs_learned, {x: values.to(learned_scm.dtype)})
        for y in ys:
            scale = float(obs[y].double().std())
            err = float((cf_true[y].double().cpu() - cf_learned[y].double().cpu()).abs().mean())
            rows.append({"intervened": x, "target": y, "error": err / scale if scale > 0 else float("inf")})
    table = pd.DataFrame(rows, columns=["intervened", "target", "error"])
    if by_pair:
        return table
    return float(table["error"].mean()) if len(table) else 0.0


# -- latents against true variables ----------------------------------------------------------------
@dataclass(frozen=True)
class LatentScores:
    """What :func:`latent_r2` measured.

    Attributes
    ----------
    r2 : pandas.DataFrame
        Held-out R² of a small MLP probe from each latent (rows, ``z0, z1, ...`` or the names
        given) to each true variable (columns).
    matching : dict of str to str
        The best one-to-one matching, ``{variable: latent}`` (Hungarian, on ``r2``).
    diag : float
        Mean R² of the matched pairs.
    sep : float
        Mean over the matched latents of the largest R² to a variable other than their match:
        how much a latent also tells about other variables (0 = disentangled).
    mcc : float
        Mean absolute Pearson correlation of the pairs matched on correlation (held-out rows).

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> a, b = torch.randn(100, generator=g), torch.rand(100, generator=g)
    >>> s = latent_r2(torch.stack([b, a], 1), {"a": a, "b": b}, steps=100)  # z1 is a, z0 is b
    >>> type(s).__name__, s.matching, s.r2.shape
    ('LatentScores', {'a': 'z1', 'b': 'z0'}, (2, 2))
    >>> round(s.diag, 2), round(s.mcc, 2)
    (1.0, 1.0)
    """

    r2: pd.DataFrame
    matching: dict[str, str]
    diag: float
    sep: float
    mcc: float


def _latent_table(z: Any, values: Any, angles: Sequence[str]) -> tuple[Tensor, list[int], dict[str, Tensor], int]:
    """Rows to probe: z ``[rows, d]`` with each row's episode, and each target as ``[rows, k]``."""
    zt = torch.as_tensor(np.asarray(z.detach().cpu() if isinstance(z, Tensor) else z), dtype=torch.float64)
    if zt.dim() not in (2, 3):
        raise ShapeError(f"z must be [n, d] or [n, T, d], got shape {tuple(zt.shape)}")
    if not bool(torch.isfinite(zt).all()):
        raise NonFiniteError("z holds NaN or infinite values")
    n = zt.shape[0]
    if isinstance(values, pd.DataFrame):
        values = {str(c): values[c].to_numpy() for c in values.columns}
    if not isinstance(values, Mapping) or not values:
        raise DTypeError("values must be a non-empty {name: [n] or [n, T]} mapping or a DataFrame")
    T = zt.shape[1] if zt.dim() == 3 else 1
    targets: dict[str, Tensor] = {}
    per_frame = False
    for v, col in values.items():
        t = torch.as_tensor(np.asarray(col.detach().cpu() if isinstance(col, Tensor) else col), dtype=torch.float64)
        if t.shape[0] != n or t.dim() not in (1, 2) or (t.dim() == 2 and (zt.dim() != 3 or t.shape[1] != T)):
            raise ShapeError(f"values[{v!r}] has shape {tuple(t.shape)}; expected [{n}]" + (f" or [{n}, {T}]" if zt.dim() == 3 else ""))
        if not bool(torch.isfinite(t).all()):
            raise NonFiniteError(f"values[{v!r}] holds NaN or infinite values")
        per_frame |= t.dim() == 2
        targets[str(v)] = t
    unknown = [a for a in angles if a not in targets]
    if unknown:
        raise UnknownVariableError.of(unknown[0], list(targets), where="values")
    if per_frame:  # one row per frame; static variables repeat over the frames
        rows = zt.reshape(n * T, -1)
        episode = torch.arange(n).repeat_interleave(T)
        targets = {v: (t if t.dim() == 2 else t[:, None].expand(n, T)).reshape(n * T) for v, t in targets.items()}
    else:
        rows = zt.mean(1) if zt.dim() == 3 else zt
        episode = torch.arange(n)
    out = {v: (torch.stack([torch.cos(2 * t), torch.sin(2 * t)], 1) if v in angles else t[:, None]) for v, t in targets.items()}
    return rows, episode.tolist(), out, n


def _fit_probes(x: Tensor, y: Tensor, train: Tensor, *, hidden: int, steps: int, seed: int) -> Tensor:
    """Held-out R² of one small MLP per (input column, output column), all trained at once.

    ``x`` is ``[rows, d]``, ``y`` ``[rows, k]``; returns ``[d, k]``.
    """
    d, k = x.shape[1], y.shape[1]
    xs = (x - x[train].mean(0)) / x[train].std(0).clamp_min(1e-12)
    ys = (y - y[train].mean(0)) / y[train].std(0).clamp_min(1e-12)
    g = torch.Generator().manual_seed(seed)
    P = d * k  # one probe per pair
    w1 = (torch.randn(P, 1, hidden, generator=g, dtype=torch.float64) * 1.5).requires_grad_()
    b1 = (torch.randn(P, 1, hidden, generator=g, dtype=torch.float64) * 0.5).requires_grad_()
    w2 = torch.zeros(P, hidden, 1, dtype=torch.float64, requires_grad=True)
    b2 = torch.zeros(P, 1, 1, dtype=torch.float64, requires_grad=True)
    inp = xs.T.repeat_interleave(k, 0)[:, :, None]  # (P, rows, 1): pair p = (p // k, p % k)
    out = ys.T.repeat(d, 1)[:, :, None]  # (P, rows, 1)
    opt = torch.optim.Adam([w1, b1, w2, b2], lr=0.03)
    tr = train.nonzero().squeeze(1)
    for _ in range(steps):
        opt.zero_grad()
        pred = torch.tanh(inp[:, tr] @ w1 + b1) @ w2 + b2
        ((pred - out[:, tr]) ** 2).mean().backward()
        opt.step()
    with torch.no_grad():
        te = (~train).nonzero().squeeze(1)
        pred = torch.tanh(inp[:, te] @ w1 + b1) @ w2 + b2
        sse = ((pred - out[:, te]) ** 2).sum(1).squeeze(1)
        sst = ((out[:, te] - out[:, te].mean(1, keepdim=True)) ** 2).sum(1).squeeze(1).clamp_min(1e-12)
    return (1.0 - sse / sst).reshape(d, k)


def latent_r2(z: Any, values: Any, *, seed: int = 0, angles: Sequence[str] = (), latent_names: Sequence[str] | None = None,
              hidden: int = 32, steps: int = 300) -> LatentScores:
    """How well latents recover true variables: the protocol of causal representation learning.

    Standardise, split the episodes 50/50 with ``seed``, fit a small MLP probe from each latent
    to each true variable on one half, and score R² on the other half. The best one-to-one
    matching (Hungarian) gives ``diag`` (mean matched R²) and ``sep`` (mean over the matched
    latents of their largest R² to another variable). ``mcc`` is the mean absolute correlation
    of the pairs matched on correlation. Score on episodes where every variable was set
    independently, so that correlation in the world is not counted as entanglement.

    Parameters
    ----------
    z : array or Tensor, [n, d] or [n, T, d]
        Latents per episode, or per frame.
    values : dict of str to array [n] or [n, T], or DataFrame
        True values. A static variable against per-frame latents repeats over the frames; with
        only static variables, per-frame latents are averaged over the frames.
    seed : int, default=0
        The split and the probes' initial weights.
    angles : sequence of str, default=()
        Variables that are angles drawn modulo pi: scored as ``(cos 2θ, sin 2θ)`` (R² averaged).
    latent_names : sequence of str, optional
        Row names of ``r2`` (default ``z0, z1, ...``).
    hidden, steps : int
        Width of the probes' hidden layer and full-batch Adam steps.

    Returns
    -------
    LatentScores

    Raises
    ------
    ShapeError, NonFiniteError, DTypeError, UnknownVariableError

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> a, b = torch.randn(200, generator=g), torch.rand(200, generator=g)
    >>> s = latent_r2(torch.stack([b ** 3, torch.tanh(a)], 1), {"a": a, "b": b}, steps=150)
    >>> s.matching, round(s.diag, 1), s.sep < 0.05
    ({'a': 'z1', 'b': 'z0'}, 1.0, True)
    """
    from scipy.optimize import linear_sum_assignment

    rows, episode, targets, n = _latent_table(z, values, tuple(angles))
    if n < 4:
        raise ShapeError(f"latent_r2 needs at least 4 episodes to split, got {n}")
    d = rows.shape[1]
    names = [f"z{i}" for i in range(d)] if latent_names is None else [str(s) for s in latent_names]
    if len(names) != d:
        raise ShapeError(f"latent_names has {len(names)} names for {d} latents")
    g = torch.Generator().manual_seed(int(seed))
    half = torch.zeros(n, dtype=torch.bool)
    half[torch.randperm(n, generator=g)[: n // 2]] = True
    train = half[torch.as_tensor(episode)]
    variables = list(targets)
    y = torch.cat([targets[v] for v in variables], 1)
    owner = [v for v in variables for _ in range(targets[v].shape[1])]
    r2_cols = _fit_probes(rows, y, train, hidden=hidden, steps=steps, seed=int(seed))
    r2 = torch.stack([r2_cols[:, [i for i, o in enumerate(owner) if o == v]].mean(1) for v in variables], 1)
    table = pd.DataFrame(r2.numpy(), index=names, columns=variables)
    li, vi = linear_sum_assignment(-table.to_numpy())
    matching = {variables[j]: names[i] for j, i in sorted(zip(vi, li))}
    diag = float(np.mean([table.iat[i, j] for i, j in zip(li, vi)]))
    others = [max((table.iat[i, k] for k in range(len(variables)) if k != j), default=0.0) for i, j in zip(li, vi)]
    sep = float(np.mean(others)) if others else 0.0
    te = ~train
    xc = rows[te] - rows[te].mean(0)
    yc = y[te] - y[te].mean(0)
    corr = (xc.T @ yc) / (xc.norm(dim=0)[:, None] * yc.norm(dim=0)[None, :]).clamp_min(1e-12)
    absr = torch.stack([corr[:, [i for i, o in enumerate(owner) if o == v]].abs().max(1).values for v in variables], 1).numpy()
    ci, cj = linear_sum_assignment(-absr)
    mcc = float(absr[ci, cj].mean())
    return LatentScores(r2=table, matching=matching, diag=diag, sep=sep, mcc=mcc)
