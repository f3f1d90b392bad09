"""The World base class against its truth: do semantics, per-episode interventions, counterfactual
rollouts, rendering, unrolled time-varying variables, and clear errors on bad input."""

from __future__ import annotations

import math

import networkx as nx
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import causalworld as cw
from causalworld.envs.world import split_unrolled
from causalworld.errors import (
    ArgumentError,
    CausalWorldError,
    GraphError,
    DeviceError,
    DTypeError,
    InterventionError,
    MissingVariableError,
    NonFiniteError,
    OutOfRangeError,
    ShapeError,
    UnknownVariableError,
)
from causalworld.scm import LinearGaussian, UniformRoot
from tests.envs.toyworld import Toy


def _non_descendants(world, v):
    first = world.first(v)
    return [u for u in world.truth.variables if u != first and u not in nx.descendants(world.truth.graph, first)]


@pytest.mark.parametrize("variable", ["dimmer_red", "switch_blue", "ambient", "spin", "angle"])
def test_do_sets_the_value_and_leaves_non_descendants_as_observed(lights, variable):
    obs = lights.rollout(32, seed=4)
    value = {"dimmer_red": 0.05, "switch_blue": 1, "ambient": 0.9, "spin": -0.4, "angle": 2.0}[variable]
    exp = lights.rollout(32, seed=4, do={variable: value})
    got = exp.values[variable][:, 0] if variable in lights.time_varying else exp.values[variable]
    assert torch.allclose(got.double(), torch.full((32,), float(value), dtype=torch.float64), atol=1e-6)
    o, e = lights.unroll(obs.values), lights.unroll(exp.values)
    kept = _non_descendants(lights, variable)
    assert kept, "every probe has non-descendants"
    for u in kept:
        assert torch.equal(o[u], e[u]), u
    # and the intervention did reach its children (where a child exists and depends on it)
    children = list(lights.truth.graph.successors(lights.first(variable)))
    assert any(not torch.equal(o[c], e[c]) for c in children)


def test_switch_off_makes_the_lamp_dark_whatever_the_dimmer(lights):
    exp = lights.rollout(64, seed=0, do={"switch_green": 0})
    # lamp = switch * dimmer * (1 - 0.5 ambient) + N(0, 0.02^2): only the noise is left
    assert exp.values["lamp_green"].abs().max() < 0.1
    on = lights.rollout(64, seed=0, do={"switch_green": 1, "dimmer_green": 1.0})
    expect = 1.0 - 0.5 * on.values["ambient"]
    assert (on.values["lamp_green"] - expect).abs().max() < 0.1


def test_time_varying_do_sets_the_first_step_and_dynamics_follow(lights):
    eps = lights.rollout(16, seed=2, do={"angle": 1.0, "spin": 0.2})
    angle = eps.values["angle"]
    assert angle.shape == (16, lights.frames)
    assert torch.allclose(angle[:, 0], torch.tensor(1.0))
    steps = angle[:, 1:] - angle[:, :-1]  # angle[t] = angle[t-1] + spin + N(0, 0.01^2)
    assert (steps - 0.2).abs().max() < 0.06
    assert set(eps.target_sets()[0]) == {"angle", "spin"}


def test_per_episode_interventions_mix_experiments_in_one_batch(lights):
    do = [{"switch_red": 1}, {}, {"dimmer_blue": 0.3, "ambient": 0.1}, None]
    mixed = lights.rollout(4, seed=9, do=do)
    assert [sorted(s) for s in mixed.target_sets()] == [["switch_red"], [], ["ambient", "dimmer_blue"], []]
    obs = lights.rollout(4, seed=9)
    for i in (1, 3):
        assert torch.equal(mixed.frames[i], obs.frames[i])
    one = lights.rollout(4, seed=9, do={"dimmer_blue": 0.3, "ambient": 0.1})
    assert torch.equal(mixed.frames[2], one.frames[2])
    assert int(mixed.values["switch_red"][0]) == 1


