"""Background knowledge for structure learning: forbidden edges, required edges and tiers.

A learner turns its ``forbidden`` / ``required`` / ``tiers`` settings into one :class:`Knowledge`
at fit time, checks it against the data's variables, and prunes its search with
:meth:`Knowledge.allowed` and :meth:`Knowledge.required_matrix`, so excluded parent sets are never
scored and the output never contradicts what the user knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from causalworld.errors import ArgumentError, CyclicGraphError, DTypeError, UnknownVariableError

__all__ = ["Knowledge"]

Edge = tuple[str, str]


def _edges(value: Any, what: str) -> tuple[Edge, ...]:
    if value is None:
        return ()
    if isinstance(value, nx.DiGraph):
        value = list(value.edges)
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise DTypeError(f"{what} must be a list of (parent, child) pairs, got {type(value).__name__}")
    out = []
    for e in value:
        if not (isinstance(e, (tuple, list)) and len(e) == 2 and all(isinstance(x, str) for x in e)):
            raise DTypeError(f"{what} must hold (parent, child) pairs of variable names; got {e!r}")
        out.append((e[0], e[1]))
    return tuple(dict.fromkeys(out))


def _tiers(value: Any) -> dict[str, int]:
    """``{name: tier}`` from a list of groups (earliest first) or a ``{name: tier}`` mapping."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        out = {}
        for k, t in value.items():
            if not isinstance(k, str) or isinstance(t, bool) or not isinstance(t, (int, np.integer)):
                raise DTypeError(f"tiers as a mapping must be {{name: int tier}}; got {k!r}: {t!r}")
            out[k] = int(t)
        return out
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise DTypeError(f"tiers must be a list of groups of names (earliest first) or a {{name: tier}} dict; got {value!r}")
    out = {}
    for t, group in enumerate(value):
        if isinstance(group, str):
            group = [group]
        for name in group:
            if not isinstance(name, str):
                raise DTypeError(f"tier {t} holds {name!r}; tiers hold variable names")
            if name in out:
                raise ArgumentError(f"{name!r} is in tier {out[name]} and tier {t}; put each variable in one tier")
            out[name] = t
    return out


