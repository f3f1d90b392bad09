"""Causal graphs drawn with networkx and matplotlib: a world's true graph, or any DAG.

Nodes are laid out in layers by causal depth (causes above effects). For a World, colour says
what the camera sees: depicted variables filled, the others pale; a thick outline marks the
variables an agent may set, and ``[t]`` marks those with one value per frame.
"""

from __future__ import annotations

import os
from typing import Any

import networkx as nx
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from causalworld.errors import DTypeError, GraphError

__all__ = ["draw_graph", "layered_layout"]


def layered_layout(graph: nx.DiGraph) -> dict[Any, tuple[float, float]]:
    """Positions with causes above effects: one row per topological generation.

    Examples
    --------
    >>> pos = layered_layout(nx.DiGraph([("a", "b"), ("b", "c")]))
    >>> pos["a"][1] > pos["b"][1] > pos["c"][1]
    True
    """
    if not nx.is_directed_acyclic_graph(graph):
        raise GraphError("layered_layout needs a DAG")
    pos: dict[Any, tuple[float, float]] = {}
    for depth, layer in enumerate(nx.topological_generations(graph)):
        layer = list(layer)
        for i, node in enumerate(layer):
            pos[node] = (i - (len(layer) - 1) / 2.0, -float(depth))
    return pos


def draw_graph(
    graph: Any,
    *,
    title: str | None = None,
    path: str | os.PathLike | None = None,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Draw a causal graph (a ``networkx.DiGraph``, an SCM or a World).

    A DAG is drawn in layers, causes above effects; a summary graph with cycles (lag-1 feedback
    between time-varying variables) on a circle.

    Examples
    --------
    >>> import causalworld as cw
    >>> fig = draw_graph(cw.make("lights", image_size=16, frames=2))
    >>> fig.axes[0].get_title()
    'lights-v0'
    """
    depicted: set[str] = set()
    intervenable: set[str] = set()
    time_varying: set[str] = set()
    is_world = False
    if hasattr(graph, "depicted") and hasattr(graph, "intervenable"):  # a World
        is_world = True
        depicted, intervenable, time_varying = set(graph.depicted), set(graph.intervenable), set(graph.time_varying)
        title = title if title is not None else graph.id
        g = graph.graph
    elif isinstance(graph, nx.DiGraph):
        g = graph
    elif hasattr(graph, "graph") and isinstance(graph.graph, nx.DiGraph):  # an SCM
        g = graph.graph
    else:
        raise DTypeError(f"draw_graph takes a networkx DiGraph, an SCM or a World, got {type(graph).__name__}")
    if nx.is_directed_acyclic_graph(g):
        pos = layered_layout(g)
    else:  # a summary graph with lag-1 feedback (billiards): no causes-above-effects order exists
        pos = {v: (float(x), float(y)) for v, (x, y) in nx.circular_layout(g, scale=max(1.0, g.number_of_nodes() / 4)).items()}
    width = max((sum(1 for p in pos.values() if p[1] == y) for y in {p[1] for p in pos.values()}), default=1)
    depth = len({p[1] for p in pos.values()}) or 1
    fig = Figure(figsize=figsize or (max(4.0, 1.5 * width + 1), max(3.0, 1.1 * depth + 1)))
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    labels = {v: f"{v}[t]" if v in time_varying else str(v) for v in g.nodes}
    colours = ["#4c8bd6" if (v in depicted or not is_world) else "#e8e8e8" for v in g.nodes]
    edges = ["black" if v in intervenable else "#888888" for v in g.nodes]
    widths = [2.5 if v in intervenable else 0.8 for v in g.nodes]
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=True, arrowsize=12, node_size=1400, edge_color="#555555",
                           connectionstyle="arc3,rad=0.08")
    nx.draw_networkx_nodes(g, pos, ax=ax, node_color=colours, edgecolors=edges, linewidths=widths, node_size=1400)
    nx.draw_networkx_labels(g, pos, labels=labels, ax=ax, font_size=7)
    if is_world:
        handles = [
            Line2D([], [], marker="o", ls="", markerfacecolor="#4c8bd6", markeredgecolor="#888888", markersize=9, label="depicted"),
            Line2D([], [], marker="o", ls="", markerfacecolor="#e8e8e8", markeredgecolor="#888888", markersize=9, label="not depicted"),
            Line2D([], [], marker="o", ls="", markerfacecolor="white", markeredgecolor="black", markeredgewidth=2.5,
                   markersize=9, label="intervenable"),
        ]
        ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=False)
    ax.set_title(title or "")
    ax.set_axis_off()
    ax.margins(0.12)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
