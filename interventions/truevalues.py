"""How a world's episodes become the learner's table when no video encoder is used.

The loop's ``encode`` step hands the learner one row per episode and one column per variable.
:class:`TrueValues` reads those columns from the episodes' true values (the stand-in for a video
encoder, with the same ``fit`` / ``latents`` methods), and :func:`targets_mask` marks which
columns each episode intervened on, for any encoder whose columns are named by world variables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from causalworld.envs.world import runs_backwards, split_unrolled
from causalworld.errors import ArgumentError, DTypeError

__all__ = ["TrueValues", "targets_mask", "column_of", "backwards_in_time"]


class TrueValues:
    """The encoder used when there is none: the episodes' true values, one column per variable of
    the world's truth.

    A time-varying variable ``x`` gives one column per frame (``x[0]``, ``x[1]``, ...: the names of
    ``world.truth``), so the learned model is over the same variables as the truth and its
    counterfactuals can be compared with ``world.counterfactual_rollout`` value for value.
    Discrete variables come as float codes (the learners score continuous columns).

    Parameters
    ----------
    world : causalworld.envs.World
        The world whose episodes are read.

    Attributes
    ----------
    columns_ : tuple of str
        The columns of :meth:`latents`, set by :meth:`fit`.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> eps = world.rollout(3, seed=0)
    >>> table = TrueValues(world).fit(eps).latents(eps)
    >>> table.shape, list(table.columns[-2:])
    ((3, 15), ['angle[1]', 'sensor[1]'])
    """

    def __init__(self, world: Any) -> None:
        self.world = world

    def fit(self, episodes: Any) -> "TrueValues":
        """Nothing to learn; records the columns and returns self.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> tv = TrueValues(world)
        >>> tv.fit(world.rollout(2, seed=0)) is tv, tv.columns_ == world.truth.variables
        (True, True)
        """
        self.columns_ = tuple(self.world.truth.variables)
        return self

    def latents(self, episodes: Any) -> pd.DataFrame:
        """One row per episode, one float column per variable of the world's truth.

        Raises
        ------
        ArgumentError
            Episodes without true values (a user's own footage needs a real encoder).

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=8, frames=2)
        >>> eps = world.rollout(3, seed=0)
        >>> table = TrueValues(world).fit(eps).latents(eps)
        >>> bool((table["angle[1]"].to_numpy() == eps.values["angle"][:, 1].double().numpy()).all())
        True
        >>> table["switch_red"].dtype  # discrete codes as floats, as the learners score them
        dtype('float64')
        """
        if not getattr(episodes, "values", None):
            raise ArgumentError("these episodes carry no true values; use an encoder that reads the frames")
        unrolled = self.world.unroll(episodes.values)
        return pd.DataFrame({c: unrolled[c].detach().cpu().double().numpy() for c in self.world.truth.variables})


def column_of(world: Any, columns: Sequence[str], variable: str) -> str | None:
    """The learner's column that ``do={variable: ...}`` sets: ``x[0]`` for a time-varying ``x``
    when the columns are unrolled, ``x`` itself when it is a column, else None (not identified).

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> column_of(world, ["angle[0]", "angle[1]"], "angle"), column_of(world, ["ambient"], "spin")
    ('angle[0]', None)
    """
    cols = set(columns)
    first = world.first(variable)
    if first in cols:
        return first
    return variable if variable in cols else None


def targets_mask(world: Any, columns: Sequence[str], targets: Any) -> np.ndarray:
    """``[n, len(columns)]`` bool: which learner columns each episode intervened on.

    A column named by a world variable, or by step 0 of a time-varying one (``x[0]``, the step a
    ``do`` sets), is intervened where the episode's ``targets`` say so; later steps ``x[t]``
    follow the dynamics and are never intervened.

    Parameters
    ----------
    world : causalworld.envs.World
    columns : sequence of str
        The learner's columns.
    targets : Tensor or ndarray
        The episodes' ``[n, d]`` bool mask over ``world.variables``.

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("lights", image_size=8, frames=2)
    >>> eps = world.rollout(2, do=[{"angle": 1.0}, {}], seed=0)
    >>> targets_mask(world, ["angle[0]", "angle[1]", "ambient"], eps.targets).tolist()
    [[True, False, False], [False, False, False]]
    """
    t = np.asarray(targets.detach().cpu() if hasattr(targets, "detach") else targets, dtype=bool)
    if t.ndim != 2 or t.shape[1] != len(world.variables):
        raise DTypeError(f"targets must be an [n, {len(world.variables)}] bool mask over the world's variables")
    index = {v: i for i, v in enumerate(world.variables)}
    out = np.zeros((t.shape[0], len(columns)), dtype=bool)
    for j, c in enumerate(columns):
        base, step = split_unrolled(c)
        if base in index and step in (None, 0) and (step is None or base in world.time_varying):
            out[:, j] = t[:, index[base]]
    return out


def backwards_in_time(columns: Sequence[str], static: Sequence[str] = ()) -> list[tuple[str, str]]:
    """Edges that would have an effect precede its cause, which the loop forbids to the learner:
    from a later frame to an earlier one (``y[2] -> x[1]``), and from any frame after the first
    into a ``static`` column (a world's static variable has one value for the whole episode and
    is drawn from the first frame on, so nothing that happens later can have set it). Other
    columns without a frame index are free (an unnamed latent pooled over the frames may sum up
    later ones).

    Examples
    --------
    >>> backwards_in_time(["m", "x[0]", "x[1]", "y[0]"])
    [('x[1]', 'x[0]'), ('x[1]', 'y[0]')]
    >>> backwards_in_time(["m", "x[0]", "x[1]"], static=["m"])
    [('x[1]', 'm'), ('x[1]', 'x[0]')]
    """
    fixed = set(static)
    return [(u, v) for u in columns for v in columns if runs_backwards(u, v, fixed)]
