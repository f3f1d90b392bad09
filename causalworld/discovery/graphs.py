"""Graph outputs of the learners: :class:`MixedGraph` (directed, undirected and, later, bidirected
edges), the (interventional) essential graph of a DAG by Meek's rules, and consistent extensions.

Every learner's ``cpdag_`` is a :class:`MixedGraph`, so a learner that allows hidden confounders
can return bidirected edges through the same type. ``to_networkx()`` gives
the usual ``networkx.DiGraph`` form, where an undirected edge is a pair of opposite edges.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np

from causalworld.errors import DTypeError, GraphError

__all__ = ["MixedGraph", "essential_graph", "consistent_extension", "meek_closure"]


class MixedGraph:
    """A graph with directed (``u -> v``), undirected (``u -- v``) and bidirected (``u <-> v``)
    edges over named nodes, at most one edge per pair.

    A CPDAG or interventional essential graph uses directed and undirected edges; bidirected edges
    are reserved for learners that allow hidden confounders.

    Parameters
    ----------
    nodes
        Node names, in the order of :meth:`adjacency`.
    directed, undirected, bidirected
        Edges as ``(u, v)`` pairs (order does not matter for undirected and bidirected ones).

    Examples
    --------
    >>> g = MixedGraph(["a", "b", "c"], directed=[("a", "c")], undirected=[("a", "b")])
    >>> g
    MixedGraph(a -> c, a -- b)
    >>> sorted(g.to_networkx().edges)
    [('a', 'b'), ('a', 'c'), ('b', 'a')]
    >>> MixedGraph.from_networkx(g.to_networkx()) == g
    True
    """

    def __init__(self, nodes: Iterable[str], directed: Iterable[tuple[str, str]] = (),
                 undirected: Iterable[tuple[str, str]] = (), bidirected: Iterable[tuple[str, str]] = ()) -> None:
        self.nodes: tuple[str, ...] = tuple(nodes)
        pos = {v: i for i, v in enumerate(self.nodes)}
        if len(pos) != len(self.nodes):
            raise GraphError("node names must be unique")

        def check(edges: Iterable[tuple[str, str]], ordered: bool) -> frozenset[tuple[str, str]]:
            out = set()
            for e in edges:
                if not (isinstance(e, (tuple, list)) and len(e) == 2):
                    raise DTypeError(f"an edge must be a (u, v) pair, got {e!r}")
                u, v = e
                for x in (u, v):
                    if x not in pos:
                        raise GraphError(f"edge {u!r}, {v!r} names {x!r}, which is not a node")
                if u == v:
                    raise GraphError(f"self-loop on {u!r}; a causal graph has none")
                out.add((u, v) if ordered or pos[u] < pos[v] else (v, u))
            return frozenset(out)

        self.directed = check(directed, True)
        self.undirected = check(undirected, False)
        self.bidirected = check(bidirected, False)
        seen: set[frozenset[str]] = set()
        for e in list(self.directed) + list(self.undirected) + list(self.bidirected):
            key = frozenset(e)
            if key in seen:
                raise GraphError(f"two edges between {sorted(key)}; a mixed graph has at most one edge per pair")
            seen.add(key)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_networkx(cls, graph: nx.DiGraph, nodes: Sequence[str] | None = None) -> "MixedGraph":
        """From a DiGraph where a pair of opposite edges is an undirected edge (or bidirected,
        when both carry ``kind="bidirected"``).

        Examples
        --------
        >>> MixedGraph.from_networkx(nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")]))
        MixedGraph(b -> c, a -- b)
        """
        nodes = list(graph.nodes) if nodes is None else list(nodes)
        directed, undirected, bidirected = [], set(), set()
        for u, v, data in graph.edges(data=True):
            if graph.has_edge(v, u):
                key = tuple(sorted((u, v)))
                (bidirected if data.get("kind") == "bidirected" else undirected).add(key)
            else:
                directed.append((u, v))
        return cls(nodes, directed, undirected, bidirected)

    @classmethod
    def from_dag(cls, dag: nx.DiGraph, nodes: Sequence[str] | None = None) -> "MixedGraph":
        """A fully directed mixed graph.

        Examples
        --------
        >>> g = MixedGraph.from_dag(nx.DiGraph([("a", "b")]))
        >>> g, g.is_dag
        (MixedGraph(a -> b), True)
        """
        return cls(list(dag.nodes) if nodes is None else nodes, directed=list(dag.edges))

    # ------------------------------------------------------------------ reading
    def to_networkx(self) -> nx.DiGraph:
        """A ``networkx.DiGraph``: directed edges once, undirected and bidirected edges as two
        opposite edges; every edge carries ``kind`` (``"directed"``, ``"undirected"``,
        ``"bidirected"``).

        Examples
        --------
        >>> g = MixedGraph("ab", undirected=[("a", "b")]).to_networkx()
        >>> sorted(g.edges(data="kind"))
        [('a', 'b', 'undirected'), ('b', 'a', 'undirected')]
        """
        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        g.add_edges_from(self.directed, kind="directed")
        for kind, edges in (("undirected", self.undirected), ("bidirected", self.bidirected)):
            for u, v in edges:
                g.add_edge(u, v, kind=kind)
                g.add_edge(v, u, kind=kind)
        return g

    def adjacency(self, nodes: Sequence[str] | None = None) -> np.ndarray:
        """``A[i, j] = 1`` for ``i -> j``; both ``A[i, j]`` and ``A[j, i]`` for undirected and
        bidirected edges (the CPDAG matrix convention).

        Examples
        --------
        >>> MixedGraph("abc", directed=[("a", "c")], undirected=[("a", "b")]).adjacency().tolist()
        [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
        """
        nodes = list(self.nodes) if nodes is None else list(nodes)
        idx = {v: i for i, v in enumerate(nodes)}
        a = np.zeros((len(nodes), len(nodes)))
        for u, v in self.directed:
            a[idx[u], idx[v]] = 1
        for u, v in self.undirected | self.bidirected:
            a[idx[u], idx[v]] = a[idx[v], idx[u]] = 1
        return a

    @property
    def is_dag(self) -> bool:
        """True when every edge is directed and there is no directed cycle.

        Examples
        --------
        >>> MixedGraph("ab", directed=[("a", "b")]).is_dag, MixedGraph("ab", undirected=[("a", "b")]).is_dag
        (True, False)
        """
        return not self.undirected and not self.bidirected and nx.is_directed_acyclic_graph(self.to_networkx())

    def n_edges(self) -> int:
        """The number of edges of every kind (an undirected edge counts once).

        Examples
        --------
        >>> MixedGraph("abc", directed=[("a", "c")], undirected=[("a", "b")]).n_edges()
        2
        """
        return len(self.directed) + len(self.undirected) + len(self.bidirected)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, MixedGraph) and set(self.nodes) == set(other.nodes)
                and self.directed == other.directed
                and {frozenset(e) for e in self.undirected} == {frozenset(e) for e in other.undirected}
                and {frozenset(e) for e in self.bidirected} == {frozenset(e) for e in other.bidirected})

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [f"{u} -> {v}" for u, v in sorted(self.directed)]
        parts += [f"{u} -- {v}" for u, v in sorted(self.undirected)]
        parts += [f"{u} <-> {v}" for u, v in sorted(self.bidirected)]
        return f"MixedGraph({', '.join(parts)})"


def _state(nodes: Sequence[str], directed: Iterable[tuple[str, str]], undirected: Iterable[tuple[str, str]]):
    children: dict[str, set[str]] = {v: set() for v in nodes}
    parents: dict[str, set[str]] = {v: set() for v in nodes}
    und: dict[str, set[str]] = {v: set() for v in nodes}
    for u, v in directed:
        children[u].add(v)
        parents[v].add(u)
    for u, v in undirected:
        und[u].add(v)
        und[v].add(u)
    return children, parents, und


def meek_closure(graph: MixedGraph) -> MixedGraph:
    """Apply Meek's orientation rules R1–R4 until nothing changes (sound, and complete for a
    pattern plus consistent background orientations: Meek 1995).

    Examples
    --------
    >>> meek_closure(MixedGraph("abc", directed=[("a", "b")], undirected=[("b", "c")]))
    MixedGraph(a -> b, b -> c)
    """
    nodes = list(graph.nodes)
    children, parents, und = _state(nodes, graph.directed, graph.undirected)

    def adjacent(x: str, y: str) -> bool:
        return y in children[x] or y in parents[x] or y in und[x]

    def orient(x: str, y: str) -> None:
        und[x].discard(y)
        und[y].discard(x)
        children[x].add(y)
        parents[y].add(x)

    changed = True
    while changed:
        changed = False
        for a in nodes:
            for b in list(und[a]):
                if b not in und[a]:
                    continue
                # R1: c -> a -- b, c and b non-adjacent  =>  a -> b
                r1 = any(not adjacent(c, b) and c != b for c in parents[a])
                # R2: a -> c -> b and a -- b  =>  a -> b
                r2 = any(b in children[c] for c in children[a])
                # R3: a -- c -> b, a -- e -> b, c and e non-adjacent  =>  a -> b
                cands = [c for c in und[a] if b in children[c]]
                r3 = any(not adjacent(c, e) for i, c in enumerate(cands) for e in cands[i + 1:])
                # R4: e -> c -> b with a adjacent to c and e, e and b non-adjacent  =>  a -> b
                r4 = False
                if not (r1 or r2 or r3):
                    for c in parents[b]:
                        if c == a or not adjacent(a, c):
                            continue
                        if any(e != a and adjacent(a, e) and not adjacent(e, b) for e in parents[c]):
                            r4 = True
                            break
                if r1 or r2 or r3 or r4:
                    orient(a, b)
                    changed = True
    directed = [(u, v) for u in nodes for v in children[u]]
    undirected = {tuple(sorted((u, v))) for u in nodes for v in und[u]}
    return MixedGraph(nodes, directed, undirected, graph.bidirected)


def essential_graph(dag: Any, targets: Iterable[Iterable[str]] | None = None,
                    known: Iterable[tuple[str, str]] = ()) -> MixedGraph:
    """The (interventional) essential graph of ``dag``: its Markov equivalence class, as a
    :class:`MixedGraph` whose directed edges are the ones every equivalent DAG shares.

    Parameters
    ----------
    dag
        A ``networkx.DiGraph`` (a DAG).
    targets
        The family of intervention targets in the data: one set of variables per experimental
        regime (``set()`` for observational data; duplicates are ignored). ``None`` means
        observational data only, which gives the CPDAG. With perfect interventions, an edge with
        exactly one end in some target set is identified (Hauser & Bühlmann 2012, Theorem 10).
    known
        Orientations known in advance (from background knowledge, such as tiers); they must agree
        with ``dag``. Edges of ``dag`` not in it are ignored.

    Returns
    -------
    MixedGraph
        The v-structures, the edges cut by targets and the known orientations, closed under
        Meek's rules; the remaining edges undirected.

    Examples
    --------
    >>> chain = nx.DiGraph([("a", "b"), ("b", "c")])
    >>> essential_graph(chain)
    MixedGraph(a -- b, b -- c)
    >>> essential_graph(chain, targets=[set(), {"c"}])
    MixedGraph(b -> c, a -- b)
    >>> essential_graph(nx.DiGraph([("a", "c"), ("b", "c")]))
    MixedGraph(a -> c, b -> c)
    """
    if not isinstance(dag, nx.DiGraph) or not nx.is_directed_acyclic_graph(dag):
        raise GraphError("essential_graph needs a DAG (a networkx.DiGraph without cycles)")
    nodes = list(dag.nodes)
    edges = set(dag.edges)
    forced: set[tuple[str, str]] = set()
    for v in nodes:  # v-structures u -> v <- w with u, w non-adjacent
        ps = list(dag.predecessors(v))
        for i, u in enumerate(ps):
            for w in ps[i + 1:]:
                if not (dag.has_edge(u, w) or dag.has_edge(w, u)):
                    forced.add((u, v))
                    forced.add((w, v))
    for target in targets or ():
        t = set(target)
        for u, v in edges:
            if (u in t) != (v in t):
                forced.add((u, v))
    forced |= {e for e in known if e in edges}
    undirected = [e for e in edges if e not in forced]
    return meek_closure(MixedGraph(nodes, directed=forced, undirected=undirected))


def consistent_extension(graph: MixedGraph) -> nx.DiGraph | None:
    """A DAG with the same skeleton and v-structures as the partially directed ``graph`` that
    keeps every directed edge (Dor & Tarsi 1992), or ``None`` when none exists.

    Examples
    --------
    >>> g = consistent_extension(MixedGraph("abc", directed=[("a", "b")], undirected=[("b", "c")]))
    >>> sorted(g.edges)
    [('a', 'b'), ('b', 'c')]
    """
    if graph.bidirected:
        raise GraphError("a graph with bidirected edges has no DAG extension; drop or orient them first")
    nodes = list(graph.nodes)
    children, parents, und = _state(nodes, graph.directed, graph.undirected)
    out = nx.DiGraph()
    out.add_nodes_from(nodes)
    out.add_edges_from(graph.directed)
    remaining = list(nodes)
    while remaining:
        for x in remaining:
            if children[x]:
                continue
            adj = parents[x] | und[x]
            if all(all(z == y or z in parents[y] or z in children[y] or z in und[y] for z in adj) for y in und[x]):
                break
        else:
            return None
        for y in list(und[x]):
            out.add_edge(y, x)
            und[y].discard(x)
        for p in parents[x]:
            children[p].discard(x)
        remaining.remove(x)
        und[x] = set()
        parents[x] = set()
    return out
