"""``random_scm``: random DAGs (Erdős–Rényi or scale-free) with random mechanisms, the synthetic
benchmark models of the causal-discovery literature, reproducible from a seed.

``edges_per_node=k`` means ``k * n`` expected edges (the "ER-k" / "SF-k" of the literature).
Nodes are named ``x0 .. x{n-1}`` and the causal order is a random permutation of them, so neither
names nor positions leak the order to a learner.
"""

from __future__ import annotations

import math

import numpy as np
import networkx as nx
import torch

from causalworld.errors import ArgumentError, DTypeError, NonFiniteError, OutOfRangeError
from causalworld.scm.mechanisms import (
    AdditiveNoiseMLP,
    Binary,
    Categorical,
    GaussianRoot,
    LinearGaussian,
    Mechanism,
    PostNonlinear,
)
from causalworld.scm.model import SCM

__all__ = ["random_dag", "random_scm"]

_MECHANISMS = ("linear", "mlp", "pnl", "discrete")


def random_dag(n_nodes: int, *, edges_per_node: float = 2.0, graph: str = "er", seed: int | None = None) -> nx.DiGraph:
    """A random DAG over ``x0 .. x{n-1}`` with ``edges_per_node * n_nodes`` expected edges.

    ``graph="er"`` draws every pair (in a random causal order) with the same probability;
    ``graph="sf"`` grows a scale-free graph by preferential attachment (Barabási–Albert), each new
    node taking about ``edges_per_node`` parents among the earlier ones.

    Examples
    --------
    >>> g = random_dag(10, edges_per_node=1.0, seed=0)
    >>> nx.is_directed_acyclic_graph(g), g.number_of_nodes()
    (True, 10)
    """
    if not isinstance(n_nodes, int) or isinstance(n_nodes, bool) or n_nodes < 1:
        raise OutOfRangeError(f"n_nodes must be a positive int, got {n_nodes!r}")
    if isinstance(edges_per_node, bool) or not isinstance(edges_per_node, (int, float)) or not 0 <= edges_per_node < float("inf"):
        raise OutOfRangeError(f"edges_per_node must be a number >= 0, got {edges_per_node!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ArgumentError(f"seed must be a non-negative int or None, got {seed!r}")
    rng = np.random.default_rng(seed)
    names = [f"x{i}" for i in range(n_nodes)]
    order = [names[i] for i in rng.permutation(n_nodes)]
    g = nx.DiGraph()
    g.add_nodes_from(names)
    if graph == "er":
        if n_nodes > 1:
            p = min(1.0, 2.0 * edges_per_node / (n_nodes - 1))
            mask = np.triu(rng.random((n_nodes, n_nodes)) < p, k=1)
            for i, j in zip(*np.nonzero(mask)):
                g.add_edge(order[i], order[j])
    elif graph == "sf":
        degree = np.zeros(n_nodes)
        lo = int(np.floor(edges_per_node))
        frac = edges_per_node - lo
        for t in range(1, n_nodes):
            m = min(t, lo + int(rng.random() < frac))
            if m == 0:
                continue
            w = degree[:t] + 1.0
            parents = rng.choice(t, size=m, replace=False, p=w / w.sum())
            for s in parents:
                g.add_edge(order[s], order[t])
                degree[s] += 1
            degree[t] += m
    else:
        raise ArgumentError(f"graph must be 'er' or 'sf', got {graph!r}")
    return g


def _signed(rng: np.random.Generator, size, weight_range: tuple[float, float]) -> np.ndarray:
    lo, hi = weight_range
    return rng.uniform(lo, hi, size=size) * rng.choice([-1.0, 1.0], size=size)


def random_scm(
    n_nodes: int,
    *,
    edges_per_node: float = 2.0,
    graph: str = "er",
    mechanism: str = "linear",
    weight_range: tuple[float, float] = (0.5, 2.0),
    noise_std: float = 1.0,
    cardinality: int = 2,
    hidden: int = 16,
    seed: int | None = None,
    dtype: torch.dtype | None = None,
    device: str | torch.device | None = None,
) -> SCM:
    """A random SCM on :func:`random_dag` with ``mechanism`` on every non-root node.

    Parameters
    ----------
    mechanism
        ``"linear"`` (linear-Gaussian), ``"mlp"`` (additive noise, one tanh hidden layer of
        ``hidden`` units), ``"pnl"`` (post-nonlinear ``asinh(w . pa + u)``) or ``"discrete"``
        (Gumbel-max categorical with ``cardinality`` categories, binary when 2; roots included).
    weight_range
        Edge weights have a random sign and magnitude uniform in this range (for the MLP, the
        first-layer weights of each parent).
    noise_std
        Standard deviation of every continuous noise (roots are ``N(0, noise_std^2)``).

    Examples
    --------
    >>> scm = random_scm(8, edges_per_node=1.5, mechanism="linear", seed=3)
    >>> len(scm.variables), scm.graph.number_of_edges() > 0
    (8, True)
    >>> sorted(random_scm(4, mechanism="discrete", cardinality=3, seed=0).discrete.items())
    [('x0', 3), ('x1', 3), ('x2', 3), ('x3', 3)]
    """
    if isinstance(cardinality, bool) or not isinstance(cardinality, int) or cardinality < 2:
        raise OutOfRangeError(f"cardinality must be an int >= 2, got {cardinality!r}")
    if isinstance(hidden, bool) or not isinstance(hidden, int) or hidden < 1:
        raise OutOfRangeError(f"hidden must be a positive int, got {hidden!r}")
    if mechanism not in _MECHANISMS:
        raise ArgumentError(f"mechanism must be one of {_MECHANISMS}, got {mechanism!r}")
    try:
        lo, hi = (float(w) for w in weight_range)
    except (TypeError, ValueError):
        raise OutOfRangeError(f"weight_range must be (low, high) numbers, got {weight_range!r}") from None
    if not 0 <= lo <= hi < float("inf"):
        raise OutOfRangeError(f"weight_range must be (low, high) with 0 <= low <= high, got {weight_range}")
    if isinstance(noise_std, bool) or not isinstance(noise_std, (int, float, np.integer, np.floating)):
        raise DTypeError(f"noise_std must be a number, got {type(noise_std).__name__} {noise_std!r}")
    if not math.isfinite(noise_std):
        raise NonFiniteError(f"noise_std must be a finite number > 0, got {noise_std}")
    if not noise_std > 0:
        raise OutOfRangeError(f"noise_std must be a finite number > 0, got {noise_std}")
    noise_std = float(noise_std)
    # Parameters are built in the model's dtype, so float64 models keep every digit.
    dt = dtype if isinstance(dtype, torch.dtype) and dtype.is_floating_point else None
    g = random_dag(n_nodes, edges_per_node=edges_per_node, graph=graph, seed=seed)
    rng = np.random.default_rng(None if seed is None else [seed, 1])
    order = list(nx.topological_sort(g))
    pos = {v: i for i, v in enumerate(order)}
    mechs: dict[str, Mechanism] = {}
    with torch.no_grad():
        for v in order:
            ps = sorted(g.predecessors(v), key=pos.__getitem__)
            p = len(ps)
            if mechanism == "discrete":
                if cardinality == 2:
                    mechs[v] = Binary(p, weight=_signed(rng, p, weight_range), bias=float(rng.normal()), dtype=dt)
                else:
                    mechs[v] = Categorical(p, cardinality, weight=_signed(rng, (p, cardinality), weight_range),
                                           bias=rng.normal(size=cardinality), dtype=dt)
                continue
            if p == 0:
                mechs[v] = GaussianRoot(0.0, noise_std, dtype=dt)
            elif mechanism == "linear":
                mechs[v] = LinearGaussian(p, weight=_signed(rng, p, weight_range), noise_std=noise_std, dtype=dt)
            elif mechanism == "pnl":
                inner = LinearGaussian(p, weight=_signed(rng, p, weight_range), noise_std=noise_std, dtype=dt)
                mechs[v] = PostNonlinear(inner, link="asinh", noise_std=noise_std)
            else:
                m = AdditiveNoiseMLP(p, hidden=(hidden,), activation="tanh", noise_std=noise_std, dtype=dt)
                first, last = m.net[0], m.net[-1]
                first.weight.copy_(torch.as_tensor(_signed(rng, (hidden, p), weight_range)))
                first.bias.copy_(torch.as_tensor(rng.uniform(-1.0, 1.0, size=hidden)))
                last.weight.copy_(torch.as_tensor(_signed(rng, (1, hidden), weight_range) / np.sqrt(hidden)))
                last.bias.zero_()
                mechs[v] = m
    return SCM(g, mechs, dtype=dtype, device=device)
