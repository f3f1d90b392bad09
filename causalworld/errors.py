"""Every error causalworld raises on bad input, and the one warning it gives.

This is the floor of the package map in ``docs/architecture.md``: every other module may import it, and it
imports nothing. Each class derives from :class:`CausalWorldError` *and* from the builtin that an
existing ``except`` clause would expect (``KeyError`` for an unknown name, ``ValueError`` for a
bad value or shape, ``TypeError`` for a wrong type), so code written against plain Python keeps
working. Messages name the problem and the fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "CausalWorldError",
    "UnknownVariableError",
    "MissingVariableError",
    "UnknownMechanismError",
    "UnknownWorldError",
    "CyclicGraphError",
    "GraphError",
    "ShapeError",
    "DTypeError",
    "DeviceError",
    "NonFiniteError",
    "OutOfRangeError",
    "InterventionError",
    "ArgumentError",
    "NotInvertibleError",
    "ConversionError",
    "ModelFileError",
    "NotFittedError",
    "InsufficientDataError",
    "ExtrapolationWarning",
    "TimeLimitWarning",
    "WorldCheckError",
    "suggest",
]


def suggest(name: object, known: Iterable[object], *, limit: int = 12) -> str:
    """Return a ``did you mean ...? Known: ...`` clause for an unknown ``name``.

    Examples
    --------
    >>> suggest("ligth", ["light", "switch", "bulb"])
    "did you mean 'light'? Known: light, switch, bulb"
    """
    known = [str(k) for k in known]
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.6)
    shown = ", ".join(known[:limit]) + (f", ... ({len(known)} in all)" if len(known) > limit else "")
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + f"? Known: {shown}"
    return f"Known: {shown}"


class CausalWorldError(Exception):
    """Base class of every error causalworld raises on purpose."""

    def __str__(self) -> str:  # KeyError would repr() the message; keep it readable
        return str(self.args[0]) if self.args else self.__class__.__name__


class UnknownVariableError(CausalWorldError, KeyError, ValueError):
    """A variable name that the model or world does not have.

    Both a ``KeyError`` (an unknown name) and a ``ValueError``, which is what DoWhy raises for an
    unknown node, so ``except ValueError`` written for DoWhy still catches it.

    Examples
    --------
    >>> err = UnknownVariableError.of("ligth", ["light", "switch"], where="this SCM")
    >>> print(err)
    'ligth' is not a variable of this SCM; did you mean 'light'? Known: light, switch
    """

    @classmethod
    def of(cls, name: object, known: Iterable[object], *, where: str = "this SCM") -> "UnknownVariableError":
        return cls(f"{name!r} is not a variable of {where}; {suggest(name, known)}")


class MissingVariableError(CausalWorldError, KeyError):
    """Data that lacks a variable the query needs."""


class UnknownMechanismError(CausalWorldError, KeyError):
    """A mechanism class name that is not registered (for example when loading a saved SCM)."""


class UnknownWorldError(CausalWorldError, KeyError):
    """A world id that is not registered."""


class GraphError(CausalWorldError, ValueError):
    """A graph that cannot be used: self-loops, unknown node names, bad adjacency matrices."""


class CyclicGraphError(GraphError):
    """A graph with a directed cycle where a DAG is required; the message names the cycle."""


class ShapeError(CausalWorldError, ValueError):
    """An array or table of the wrong shape or length."""


class DTypeError(CausalWorldError, TypeError):
    """A value of the wrong type or dtype."""


class DeviceError(CausalWorldError, ValueError):
    """A tensor on another device than the model it is given to."""


class NonFiniteError(CausalWorldError, ValueError):
    """NaN or infinity in data where finite values are required."""


class OutOfRangeError(CausalWorldError, ValueError):
    """A value outside the range a variable or argument allows."""


class InterventionError(CausalWorldError, ValueError):
    """An intervention that cannot be applied: its callable failed or returned the wrong shape."""


class ArgumentError(CausalWorldError, ValueError):
    """Arguments that do not go together (mutually exclusive, or a required one missing)."""


class NotInvertibleError(CausalWorldError, TypeError):
    """A mechanism that can neither invert its noise nor sample its noise posterior was asked for
    a counterfactual (abduction)."""


class ConversionError(CausalWorldError, TypeError):
    """A model part that cannot be converted to or from another library (DoWhy, Pyro, causal-learn)."""


class ModelFileError(CausalWorldError, ValueError):
    """A saved model folder that is missing, truncated, tampered with or not ours."""


class NotFittedError(CausalWorldError, AttributeError):
    """A learned attribute was read before ``fit`` was called."""


class InsufficientDataError(CausalWorldError, ValueError):
    """Too few rows, or columns without variation, for what was asked."""


class ExtrapolationWarning(UserWarning):
    """A value outside the range of the data a mechanism was fitted on: the answer extrapolates."""


class TimeLimitWarning(UserWarning):
    """A fit ran out of its ``max_time`` budget and returned the best result found so far."""


class WorldCheckError(CausalWorldError, AssertionError):
    """A World that breaks the contract ``causalworld.envs.check_world`` tests; the message names the check."""


class PoorFitWarning(UserWarning):
    """A fitted mechanism explains almost none of its variable's variance from its parents."""


