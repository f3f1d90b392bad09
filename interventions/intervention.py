"""``Intervention``: what the experimenter does to a world in one experiment, as plain data.

A policy proposes these, the :class:`~interventions.experiment.Experiment` turns each into the
``{variable: value or callable}`` mapping ``world.rollout(do=...)`` takes (:meth:`Intervention.to_do`),
and the run's records store them as JSON. An intervention knows nothing of any world until it is
checked against one (:meth:`Intervention.validate`); the world itself narrows the values to its
``intervenable`` ranges, so there is one parser of values, not two.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalworld.errors import ArgumentError, DTypeError, NonFiniteError, ShapeError, suggest

__all__ = ["Intervention", "Shift", "Scale", "KINDS"]

KINDS = ("hard", "shift", "scale")
"""The kinds of :class:`Intervention`: set the value, add to it, or multiply it."""
FORMAT = "interventions.intervention"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Shift:
    """A soft intervention that adds ``by`` to the value a variable would have taken.

    Examples
    --------
    >>> Shift(0.25)(torch.tensor([0.5, 1.0]))
    tensor([0.7500, 1.2500])
    """

    by: float

    def __call__(self, would_be: Any) -> Any:
        return would_be + self.by


@dataclass(frozen=True)
class Scale:
    """A soft intervention that multiplies the value a variable would have taken by ``factor``.

    Examples
    --------
    >>> Scale(0.5)(torch.tensor([0.5, 1.0]))
    tensor([0.2500, 0.5000])
    """

    factor: float

    def __call__(self, would_be: Any) -> Any:
        return would_be * self.factor


def _number(value: Any, where: str) -> int | float:
    """A plain Python int or float from a number; a typed error for anything else."""
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        v = float(value)
        if not math.isfinite(v):
            raise NonFiniteError(f"{where} is {v}; intervention values must be finite numbers")
        return v
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # a 0-d tensor or array
        return _number(value.item(), where)
    raise DTypeError(f"{where} is a {type(value).__name__} ({value!r}); give a number")


@dataclass(frozen=True, init=False)
class Intervention:
    """An experiment on one or more variables: set them (hard), or shift or scale their mechanisms (soft).

    A hard intervention ``do(x := v)`` replaces ``x``'s mechanism by the constant ``v``. A soft one
    keeps the mechanism and changes its output: ``kind="shift"`` adds ``v`` to the value ``x``
    would have taken, ``kind="scale"`` multiplies it by ``v`` (soft interventions apply to
    continuous variables only; a world clips their result to the variable's intervenable range).
    No targets is the observational "experiment" (nothing done). Frozen and hashable, so it can
    key a cache; equal interventions compare equal.

    Parameters
    ----------
    targets : str or sequence of str
        The world variables intervened on, each once.
    values : number or sequence of numbers
        One value per target: the set value (``"hard"``; a discrete variable takes an int code),
        the shift or the scale factor.
    kind : {"hard", "shift", "scale"}, default="hard"
        What the values mean.

    Attributes
    ----------
    targets : tuple of str
    values : tuple of int or float
    kind : str

    Raises
    ------
    DTypeError
        A target that is not a string, or a value that is not a number.
    NonFiniteError
        A NaN or infinite value.
    ShapeError
        Not one value per target.
    ArgumentError
        A target named twice, or an unknown ``kind`` (with a did-you-mean).

    Examples
    --------
    >>> iv = Intervention("dimmer_red", 0.3)
    >>> iv
    Intervention(do(dimmer_red=0.3))
    >>> iv.to_do()
    {'dimmer_red': 0.3}
    >>> soft = Intervention.shift({"ambient": 0.1})
    >>> soft.to_do()
    {'ambient': Shift(by=0.1)}
    >>> Intervention.from_json(soft.to_json()) == soft
    True
    """

    targets: tuple[str, ...]
    values: tuple[int | float, ...]
    kind: str

    def __init__(self, targets: str | Sequence[str] = (), values: Any = (), kind: str = "hard") -> None:
        if isinstance(targets, str):
            targets = (targets,)
            values = (values,) if not isinstance(values, (list, tuple)) else values
        if not isinstance(targets, (list, tuple)):
            raise DTypeError(f"targets must be a variable name or a list of names, got {type(targets).__name__}")
        if not isinstance(values, (list, tuple, np.ndarray)):
            values = (values,)
        targets = tuple(targets)
        for t in targets:
            if not isinstance(t, str) or not t:
                raise DTypeError(f"each target must be a variable name (a non-empty str), got {t!r}")
        if len(set(targets)) != len(targets):
            raise ArgumentError(f"targets name a variable twice: {list(targets)}; intervene on each once")
        if len(values) != len(targets):
            raise ShapeError(f"{len(targets)} target(s) {list(targets)} but {len(values)} value(s); give one value per target")
        if kind not in KINDS:
            raise ArgumentError(f"kind must be one of {KINDS}, got {kind!r}; {suggest(kind, KINDS)}")
        vals = tuple(_number(v, f"the value of {t!r}") for t, v in zip(targets, values))
        object.__setattr__(self, "targets", targets)
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "kind", kind)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def hard(cls, assignments: Mapping[str, Any]) -> "Intervention":
        """``do(x := v, ...)`` from ``{x: v, ...}``.

        Examples
        --------
        >>> Intervention.hard({"switch_red": 0, "ambient": 0.5})
        Intervention(do(switch_red=0, ambient=0.5))
        """
        return cls(tuple(assignments), tuple(assignments.values()), "hard")

    @classmethod
    def shift(cls, shifts: Mapping[str, Any]) -> "Intervention":
        """Add ``{x: by}`` to what each variable would have been (a soft intervention).

        Examples
        --------
        >>> Intervention.shift({"dimmer_red": -0.2})
        Intervention(do(dimmer_red+=-0.2))
        """
        return cls(tuple(shifts), tuple(shifts.values()), "shift")

    @classmethod
    def scale(cls, factors: Mapping[str, Any]) -> "Intervention":
        """Multiply what each variable would have been by ``{x: factor}`` (a soft intervention).

        Examples
        --------
        >>> Intervention.scale({"dimmer_red": 0.5}).kind
        'scale'
        """
        return cls(tuple(factors), tuple(factors.values()), "scale")

    # ------------------------------------------------------------------ reading
    @property
    def soft(self) -> bool:
        """True for a shift or a scale, False for a hard intervention.

        Examples
        --------
        >>> Intervention.shift({"dimmer_red": -0.2}).soft, Intervention("ambient", 0.5).soft
        (True, False)
        """
        return self.kind != "hard"

    def __bool__(self) -> bool:
        return bool(self.targets)

    def __repr__(self) -> str:
        op = {"hard": "=", "shift": "+=", "scale": "*="}[self.kind]
        return f"Intervention(do({', '.join(f'{t}{op}{v:g}' for t, v in zip(self.targets, self.values))}))"

    def to_do(self) -> dict[str, Any]:
        """The ``{variable: value}`` mapping ``world.rollout(do=...)`` and ``SCM.do`` take.

        Hard values come back as numbers; soft ones as a :class:`Shift` or :class:`Scale`
        callable of the value the variable would have taken.

        Examples
        --------
        >>> Intervention.scale({"dimmer_blue": 2.0}).to_do()
        {'dimmer_blue': Scale(factor=2.0)}
        """
        if self.kind == "hard":
            return dict(zip(self.targets, self.values))
        make = Shift if self.kind == "shift" else Scale
        return {t: make(float(v)) for t, v in zip(self.targets, self.values)}

    def validate(self, world: Any) -> "Intervention":
        """Check this intervention against ``world.intervenable``; return it (discrete values as codes).

        The world's own parser does the checking, so the errors are the ones ``world.rollout``
        would raise.

        Parameters
        ----------
        world : causalworld.envs.World

        Returns
        -------
        Intervention
            This intervention, with a hard value on a discrete variable as an int code.

        Raises
        ------
        UnknownVariableError
            A target that is not a variable of the world (with a did-you-mean).
        InterventionError
            A target the world does not let an agent set, or a soft intervention on a discrete
            variable.
        OutOfRangeError
            A hard value outside the variable's intervenable range or codes.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> Intervention("switch_red", 1.0).validate(world)
        Intervention(do(switch_red=1))
        >>> Intervention("dimmer_red", 1.5).validate(world)
        Traceback (most recent call last):
        ...
        causalworld.errors.OutOfRangeError: do(dimmer_red=1.5) is outside the range [0, 1] of 'dimmer_red'; pick a value inside it
        """
        world.parse_do(self.to_do(), 1)
        if self.kind != "hard":
            return self
        codes = world.discrete
        values = tuple(int(v) if t in codes else v for t, v in zip(self.targets, self.values))
        same = all(type(a) is type(b) for a, b in zip(values, self.values))
        return self if same else Intervention(self.targets, values, self.kind)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (``format``, ``format_version``, ``kind``, ``targets``, ``values``).

        Examples
        --------
        >>> Intervention("ambient", 0.5).to_dict()["values"]
        [0.5]
        """
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": self.kind,
                "targets": list(self.targets), "values": list(self.values)}

    @classmethod
    def from_dict(cls, doc: Any) -> "Intervention":
        """The intervention a :meth:`to_dict` dict describes.

        Raises
        ------
        DTypeError
            ``doc`` is not a dict, or a field has the wrong type.
        ArgumentError
            A field is missing, or the dict is of another format or a newer version.

        Examples
        --------
        >>> doc = Intervention("ambient", 0.5).to_dict()
        >>> doc["targets"], doc["values"], Intervention.from_dict(doc) == Intervention("ambient", 0.5)
        (['ambient'], [0.5], True)
        """
        if not isinstance(doc, Mapping):
            raise DTypeError(f"an intervention is a JSON object, got {type(doc).__name__}")
        if doc.get("format", FORMAT) != FORMAT:
            raise ArgumentError(f"this is a {doc.get('format')!r} document, not an intervention ({FORMAT!r})")
        version = doc.get("format_version", FORMAT_VERSION)
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ArgumentError(f"intervention format_version {version!r} is newer than this code reads ({FORMAT_VERSION}); upgrade")
        missing = [k for k in ("targets", "values") if k not in doc]
        if missing:
            raise ArgumentError(f"the intervention lacks {missing}; it needs 'targets' and 'values' (and 'kind')")
        if not isinstance(doc["targets"], list) or not isinstance(doc["values"], list):
            raise DTypeError("an intervention's 'targets' and 'values' must be lists")
        return cls(tuple(doc["targets"]), tuple(doc["values"]), doc.get("kind", "hard"))

    def to_json(self) -> str:
        """This intervention as a JSON string (see :meth:`from_json`).

        Examples
        --------
        >>> Intervention("spin", -0.25).to_json()
        '{"format": "interventions.intervention", "format_version": 1, "kind": "hard", "targets": ["spin"], "values": [-0.25]}'
        """
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str | bytes) -> "Intervention":
        """The intervention a :meth:`to_json` string describes.

        Raises
        ------
        ArgumentError
            Text that is not JSON, or JSON of another format (see :meth:`from_dict`).
        DTypeError
            Fields of the wrong type.

        Examples
        --------
        >>> Intervention.from_json('{"targets": ["ambient"], "values": [0.5]}')
        Intervention(do(ambient=0.5))
        """
        try:
            doc = json.loads(text)
        except (TypeError, ValueError) as e:
            raise ArgumentError(f"not an intervention's JSON ({e}); give the text Intervention.to_json() wrote") from None
        return cls.from_dict(doc)
