"""A tiny world for the policy tests: ``x -> y`` (linear Gaussian, equal noise, so observational
data cannot orient the edge) and an unrelated ``z``, all three intervenable, nothing drawn."""

from __future__ import annotations

from typing import Any, ClassVar

import networkx as nx
import torch

from causalworld.envs import World, WorldSpec
from causalworld.scm import SCM, GaussianRoot, LinearGaussian


class Pair(World):
    name: ClassVar[str] = "pair"
    version: ClassVar[int] = 0
    default_frames: ClassVar[int] = 1
    channels: ClassVar[int] = 1
    config_defaults: ClassVar[dict[str, Any]] = {}

    def build(self) -> WorldSpec:
        g = nx.DiGraph([("x", "y")])
        g.add_node("z")
        mechs = {"x": GaussianRoot(0.0, 1.0), "y": LinearGaussian(1, weight=[0.8], noise_std=0.6), "z": GaussianRoot(0.0, 1.0)}
        truth = SCM(g, mechs, dtype=torch.float32, device=self.device)
        return WorldSpec(truth=truth, intervenable={"x": (-3.0, 3.0), "y": (-3.0, 3.0), "z": (-3.0, 3.0)}, depicted={})

    def draw(self, values, noise, out) -> None:
        out.zero_()