def test_per_episode_values_as_a_tensor(lights):
    vals = torch.tensor([0.1, 0.5, 0.9])
    eps = lights.rollout(3, seed=0, do={"ambient": vals})
    assert torch.allclose(eps.values["ambient"], vals)


def test_same_seed_same_video_and_world_stream_is_seeded():
    a = cw.make("lights", image_size=16, frames=2, seed=5)
    b = cw.make("lights", image_size=16, frames=2, seed=5)
    first, second = a.rollout(3), a.rollout(3)
    assert torch.equal(first.frames, b.rollout(3).frames)
    assert torch.equal(second.frames, b.rollout(3).frames)
    assert not torch.equal(first.frames, second.frames)


@pytest.mark.parametrize("world_id", ["lights", "sprites"])
def test_counterfactual_rollout_replays_the_noise(world_id, lights, sprites):
    world = lights if world_id == "lights" else sprites
    eps = world.rollout(8, seed=3, do=[{world.variables[0]: world.intervenable[world.variables[0]][0]}] + [{}] * 7)
    same = world.counterfactual_rollout(eps, {})
    assert torch.equal(same.frames, eps.frames) and torch.equal(same.targets, eps.targets)
    v = next(v for v in world.intervenable if v != world.variables[0])
    lo = world.intervenable[v][0]
    cf = world.counterfactual_rollout(eps, {v: lo})
    direct = world.rollout(8, seed=3, do=[{world.variables[0]: world.intervenable[world.variables[0]][0], v: lo}]
                           + [{v: lo}] * 7)
    assert torch.equal(cf.frames, direct.frames)


def test_counterfactual_rollout_agrees_with_the_truths_own_counterfactual(lights):
    """The world replays noise; the SCM core abducts it from the observed values: same answer."""
    eps = lights.rollout(32, seed=7)
    cf = lights.counterfactual_rollout(eps, {"dimmer_red": 0.9, "ambient": 0.2})
    observed = lights.unroll(eps.values)
    truth_cf = lights.truth.counterfactual(observed, {"dimmer_red": 0.9, "ambient": 0.2}, seed=0)
    mine = lights.unroll(cf.values)
    for u in lights.truth.variables:
        assert torch.allclose(mine[u].double(), truth_cf[u].double(), atol=1e-4), u


@pytest.mark.parametrize("world_id", ["lights", "sprites"])
def test_world_propagation_equals_the_truths_do_from_noise(world_id, lights, sprites):
    world = lights if world_id == "lights" else sprites
    v = next(iter(world.intervenable))
    x = world.intervenable[v][-1]
    eps = world.rollout(16, seed=1, do={v: x})
    truth_noise = {u: eps.noise[u] for u in world.truth.variables}
    ref = world.truth.do({world.first(v): x}).from_noise(truth_noise)
    mine = world.unroll(eps.values)
    for u in world.truth.variables:
        assert torch.allclose(mine[u].double(), ref[u].double(), atol=1e-5), u


def test_summary_graph_and_unrolled_names(lights):
    assert set(lights.time_varying) == {"angle", "sensor"}
    assert lights.unrolled("angle") == tuple(f"angle[{t}]" for t in range(lights.frames))
    assert set(lights.graph.predecessors("angle")) == {"spin"}  # its own past is in truth.graph only
    assert lights.truth.graph.has_edge("angle[0]", "angle[1]")
    assert all(split_unrolled(u)[0] in lights.variables for u in lights.truth.variables)
    assert lights.depicted == tuple(v for v in lights.variables if v in lights.tolerances)


class _Echo(Toy):
    """Toy with one more variable, ``echo`` (static, or time-varying when the edge names
    ``echo[t]``), set by ``pos`` through ``edge``: a truth to check the contract's time order."""

    edge = ("pos[1]", "echo")

    def build(self):
        spec = super().build()
        g = spec.truth.graph.copy()
        mechs = dict(spec.truth.mechanisms)
        names = ["echo"] if self.edge[1] == "echo" else [f"echo[{t}]" for t in range(self.frames)]
        for name in names:
            g.add_node(name)
            mechs[name] = UniformRoot(0.0, 1.0)
        g.add_edge(*self.edge)
        mechs[self.edge[1]] = LinearGaussian(1, weight=[1.0], noise_std=0.1)
        spec.truth = cw.SCM(g, mechs, dtype=torch.float32, device=self.device)
        return spec


