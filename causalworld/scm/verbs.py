"""DoWhy's query verbs with DoWhy's argument names and meanings, on a causalworld ``SCM``.

A DoWhy user switches by changing one import::

    from dowhy import gcm                  ->   import causalworld as gcm
    gcm.counterfactual_samples(model, {"x": lambda x: 2.0}, observed_data=df)

As in DoWhy, ``interventions`` maps a node to a callable of its would-be value (``lambda x: 2.0``
is a hard do) and the callable receives numpy values. We call it once on the whole column: a
scalar result is broadcast and a result of the column's shape is used as is; any other result
falls back to one call per value, as DoWhy makes, and only a non-scalar result per value raises.
So a random or reducing callable (``lambda x: x.mean()``, ``lambda x: np.random.rand()``) is
evaluated on the column and may give other numbers than in DoWhy, which calls it per value.
A plain number is also accepted as a hard intervention. The extra keyword ``seed`` makes the
sampling verbs reproducible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx
import pandas as pd
import torch

from causalworld.errors import ArgumentError, UnknownVariableError
from causalworld.scm.intervention import Intervention
from causalworld.scm.model import SCM, Values, as_generator

__all__ = ["draw_samples", "interventional_samples", "counterfactual_samples", "average_causal_effect"]

Interventions = Mapping[str, Callable[[Any], Any] | float]


def _acted(scm: SCM, interventions: Interventions) -> SCM:
    if not isinstance(interventions, Mapping):
        raise ArgumentError(f"interventions must be a dict {{node: callable}}, got {type(interventions).__name__}")
    new = scm.do({})
    for var, spec in interventions.items():
        if var not in scm.variables:
            raise UnknownVariableError.of(var, scm.variables)
        new._interventions[var] = Intervention.parse(
            var, spec, cardinality=scm.cardinality(var), dtype=scm.dtype, device=scm.device, numpy_callable=True
        )
    return new


def _one_of(a: Any, b: Any, name_a: str, name_b: str) -> None:
    if a is None and b is None:
        raise ArgumentError(f"either {name_a} or {name_b} must be given")
    if a is not None and b is not None:
        raise ArgumentError(f"{name_a} and {name_b} are mutually exclusive; give only one")


def draw_samples(scm: SCM, num_samples: int, *, seed: int | None = None) -> pd.DataFrame:
    """``num_samples`` rows from the model, as a DataFrame (``dowhy.gcm.draw_samples``).

    Examples
    --------
    >>> import causalworld as cw
    >>> df = cw.draw_samples(cw.random_scm(3, seed=0), 5, seed=0)
    >>> df.shape
    (5, 3)
    """
    return scm.to_frame(scm.sample(num_samples, seed=seed))


@torch.no_grad()
def _interventional(scm: SCM, acted: SCM, observed: Values, n: int, g: torch.Generator) -> Values:
    """DoWhy's semantics: non-descendants of the targets keep their observed values; targets and
    their descendants are drawn anew (a root target's would-be value is its observed value)."""
    targets = set(acted._interventions)
    affected = set(targets)
    for t in targets:
        affected |= nx.descendants(scm.graph, t)
    values: Values = {}
    for v in scm.variables:
        if v not in affected:
            values[v] = observed[v]
            continue
        m = scm._mechanisms[v]
        iv = acted._interventions.get(v)
        noise = m.sample_noise(n, g)
        if iv is not None and iv.hard:
            values[v] = acted._intervene(iv, None, n, 1)
            continue
        x = observed[v] if not scm.parents(v) else m(scm._parent_matrix(values, v, n), noise)
        values[v] = acted._intervene(iv, x, n, 1) if iv is not None else x
    return values


def interventional_samples(
    scm: SCM,
    interventions: Interventions,
    observed_data: pd.DataFrame | None = None,
    num_samples_to_draw: int | None = None,
    *,
    seed: int | None = None,
) -> pd.DataFrame:
    """Samples under ``interventions`` (``dowhy.gcm.interventional_samples``).

    With ``observed_data``, the interventions act on those rows: variables not downstream of a
    target keep their values, the others are drawn anew. Otherwise ``num_samples_to_draw`` rows
    are drawn from the intervened model.

    Examples
    --------
    >>> import causalworld as cw
    >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0)
    >>> df = cw.interventional_samples(scm, {"x": lambda x: 1.0}, num_samples_to_draw=20000, seed=0)
    >>> round(float(df["y"].mean()), 1)
    2.0
    """
    _one_of(observed_data, num_samples_to_draw, "observed_data", "num_samples_to_draw")
    acted = _acted(scm, interventions)
    if observed_data is None:
        return scm.to_frame(acted.sample(num_samples_to_draw, seed=seed))  # type: ignore[arg-type]
    observed = scm.as_tensors(observed_data, require=scm.variables, what="observed_data")
    n = next(iter(observed.values())).shape[0]
    return scm.to_frame(_interventional(scm, acted, observed, n, as_generator(seed, scm.device)))


def counterfactual_samples(
    scm: SCM,
    interventions: Interventions,
    observed_data: pd.DataFrame | None = None,
    noise_data: pd.DataFrame | None = None,
    *,
    seed: int | None = None,
) -> pd.DataFrame:
    """Counterfactual rows under ``interventions`` (``dowhy.gcm.counterfactual_samples``).

    From ``observed_data`` the noise is abducted (exact for invertible mechanisms, one posterior
    draw for discrete ones, where DoWhy cannot answer); ``noise_data`` gives it directly (for a
    root, its noise is its value, as in DoWhy).

    Examples
    --------
    >>> import causalworld as cw
    >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0)
    >>> obs = pd.DataFrame({"x": [1.0], "y": [2.5]})
    >>> cw.counterfactual_samples(scm, {"x": lambda x: 0.0}, observed_data=obs)
         x    y
    0  0.0  0.5
    """
    _one_of(observed_data, noise_data, "observed_data", "noise_data")
    acted = _acted(scm, interventions)
    if noise_data is not None:
        return scm.to_frame(acted.from_noise(noise_data))
    observed = scm.as_tensors(observed_data, require=scm.variables, what="observed_data")
    n = next(iter(observed.values())).shape[0]
    with torch.no_grad():
        return scm.to_frame(scm._counterfactual_chunk(acted, observed, n, 1, as_generator(seed, scm.device)))


def average_causal_effect(
    scm: SCM,
    target_node: str,
    interventions_alternative: Interventions,
    interventions_reference: Interventions,
    observed_data: pd.DataFrame | None = None,
    num_samples_to_draw: int | None = None,
    *,
    seed: int | None = None,
) -> float:
    """``E[target | do(alternative)] - E[target | do(reference)]`` (``dowhy.gcm.average_causal_effect``).

    Both arms use the same rows and the same fresh noise (common random numbers), which lowers
    the variance of the difference.

    Examples
    --------
    >>> import causalworld as cw
    >>> scm = cw.SCM.linear([("t", "y")], {("t", "y"): 3.0}, 1.0)
    >>> ace = cw.average_causal_effect(scm, "y", {"t": lambda t: 1.0}, {"t": lambda t: 0.0},
    ...                                num_samples_to_draw=1000, seed=0)
    >>> round(ace, 6)
    3.0
    """
    _one_of(observed_data, num_samples_to_draw, "observed_data", "num_samples_to_draw")
    if target_node not in scm.variables:
        raise UnknownVariableError.of(target_node, scm.variables)
    if observed_data is None:
        observed = scm.sample(num_samples_to_draw, seed=None if seed is None else seed + 1)  # type: ignore[arg-type]
    else:
        observed = scm.as_tensors(observed_data, require=scm.variables, what="observed_data")
    n = next(iter(observed.values())).shape[0]
    seed_ = int(torch.randint(0, 2**62, (1,)).item()) if seed is None else seed
    arms = []
    for ivs in (interventions_alternative, interventions_reference):
        acted = _acted(scm, ivs)
        vals = _interventional(scm, acted, observed, n, as_generator(seed_, scm.device))
        arms.append(vals[target_node].to(torch.float64).mean())
    return float(arms[0] - arms[1])