class Knowledge:
    """What is known about the graph before looking at data.

    Parameters
    ----------
    forbidden
        ``(parent, child)`` edges that must not be in the output.
    required
        ``(parent, child)`` edges that must be in the output.
    tiers
        A list of groups of variable names, earliest first (``[["x[t-1]", "y[t-1]"], ["x", "y"]]``),
        or a ``{name: tier}`` dict: an edge from a later tier to an earlier one is forbidden. Edges
        inside a tier are allowed. Variables not named are unconstrained by tiers.

    Notes
    -----
    A variable ``u`` may be a parent of ``v`` iff ``(u, v)`` is not forbidden and
    ``tier(u) <= tier(v)`` (when both have tiers). :meth:`check` refuses knowledge that contradicts
    itself (a required edge that is forbidden, or against the tiers, or required edges that form a
    cycle) and names that are not variables.

    Examples
    --------
    >>> k = Knowledge(forbidden=[("y", "x")], tiers=[["x"], ["y", "z"]]).check(["x", "y", "z"])
    >>> k.allowed(["x", "y", "z"]).astype(int)
    array([[0, 1, 1],
           [0, 0, 1],
           [0, 1, 0]])
    >>> k.violations([("z", "x")])
    ['z -> x goes from tier 1 back to tier 0']
    """

    def __init__(self, forbidden: Any = None, required: Any = None, tiers: Any = None) -> None:
        self.forbidden: tuple[Edge, ...] = _edges(forbidden, "forbidden")
        self.required: tuple[Edge, ...] = _edges(required, "required")
        self.tiers: dict[str, int] = _tiers(tiers)

    def __repr__(self) -> str:
        return f"Knowledge(forbidden={list(self.forbidden)}, required={list(self.required)}, tiers={self.tiers})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Knowledge) and set(self.forbidden) == set(other.forbidden)
                and set(self.required) == set(other.required) and self.tiers == other.tiers)

    @property
    def empty(self) -> bool:
        """True when there is no knowledge at all.

        Examples
        --------
        >>> Knowledge().empty, Knowledge(tiers=[["x"], ["y"]]).empty
        (True, False)
        """
        return not (self.forbidden or self.required or self.tiers)

    def merge(self, other: "Knowledge") -> "Knowledge":
        """Both pieces of knowledge at once (tiers of ``other`` win for names in both).

        Examples
        --------
        >>> Knowledge(forbidden=[("y", "x")]).merge(Knowledge(required=[("x", "z")]))
        Knowledge(forbidden=[('y', 'x')], required=[('x', 'z')], tiers={})
        """
        return Knowledge(self.forbidden + other.forbidden, self.required + other.required, {**self.tiers, **other.tiers})

    def restrict(self, variables: Sequence[str]) -> "Knowledge":
        """The knowledge about ``variables`` only (edges naming other variables are dropped).

        Examples
        --------
        >>> Knowledge(forbidden=[("y", "x"), ("z", "x")]).restrict(["x", "y"])
        Knowledge(forbidden=[('y', 'x')], required=[], tiers={})
        """
        keep = set(variables)
        return Knowledge([e for e in self.forbidden if e[0] in keep and e[1] in keep],
                         [e for e in self.required if e[0] in keep and e[1] in keep],
                         {k: t for k, t in self.tiers.items() if k in keep})

    def check(self, variables: Sequence[str]) -> "Knowledge":
        """Check the names against ``variables`` and the knowledge against itself; returns self.

        Examples
        --------
        >>> Knowledge(required=[("x", "y")], forbidden=[("x", "y")]).check(["x", "y"])
        Traceback (most recent call last):
        ...
        causalworld.errors.ArgumentError: x -> y is both required and forbidden; drop one of them
        """
        known = list(variables)
        kset = set(known)
        for what, edges in (("forbidden", self.forbidden), ("required", self.required)):
            for u, v in edges:
                for name in (u, v):
                    if name not in kset:
                        raise UnknownVariableError.of(name, known, where=f"the data (a {what} edge)")
                if u == v:
                    raise ArgumentError(f"the {what} edge {u} -> {v} is a self-loop; name two different variables")
        for name in self.tiers:
            if name not in kset:
                raise UnknownVariableError.of(name, known, where="the data (tiers)")
        forb = set(self.forbidden)
        for u, v in self.required:
            if (u, v) in forb:
                raise ArgumentError(f"{u} -> {v} is both required and forbidden; drop one of them")
            if not self._tier_ok(u, v):
                raise ArgumentError(
                    f"{u} -> {v} is required but goes from tier {self.tiers[u]} back to tier {self.tiers[v]}; "
                    "fix the tiers or the required edge"
                )
        g = nx.DiGraph(list(self.required))
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            return self
        raise CyclicGraphError(
            "the required edges form a cycle " + " -> ".join([cycle[0][0]] + [e[1] for e in cycle])
            + "; a causal graph is acyclic: drop one of them"
        )

    def _tier_ok(self, u: str, v: str) -> bool:
        return u not in self.tiers or v not in self.tiers or self.tiers[u] <= self.tiers[v]

    def allowed(self, variables: Sequence[str]) -> np.ndarray:
        """Boolean ``[d, d]``: ``A[i, j]`` is True iff ``variables[i] -> variables[j]`` may be an edge
        (the diagonal is False).

        Examples
        --------
        >>> Knowledge(forbidden=[("y", "x")]).allowed(["x", "y"]).tolist()
        [[False, True], [False, False]]
        """
        names = list(variables)
        index = {v: i for i, v in enumerate(names)}
        d = len(names)
        a = ~np.eye(d, dtype=bool)
        if self.tiers:
            t = np.array([self.tiers.get(v, -1) for v in names])
            has = t >= 0
            back = has[:, None] & has[None, :] & (t[:, None] > t[None, :])
            a &= ~back
        for u, v in self.forbidden:
            if u in index and v in index:
                a[index[u], index[v]] = False
        return a

    def required_matrix(self, variables: Sequence[str]) -> np.ndarray:
        """Boolean ``[d, d]``: ``R[i, j]`` is True iff ``variables[i] -> variables[j]`` is required.

        Examples
        --------
        >>> Knowledge(required=[("y", "x")]).required_matrix(["x", "y"]).tolist()
        [[False, False], [True, False]]
        """
        names = list(variables)
        index = {v: i for i, v in enumerate(names)}
        r = np.zeros((len(names), len(names)), dtype=bool)
        for u, v in self.required:
            if u in index and v in index:
                r[index[u], index[v]] = True
        return r

    def violations(self, graph: Any) -> list[str]:
        """Every way ``graph`` (DiGraph or edge list; undirected edges as both directions)
        contradicts this knowledge, as readable strings; empty when it obeys it.

        Examples
        --------
        >>> Knowledge(required=[("x", "z")], tiers=[["x"], ["y"]]).violations([("y", "x")])
        ['y -> x goes from tier 1 back to tier 0', 'x -> z is required but missing']
        """
        edges = set(graph.edges) if isinstance(graph, nx.DiGraph) else set(map(tuple, graph))
        out = []
        for u, v in sorted(edges):
            if (u, v) in set(self.forbidden):
                out.append(f"{u} -> {v} is forbidden")
            elif not self._tier_ok(u, v):
                out.append(f"{u} -> {v} goes from tier {self.tiers[u]} back to tier {self.tiers[v]}")
        for u, v in self.required:
            if (u, v) not in edges:
                out.append(f"{u} -> {v} is required but missing")
        return out

    def to_causallearn(self, variables: Sequence[str], nodes: Sequence[Any]):
        """The knowledge as causal-learn's ``BackgroundKnowledge`` over its graph ``nodes``
        (one per variable, in the same order). Tiers become causal-learn tiers.

        Examples
        --------
        >>> from causallearn.graph.GraphNode import GraphNode
        >>> nodes = [GraphNode("x"), GraphNode("y")]
        >>> bk = Knowledge(forbidden=[("y", "x")]).to_causallearn(["x", "y"], nodes)
        >>> bk.is_forbidden(nodes[1], nodes[0]), bk.is_forbidden(nodes[0], nodes[1])
        (True, False)
        """
        from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge

        index = {v: i for i, v in enumerate(variables)}
        bk = BackgroundKnowledge()
        for u, v in self.forbidden:
            bk.add_forbidden_by_node(nodes[index[u]], nodes[index[v]])
        for u, v in self.required:
            bk.add_required_by_node(nodes[index[u]], nodes[index[v]])
        for name, t in self.tiers.items():
            bk.add_node_to_tier(nodes[index[name]], int(t))
        return bk
