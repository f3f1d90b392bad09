"""Graph interchange: adjacency (W[i, j] = i -> j), networkx, DOT, GML, causal-learn."""

import numpy as np
import pytest

import causalworld as cw
from causalworld.errors import CyclicGraphError, GraphError, ShapeError
from causalworld.scm import graph as graphs


def test_adjacency_orientation_and_round_trip():
    scm = cw.random_scm(12, seed=0)
    A = scm.adjacency().numpy()
    for i, u in enumerate(scm.variables):
        for j, v in enumerate(scm.variables):
            assert bool(A[i, j]) == scm.graph.has_edge(u, v)
    back = graphs.from_adjacency(A, scm.variables)
    assert set(back.edges) == set(scm.graph.edges)


@pytest.mark.parametrize("fmt", ["dot", "gml"])
def test_text_formats_round_trip(fmt):
    g = cw.random_scm(8, seed=1).graph
    to, frm = getattr(graphs, f"to_{fmt}"), getattr(graphs, f"from_{fmt}")
    back = frm(to(g))
    assert set(back.edges) == set(g.edges) and set(back.nodes) == set(g.nodes)


def test_causallearn_round_trip_and_undirected_refused():
    g = cw.random_scm(7, seed=2).graph
    cl = graphs.to_causallearn(g)
    assert set(graphs.from_causallearn(cl).edges) == set(g.edges)
    from causallearn.graph.Edge import Edge
    from causallearn.graph.Endpoint import Endpoint

    nodes = cl.get_nodes()
    a, b = nodes[0], nodes[1]
    if cl.get_edge(a, b) is not None:
        cl.remove_edge(cl.get_edge(a, b))
    cl.add_edge(Edge(a, b, Endpoint.TAIL, Endpoint.TAIL))
    with pytest.raises(GraphError, match="not directed"):
        graphs.from_causallearn(cl)


def test_bad_graphs():
    with pytest.raises(CyclicGraphError, match="self-loop"):
        graphs.as_dag([("a", "a")])
    with pytest.raises(ShapeError):
        graphs.from_adjacency(np.zeros((2, 3)))
    with pytest.raises(CyclicGraphError):
        graphs.from_adjacency(np.array([[0, 1], [1, 0]]))
    with pytest.raises(cw.errors.DTypeError):
        graphs.as_dag([(1, 2)])
    with pytest.raises(GraphError):
        import networkx as nx

        graphs.as_dag(nx.Graph([("a", "b")]))
