"""Where a causal graph's nodes sit and where its edges run, so that no edge crosses a node.

The geometry behind :func:`causalworld.viz.draw_graph`, in inches (one data unit is one inch of
the figure, so a node's disc is sized to its label). A graph without directed cycles is laid out
in layers by Sugiyama's method: causes above effects, a long edge kept in a lane of its own
through the layers it crosses, each layer ordered to cut crossings. A graph with directed cycles
(a summary graph with feedback) goes on a circle. Every edge is a curve that stays clear of every
node other than its two ends; :func:`edge_clearance` measures by how much.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from causalworld.errors import DTypeError, GraphError

__all__ = ["GraphLayout", "graph_layout", "layered_layout", "edge_clearance", "edge_list", "wrap_label"]

KINDS = ("directed", "undirected", "bidirected")
NODE_GAP = 0.35  # inches of white between two discs in a layer
LANE_GAP = 0.22  # inches between a long edge's lane and a disc beside it
CLEARANCE = 0.08  # inches every edge keeps from the rim of every node it does not join
SAMPLES = 32  # points per curve piece; edges are drawn as these polylines
LOOP = 2.4  # how far a self-loop reaches from its node's centre, in radii


@dataclass(frozen=True)
class GraphLayout:
    """Node discs and edge paths of a graph figure, in inches.

    Attributes
    ----------
    pos : dict of node to (float, float)
        Centre of each node's disc.
    radius : float
        Radius of every disc (sized so the largest label fits inside).
    labels : dict of node to str
        The text drawn in each disc (long names wrapped at underscores).
    fontsize : float
        Size of that text, in points.
    edges : dict of (u, v) to ndarray [k, 2]
        Each edge's path, a polyline from the rim of ``u`` to the rim of ``v`` (where an arrow
        points at ``v``); an undirected or bidirected pair is listed once.
    kinds : dict of (u, v) to str
        ``"directed"``, ``"undirected"`` or ``"bidirected"``.
    style : str
        ``"layered"`` or ``"circular"``.

    Examples
    --------
    >>> lay = graph_layout(nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")]))
    >>> type(lay).__name__, lay.style, lay.kinds[("a", "c")]
    ('GraphLayout', 'layered', 'directed')
    >>> lay.edges[("a", "b")].shape[1], lay.labels["a"]
    (2, 'a')
    """

    pos: dict[Hashable, tuple[float, float]]
    radius: float
    labels: dict[Hashable, str]
    fontsize: float
    edges: dict[tuple[Hashable, Hashable], np.ndarray]
    kinds: dict[tuple[Hashable, Hashable], str]
    style: str

    def extent(self) -> tuple[float, float, float, float]:
        """``(xmin, xmax, ymin, ymax)`` of every disc and edge, in inches.

        Examples
        --------
        >>> lay = graph_layout(nx.DiGraph([("a", "b")]))
        >>> x0, x1, y0, y1 = lay.extent()
        >>> round(x1 - x0, 6) == round(2 * lay.radius, 6) and y1 - y0 > 4 * lay.radius
        True
        """
        pts = [np.asarray(list(self.pos.values()), dtype=float).reshape(-1, 2)]
        lo = pts[0].min(0) - self.radius if len(pts[0]) else np.zeros(2)
        hi = pts[0].max(0) + self.radius if len(pts[0]) else np.zeros(2)
        for path in self.edges.values():
            lo, hi = np.minimum(lo, path.min(0)), np.maximum(hi, path.max(0))
        return float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1])


def edge_list(graph: Any) -> tuple[list[Hashable], list[tuple[Hashable, Hashable, str]]]:
    """Nodes and ``(u, v, kind)`` edges of a ``networkx.DiGraph`` or a mixed graph.

    A mixed graph (a learner's ``cpdag_``) is read through its ``nodes``, ``directed``,
    ``undirected`` and ``bidirected`` attributes. In a DiGraph, two opposite edges that both carry
    ``kind="undirected"`` (or ``"bidirected"``), as ``MixedGraph.to_networkx`` writes them, are
    one such edge; opposite edges without a kind are two directed edges (a feedback loop).

    Examples
    --------
    >>> edge_list(nx.DiGraph([("a", "b")]))
    (['a', 'b'], [('a', 'b', 'directed')])
    """
    if all(hasattr(graph, a) for a in ("nodes", "directed", "undirected", "bidirected")) and not isinstance(graph, nx.Graph):
        nodes = list(graph.nodes)
        edges = [(u, v, "directed") for u, v in sorted(graph.directed, key=str)]
        edges += [(u, v, "undirected") for u, v in sorted(graph.undirected, key=str)]
        edges += [(u, v, "bidirected") for u, v in sorted(graph.bidirected, key=str)]
        return nodes, edges
    if not isinstance(graph, nx.DiGraph):
        raise DTypeError(f"expected a networkx DiGraph or a MixedGraph, got {type(graph).__name__}")
    nodes = list(graph.nodes)
    edges, seen = [], set()
    for u, v, data in graph.edges(data=True):
        kind = data.get("kind", "directed")
        if kind not in KINDS:
            raise GraphError(f"edge {u!r} -> {v!r} has kind {kind!r}; use one of {', '.join(KINDS)}")
        if kind != "directed":
            if graph.edges[v, u].get("kind") != kind if graph.has_edge(v, u) else True:
                raise GraphError(f"the {kind} edge {u!r} -- {v!r} needs its opposite edge with the same kind")
            if frozenset((u, v)) in seen:
                continue
            seen.add(frozenset((u, v)))
        edges.append((u, v, kind))
    return nodes, edges


def wrap_label(text: str, width: int = 9) -> str:
    """Break a long name at an underscore into two lines of about equal length.

    Examples
    --------
    >>> wrap_label("block_shift[t]")
    'block_\\nshift[t]'
    >>> wrap_label("ambient")
    'ambient'
    """
    cuts = [i + 1 for i, ch in enumerate(text) if ch == "_" and 0 < i < len(text) - 1]
    if len(text) <= width or not cuts:
        return text
    cut = min(cuts, key=lambda i: max(i, len(text) - i))
    return text[:cut] + "\n" + text[cut:]


def _label_radius(labels: Iterable[str], fontsize: float) -> float:
    """The disc radius (inches) that holds every label's rendered box, measured by matplotlib."""
    fig = Figure(dpi=72)
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()
    half_diag = 0.0
    for label in labels:
        bb = fig.text(0, 0, label, fontsize=fontsize, ha="center", va="center", multialignment="center").get_window_extent(renderer)
        half_diag = max(half_diag, 0.5 * float(np.hypot(bb.width, bb.height)))
    return max(0.16, (half_diag + 3.5) / 72.0)  # room inside the rim for a 2.5 pt outline and 2 pt of white


# ---------------------------------------------------------------------------- curves
def _cubic(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, p3: np.ndarray, n: int = SAMPLES) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 3 * p0 + 3 * (1 - t) ** 2 * t * p1 + 3 * (1 - t) * t**2 * p2 + t**3 * p3


def _quadratic(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, n: int = 2 * SAMPLES) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2


def _trim(path: np.ndarray, start: np.ndarray, end: np.ndarray, radius: float) -> np.ndarray:
    """The part of a centre-to-centre path outside both end discs, cut exactly at the rims."""

    def cut(pts: np.ndarray, centre: np.ndarray) -> np.ndarray:  # drop the leading points inside the disc
        outside = np.hypot(*(pts - centre).T) >= radius
        if outside[0] or not outside.any():
            return pts
        k = int(np.argmax(outside))
        a, d = pts[k - 1], pts[k] - pts[k - 1]  # the rim lies between a (inside) and a + d (outside)
        f = a - centre  # solve |f + s d| = radius for the s in (0, 1]
        qa, qb, qc = d @ d, 2 * (f @ d), f @ f - radius**2
        s = (-qb + np.sqrt(max(qb * qb - 4 * qa * qc, 0.0))) / (2 * qa)
        return np.vstack([a + s * d, pts[k:]])

    out = cut(path, start)
    return cut(out[::-1], end)[::-1]


def edge_clearance(layout: GraphLayout) -> dict[tuple[Hashable, Hashable], float]:
    """How far each edge stays from the rim of every node other than its two ends (inches).

    Negative means the edge enters a disc it does not join; :func:`graph_layout` keeps every
    edge at least ``CLEARANCE`` (0.08 inch) clear.

    Examples
    --------
    >>> lay = graph_layout(nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")]))
    >>> min(edge_clearance(lay).values()) > 0
    True
    """
    nodes = list(layout.pos)
    centres = np.asarray([layout.pos[v] for v in nodes], dtype=float).reshape(-1, 2)
    return {e: _clearance(path, centres, [i for i, v in enumerate(nodes) if v not in e], layout.radius)
            for e, path in layout.edges.items()}


def _clearance(path: np.ndarray, centres: np.ndarray, others: list[int], radius: float) -> float:
    if not others:
        return float("inf")
    a, b = path[:-1], path[1:]  # [s, 2] segments
    ab = b - a
    c = centres[others][:, None, :]  # [m, 1, 2]
    t = np.clip(((c - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-18), 0.0, 1.0)
    nearest = a + t[..., None] * ab
    return float(np.hypot(*(nearest - c).transpose(2, 0, 1)).min() - radius)


# ---------------------------------------------------------------------------- layers (Sugiyama)
def _layer_of(dag: nx.DiGraph) -> dict[Hashable, int]:
    """Longest-path layers, then each source pulled down to just above its first child (shorter edges)."""
    layer: dict[Hashable, int] = {}
    for v in nx.topological_sort(dag):
        layer[v] = max((layer[p] + 1 for p in dag.predecessors(v)), default=0)
    for v in dag.nodes:
        if dag.in_degree(v) == 0 and dag.out_degree(v) > 0:
            layer[v] = min(layer[c] for c in dag.successors(v)) - 1
    return layer


def _crossings(upper: list, lower: list, links: list[tuple[Any, Any]]) -> int:
    iu = {v: i for i, v in enumerate(upper)}
    il = {v: i for i, v in enumerate(lower)}
    pairs = [(iu[a], il[b]) for a, b in links if a in iu and b in il]
    return sum(1 for i, (a, b) in enumerate(pairs) for c, d in pairs[i + 1:] if (a - c) * (b - d) < 0)


def _order_layers(layers: list[list], g: nx.DiGraph, sweeps: int = 12) -> list[list]:
    """Barycentre sweeps down and up; keep the order with the fewest crossings."""
    links = list(g.edges)

    def count(ls: list[list]) -> int:
        return sum(_crossings(ls[i], ls[i + 1], links) for i in range(len(ls) - 1))

    best, best_count = [list(l) for l in layers], count(layers)
    cur = [list(l) for l in layers]
    for sweep in range(sweeps):
        down = sweep % 2 == 0
        rng = range(1, len(cur)) if down else range(len(cur) - 2, -1, -1)
        for i in rng:
            ref = {v: k for k, v in enumerate(cur[i - 1] if down else cur[i + 1])}
            keyed = []
            for k, v in enumerate(cur[i]):
                nbrs = [ref[u] for u in (g.predecessors(v) if down else g.successors(v)) if u in ref]
                keyed.append((float(np.mean(nbrs)) if nbrs else float(k), k, v))
            cur[i] = [v for _, _, v in sorted(keyed, key=lambda x: (x[0], x[1]))]
        c = count(cur)
        if c < best_count:
            best, best_count = [list(l) for l in cur], c
        if best_count == 0:
            break
    return best


def _nondecreasing_fit(y: np.ndarray) -> np.ndarray:
    """Least-squares nondecreasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []
    for v in y:
        blocks.append([float(v), 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
    return np.concatenate([np.full(int(c), s / c) for s, c in blocks])


def _place(want: np.ndarray, seps: np.ndarray) -> np.ndarray:
    """Positions closest to ``want`` (least squares) keeping the order and gaps ``x[i+1] - x[i] >= seps[i]``."""
    offset = np.concatenate([[0.0], np.cumsum(seps)])
    return _nondecreasing_fit(want - offset) + offset


def _x_positions(layers: list[list], g: nx.DiGraph, half: dict, passes: int = 8) -> dict:
    x: dict = {}
    seps = []
    for layer in layers:
        s = np.array([half[a] + half[b] + (NODE_GAP if _real(a) and _real(b) else LANE_GAP)
                      for a, b in zip(layer, layer[1:])])
        seps.append(s)
        packed = np.concatenate([[0.0], np.cumsum(s)])
        x.update(zip(layer, packed - packed[-1] / 2))
    order = list(range(len(layers)))
    for p in range(passes):
        sweep = order[1:] if p % 2 == 0 else order[::-1][1:]
        if p == passes - 1:
            sweep = order
        for i in sweep:
            layer = layers[i]
            want = []
            for v in layer:
                if p == passes - 1:
                    nbrs = list(g.predecessors(v)) + list(g.successors(v))
                else:
                    nbrs = list(g.predecessors(v)) if p % 2 == 0 else list(g.successors(v))
                want.append(float(np.mean([x[u] for u in nbrs])) if nbrs else x[v])
            x.update(zip(layer, _place(np.asarray(want), seps[i])))
    shift = min(x.values()) if x else 0.0
    return {v: x[v] - shift for v in x}


def _real(v: Any) -> bool:
    return not (isinstance(v, tuple) and len(v) == 4 and v[0] is _Dummy)


class _Dummy:
    """Marks the lane points of a long edge in the layer graph."""


def _layered(nodes: list, edges: list[tuple[Any, Any, str]], radius: float, loops: set) -> tuple[dict, dict]:
    # one DAG for the layers: directed edges as they are, the others pointing down a linear order
    directed = nx.DiGraph()
    directed.add_nodes_from(nodes)
    directed.add_edges_from((u, v) for u, v, k in edges if k == "directed")
    rank = {v: i for i, v in enumerate(nx.topological_sort(directed))}
    dag = nx.DiGraph()
    dag.add_nodes_from(nodes)
    oriented = []
    for u, v, k in edges:
        a, b = (u, v) if k == "directed" or rank[u] < rank[v] else (v, u)
        dag.add_edge(a, b)
        oriented.append((a, b, (u, v)))
    layer = _layer_of(dag)
    # long edges get one lane point per layer they cross
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    chains: dict = {}
    for a, b, key in oriented:
        chain = [a] + [(_Dummy, a, b, i) for i in range(layer[a] + 1, layer[b])] + [b]
        for i, node in enumerate(chain[1:-1]):
            layer[node] = layer[a] + 1 + i
        nx.add_path(g, chain)
        chains[key] = chain
    depth = max(layer.values(), default=0) + 1
    layers: list[list] = [[] for _ in range(depth)]
    for v in nx.topological_sort(g):  # a topological first order keeps related nodes close
        layers[layer[v]].append(v)
    layers = _order_layers(layers, g)
    # a node with a self-loop keeps room for the loop on its right (LOOP reaches 2 radii out)
    half = {v: ((LOOP + 0.1) * radius if v in loops else radius) if _real(v) else 0.0 for v in g.nodes}
    x = _x_positions(layers, g, half)
    return x, {"layer": layer, "chains": chains, "depth": depth}


def _layered_paths(x: dict, info: dict, radius: float, dy: float) -> tuple[dict, dict]:
    depth = info["depth"]
    xy = {v: np.array([x[v], (depth - 1 - info["layer"][v]) * dy]) for v in x}
    paths = {}
    for key, chain in info["chains"].items():
        pieces = []
        for i, (a, b) in enumerate(zip(chain, chain[1:])):
            pa, pb = xy[a], xy[b]
            h = 0.5 * (pa[1] - pb[1])
            # tangents: vertical through lanes; at a real node tilted towards the other end, so the
            # arrows into one node arrive spread over its rim instead of at one point
            ta = np.array([0.3 * (pb[0] - pa[0]) if _real(a) else 0.0, -h])
            tb = np.array([0.3 * (pb[0] - pa[0]) if _real(b) else 0.0, -h])
            pieces.append(_cubic(pa, pa + ta, pb - tb, pb)[(1 if i else 0):])
        path = np.vstack(pieces)
        if key != (chain[0], chain[-1]):  # an undirected/bidirected edge listed as (u, v), laid the other way
            path = path[::-1]
        paths[key] = _trim(path, xy[key[0]], xy[key[1]], radius)
    return {v: (float(p[0]), float(p[1])) for v, p in xy.items() if _real(v)}, paths


def _circular_paths(nodes: list, edges: list[tuple[Any, Any, str]], radius: float, ring: float) -> tuple[dict, dict]:
    n = len(nodes)
    angles = np.pi / 2 - 2 * np.pi * np.arange(n) / max(n, 1)
    pos = {v: (float(ring * np.cos(a)), float(ring * np.sin(a))) for v, a in zip(nodes, angles)}
    centres = np.asarray(list(pos.values()))
    index = {v: i for i, v in enumerate(nodes)}
    pairs = {(u, v) for u, v, _ in edges}
    paths = {}
    for u, v, _ in edges:
        p0, p2 = np.asarray(pos[u]), np.asarray(pos[v])
        normal = np.array([-(p2 - p0)[1], (p2 - p0)[0]])  # to the left of travel
        # a feedback pair u -> v, v -> u bends each way to its own left, so the two stay apart
        bends = (0.12, 0.25, -0.25, 0.4) if (v, u) in pairs else (0.0, 0.15, -0.15, 0.3, -0.3)
        best, best_c = None, -np.inf
        for rad in bends:
            path = _trim(_quadratic(p0, (p0 + p2) / 2 + rad * normal, p2), p0, p2, radius)
            c = _clearance(path, centres, [i for i in range(n) if i not in (index[u], index[v])], radius)
            if c > best_c:
                best, best_c = path, c
            if c >= CLEARANCE:
                break
        paths[(u, v)] = best
    return pos, paths


def graph_layout(graph: Any, *, labels: Mapping[Hashable, str] | None = None, fontsize: float = 8.0) -> GraphLayout:
    """Lay out a graph so that no edge runs through a node other than its two ends.

    Parameters
    ----------
    graph : networkx.DiGraph or MixedGraph
        The graph (see :func:`edge_list` for how undirected and bidirected edges are read).
    labels : mapping of node to str, optional
        Text for each node (default: its name); names longer than nine characters are wrapped at
        an underscore.
    fontsize : float, default=8.0
        Label size in points; the discs grow to hold the largest label.

    Returns
    -------
    GraphLayout
        Layered (causes above effects) when the directed edges have no cycle, else circular (also
        the fallback should layers not spread clear). Layers or the circle are spread out until
        every edge keeps 0.08 inch from every other node's rim.

    Raises
    ------
    DTypeError
        ``graph`` is neither a DiGraph nor a mixed graph.
    GraphError
        An undirected or bidirected edge without its opposite edge, or an unknown edge kind.

    Examples
    --------
    >>> lay = graph_layout(nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")]))
    >>> lay.style, lay.pos["a"][1] > lay.pos["b"][1] > lay.pos["c"][1]
    ('layered', True)
    >>> sorted(lay.edges)
    [('a', 'b'), ('a', 'c'), ('b', 'c')]
    """
    nodes, edges = edge_list(graph)
    text = {v: wrap_label(str(labels[v]) if labels is not None and v in labels else str(v)) for v in nodes}
    radius = _label_radius(text.values(), fontsize) if nodes else 0.16
    kinds = {(u, v): k for u, v, k in edges}
    loops = {u for u, v, _ in edges if u == v}  # a summary graph's x -> x (x_t causes x_t+1)
    edges = [e for e in edges if e[0] != e[1]]
    directed = nx.DiGraph()
    directed.add_nodes_from(nodes)
    directed.add_edges_from((u, v) for u, v, k in edges if k == "directed")
    index = {v: i for i, v in enumerate(nodes)}
    worst = -np.inf
    if nx.is_directed_acyclic_graph(directed):
        style = "layered"
        x, info = _layered(nodes, edges, radius, loops)
        dy = max(1.0, 2 * radius + 0.5)
        for _ in range(12):  # spread the layers until every edge clears every node
            pos, paths = _layered_paths(x, info, radius, dy)
            paths.update({(u, u): _loop(pos[u], 0.0, radius) for u in loops})  # loops to the right
            worst = _worst(pos, paths, index, radius)
            if worst >= CLEARANCE:
                break
            dy *= 1.25
    if worst < CLEARANCE:  # directed cycles, or layers that could not be spread clear: a circle
        ring = max(1.0, len(nodes) * (2 * radius + NODE_GAP) / (2 * np.pi))
        for _ in range(12):
            cpos, cpaths = _circular_paths(nodes, edges, radius, ring)
            cpaths.update({(u, u): _loop(cpos[u], float(np.arctan2(cpos[u][1], cpos[u][0])), radius) for u in loops})
            cworst = _worst(cpos, cpaths, index, radius)
            if cworst >= CLEARANCE:
                break
            ring *= 1.2
        if cworst > worst:
            style, pos, paths = "circular", cpos, cpaths
    return GraphLayout(pos=pos, radius=radius, labels=text, fontsize=fontsize, edges=paths, kinds=kinds, style=style)


def _loop(centre: tuple[float, float], angle: float, radius: float) -> np.ndarray:
    """A self-loop leaving the rim 40 degrees to one side of ``angle`` and coming back 40 degrees to the other."""
    c = np.asarray(centre, dtype=float)

    def at(deg: float, reach: float) -> np.ndarray:
        a = angle + np.deg2rad(deg)
        return c + reach * radius * np.array([np.cos(a), np.sin(a)])

    return _cubic(at(40, 1.0), at(55, 1.35 * LOOP), at(-55, 1.35 * LOOP), at(-40, 1.0), 2 * SAMPLES)


def _worst(pos: dict, paths: dict, index: dict, radius: float) -> float:
    centres = np.asarray([pos[v] for v in index], dtype=float).reshape(-1, 2)
    worst = np.inf
    for (u, v), path in paths.items():
        worst = min(worst, _clearance(path, centres, [i for w, i in index.items() if w not in (u, v)], radius))
    return float(worst)


def layered_layout(graph: nx.DiGraph) -> dict[Any, tuple[float, float]]:
    """Node centres (inches) with causes above effects: the positions :func:`graph_layout` gives a DAG.

    Raises
    ------
    GraphError
        ``graph`` has a directed cycle.

    Examples
    --------
    >>> pos = layered_layout(nx.DiGraph([("a", "b"), ("b", "c")]))
    >>> pos["a"][1] > pos["b"][1] > pos["c"][1]
    True
    """
    if not isinstance(graph, nx.DiGraph) or not nx.is_directed_acyclic_graph(graph):
        raise GraphError("layered_layout needs a DAG (a networkx.DiGraph without directed cycles)")
    return graph_layout(graph).pos
