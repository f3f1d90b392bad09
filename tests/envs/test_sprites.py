"""The sprites world: attributes from a random SCM, a one-to-one additive drawing, drifting positions."""

from __future__ import annotations

import pytest
import torch

import causalworld as cw
from causalworld.envs.sprites import ATTRIBUTES, SHAPES, _hue_to_rgb
from causalworld.errors import ArgumentError, OutOfRangeError


def test_attributes_follow_the_random_scm_it_names():
    world = cw.make("sprites", image_size=32, n_objects=5, edges_per_node=1.5, graph_seed=4)
    base = cw.random_scm(20, edges_per_node=1.5, seed=4)
    assert set(world.variables) == {f"{a}{k}" for k in range(5) for a in ATTRIBUTES}
    assert world.graph.number_of_edges() == base.graph.number_of_edges()
    rename = {f"x{4 * k + i}": f"{a}{k}" for k in range(5) for i, a in enumerate(ATTRIBUTES)}
    assert {(rename[a], rename[b]) for a, b in base.graph.edges} == set(world.graph.edges)
    assert cw.make("sprites", graph_seed=4, n_objects=5, edges_per_node=1.5).graph.edges == world.graph.edges


def test_positions_drift_over_frames_and_every_frame_differs():
    world = cw.make("sprites", image_size=32, n_objects=2, frames=4)
    assert set(world.time_varying) == {"x0", "y0", "x1", "y1"}
    eps = world.rollout(8, seed=0)
    f = eps.frames.flatten(2)
    assert not (f[:, 1:] == f[:, :-1]).all(-1).any()  # distinct consecutive frames
    assert world.truth.graph.has_edge("x0[0]", "x0[1]")


def test_drawing_is_additive_and_never_saturates():
    world = cw.make("sprites", image_size=32, n_objects=8)
    # pile every object on the same spot at full size: channels add up to at most 254
    n = 4
    values = {v: torch.full((n,), world.intervenable[v][1]) for v in world.variables}
    for k in range(8):
        values[f"x{k}"] = values[f"y{k}"] = torch.full((n,), (sum(world.intervenable[f"x{k}"]) / 2))
    frames = world.render(values)
    assert int(frames.max()) <= 254 and int(frames.min()) == 20


def test_object_identity_is_its_shape():
    world = cw.make("sprites", image_size=32, n_objects=6)
    assert world._shapes == tuple(SHAPES[k % 4] for k in range(6))


def test_hue_colours():
    rgb = _hue_to_rgb(torch.tensor([0.0, 1 / 6, 1 / 3, 2 / 3]))
    assert torch.allclose(rgb, torch.tensor([[1.0, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]]))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_renders_like_cpu():
    cpu = cw.make("sprites", image_size=32)
    gpu = cw.make("sprites", image_size=32, device="cuda")
    eps = cpu.rollout(16, seed=0)
    diff = (gpu.render({v: t.cuda() for v, t in eps.values.items()}).cpu().int() - eps.frames.int()).abs()
    assert int(diff.max()) <= 1


def test_bad_config():
    with pytest.raises(OutOfRangeError):
        cw.make("sprites", image_size=8)
    with pytest.raises(OutOfRangeError):
        cw.make("sprites", n_objects=0)
    with pytest.raises(ArgumentError):
        cw.make("sprites", mechanism="discrete")
