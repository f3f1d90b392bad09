"""Causal graphs drawn so they do not mislead: a world's true graph, a learner's answer, a CPDAG.

The geometry comes from :func:`causalworld.viz.layout.graph_layout` (layers, causes above
effects, no edge through a node it does not join; one data unit is one inch, so each label sits
inside its disc). For a World, colour says what the camera sees: depicted variables filled, the
others pale; a thick outline marks what an agent may set, and ``[t]`` marks a variable with one
value per frame. A learner's edges are as wide as their probability, with the number beside them.
Undirected edges (a CPDAG's) are plain lines, bidirected ones dashed double arrows.
"""

from __future__ import annotations

import math
import os
from collections.abc import Hashable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch
from matplotlib.path import Path

from causalworld.errors import ArgumentError, DTypeError, OutOfRangeError, UnknownVariableError
from causalworld.viz.layout import GraphLayout, edge_list, graph_layout, layered_layout

__all__ = ["draw_graph", "layered_layout", "graph_layout"]

FILL = "#9cc3ee"  # a node the camera shows (or any node of a plain graph)
PALE = "#eeeeee"  # a variable of the world that is not drawn in its frames
ARROWS = {"directed": "-|>", "undirected": "-", "bidirected": "<|-|>"}
PAD = 0.25  # inches of white around the drawing
EDGE = "#444444"
STATUS = {"correct": ("black", "-"), "reversed": ("#e08a00", "-"), "extra": ("#d62728", "-"),
          "missing": ("#9a9a9a", ":")}  # an edge against the true graph: colour, line style


def _is_learner(obj: Any) -> bool:
    return callable(getattr(type(obj), "fit", None)) and callable(getattr(obj, "get_params", None))


def _is_mixed(obj: Any) -> bool:
    return not isinstance(obj, nx.Graph) and all(hasattr(obj, a) for a in ("nodes", "directed", "undirected", "bidirected"))


def _read(graph: Any) -> tuple[Any, dict[str, Any]]:
    """The graph to draw, and what the input says about its nodes and edges."""
    info: dict[str, Any] = {"depicted": None, "intervenable": set(), "time_varying": set(), "title": None, "probs": None}
    if hasattr(graph, "depicted") and hasattr(graph, "intervenable") and hasattr(graph, "graph"):  # a World
        info.update(depicted=set(graph.depicted), intervenable=set(graph.intervenable),
                    time_varying=set(graph.time_varying), title=graph.id)
        return graph.graph, info
    if _is_learner(graph):  # reading graph_ of an unfitted learner raises NotFittedError
        info.update(probs=graph.edge_probs_, title=type(graph).__name__)
        return graph.graph_, info
    if isinstance(graph, nx.DiGraph) or _is_mixed(graph):
        return graph, info
    if isinstance(getattr(graph, "graph", None), nx.DiGraph):  # an SCM
        return graph.graph, info
    raise DTypeError(f"draw_graph takes a networkx DiGraph, a MixedGraph (a learner's cpdag_), an SCM, a World "
                     f"or a fitted learner, got {type(graph).__name__}")


def _probabilities(probs: Any, nodes: list[Hashable], edges: list[tuple[Any, Any, str]]) -> dict[tuple[Any, Any], float]:
    """``{(u, v): p}`` for the drawn edges from a parent-by-child DataFrame or a ``{(u, v): p}`` mapping."""
    if isinstance(probs, pd.DataFrame):
        for name in [*probs.index, *probs.columns]:
            if name not in nodes:
                raise UnknownVariableError.of(name, nodes, where="the graph drawn")
        table = {(u, v): float(probs.loc[u, v]) for u in probs.index for v in probs.columns}
    elif isinstance(probs, Mapping):
        table = {}
        for key, p in probs.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise DTypeError(f"edge_probs keys must be (parent, child) pairs, got {key!r}")
            for name in key:
                if name not in nodes:
                    raise UnknownVariableError.of(name, nodes, where="the graph drawn")
            table[key] = float(p)
    else:
        raise DTypeError(f"edge_probs must be a DataFrame (parents x children, as learner.edge_probs_) or a "
                         f"{{(u, v): p}} mapping, got {type(probs).__name__}")
    bad = {k: p for k, p in table.items() if not 0.0 <= p <= 1.0}
    if bad:
        raise OutOfRangeError(f"edge probabilities must lie in [0, 1]; got {dict(list(bad.items())[:3])}")
    out = {}
    for u, v, kind in edges:
        if kind == "directed" and (u, v) in table:
            out[(u, v)] = table[(u, v)]
        elif kind != "directed" and ((u, v) in table or (v, u) in table):
            out[(u, v)] = min(1.0, table.get((u, v), 0.0) + table.get((v, u), 0.0))
    return out


