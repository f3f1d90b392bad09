"""Causal graph figures: checked on the drawn matplotlib artists, against the graph drawn."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.colors import to_hex
from matplotlib.patches import Circle, FancyArrowPatch
from PIL import Image

import causalworld as cw
from causalworld.discovery import MixedGraph, SortRegressLearner, essential_graph
from causalworld.errors import ArgumentError, DTypeError, GraphError, NotFittedError, OutOfRangeError, UnknownVariableError
from causalworld.viz import draw_graph
from causalworld.viz.graphs import layered_layout


def _artists(fig):
    ax = fig.axes[0]
    nodes = {p.get_gid()[5:]: p for p in ax.patches if isinstance(p, Circle) and p.get_gid().startswith("node:")}
    edges = {p.get_gid()[5:]: p for p in ax.patches if isinstance(p, FancyArrowPatch)}
    return ax, nodes, edges


def _assert_drawn_edges_clear(fig):
    """Every segment of every drawn edge (arrowheads included) stays outside every other node's disc."""
    _, nodes, edges = _artists(fig)
    names = list(nodes)
    centres = np.array([nodes[w].center for w in names])  # [m, 2]
    radii = np.array([nodes[w].radius for w in names])
    for name, arrow in edges.items():
        u, v = name.split("->")
        others = np.array([w not in (u, v) for w in names])
        for poly in arrow.get_path().to_polygons(closed_only=False):
            a, ab = poly[:-1], poly[1:] - poly[:-1]  # [s, 2] segments
            c = centres[others][:, None, :]  # [m, 1, 2]
            t = np.clip(((c - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-18), 0, 1)
            dist = np.linalg.norm(a + t[..., None] * ab - c, axis=-1).min(1)  # [m] nearest approach
            inside = dist <= radii[others]
            assert not inside.any(), f"edge {name} enters the disc of {np.array(names)[others][inside]}"


def _assert_labels_inside(fig):
    """Each node's text, as rendered, lies inside its disc."""
    ax, nodes, _ = _artists(fig)
    renderer = fig.canvas.get_renderer()
    labels = {t.get_gid()[6:]: t for t in ax.texts if (t.get_gid() or "").startswith("label:")}
    assert set(labels) == set(nodes)
    for v, text in labels.items():
        bb = text.get_window_extent(renderer)
        centre = ax.transData.transform(nodes[v].center)
        rim = ax.transData.transform((nodes[v].center[0] + nodes[v].radius, nodes[v].center[1]))[0] - centre[0]
        rim -= nodes[v].get_linewidth() / 2 * fig.dpi / 72  # inside the outline, not under it
        corners = np.array([[bb.x0, bb.y0], [bb.x0, bb.y1], [bb.x1, bb.y0], [bb.x1, bb.y1]])
        assert np.linalg.norm(corners - centre, axis=1).max() <= rim, f"label {v!r} spills out of its disc"
    # every disc lies inside the axes' view (nothing clipped), and the axes inside the figure
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for v, disc in nodes.items():
        (cx, cy), r = disc.center, disc.radius
        assert x0 <= cx - r and cx + r <= x1 and y0 <= cy - r and cy + r <= y1, f"node {v!r} is cut off"
    box = ax.get_position()
    assert 0 <= box.x0 and box.x1 <= 1 and 0 <= box.y0 and box.y1 <= 1


@pytest.mark.parametrize("name", ["lights", "sprites", "falling", "pendulum", "billiards"])
def test_world_graph_drawn_whole_and_clear(name):
    world = cw.make(name, image_size=16, frames=2)
    fig = draw_graph(world)
    _, nodes, edges = _artists(fig)
    assert set(nodes) == set(world.variables)
    assert {tuple(e.split("->")) for e in edges} == set(world.graph.edges)  # every true edge, once
    _assert_drawn_edges_clear(fig)
    _assert_labels_inside(fig)
    # intervenable variables have the thick outline, depicted ones the filled colour
    for v, disc in nodes.items():
        assert (disc.get_linewidth() > 2) == (v in world.intervenable)


@pytest.mark.parametrize("name", ["falling", "lights"])
def test_plain_world_graph_clear(name):
    fig = draw_graph(cw.make(name).graph)
    _assert_drawn_edges_clear(fig)
    _assert_labels_inside(fig)


def test_world_graph_png(tmp_path):
    torch.set_num_threads(1)
    world = cw.make("lights", image_size=16, frames=2)
    fig = draw_graph(world, path=tmp_path / "g.png")
    ax = fig.axes[0]
    labels = {t.get_text() for t in ax.texts}
    assert {"ambient", "angle[t]", "sensor[t]", "spin"} <= labels
    img = np.asarray(Image.open(tmp_path / "g.png").convert("RGB"))
    assert img.std() > 10 and (tmp_path / "g.png").stat().st_size > 5000


@pytest.mark.parametrize("graph", [cw.make("falling"), cw.make("falling").graph])
def test_scaled_to_a_figsize_labels_still_fit(graph):
    fig = draw_graph(graph, figsize=(4.0, 3.0))
    assert tuple(fig.get_size_inches()) == (4.0, 3.0)
    _assert_labels_inside(fig)
    _assert_drawn_edges_clear(fig)


def test_layout_puts_causes_above_effects():
    g = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")])
    pos = layered_layout(g)
    assert pos["a"][1] > pos["b"][1] > pos["c"][1]
    with pytest.raises(GraphError):
        layered_layout(nx.DiGraph([("a", "b"), ("b", "a")]))


def test_any_dag_or_scm():
    scm = cw.random_scm(5, seed=0)
    fig = draw_graph(scm)
    assert fig.axes[0].get_title() == ""
    assert {tuple(e.split("->")) for e in _artists(fig)[2]} == set(scm.graph.edges)
    assert draw_graph(nx.DiGraph([("x", "y")]), title="t").axes[0].get_title() == "t"


def test_cpdag_undirected_plain_bidirected_dashed_double():
    cpdag = essential_graph(cw.make("lights").graph)
    assert cpdag.undirected  # spin -- angle: nothing in the observational graph orients it
    fig = draw_graph(cpdag)
    _, _, edges = _artists(fig)
    assert len(edges) == cpdag.n_edges()
    for name, arrow in edges.items():
        u, v = name.split("->")
        style = type(arrow.get_arrowstyle()).__name__
        if (u, v) in cpdag.directed:
            assert style == "CurveFilledB"  # one head, at the effect
        else:
            assert frozenset((u, v)) in {frozenset(e) for e in cpdag.undirected} and style == "Curve"  # no head
    _assert_drawn_edges_clear(fig)
    g = MixedGraph("abc", directed=[("a", "b")], bidirected=[("b", "c")])
    arrow = _artists(draw_graph(g))[2]["b->c"]
    assert type(arrow.get_arrowstyle()).__name__ == "CurveFilledAB" and arrow.get_linestyle() == "--"


@pytest.fixture(scope="module")
def learner():
    truth = cw.SCM.linear([("a", "b"), ("b", "c"), ("a", "c")], {("a", "b"): 2.0, ("b", "c"): -1.5, ("a", "c"): 1.0}, 1.0)
    return SortRegressLearner(sort_by="var", progress=False).fit(truth.sample(300, seed=0))


def test_learner_edges_with_their_probabilities(learner):
    fig = draw_graph(learner)
    ax, _, edges = _artists(fig)
    assert {tuple(e.split("->")) for e in edges} == set(learner.graph_.edges)
    texts = {t.get_gid()[5:]: t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("prob:")}
    for name in edges:
        u, v = name.split("->")
        assert texts[name] == f"{learner.edge_probs_.loc[u, v]:.2f}"
    # the cpdag_ of the same learner draws too
    assert len(_artists(draw_graph(learner.cpdag_))[2]) == learner.cpdag_.n_edges()


def test_edge_width_grows_with_probability():
    g = nx.DiGraph([("a", "b"), ("a", "c")])
    probs = pd.DataFrame([[0, 0.3, 0.9], [0, 0, 0], [0, 0, 0]], index=list("abc"), columns=list("abc"), dtype=float)
    _, _, edges = _artists(draw_graph(g, edge_probs=probs, edge_labels=False))
    assert edges["a->c"].get_linewidth() > edges["a->b"].get_linewidth()
    ax = draw_graph(g, edge_probs={("a", "b"): 0.3}).axes[0]
    assert [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("prob:")] == ["0.30"]


def test_bad_input():
    g = nx.DiGraph([("a", "b")])
    with pytest.raises(DTypeError):
        draw_graph([("x", "y")])
    with pytest.raises(NotFittedError):
        draw_graph(SortRegressLearner())
    with pytest.raises(UnknownVariableError, match="did you mean 'a'"):
        draw_graph(g, edge_probs={("aa", "b"): 0.5})
    with pytest.raises(OutOfRangeError, match=r"\[0, 1\]"):
        draw_graph(g, edge_probs={("a", "b"): 1.5})
    with pytest.raises(DTypeError):
        draw_graph(g, edge_probs=[0.5])
    with pytest.raises(ArgumentError, match="no nodes"):
        draw_graph(nx.DiGraph())
    with pytest.raises(OutOfRangeError):
        draw_graph(g, figsize=(0, 3))


def test_scored_against_the_truth():
    truth = nx.DiGraph([("a", "b"), ("b", "c"), ("d", "a")])
    truth.add_node("e")
    drawn = nx.DiGraph([("a", "b"), ("c", "b"), ("a", "c")])
    drawn.add_nodes_from(["d", "e"])
    fig = draw_graph(drawn, truth=truth)
    _, _, edges = _artists(fig)
    colour = {name: (to_hex(arrow.get_edgecolor()), arrow.get_linestyle()) for name, arrow in edges.items()}
    assert colour == {"a->b": ("#000000", "-"), "c->b": ("#e08a00", "-"), "a->c": ("#d62728", "-"),
                      "d->a": ("#9a9a9a", ":")}
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["correct (1)", "reversed (1)", "extra (1)", "missing (1)"]
    _assert_drawn_edges_clear(fig)
    # an undirected edge is right when the truth has either direction
    cpdag = MixedGraph("abcde", undirected=[("a", "b")])
    _, _, edges = _artists(draw_graph(cpdag, truth=truth))
    assert to_hex(edges["a->b"].get_edgecolor()) == "#000000" and edges["b->c"].get_linestyle() == ":"
    with pytest.raises(UnknownVariableError, match="true graph"):
        draw_graph(nx.DiGraph([("a", "z")]), truth=truth)
    with pytest.raises(DTypeError):
        draw_graph(drawn, truth=[("a", "b")])