@pytest.mark.parametrize("edge, refused", [
    (("pos[1]", "echo"), r"static 'echo' has the parent 'pos\[1\]'.*first frame"),
    (("pos[2]", "echo[0]"), r"'pos\[2\]' -> 'echo\[0\]'.*later frame to an earlier one"),
    (("pos[0]", "echo"), None),  # the first frame may set a static value
])
def test_time_runs_forward_in_a_worlds_truth(edge, refused):
    world_class = type("Echo", (_Echo,), {"edge": edge})
    if refused is None:
        assert world_class(image_size=16, frames=3).truth.graph.has_edge(*edge)
    else:
        with pytest.raises(GraphError, match=refused):
            world_class(image_size=16, frames=3)


def test_render_draws_any_values_and_only_depicted_ones_matter(lights):
    eps = lights.rollout(4, seed=0)
    assert torch.equal(lights.render(eps.values, eps.noise), eps.frames)
    depicted_only = {v: eps.values[v] for v in lights.depicted}
    assert torch.equal(lights.render(depicted_only), eps.frames)
    changed = dict(eps.values, ambient=torch.full((4,), 0.99))
    assert not torch.equal(lights.render(changed), eps.frames)


def test_render_noise_is_part_of_the_episode_and_replayed():
    toy = Toy(image_size=16, frames=3)
    eps = toy.rollout(5, seed=1)
    assert eps.noise["render:grain"].shape == (5, 16)
    assert torch.equal(toy.render(eps.values, eps.noise), eps.frames)
    assert not torch.equal(toy.render(eps.values), eps.frames)  # without noise: a plain drawing
    assert torch.equal(toy.counterfactual_rollout(eps, {}).frames, eps.frames)


def test_truth_saves_and_loads_with_its_custom_physics(tmp_path, lights):
    lights.truth.save(tmp_path / "truth")
    back = cw.SCM.load(tmp_path / "truth")
    a, b = lights.truth.sample(64, seed=3), back.sample(64, seed=3)
    for u in lights.truth.variables:
        assert torch.allclose(a[u].double(), b[u].double(), atol=1e-6), u


# ---------------------------------------------------------------------------- bad input
def test_unknown_variable_suggests(lights):
    with pytest.raises(UnknownVariableError, match="did you mean 'ambient'"):
        lights.rollout(2, do={"ambiant": 0.5})


def test_out_of_range_and_not_intervenable(lights):
    with pytest.raises(OutOfRangeError, match=r"outside the range \[0, 1\] of 'dimmer_red'"):
        lights.rollout(2, do={"dimmer_red": 1.5})
    with pytest.raises(OutOfRangeError, match="codes"):
        lights.rollout(2, do={"switch_red": 2})
    with pytest.raises(OutOfRangeError):
        lights.rollout(2, do=[{"switch_red": 0.5}, {}])
    with pytest.raises(InterventionError, match="not intervenable"):
        lights.rollout(2, do={"sensor": 0.5})
    with pytest.raises(InterventionError, match="callable"):  # soft interventions are for continuous variables
        lights.rollout(2, do={"switch_red": lambda x: x})


def test_wrong_batch_lengths(lights):
    with pytest.raises(ShapeError, match="list of 3 interventions but the batch has 2"):
        lights.rollout(2, do=[{}, {}, {}])
    with pytest.raises(ShapeError, match="one value per episode"):
        lights.rollout(2, do={"ambient": torch.tensor([0.1, 0.2, 0.3])})
    with pytest.raises(ShapeError):
        lights.rollout(0)
    eps = lights.rollout(3, seed=0)
    with pytest.raises(ShapeError, match="rows"):
        lights.render({v: t[: 2 if v == "ambient" else 3] for v, t in eps.values.items()})
    with pytest.raises(ShapeError, match=r"\[n, T\]"):
        lights.render(dict(eps.values, angle=eps.values["angle"][:, :2]))