def _truth(truth: Any, nodes: list[Any]) -> nx.DiGraph:
    t = truth.graph if isinstance(getattr(truth, "graph", None), nx.DiGraph) else truth
    if not isinstance(t, nx.DiGraph):
        raise DTypeError(f"truth must be a networkx DiGraph, an SCM or a World, got {type(truth).__name__}")
    for v in nodes:
        if v not in t.nodes:
            raise UnknownVariableError.of(v, list(t.nodes), where="the true graph")
    for v in t.nodes:
        if v not in nodes:
            raise UnknownVariableError.of(v, nodes, where="the graph drawn (the truth has more nodes)")
    return t


def _score(edges: list[tuple[Any, Any, str]], truth: nx.DiGraph) -> tuple[list[tuple[Any, Any, str]], dict]:
    """Each drawn edge as ``correct``, ``reversed`` or ``extra`` against the truth; the truth's
    edges the drawing lacks appended as ``missing``."""
    status, adjacent = {}, set()
    for u, v, kind in edges:
        adjacent.add(frozenset((u, v)))
        if kind == "directed":
            status[(u, v)] = "correct" if truth.has_edge(u, v) else "reversed" if truth.has_edge(v, u) else "extra"
        else:
            status[(u, v)] = "correct" if truth.has_edge(u, v) or truth.has_edge(v, u) else "extra"
    missing = [(u, v, "directed") for u, v in truth.edges if frozenset((u, v)) not in adjacent]
    status.update({(u, v): "missing" for u, v, _ in missing})
    return list(edges) + missing, status