__all__ += ["PoorFitWarning"]


class IntegerColumnWarning(UserWarning):
    """An integer data column with too many distinct values to be a category was fitted as continuous."""


__all__ += ["IntegerColumnWarning"]


class TimeOrderWarning(UserWarning):
    """A learner that takes no ``forbidden`` edges, given data over several frames: it cannot be
    told that time runs forward, so it may learn edges from a later frame to an earlier one."""


__all__ += ["TimeOrderWarning"]


class IndexOutOfRangeError(CausalWorldError, IndexError):
    """An index past the end of a batch (episodes, rows); an ``IndexError`` for code that expects one."""


__all__ += ["IndexOutOfRangeError"]


class AuthenticationError(CausalWorldError, PermissionError):
    """A request to a served model without the bearer token the server was started with, or with another one."""


class RequestTooLargeError(CausalWorldError, ValueError):
    """A request past a served model's size limits (body bytes, rows); the message names the limit and the way under it."""


class RequestTimeoutError(CausalWorldError, TimeoutError):
    """A request that ran past a served model's time limit per request."""


class ExposedServerWarning(UserWarning):
    """A server bound to an address other hosts can reach: only the bearer token keeps them out."""


__all__ += ["AuthenticationError", "RequestTooLargeError", "RequestTimeoutError", "ExposedServerWarning"]


class PolicyCheckError(CausalWorldError, AssertionError):
    """A policy that breaks the contract ``interventions.check_policy`` tests; the message names the check.

    Examples
    --------
    >>> issubclass(PolicyCheckError, AssertionError)  # a failed check, as pytest reports one
    True
    """


class MissingFFmpegError(ArgumentError):
    """An ``.mp4`` was asked for on a machine without the ffmpeg program (save a ``.gif``, or install ffmpeg).

    Examples
    --------
    >>> isinstance(MissingFFmpegError("saving clip.mp4 needs the ffmpeg program"), ValueError)
    True
    """


__all__ += ["PolicyCheckError", "MissingFFmpegError"]



class MemoryLimitError(CausalWorldError, MemoryError):
    """A request whose estimated memory is more than the device has free (or than the limit set by
    the ``CAUSALWORLD_MAX_BYTES`` environment variable), refused before anything is allocated.

    The message names the size asked for, the estimated bytes, the limit and the way under it
    (smaller chunks, a smaller ``image_size``, or a higher limit); see :mod:`causalworld.memory`.

    Examples
    --------
    >>> isinstance(MemoryLimitError("sample(n=2**40) needs about 16 TiB"), MemoryError)
    True
    """


__all__ += ["MemoryLimitError"]


class MissingDependencyError(CausalWorldError, ImportError):
    """An optional package a feature needs is not installed; the message names the extra to install.

    Examples
    --------
    >>> isinstance(MissingDependencyError('pip install "causalworld[datasets]"'), ImportError)
    True
    """


__all__ += ["MissingDependencyError"]