def test_wrong_device_and_types(lights):
    with pytest.raises(DeviceError, match="meta"):
        lights.rollout(2, do={"ambient": torch.zeros(2, device="meta")})
    eps = lights.rollout(2, seed=0)
    with pytest.raises(DeviceError):
        lights.render(dict(eps.values, ambient=torch.zeros(2, device="meta")))
    with pytest.raises(DTypeError):
        lights.rollout(2, do="ambient=0.5")
    with pytest.raises(DTypeError):
        lights.rollout(2, do=[{}, 3])
    with pytest.raises(MissingVariableError, match="lamp_red"):
        lights.render({"ambient": eps.values["ambient"]})


def test_counterfactual_needs_the_episodes_noise(lights):
    eps = lights.rollout(2, seed=0)
    bare = cw.Episodes.from_arrays(eps.frames, values={v: eps.values[v] for v in lights.variables})
    with pytest.raises(CausalWorldError, match="noise"):
        lights.counterfactual_rollout(bare, {})
    with pytest.raises(DTypeError):
        lights.counterfactual_rollout(eps.frames, {})


def test_every_bad_input_error_is_a_causalworld_error(lights):
    for bad in ({"nope": 1}, {"dimmer_red": -3.0}, {"sensor": 0.2}, {"ambient": math.nan}):
        with pytest.raises(CausalWorldError):
            lights.rollout(2, do=bad)


def test_soft_shift_adds_to_what_the_mechanism_gives_and_keeps_the_noise(lights):
    obs = lights.rollout(32, seed=5)
    soft = lights.rollout(32, seed=5, do={"ambient": lambda x: x + 0.02})
    assert torch.allclose(soft.values["ambient"], obs.values["ambient"] + 0.02, atol=1e-6)
    assert bool(soft.targets[:, lights.variables.index("ambient")].all())
    # the shift reaches the children through their own mechanisms: the truth's soft do agrees
    truth = lights.truth.do({"ambient": lambda x: x + 0.02}).from_noise(
        {v: soft.noise[v] for v in lights.truth.variables})
    for u, t in lights.unroll(soft.values).items():
        assert torch.allclose(t.double(), truth[u].double(), atol=1e-5), u


def test_soft_scale_per_episode_mixed_with_hard_and_observational(lights):
    obs = lights.rollout(3, seed=6)
    half = lambda x: 0.5 * x  # noqa: E731 - a soft intervention: scale the mechanism
    eps = lights.rollout(3, seed=6, do=[{"dimmer_red": half}, {"dimmer_red": 0.9}, {}])
    got = eps.values["dimmer_red"]
    assert torch.allclose(got, torch.stack([0.5 * obs.values["dimmer_red"][0], torch.tensor(0.9), obs.values["dimmer_red"][2]]))
    assert eps.targets[:, lights.variables.index("dimmer_red")].tolist() == [True, True, False]


def test_soft_result_is_clipped_to_the_intervenable_range(lights):
    eps = lights.rollout(16, seed=7, do={"dimmer_blue": lambda x: x + 5.0})
    assert bool((eps.values["dimmer_blue"] == 1.0).all())


def test_counterfactual_rollout_under_a_soft_intervention(lights):
    eps = lights.rollout(8, seed=8, do=[{"ambient": 0.3}] * 4 + [{}] * 4)
    cf = lights.counterfactual_rollout(eps, [{}] * 4 + [{"ambient": lambda x: x * 0.5}] * 4)
    assert torch.allclose(cf.values["ambient"][:4], eps.values["ambient"][:4])  # the episodes' own do kept
    assert torch.allclose(cf.values["ambient"][4:], 0.5 * eps.values["ambient"][4:])
    replay = lights.rollout(8, seed=8, do=[{"ambient": 0.3}] * 4 + [{"ambient": lambda x: x * 0.5}] * 4)
    for v in lights.variables:
        assert torch.allclose(cf.values[v].double(), replay.values[v].double(), atol=1e-6), v