def _as_digraph(nodes: list[Any], edges: list[tuple[Any, Any, str]]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    for u, v, kind in edges:
        g.add_edge(u, v, kind=kind)
        if kind != "directed":
            g.add_edge(v, u, kind=kind)
    return g


def _midpoint(path: np.ndarray) -> np.ndarray:
    """The point halfway along a polyline."""
    seg = np.hypot(*np.diff(path, axis=0).T)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    half = cum[-1] / 2
    i = int(np.clip(np.searchsorted(cum, half) - 1, 0, len(seg) - 1))
    s = (half - cum[i]) / max(seg[i], 1e-12)
    return path[i] + s * (path[i + 1] - path[i])


def draw_graph(
    graph: Any,
    *,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    figsize: tuple[float, float] | None = None,
    edge_probs: Any = None,
    edge_labels: bool | None = None,
    truth: Any = None,
    fontsize: float = 8.0,
) -> Figure:
    """Draw a causal graph without edges through nodes: a World's, an SCM's, a learner's or any graph.

    Parameters
    ----------
    graph : World, SCM, fitted learner, MixedGraph or networkx.DiGraph
        A World shows what its camera depicts and what an agent may set; a fitted learner
        (``graph_`` and ``edge_probs_``) shows its DAG with each edge's probability; a
        :class:`~causalworld.discovery.MixedGraph` (a learner's ``cpdag_``) draws undirected
        edges as plain lines and bidirected ones as dashed double arrows. A DiGraph with directed
        cycles (a summary graph with feedback) is drawn on a circle, each direction of a
        two-way pair bending to its own side.
    title : str, optional
        Default: the world's id, or the learner's class name.
    path : str or PathLike, optional
        Save the figure there (PNG, SVG or PDF by suffix).
    figsize : (float, float), optional
        Figure size in inches; by default the figure is sized to the layout (one inch per data
        unit), otherwise the drawing is scaled down to fit, text with it.
    edge_probs : DataFrame or mapping, optional
        Edge probabilities, parents by children (as ``learner.edge_probs_``) or ``{(u, v): p}``;
        default: the learner's own. Each edge is drawn as wide as its probability.
    edge_labels : bool, optional
        Write each edge's probability beside it (default: when there are probabilities).
    truth : networkx.DiGraph, SCM or World, optional
        The true graph to score the drawing against: edges it has are drawn black, reversed ones
        orange, edges it lacks red, and its edges missing from the drawing grey and dotted (an
        undirected edge counts as right when the truth has either direction). The legend counts each.
    fontsize : float, default=8.0
        Label size in points; discs grow to hold the labels.

    Returns
    -------
    matplotlib.figure.Figure
        One axes in inches: each node is a :class:`~matplotlib.patches.Circle` with gid
        ``"node:<name>"`` and a text with gid ``"label:<name>"``; each edge a
        :class:`~matplotlib.patches.FancyArrowPatch` with gid ``"edge:<u>-><v>"`` (and
        ``"prob:<u>-><v>"`` for its probability's text).

    Raises
    ------
    DTypeError
        An input of another kind, or ``edge_probs`` of the wrong type.
    NotFittedError
        A learner that has not been fitted.
    UnknownVariableError
        ``edge_probs`` names a node the graph does not have, or ``truth`` has other nodes.
    OutOfRangeError
        A probability outside [0, 1], or a figsize that is not two positive numbers.
    ArgumentError
        A graph without nodes.

    Examples
    --------
    >>> import causalworld as cw
    >>> fig = draw_graph(cw.make("lights", image_size=16, frames=2))
    >>> fig.axes[0].get_title()
    'lights-v0'
    >>> from causalworld.discovery import MixedGraph
    >>> fig = draw_graph(MixedGraph("abc", directed=[("a", "c")], undirected=[("a", "b")]))
    >>> sorted(p.get_gid() for p in fig.axes[0].patches if p.get_gid().startswith("edge"))
    ['edge:a->b', 'edge:a->c']
    >>> fig = draw_graph(nx.DiGraph([("b", "a")]), truth=nx.DiGraph([("a", "b")]))
    >>> [t.get_text() for t in fig.legends[0].get_texts()]
    ['reversed (1)']
    """
    g, info = _read(graph)
    nodes, edges = edge_list(g)
    if not nodes:
        raise ArgumentError("the graph has no nodes; there is nothing to draw")
    if figsize is not None and not (len(figsize) == 2 and all(isinstance(s, (int, float)) and s > 0 for s in figsize)):
        raise OutOfRangeError(f"figsize must be two positive numbers (inches), got {figsize!r}")
    probs_in = edge_probs if edge_probs is not None else info["probs"]
    probs = _probabilities(probs_in, nodes, edges) if probs_in is not None else {}
    show_labels = bool(probs) if edge_labels is None else bool(edge_labels)
    status: dict[tuple[Any, Any], str] = {}
    if truth is not None:
        edges, status = _score(edges, _truth(truth, nodes))
        g = _as_digraph(nodes, edges)
    tv = info["time_varying"]
    layout = graph_layout(g, labels={v: f"{v}[t]" if v in tv else str(v) for v in nodes}, fontsize=fontsize)
    title = title if title is not None else info["title"]
    handles = _legend_handles(info, probs, {k for _, _, k in edges}, status)
    fig, ax, scale = _canvas(layout, title, handles, figsize)
    _draw_edges(ax, layout, probs, show_labels, scale, status)
    _draw_nodes(ax, layout, info, scale)
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def _canvas(layout: GraphLayout, title: str | None, handles: list, figsize: tuple[float, float] | None) -> tuple[Figure, Any, float]:
    """A figure whose axes hold the layout at one inch per unit (or scaled down to ``figsize``)."""
    x0, x1, y0, y1 = layout.extent()
    w, h = x1 - x0 + 2 * PAD, y1 - y0 + 2 * PAD
    top = 0.35 if title else 0.05
    ncol = max(1, min(len(handles), int(max(w, 3.0) // 1.25)))
    bottom = (0.22 * math.ceil(len(handles) / ncol) + 0.1) if handles else 0.0
    W, H = max(w, 3.0 if (title or handles) else w), h + top + bottom
    scale = 1.0
    if figsize is not None:
        scale = min(float(figsize[0]) / W, float(figsize[1]) / H)
        W, H = float(figsize[0]), float(figsize[1])
    fig = Figure(figsize=(W, H))
    FigureCanvasAgg(fig)
    aw, ah = w * scale, h * scale
    base = (H - scale * (h + top + bottom)) / 2 + scale * bottom  # room for the legend below, the title above
    ax = fig.add_axes(((W - aw) / 2 / W, base / H, aw / W, ah / H))
    ax.set_xlim(x0 - PAD, x1 + PAD)
    ax.set_ylim(y0 - PAD, y1 + PAD)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title or "", fontsize=10 * scale)
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=7 * scale, frameon=False,
                   bbox_to_anchor=(0.5, 0.0))
    return fig, ax, scale


def _legend_handles(info: dict[str, Any], probs: dict, kinds: set[str], status: dict) -> list:
    handles = []
    for name in STATUS:
        count = sum(1 for s in status.values() if s == name)
        if count:
            colour, style = STATUS[name]
            handles.append(Line2D([], [], color=colour, ls=style, lw=1.5, label=f"{name} ({count})"))
    if info["depicted"] is not None:
        handles += [
            Line2D([], [], marker="o", ls="", markerfacecolor=FILL, markeredgecolor="#888888", markersize=9, label="depicted"),
            Line2D([], [], marker="o", ls="", markerfacecolor=PALE, markeredgecolor="#888888", markersize=9, label="not depicted"),
            Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="black", markeredgewidth=2.5,
                   markersize=9, label="intervenable"),
        ]
    if "undirected" in kinds:
        handles.append(Line2D([], [], color=EDGE, lw=1.2, label="undirected (either way)"))
    if "bidirected" in kinds:
        handles.append(Line2D([], [], color=EDGE, lw=1.2, ls="--", label="bidirected (confounded)"))
    if probs:
        handles += [Line2D([], [], color=EDGE, lw=_width(p), label=f"p = {p:g}") for p in (0.25, 1.0)]
    return handles


def _width(p: float | None) -> float:
    return 1.2 if p is None else 0.4 + 2.6 * p


def _draw_edges(ax: Any, layout: GraphLayout, probs: dict, show_labels: bool, scale: float, status: dict) -> None:
    for (u, v), pts in layout.edges.items():
        kind = layout.kinds[(u, v)]
        p = probs.get((u, v))
        colour, style = STATUS[status[(u, v)]] if (u, v) in status else (EDGE, "-")
        if kind == "bidirected":
            style = "--"
        arrow = FancyArrowPatch(path=Path(pts), arrowstyle=ARROWS[kind], mutation_scale=10 * scale, shrinkA=0, shrinkB=0,
                                lw=_width(p) * scale, color=colour, linestyle=style, zorder=1, gid=f"edge:{u}->{v}")
        ax.add_artist(arrow)  # not add_patch: the limits are set, and updating them walks every path (slow)
        if show_labels and p is not None:
            mx, my = _midpoint(pts)
            ax.text(mx, my, f"{p:.2f}", fontsize=6 * scale, ha="center", va="center", zorder=1.5, gid=f"prob:{u}->{v}",
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85})


def _draw_nodes(ax: Any, layout: GraphLayout, info: dict[str, Any], scale: float) -> None:
    depicted, intervenable = info["depicted"], info["intervenable"]
    for v, (x, y) in layout.pos.items():
        strong = v in intervenable
        ax.add_artist(Circle((x, y), layout.radius, facecolor=FILL if depicted is None or v in depicted else PALE,
                            edgecolor="black" if strong else "#888888", lw=(2.5 if strong else 0.8) * scale,
                            zorder=2, gid=f"node:{v}"))
        ax.text(x, y, layout.labels[v], fontsize=layout.fontsize * scale, ha="center", va="center",
                multialignment="center", zorder=3, gid=f"label:{v}")
