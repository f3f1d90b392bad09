"""A two-variable world written only against the documented subclass contract, used by the tests
as "a user's own World": a static ``speed`` drives a time-varying ``pos`` drawn as a grey band
whose brightness carries a fixed-pattern render noise."""

from __future__ import annotations

from typing import Any, ClassVar

import networkx as nx
import torch

from causalworld.envs import Tolerance, World, WorldSpec
from causalworld.scm import SCM, LinearGaussian, UniformRoot


class Toy(World):
    name: ClassVar[str] = "toy"
    version: ClassVar[int] = 0
    default_frames: ClassVar[int] = 3
    channels: ClassVar[int] = 1
    config_defaults: ClassVar[dict[str, Any]] = {"step_noise": 0.01}

    def build(self) -> WorldSpec:
        T = self.frames
        g = nx.DiGraph()
        g.add_nodes_from(["speed", *(f"pos[{t}]" for t in range(T))])
        mechs: dict[str, Any] = {"speed": UniformRoot(-0.1, 0.1), "pos[0]": UniformRoot(0.2, 0.8)}
        for t in range(1, T):
            g.add_edges_from([(f"pos[{t - 1}]", f"pos[{t}]"), ("speed", f"pos[{t}]")])
            mechs[f"pos[{t}]"] = LinearGaussian(2, weight=[1.0, 1.0], noise_std=float(self.config["step_noise"]))
        truth = SCM(g, mechs, dtype=torch.float32, device=self.device)
        S = self.image_size
        return WorldSpec(truth=truth, intervenable={"speed": (-0.2, 0.2), "pos": (0.0, 1.0)},
                         depicted={"pos": Tolerance(1.5 / S, 0.0, 1.0)}, render_noise={"grain": (S,)})

    def draw(self, values, noise, out) -> None:
        n, T, C, H, W = out.shape
        cols = torch.arange(W, dtype=torch.float32, device=out.device)
        centre = values["pos"].clamp(0, 1)[..., None] * (W - 1)  # (n, T, 1)
        band = ((cols - centre).abs() <= 1.0).float()  # (n, T, W)
        level = 60.0 + 150.0 * band + 10.0 * noise["grain"].clamp(-2, 2)[:, None, :]
        out.copy_(level.round().to(torch.uint8)[:, :, None, None, :].expand(n, T, C, H, W))
