"""Background knowledge: reading it, checking it against itself and the variables, and the
allowed / required matrices the learners prune with."""

from __future__ import annotations

import networkx as nx
import pytest

from causalworld.discovery.knowledge import Knowledge
from causalworld.errors import ArgumentError, CyclicGraphError, DTypeError, UnknownVariableError

NAMES = ["a", "b", "c", "d"]


def test_allowed_matrix_applies_forbidden_edges_and_tiers():
    k = Knowledge(forbidden=[("a", "b")], tiers=[["a", "b"], ["c"]])
    a = k.allowed(NAMES)
    assert not a[0, 1] and a[1, 0]  # forbidden one way only
    assert not a[2, 0] and not a[2, 1] and a[0, 2]  # later tier cannot cause earlier
    assert a[3].sum() == 3 and a[:, 3].sum() == 3  # d has no tier: unconstrained
    assert not a.diagonal().any()
    assert Knowledge(tiers={"a": 1, "b": 0}).allowed(["a", "b"]).tolist() == [[False, False], [True, False]]


def test_required_matrix_and_violations():
    k = Knowledge(required=[("a", "c")], forbidden=[("b", "d")], tiers=[["a"], ["b", "c", "d"]])
    assert k.required_matrix(NAMES)[0, 2] and k.required_matrix(NAMES).sum() == 1
    g = nx.DiGraph([("b", "d"), ("c", "a")])
    found = k.violations(g)
    assert "b -> d is forbidden" in found
    assert any("tier 1 back to tier 0" in m for m in found)
    assert "a -> c is required but missing" in found
    assert k.violations([("a", "c")]) == []


def test_self_contradicting_knowledge_is_refused():
    with pytest.raises(ArgumentError, match="both required and forbidden"):
        Knowledge(forbidden=[("a", "b")], required=[("a", "b")]).check(NAMES)
    with pytest.raises(ArgumentError, match="tier"):
        Knowledge(required=[("b", "a")], tiers=[["a"], ["b"]]).check(NAMES)
    with pytest.raises(CyclicGraphError, match="cycle"):
        Knowledge(required=[("a", "b"), ("b", "a")]).check(NAMES)
    with pytest.raises(ArgumentError, match="self-loop"):
        Knowledge(forbidden=[("a", "a")]).check(NAMES)
    with pytest.raises(ArgumentError, match="one tier"):
        Knowledge(tiers=[["a"], ["a"]])


def test_unknown_names_and_bad_types_are_refused():
    with pytest.raises(UnknownVariableError, match="did you mean 'a'"):
        Knowledge(forbidden=[("aa", "b")]).check(["a", "b"])
    with pytest.raises(UnknownVariableError):
        Knowledge(tiers=[["zz"]]).check(NAMES)
    with pytest.raises(DTypeError):
        Knowledge(forbidden="ab")
    with pytest.raises(DTypeError):
        Knowledge(required=[("a", 1)])
    with pytest.raises(DTypeError):
        Knowledge(tiers={"a": "first"})


def test_merge_restrict_and_equality():
    k = Knowledge(forbidden=[("a", "b")]).merge(Knowledge(required=[("c", "d")], tiers={"a": 0}))
    assert k == Knowledge([("a", "b")], [("c", "d")], {"a": 0})
    assert k.restrict(["a", "b"]) == Knowledge([("a", "b")], None, {"a": 0})
    assert Knowledge().empty and not k.empty


def test_causallearn_background_knowledge_carries_everything():
    from causallearn.graph.GraphNode import GraphNode

    nodes = [GraphNode(n) for n in NAMES]
    bk = Knowledge(forbidden=[("a", "b")], required=[("c", "d")], tiers=[["a"], ["b"]]).to_causallearn(NAMES, nodes)
    assert bk.is_forbidden(nodes[0], nodes[1]) and bk.is_required(nodes[2], nodes[3])
    assert bk.is_forbidden(nodes[1], nodes[0])  # tier order
