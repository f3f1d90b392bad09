"""The getting-started pages run as written, and their answers match the simulator's truth.

Each page's ```python blocks are run in order, in one namespace, from an empty folder, as a
reader would paste them; then the names the page defines are checked against the model or world
that made the data.
"""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch

DOCS = Path(__file__).resolve().parents[2] / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def run_page(name: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Run the ```python blocks of ``docs/getting-started/<name>`` in order; return the namespace."""
    page = DOCS / "getting-started" / name
    blocks = BLOCK.findall(page.read_text())
    assert blocks, f"{page} has no python blocks"
    monkeypatch.chdir(folder)
    torch.set_num_threads(1)
    namespace: dict = {"__name__": "__docs__"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{page.name} block {i + 1}", "exec"), namespace)
    return namespace


def test_csv_page_answers_match_the_true_model(tmp_path, monkeypatch):
    ns = run_page("csv.md", tmp_path, monkeypatch)
    truth = ns["truth"]
    assert (tmp_path / "ice_cream.csv").exists() and (tmp_path / "ice_cream_model").is_dir()
    # the fitted weights are the true ones, to sampling error on 10,000 rows (sun and temperature are collinear:
    # the standard error of the sun -> ice_cream weight is about 0.03)
    names = list(truth.variables)
    learned = ns["model"].weights().loc[names, names].to_numpy()
    assert np.allclose(learned, truth.weights().loc[names, names].to_numpy(), atol=0.12)
    # seeing: the population slope of ice_cream on temperature, Cov / Var under the true model
    w = {("sun", "temperature"): 3.0, ("sun", "ice_cream"): 1.0, ("temperature", "ice_cream"): 2.0}
    var_sun, var_u = 0.25, 0.25
    var_t = w["sun", "temperature"] ** 2 * var_sun + var_u
    cov = w["sun", "ice_cream"] * w["sun", "temperature"] * var_sun + w["temperature", "ice_cream"] * var_t
    assert ns["seen"] == pytest.approx(cov / var_t, abs=0.05)  # 2.3: the sun mixed in
    # doing: the true effect of one degree is the weight 2
    assert ns["effect"] == pytest.approx(2.0, abs=0.08)
    assert abs(ns["seen"] - ns["effect"]) > 0.15
    # the counterfactual rows agree with the true model's, and the saved model answers the same
    assert ns["gap"] < 0.15
    assert list(ns["cf"]["temperature"]) == [0.0, 0.0, 0.0]
    again = ns["cw"].counterfactual_samples(ns["again"], {"temperature": lambda t: 0.0}, observed_data=ns["rows"])
    assert again.equals(ns["cf"])


def test_world_page_learns_the_true_graph_and_counterfactual(tmp_path, monkeypatch):
    ns = run_page("world.md", tmp_path, monkeypatch)
    world, learner = ns["world"], ns["learner"]
    assert set(learner.graph_.edges) == set(world.graph.edges)
    assert ns["effects"] == sorted(nx.descendants(world.graph, "x0")) and ns["effects"]
    # scored against the world's own counterfactual rollout (same noise, do(x0 := top of range))
    truth = world.counterfactual_rollout(ns["fresh"], {"x0": world.intervenable["x0"][1]})
    assert torch.equal(truth.values["x0"], ns["truth"].values["x0"])
    assert max(ns["error"].values()) < 0.1
