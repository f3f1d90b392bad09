"""Causal graphs: checking that a graph is a DAG, ordering it, and converting it to and from the
formats users bring (adjacency matrices, networkx, DOT, GML, causal-learn's ``GeneralGraph``).

Matrices follow one orientation everywhere: ``A[i, j] != 0`` means ``variables[i] -> variables[j]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np

from causalworld.errors import CyclicGraphError, DTypeError, GraphError, ShapeError

__all__ = [
    "as_dag",
    "topological_order",
    "topological_levels",
    "to_adjacency",
    "from_adjacency",
    "to_dot",
    "from_dot",
    "to_gml",
    "from_gml",
    "to_causallearn",
    "from_causallearn",
]


def _check_names(nodes: Iterable[Any]) -> None:
    for n in nodes:
        if not isinstance(n, str) or not n:
            raise DTypeError(f"variable names must be non-empty strings, got {n!r}; rename the node")


def as_dag(graph: Any, names: Sequence[str] | None = None) -> nx.DiGraph:
    """Return a fresh ``networkx.DiGraph`` for ``graph``, refusing anything that is not a DAG.

    ``graph`` may be a ``networkx.DiGraph``, an adjacency matrix (numpy or torch, with ``names``
    or the default ``x0, x1, ...``), a list of ``(parent, child)`` edges, or a dict mapping each
    node to its parents.

    Examples
    --------
    >>> g = as_dag([("rain", "wet"), ("sprinkler", "wet")])
    >>> sorted(g.edges)
    [('rain', 'wet'), ('sprinkler', 'wet')]
    >>> as_dag([("a", "b"), ("b", "a")])
    Traceback (most recent call last):
    ...
    causalworld.errors.CyclicGraphError: the graph has a directed cycle a -> b -> a; a causal graph must be acyclic: remove or reverse one of these edges
    """
    if isinstance(graph, nx.MultiDiGraph):
        # Its edges are (u, v, key) triples and may repeat: a causal graph has at most one edge
        # per pair, so it is refused rather than read with its keys taken for node names.
        raise GraphError(
            "a networkx.MultiDiGraph was given; a causal graph has at most one edge per pair of "
            "variables: pass networkx.DiGraph(graph) to merge parallel edges"
        )
    if isinstance(graph, nx.DiGraph):
        g = nx.DiGraph()
        g.add_nodes_from(graph.nodes)
        g.add_edges_from(graph.edges)
    elif isinstance(graph, nx.Graph):
        raise GraphError("an undirected networkx.Graph was given; a causal graph must be a networkx.DiGraph")
    elif isinstance(graph, dict):
        g = nx.DiGraph()
        g.add_nodes_from(graph)
        for child, parents in graph.items():
            for p in parents:
                g.add_edge(p, child)
    elif hasattr(graph, "shape") and hasattr(graph, "__array__") or hasattr(graph, "numpy"):
        g = from_adjacency(graph, names)
    elif isinstance(graph, (list, tuple)):
        g = nx.DiGraph()
        for e in graph:
            if not (isinstance(e, (list, tuple)) and len(e) == 2):
                raise GraphError(f"an edge list must hold (parent, child) pairs; got {e!r}")
            g.add_edge(*e)
    else:
        raise DTypeError(
            f"cannot read a graph from {type(graph).__name__}; give a networkx.DiGraph, an adjacency "
            "matrix, a list of (parent, child) edges or a {child: parents} dict"
        )
    _check_names(g.nodes)
    loops = list(nx.selfloop_edges(g))
    if loops:
        raise CyclicGraphError(f"the graph has a self-loop on {loops[0][0]!r}; remove it (a variable cannot cause itself)")
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return g
    path = " -> ".join([cycle[0][0]] + [e[1] for e in cycle])
    raise CyclicGraphError(
        f"the graph has a directed cycle {path}; a causal graph must be acyclic: remove or reverse one of these edges"
    )


def topological_order(graph: nx.DiGraph) -> list[str]:
    """A topological order that keeps the graph's own node order wherever the edges allow.

    Examples
    --------
    >>> topological_order(as_dag([("b", "a"), ("c", "a")]))
    ['b', 'c', 'a']
    """
    position = {n: i for i, n in enumerate(graph.nodes)}
    return list(nx.lexicographical_topological_sort(graph, key=position.__getitem__))


def topological_levels(graph: nx.DiGraph, order: Sequence[str]) -> list[list[str]]:
    """Group ``order`` into levels: a node's level is one more than its deepest parent's.

    Examples
    --------
    >>> g = as_dag([("a", "b"), ("a", "c"), ("b", "c")])
    >>> topological_levels(g, topological_order(g))
    [['a'], ['b'], ['c']]
    """
    level: dict[str, int] = {}
    for n in order:
        level[n] = 1 + max((level[p] for p in graph.predecessors(n)), default=-1)
    out: list[list[str]] = [[] for _ in range(1 + max(level.values(), default=-1))]
    for n in order:
        out[level[n]].append(n)
    return out


def to_adjacency(graph: nx.DiGraph, variables: Sequence[str] | None = None) -> np.ndarray:
    """Adjacency matrix ``A[i, j] = 1`` iff ``variables[i] -> variables[j]`` (float64).

    Examples
    --------
    >>> to_adjacency(as_dag([("x", "y")]), ["y", "x"]).tolist()
    [[0.0, 0.0], [1.0, 0.0]]
    """
    variables = list(graph.nodes) if variables is None else list(variables)
    index = {v: i for i, v in enumerate(variables)}
    a = np.zeros((len(variables), len(variables)))
    for u, v in graph.edges:
        a[index[u], index[v]] = 1.0
    return a


def from_adjacency(matrix: Any, names: Sequence[str] | None = None) -> nx.DiGraph:
    """A DAG from an adjacency matrix ``A[i, j] != 0`` meaning ``names[i] -> names[j]``.

    Examples
    --------
    >>> sorted(from_adjacency([[0, 1], [0, 0]], ["x", "y"]).edges)
    [('x', 'y')]
    """
    a = matrix.detach().cpu().numpy() if hasattr(matrix, "detach") else np.asarray(matrix)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise ShapeError(f"an adjacency matrix must be square [d, d]; got shape {tuple(a.shape)}")
    if not np.issubdtype(a.dtype, np.number) and a.dtype != bool:
        raise DTypeError(f"an adjacency matrix must be numeric or boolean; got dtype {a.dtype}")
    d = a.shape[0]
    names = [f"x{i}" for i in range(d)] if names is None else list(names)
    if len(names) != d:
        raise ShapeError(f"{len(names)} names for a {d}x{d} adjacency matrix; give one name per row")
    if len(set(names)) != d:
        raise GraphError("variable names must be unique")
    g = nx.DiGraph()
    g.add_nodes_from(names)
    rows, cols = np.nonzero(a)
    g.add_edges_from((names[i], names[j]) for i, j in zip(rows.tolist(), cols.tolist()))
    return as_dag(g)


def to_dot(graph: nx.DiGraph) -> str:
    """The graph in Graphviz DOT (through networkx and pydot).

    Examples
    --------
    >>> text = to_dot(as_dag([("a", "b")]))
    >>> sorted(from_dot(text).edges)
    [('a', 'b')]
    """
    return nx.nx_pydot.to_pydot(graph).to_string()


def from_dot(text: str) -> nx.DiGraph:
    """A DAG from Graphviz DOT text.

    Examples
    --------
    >>> sorted(from_dot("digraph { a -> b; b -> c; }").edges)
    [('a', 'b'), ('b', 'c')]
    """
    import pydot

    parsed = pydot.graph_from_dot_data(text)
    if not parsed:
        raise GraphError("could not parse the DOT text; check that it is a 'digraph { a -> b; }' document")
    g = nx.DiGraph(nx.nx_pydot.from_pydot(parsed[0]))
    g.remove_nodes_from([n for n in list(g.nodes) if n in ("node", "edge", "graph", "\\n")])
    return as_dag(nx.relabel_nodes(g, {n: str(n).strip('"') for n in g.nodes}))


def to_gml(graph: nx.DiGraph) -> str:
    """The graph in GML (networkx's writer).

    Examples
    --------
    >>> text = to_gml(as_dag([("a", "b")]))
    >>> "directed 1" in text
    True
    """
    return "\n".join(nx.generate_gml(graph))


def from_gml(text: str) -> nx.DiGraph:
    """A DAG from GML text (networkx's parser).

    Examples
    --------
    >>> sorted(from_gml(to_gml(as_dag([("a", "b"), ("b", "c")]))).edges)
    [('a', 'b'), ('b', 'c')]
    """
    g = nx.parse_gml(text)
    if not g.is_directed():
        raise GraphError("the GML graph is undirected; write 'directed 1' in it")
    return as_dag(g)


def to_causallearn(graph: nx.DiGraph, variables: Sequence[str] | None = None):
    """The DAG as a causal-learn ``GeneralGraph`` (directed edges ``TAIL -> ARROW``).

    Examples
    --------
    >>> cg = to_causallearn(as_dag([("a", "b")]))
    >>> cg.graph.tolist()  # causal-learn's encoding of a -> b
    [[0, -1], [1, 0]]
    """
    from causallearn.graph.Edge import Edge
    from causallearn.graph.Endpoint import Endpoint
    from causallearn.graph.GeneralGraph import GeneralGraph
    from causallearn.graph.GraphNode import GraphNode

    variables = list(graph.nodes) if variables is None else list(variables)
    nodes = {v: GraphNode(v) for v in variables}
    cg = GeneralGraph([nodes[v] for v in variables])
    for u, v in graph.edges:
        cg.add_edge(Edge(nodes[u], nodes[v], Endpoint.TAIL, Endpoint.ARROW))
    return cg


def from_causallearn(general_graph: Any, names: Sequence[str] | None = None) -> nx.DiGraph:
    """A DAG from a causal-learn ``GeneralGraph`` whose edges are all directed.

    causal-learn stores ``graph[j, i] == 1`` and ``graph[i, j] == -1`` for ``i -> j``. Undirected
    or bidirected edges (a CPDAG or PAG) are refused with :class:`GraphError`: orient them first.

    Examples
    --------
    >>> sorted(from_causallearn(to_causallearn(as_dag([("a", "b"), ("c", "b")]))).edges)
    [('a', 'b'), ('c', 'b')]
    """
    a = np.asarray(general_graph.graph)
    cl_names = [n.get_name() for n in general_graph.get_nodes()]
    names = cl_names if names is None else list(names)
    if len(names) != a.shape[0]:
        raise ShapeError(f"{len(names)} names for a causal-learn graph of {a.shape[0]} nodes")
    g = nx.DiGraph()
    g.add_nodes_from(names)
    d = a.shape[0]
    for i in range(d):
        for j in range(i + 1, d):
            e_ij, e_ji = a[i, j], a[j, i]
            if e_ij == 0 and e_ji == 0:
                continue
            if e_ij == -1 and e_ji == 1:
                g.add_edge(names[i], names[j])
            elif e_ij == 1 and e_ji == -1:
                g.add_edge(names[j], names[i])
            else:
                raise GraphError(
                    f"the edge between {names[i]!r} and {names[j]!r} is not directed (endpoints {e_ij}, {e_ji}); "
                    "orient every edge before converting to a DAG"
                )
    return as_dag(g)