def test_soft_intervention_errors(lights):
    with pytest.raises(InterventionError, match="raised"):
        lights.rollout(2, do=[{"ambient": lambda x: x["nope"]}, {}])
    with pytest.raises(InterventionError, match="NaN"):
        lights.rollout(2, do={"ambient": lambda x: x * float("nan")})
    with pytest.raises(InterventionError, match="not intervenable"):
        lights.rollout(2, do={"lamp_red": lambda x: x + 0.1})


# -- settings and replayed noise are checked, never passed on as NaN ------------------------------
@pytest.mark.parametrize("fade, error", [(float("nan"), NonFiniteError), (float("inf"), NonFiniteError),
                                         ("x", ArgumentError), (None, ArgumentError)])
def test_a_numeric_setting_must_be_a_finite_number(fade, error):
    with pytest.raises(error, match="lights-v0 setting fade="):
        cw.make("lights", image_size=8, fade=fade)


def test_counterfactual_rollout_refuses_episodes_with_nan_noise():
    world = cw.make("lights", image_size=8, frames=2, seed=0)
    eps = world.rollout(2)
    eps.noise["ambient"][0] = float("nan")  # an edited episode
    with pytest.raises(NonFiniteError, match="noise 'ambient'"):
        world.counterfactual_rollout(eps, {"ambient": 0.5})


@settings(derandomize=True, database=None, max_examples=15, deadline=None)
@given(fade=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=2), st.none(),
                      st.complex_numbers(max_magnitude=2), st.sampled_from([0.0, 1.0, 2, 1e300])))
def test_any_setting_gives_a_finite_world_or_a_typed_error(fade):
    try:
        world = cw.make("lights", image_size=8, frames=1, seed=0, fade=fade)
    except CausalWorldError:
        return
    eps = world.rollout(2, seed=0)
    assert all(bool(torch.isfinite(t).all()) for t in eps.values.values() if t.dtype.is_floating_point)


# ------------------------------------------------------------------ memory limits
def test_rollouts_and_renders_too_large_for_memory_are_refused_before_drawing(lights):
    import time

    from causalworld.errors import MemoryLimitError

    start = time.perf_counter()
    with pytest.raises(MemoryLimitError, match=r"rollout\(n=1099511627776\).*PiB.*episodes at a time.*image_size"):
        lights.rollout(2**40, seed=0)
    assert time.perf_counter() - start < 0.5


def test_a_render_too_large_for_the_limit_is_refused_before_drawing(lights, monkeypatch):
    from causalworld.errors import MemoryLimitError
    from causalworld.memory import MAX_BYTES_ENV

    values = {v: t.expand(10_000, *t.shape[1:]) for v, t in lights.rollout(1, seed=0).values.items()}  # views
    monkeypatch.setenv(MAX_BYTES_ENV, "1M")  # 10 000 episodes of 4 frames of 3 x 16 x 16 bytes: 30 MB
    with pytest.raises(MemoryLimitError, match="render of 10000 episode"):
        lights.render(values)


def test_the_memory_override_limits_and_allows_rollouts(lights, monkeypatch):
    from causalworld.errors import MemoryLimitError
    from causalworld.memory import MAX_BYTES_ENV

    expected = lights.rollout(2, seed=5)
    monkeypatch.setenv(MAX_BYTES_ENV, "1k")  # two episodes of frames are more
    with pytest.raises(MemoryLimitError, match=f"raise {MAX_BYTES_ENV}"):
        lights.rollout(2, seed=5)
    monkeypatch.setenv(MAX_BYTES_ENV, "1G")
    assert torch.equal(lights.rollout(2, seed=5).frames, expected.frames)
