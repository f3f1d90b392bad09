"""Latents against truth: each panel scatters exactly the named latent against its variable."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from causalworld.errors import DTypeError, ShapeError, UnknownVariableError
from causalworld.viz import latents_vs_truth


def test_each_named_latent_against_its_variable(tmp_path):
    x = np.linspace(0, 1, 20)
    y = np.linspace(-1, 1, 20)
    latents = pd.DataFrame({"x": 2 * x, "z0": y, "z1": -y})
    fig = latents_vs_truth(latents, {"x": torch.tensor(x), "y": y}, columns={"x": "x", "y": "z1"},
                           title="t", path=tmp_path / "l.png")
    assert [ax.get_title() for ax in fig.axes] == ["x", "y (z1)"]
    points = fig.axes[1].collections[0].get_offsets()
    assert np.allclose(points[:, 0], y) and np.allclose(points[:, 1], -y)
    assert (tmp_path / "l.png").stat().st_size > 2000
    # by default only the columns named after a variable are drawn
    assert [ax.get_title() for ax in latents_vs_truth(latents, {"x": x}).axes] == ["x"]


def test_bad_input():
    latents = pd.DataFrame({"x": np.zeros(5)})
    with pytest.raises(DTypeError):
        latents_vs_truth(np.zeros((5, 1)), {"x": np.zeros(5)})
    with pytest.raises(UnknownVariableError):
        latents_vs_truth(latents, {"y": np.zeros(5)})
    with pytest.raises(UnknownVariableError, match="did you mean 'x'"):
        latents_vs_truth(latents, {"x": np.zeros(5)}, columns={"x": "xx"})
    with pytest.raises(UnknownVariableError, match="true values"):
        latents_vs_truth(latents, {"x": np.zeros(5)}, columns={"q": "x"})
    with pytest.raises(ShapeError):
        latents_vs_truth(latents, {"x": np.zeros(4)})
