"""``Intervention``: values checked against a world's intervenable ranges by the world itself, the
``do`` mapping a rollout takes, soft shifts and scales, and the JSON round trip."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from causalworld.errors import (
    ArgumentError,
    CausalWorldError,
    DTypeError,
    InterventionError,
    NonFiniteError,
    OutOfRangeError,
    ShapeError,
    UnknownVariableError,
)
from interventions import Intervention, Scale, Shift


def test_hard_intervention_sets_the_value_in_a_rollout(lights):
    iv = Intervention.hard({"dimmer_red": 0.25, "switch_red": 1}).validate(lights)
    eps = lights.rollout(4, do=iv.to_do(), seed=0)
    assert bool((eps.values["dimmer_red"] == 0.25).all()) and bool((eps.values["switch_red"] == 1).all())
    assert eps.targets[:, [lights.variables.index(v) for v in iv.targets]].all()


def test_soft_shift_and_scale_change_the_mechanism_not_replace_it(lights):
    obs = lights.rollout(16, seed=1)
    shifted = lights.rollout(16, do=Intervention.shift({"ambient": 0.03}).to_do(), seed=1)
    scaled = lights.rollout(16, do=Intervention.scale({"ambient": 0.5}).to_do(), seed=1)
    assert torch.allclose(shifted.values["ambient"], obs.values["ambient"] + 0.03, atol=1e-6)
    assert torch.allclose(scaled.values["ambient"], obs.values["ambient"] * 0.5, atol=1e-6)
    assert Intervention.shift({"ambient": 0.03}).soft and not Intervention("ambient", 0.5).soft


def test_to_do_gives_numbers_or_callables():
    assert Intervention("x", 2).to_do() == {"x": 2}
    assert Intervention.shift({"x": 1.5}).to_do() == {"x": Shift(1.5)}
    assert Intervention.scale({"x": 3}).to_do() == {"x": Scale(3.0)}
    assert Intervention().to_do() == {} and not Intervention()


def test_validate_turns_discrete_values_into_codes(lights):
    iv = Intervention("switch_blue", 1.0).validate(lights)
    assert iv.values == (1,) and isinstance(iv.values[0], int)


def test_unknown_variable_suggests_a_name(lights):
    with pytest.raises(UnknownVariableError, match="did you mean 'ambient'"):
        Intervention("ambiant", 0.5).validate(lights)


def test_values_outside_intervenable_are_refused(lights):
    with pytest.raises(OutOfRangeError, match=r"\[0, 1\]"):
        Intervention("dimmer_red", 1.5).validate(lights)
    with pytest.raises(OutOfRangeError, match="codes"):
        Intervention("switch_red", 2).validate(lights)
    with pytest.raises(InterventionError, match="not intervenable"):
        Intervention("sensor", 0.1).validate(lights)
    with pytest.raises(InterventionError, match="discrete"):
        Intervention.shift({"switch_red": 1}).validate(lights)


def test_bad_types_and_shapes():
    with pytest.raises(DTypeError, match="number"):
        Intervention("x", "high")
    with pytest.raises(DTypeError):
        Intervention([3], [1.0])
    with pytest.raises(ShapeError, match="one value per target"):
        Intervention(["x", "y"], [1.0])
    with pytest.raises(ArgumentError, match="twice"):
        Intervention(["x", "x"], [1.0, 2.0])
    with pytest.raises(ArgumentError, match="did you mean 'shift'"):
        Intervention("x", 1.0, kind="shfit")
    with pytest.raises(NonFiniteError):
        Intervention("x", math.nan)
    for err in (DTypeError, ShapeError, ArgumentError, NonFiniteError):
        assert issubclass(err, CausalWorldError)


def test_json_errors_are_typed():
    with pytest.raises(ArgumentError, match="JSON"):
        Intervention.from_json("{not json")
    with pytest.raises(ArgumentError, match="lacks"):
        Intervention.from_json('{"targets": ["x"]}')
    with pytest.raises(ArgumentError, match="not an intervention"):
        Intervention.from_json('{"format": "something.else", "targets": [], "values": []}')
    with pytest.raises(DTypeError):
        Intervention.from_json("[1, 2]")


names = st.lists(st.text(alphabet="abcxyz_", min_size=1, max_size=6), min_size=0, max_size=4, unique=True)


@settings(max_examples=50, deadline=None)
@given(names=names, data=st.data())
def test_json_round_trip(names, data):
    kind = data.draw(st.sampled_from(["hard", "shift", "scale"]))
    values = data.draw(st.lists(st.one_of(st.integers(-5, 5), st.floats(-1e6, 1e6, allow_nan=False)),
                                min_size=len(names), max_size=len(names)))
    iv = Intervention(names, values, kind)
    back = Intervention.from_json(iv.to_json())
    assert back == iv and hash(back) == hash(iv)
    assert [type(v) for v in back.values] == [type(v) for v in iv.values]
