"""Graph layouts keep every edge clear of the nodes it does not join, on every world and on random DAGs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import causalworld as cw
from causalworld.discovery import MixedGraph, essential_graph
from causalworld.errors import DTypeError, GraphError
from causalworld.viz.layout import GraphLayout, edge_clearance, edge_list, graph_layout, layered_layout, wrap_label


def _distance_to_path(path: np.ndarray, point: np.ndarray) -> float:
    """Least distance from a point to a polyline, computed independently of the layout module."""
    a, b = path[:-1], path[1:]
    ab = b - a
    length2 = np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-18)
    t = np.clip(np.einsum("ij,ij->i", point - a, ab) / length2, 0, 1)
    return float(np.linalg.norm(a + t[:, None] * ab - point, axis=1).min())


def _assert_clear(lay, graph_edges):
    assert set(lay.edges) == set(graph_edges)  # every edge laid out, once
    for (u, v), path in lay.edges.items():
        # the path runs from u's rim to v's rim
        assert np.linalg.norm(path[0] - lay.pos[u]) == pytest.approx(lay.radius, abs=1e-6)
        assert np.linalg.norm(path[-1] - lay.pos[v]) == pytest.approx(lay.radius, abs=1e-6)
        for w, c in lay.pos.items():
            if w not in (u, v):
                assert _distance_to_path(path, np.asarray(c)) > lay.radius + 0.05, f"{u}->{v} runs through {w}"


@pytest.mark.parametrize("name", ["lights", "sprites", "falling", "pendulum", "billiards"])
def test_no_edge_runs_through_a_node_in_any_world(name):
    graph = cw.make(name, image_size=16, frames=2).graph
    lay = graph_layout(graph)
    _assert_clear(lay, graph.edges)
    assert min(edge_clearance(lay).values()) >= 0.08
    if nx.is_directed_acyclic_graph(graph):  # causes above effects
        assert lay.style == "layered" and all(lay.pos[u][1] > lay.pos[v][1] for u, v in graph.edges)
    else:
        assert lay.style == "circular"


def test_falling_and_lights_edges_that_used_to_cross_nodes():
    lay = graph_layout(cw.make("falling").graph)
    assert _distance_to_path(lay.edges["pen_x", "block_shift"], np.asarray(lay.pos["ball_y"])) > lay.radius
    lay = graph_layout(cw.make("lights").graph)
    assert _distance_to_path(lay.edges["ambient", "lamp_blue"], np.asarray(lay.pos["lamp_green"])) > lay.radius


@pytest.mark.parametrize("seed", range(8))
def test_random_dags_are_laid_out_clear(seed):
    kind = "er" if seed % 2 == 0 else "sf"
    g = cw.random_dag(8 + seed, edges_per_node=1.5, graph=kind, seed=seed)
    lay = graph_layout(g)
    _assert_clear(lay, g.edges)
    assert all(lay.pos[u][1] > lay.pos[v][1] for u, v in g.edges)
    # discs in one layer do not overlap
    pts = np.asarray(list(lay.pos.values()))
    d = np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1)) + np.eye(len(pts)) * 99
    assert d.min() > 2 * lay.radius


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 9).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.booleans(), min_size=n * n, max_size=n * n))),
       st.sampled_from(["name", "a_much_longer_variable_name"]))
def test_any_graph_is_laid_out_clear(graph, prefix):
    n, bits = graph
    g = nx.DiGraph()
    g.add_nodes_from(f"{prefix}{i}" for i in range(n))
    # any directed graph: cycles, two-way pairs and self-loops included
    g.add_edges_from((f"{prefix}{i}", f"{prefix}{j}") for i in range(n) for j in range(n) if bits[i * n + j])
    lay = graph_layout(g)
    _assert_clear(lay, g.edges)
    assert lay.style == ("layered" if nx.is_directed_acyclic_graph(nx.DiGraph(e for e in g.edges if e[0] != e[1])) else "circular")


def test_random_cyclic_graph_goes_on_a_circle_clear():
    rng = np.random.default_rng(0)
    g = nx.DiGraph()
    g.add_nodes_from(f"v{i}" for i in range(9))
    g.add_edges_from((f"v{i}", f"v{j}") for i in range(9) for j in range(9) if i != j and rng.random() < 0.3)
    assert not nx.is_directed_acyclic_graph(g)
    lay = graph_layout(g)
    assert lay.style == "circular"
    _assert_clear(lay, g.edges)


def test_clearance_catches_an_edge_through_a_node():
    # a straight edge a -> c through b, as a plain layered drawing of a -> b -> c, a -> c would give
    lay = graph_layout(nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")]))
    straight = GraphLayout(pos={"a": (0.0, 2.0), "b": (0.0, 1.0), "c": (0.0, 0.0)}, radius=lay.radius,
                           labels=lay.labels, fontsize=lay.fontsize, edges={("a", "c"): np.array([[0.0, 1.7], [0.0, 0.3]])},
                           kinds={("a", "c"): "directed"}, style="layered")
    assert edge_clearance(straight)[("a", "c")] == pytest.approx(-lay.radius)
    assert min(edge_clearance(lay).values()) >= 0.08  # the real layout bends a -> c around b


def test_self_loops_of_a_summary_graph_are_drawn_clear():
    dag_with_loops = nx.DiGraph([("a", "a"), ("a", "b"), ("b", "b"), ("c", "b"), ("c", "c"), ("d", "b")])
    feedback = nx.DiGraph([("a", "a"), ("a", "b"), ("b", "a"), ("b", "b"), ("c", "b")])
    for g, style in ((dag_with_loops, "layered"), (feedback, "circular")):
        lay = graph_layout(g)
        assert lay.style == style
        _assert_clear(lay, g.edges)
        assert np.ptp(lay.edges[("b", "b")], axis=0).max() > lay.radius  # a visible loop, not a dot


def test_mixed_graph_edges_are_kept_with_their_kind():
    cpdag = essential_graph(cw.make("lights").graph, targets=[set(), {"spin"}])
    lay = graph_layout(cpdag)
    assert {e for e, k in lay.kinds.items() if k == "undirected"} == set(cpdag.undirected)
    assert {e for e, k in lay.kinds.items() if k == "directed"} == set(cpdag.directed)
    _assert_clear(lay, list(cpdag.directed) + list(cpdag.undirected))
    bi = MixedGraph("abcd", directed=[("a", "b"), ("c", "d")], bidirected=[("b", "d")], undirected=[("a", "c")])
    lay = graph_layout(bi)
    assert lay.kinds[("b", "d")] == "bidirected"
    _assert_clear(lay, [("a", "b"), ("c", "d"), ("b", "d"), ("a", "c")])
    # the DiGraph form of the same mixed graph reads back the same kinds
    assert sorted(edge_list(bi.to_networkx())[1]) == sorted(edge_list(bi)[1])


def test_discs_hold_their_labels():
    short = graph_layout(nx.DiGraph([("a", "b")]))
    long = graph_layout(nx.DiGraph([("a_very_long_variable_name", "b")]))
    assert long.radius > short.radius  # discs grow with the label
    assert long.labels["a_very_long_variable_name"] == "a_very_long_\nvariable_name"
    assert wrap_label("x") == "x" and wrap_label("nounderscoreshere") == "nounderscoreshere"


def test_bad_graphs():
    with pytest.raises(GraphError):
        layered_layout(nx.DiGraph([("a", "b"), ("b", "a")]))
    with pytest.raises(DTypeError):
        graph_layout([("a", "b")])
    g = nx.DiGraph()
    g.add_edge("a", "b", kind="undirected")  # without its opposite edge
    with pytest.raises(GraphError, match="opposite"):
        graph_layout(g)
    g = nx.DiGraph()
    g.add_edge("a", "b", kind="sideways")
    with pytest.raises(GraphError, match="kind"):
        graph_layout(g)
