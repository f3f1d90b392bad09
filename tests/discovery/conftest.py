"""Shared data designs for the discovery tests: linear SCMs with observational rows and rows under
single-variable hard (or soft) interventions, the issue's 20-node MLP design, and brute-force
Markov equivalence classes (independent of the package's Meek-rule code)."""

from __future__ import annotations

import itertools

import networkx as nx
import pytest
import torch

import causalworld as cw


def interventional_design(seed: int, d: int = 8, n_obs: int = 500, n_int: int = 200, edges_per_node: float = 1.5):
    """``random_scm(d, edges_per_node, "linear")`` with ``n_obs`` observational rows and ``n_int``
    rows per single-variable hard intervention, targets drawn from N(0, 2^2)."""
    scm = cw.random_scm(d, edges_per_node=edges_per_node, mechanism="linear", seed=seed)
    parts = [scm.sample(n_obs, seed=1000 + seed)]
    targets: list[set[str]] = [set()] * n_obs
    g = torch.Generator().manual_seed(seed)
    for i, v in enumerate(scm.variables):
        values = 2.0 * torch.randn(n_int, generator=g)
        parts.append(scm.do({v: values}).sample(n_int, seed=2000 + 37 * seed + i))
        targets += [{v}] * n_int
    data = {v: torch.cat([p[v] for p in parts]).double() for v in scm.variables}
    return scm, data, targets


def nonlinear_design(seed: int, d: int = 20, n_obs: int = 500, n_int: int = 200):
    """``random_scm(d, edges_per_node=2, mechanism="mlp")`` with ``n_obs`` observational rows and
    ``n_int`` rows per single-variable hard intervention, target values drawn from N(0, 2^2)."""
    truth = cw.random_scm(d, edges_per_node=2, mechanism="mlp", seed=seed)
    gen = torch.Generator().manual_seed(seed)
    parts = [truth.sample(n_obs, seed=1000 + seed)]
    targets: list[set[str]] = [set()] * n_obs
    for i, v in enumerate(truth.variables):
        parts.append(truth.do({v: 2.0 * torch.randn(n_int, generator=gen)}).sample(n_int, seed=2000 + 37 * seed + i))
        targets += [{v}] * n_int
    data = {v: torch.cat([p[v] for p in parts]).double() for v in truth.variables}
    return truth, data, targets


def soft_design(seed: int, d: int = 8, n_obs: int = 500, n_int: int = 200, edges_per_node: float = 1.5,
                scale: float = 0.3):
    """As :func:`interventional_design` with soft interventions: ``do(v = scale * v)``, the
    mechanism of ``v`` scaled (noise included), its parents kept."""
    scm = cw.random_scm(d, edges_per_node=edges_per_node, mechanism="linear", seed=seed)
    parts = [scm.sample(n_obs, seed=1000 + seed)]
    targets: list[set[str]] = [set()] * n_obs
    for i, v in enumerate(scm.variables):
        parts.append(scm.do({v: lambda x: scale * x}).sample(n_int, seed=2000 + 37 * seed + i))
        targets += [{v}] * n_int
    data = {v: torch.cat([p[v] for p in parts]).double() for v in scm.variables}
    return scm, data, targets


def _v_structures(edges: set[tuple[str, str]]) -> set[tuple[str, str, str]]:
    parents: dict[str, set[str]] = {}
    for u, v in edges:
        parents.setdefault(v, set()).add(u)
    adj = edges | {(v, u) for u, v in edges}
    out = set()
    for v, ps in parents.items():
        for a, b in itertools.combinations(sorted(ps), 2):
            if (a, b) not in adj:
                out.add((a, v, b))
    return out


def brute_force_class(dag: nx.DiGraph, targets=()) -> tuple[set[tuple[str, str]], set[frozenset[str]]]:
    """(directed, undirected) edges of the (interventional) essential graph, by enumerating every
    orientation of the skeleton and keeping the acyclic ones with the same v-structures and the
    same orientation of every edge cut by a target set."""
    edges = sorted(dag.edges)
    vs = _v_structures(set(edges))
    cut = [(u, v) for u, v in edges if any((u in t) != (v in t) for t in targets)]
    members = []
    for flips in itertools.product((False, True), repeat=len(edges)):
        cand = {(v, u) if f else (u, v) for (u, v), f in zip(edges, flips)}
        if any(e not in cand for e in cut):
            continue
        g = nx.DiGraph(list(cand))
        g.add_nodes_from(dag.nodes)
        if not nx.is_directed_acyclic_graph(g) or _v_structures(cand) != vs:
            continue
        members.append(cand)
    directed = {e for e in edges if all(e in m for m in members)}
    undirected = {frozenset(e) for e in edges if e not in directed}
    return directed, undirected


@pytest.fixture(scope="session")
def design():
    return interventional_design


@pytest.fixture(scope="session")
def nonlinear():
    return nonlinear_design


@pytest.fixture(scope="session")
def soft():
    return soft_design


@pytest.fixture(scope="session")
def true_class():
    return brute_force_class
