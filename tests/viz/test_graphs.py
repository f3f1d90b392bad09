"""Causal graph figures: a world's graph with what is depicted and intervenable, or any DAG."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from PIL import Image

import causalworld as cw
from causalworld.errors import DTypeError, GraphError
from causalworld.viz import draw_graph
from causalworld.viz.graphs import layered_layout


def test_world_graph_png(tmp_path):
    torch.set_num_threads(1)
    world = cw.make("lights", image_size=16, frames=2)
    fig = draw_graph(world, path=tmp_path / "g.png")
    ax = fig.axes[0]
    labels = {t.get_text() for t in ax.texts}
    assert {"ambient", "angle[t]", "sensor[t]", "spin"} <= labels
    img = np.asarray(Image.open(tmp_path / "g.png").convert("RGB"))
    assert img.std() > 10 and (tmp_path / "g.png").stat().st_size > 5000


def test_layout_puts_causes_above_effects():
    g = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")])
    pos = layered_layout(g)
    assert pos["a"][1] > pos["b"][1] > pos["c"][1]
    with pytest.raises(GraphError):
        layered_layout(nx.DiGraph([("a", "b"), ("b", "a")]))


def test_any_dag_or_scm():
    assert draw_graph(cw.random_scm(5, seed=0)).axes[0].get_title() == ""
    assert draw_graph(nx.DiGraph([("x", "y")]), title="t").axes[0].get_title() == "t"
    with pytest.raises(DTypeError):
        draw_graph([("x", "y")])


def test_cyclic_summary_graph_is_drawn_on_a_circle(tmp_path):
    import causalworld as cw
    from causalworld.viz import draw_graph

    world = cw.make("billiards", image_size=16, frames=3)
    assert not __import__("networkx").is_directed_acyclic_graph(world.graph)
    out = tmp_path / "billiards.png"
    fig = draw_graph(world, path=out)
    assert out.stat().st_size > 2000 and fig.axes[0].get_title() == world.id
