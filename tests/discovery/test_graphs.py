"""MixedGraph, the (interventional) essential graph by Meek's rules checked against brute-force
enumeration of the equivalence class, and consistent extensions."""

from __future__ import annotations

import networkx as nx
import pytest

import causalworld as cw
from causalworld.discovery.graphs import MixedGraph, consistent_extension, essential_graph, meek_closure
from causalworld.errors import DTypeError, GraphError


def _as_sets(g: MixedGraph):
    return set(g.directed), {frozenset(e) for e in g.undirected}


@pytest.mark.parametrize("seed", range(25))
def test_cpdag_matches_brute_force_enumeration(seed, true_class):
    dag = cw.random_dag(6, edges_per_node=1.5, seed=seed)
    assert _as_sets(essential_graph(dag)) == true_class(dag)


@pytest.mark.parametrize("seed", range(25))
def test_interventional_essential_graph_matches_brute_force(seed, true_class):
    dag = cw.random_dag(6, edges_per_node=1.5, seed=seed)
    nodes = sorted(dag.nodes)
    family = [set(), {nodes[seed % 6]}, {nodes[(seed + 2) % 6], nodes[(seed + 3) % 6]}]
    assert _as_sets(essential_graph(dag, family)) == true_class(dag, family)


def test_every_consistent_extension_is_in_the_class(true_class):
    for seed in range(10):
        dag = cw.random_dag(7, edges_per_node=1.5, seed=seed)
        ext = consistent_extension(essential_graph(dag))
        assert nx.is_directed_acyclic_graph(ext)
        assert _as_sets(essential_graph(ext)) == _as_sets(essential_graph(dag))


def test_extension_of_an_inconsistent_pattern_is_none():
    # a -- b -- c -- d -- a cycle of four undirected edges has no extension without a new v-structure
    square = MixedGraph("abcd", undirected=[("a", "b"), ("b", "c"), ("c", "d"), ("d", "a")])
    assert consistent_extension(square) is None


def test_meek_rule_three():
    g = MixedGraph("abcd", directed=[("c", "b"), ("d", "b")], undirected=[("a", "b"), ("a", "c"), ("a", "d")])
    assert ("a", "b") in meek_closure(g).directed


def test_known_orientations_propagate():
    chain = nx.DiGraph([("a", "b"), ("b", "c")])
    assert essential_graph(chain, known=[("a", "b")]).directed == {("a", "b"), ("b", "c")}


def test_mixed_graph_round_trips_and_refuses_bad_edges():
    g = MixedGraph(["a", "b", "c"], directed=[("a", "b")], undirected=[("c", "b")], bidirected=[("a", "c")])
    nxg = g.to_networkx()
    assert nxg["a"]["c"]["kind"] == "bidirected" and nxg["b"]["c"]["kind"] == "undirected"
    assert MixedGraph.from_networkx(nxg) == g
    assert g.adjacency().sum() == 5 and not g.is_dag
    assert MixedGraph.from_dag(nx.DiGraph([("a", "b")])).is_dag
    with pytest.raises(GraphError, match="at most one edge"):
        MixedGraph("ab", directed=[("a", "b")], undirected=[("a", "b")])
    with pytest.raises(GraphError, match="not a node"):
        MixedGraph("ab", directed=[("a", "z")])
    with pytest.raises(GraphError, match="self-loop"):
        MixedGraph("ab", directed=[("a", "a")])
    with pytest.raises(DTypeError):
        MixedGraph("ab", directed=["ab c"])
    with pytest.raises(GraphError, match="DAG"):
        essential_graph(nx.DiGraph([("a", "b"), ("b", "a")]))
