"""An SCM as a Pyro model: noise sites ``u_<var>``, variable sites ``<var>``, Pyro's handlers on top.

This is the export of the SCM core to Pyro (``scm.to_pyro()``), so Pyro users can query our
models with their own tools: ``pyro.poutine.do`` on a variable site is a hard intervention, and
a counterfactual conditions the *noise* sites on the abducted noise before applying ``do``
(:func:`pyro_counterfactual` shows the pattern). Conditioning the *variable* sites on observed
values and then applying ``do`` answers a different, interventional, question.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyro
import pyro.distributions as pdist
import torch
from pyro import poutine
from torch import Tensor

from causalworld.errors import ConversionError, ShapeError
from causalworld.scm.intervention import Intervention
from causalworld.scm.model import SCM

__all__ = ["PyroSCM", "to_pyro", "pyro_counterfactual", "noise_site"]

Values = dict[str, Tensor]


def noise_site(variable: str) -> str:
    """The name of the Pyro sample site holding the noise of ``variable``: ``u_<variable>``.

    Examples
    --------
    >>> noise_site("y")
    'u_y'
    """
    return f"u_{variable}"


class _TorchAsPyro(pdist.TorchDistribution):
    """A plain ``torch.distributions`` object made usable as a Pyro sample site's distribution.

    Pyro sites need its distribution mixin (calling, ``expand`` under plates, ``to_event``);
    mechanisms return plain torch distributions so the core does not import Pyro.
    """

    arg_constraints: dict = {}

    def __init__(self, base: torch.distributions.Distribution) -> None:
        self.base = base
        super().__init__(base.batch_shape, base.event_shape, validate_args=False)

    @property
    def support(self):  # type: ignore[override]
        return self.base.support

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base.has_rsample

    def expand(self, batch_shape: Any, _instance: Any = None) -> "_TorchAsPyro":
        return _TorchAsPyro(self.base.expand(torch.Size(batch_shape)))

    def sample(self, sample_shape: torch.Size = torch.Size()) -> Tensor:
        return self.base.sample(sample_shape)

    def rsample(self, sample_shape: torch.Size = torch.Size()) -> Tensor:
        return self.base.rsample(sample_shape)

    def log_prob(self, value: Tensor) -> Tensor:
        return self.base.log_prob(value)

    @property
    def mean(self) -> Tensor:
        return self.base.mean

    @property
    def variance(self) -> Tensor:
        return self.base.variance


def _as_pyro_distribution(d: torch.distributions.Distribution) -> pdist.TorchDistribution:
    if isinstance(d, pdist.torch_distribution.TorchDistributionMixin):
        return d  # type: ignore[return-value]
    if not isinstance(d, torch.distributions.Distribution):
        raise ConversionError(
            f"noise_distribution() returned a {type(d).__name__}, not a torch.distributions.Distribution; "
            "return one from the mechanism so it can become a Pyro sample site"
        )
    return _TorchAsPyro(d)


class PyroSCM:
    """A Pyro model of an :class:`~causalworld.SCM`: call it with a number of rows.

    ``model(num_samples)`` draws every noise ``u_<var>`` as a ``pyro.sample`` site inside
    ``pyro.plate("rows", num_samples)`` (a categorical variable's noise has event shape ``[K]``),
    computes each variable with its mechanism, records it as ``pyro.deterministic(<var>, ...)``
    and returns ``{var: Tensor[num_samples]}``: the values the downstream variables were
    computed from. So:

    * ``poutine.do(model, data={"x": value})`` is the hard intervention ``do(x := value)``
      (a 0-d tensor or a tensor of one value per row; Pyro turns a Python number into a float32
      tensor, so give a tensor in the model's dtype to keep float64 precision). A trace taken
      around it keeps the value ``x`` would have taken under ``"x"`` (Pyro renames the
      intervened copy ``"x__CF"``); the returned dict holds the intervened value, which is what
      the children of ``x`` used.
    * ``poutine.do(poutine.condition(model, data={"u_x": ..., ...}), data={...})`` with the
      abducted noise of every variable is a counterfactual (:func:`pyro_counterfactual`).
    * Soft interventions (callables) cannot go through ``poutine.do``: apply them with our own
      ``scm.do({"x": f})`` and export that model; its interventions are part of the model.

    Interventions the SCM is already under are exported as part of the model: a hard one sets
    the variable site to its value (its noise site is still drawn, so the sites are the same
    for every model over the same variables), a soft one maps the value the mechanism computed.

    Examples
    --------
    >>> from causalworld import SCM
    >>> from pyro import poutine
    >>> scm = SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0)
    >>> model = to_pyro(scm)
    >>> out = poutine.do(model, data={"x": torch.tensor(3.0)})(4)
    >>> out["x"]
    tensor([3., 3., 3., 3.])
    >>> tr = poutine.trace(model).get_trace(4)
    >>> [name for name in tr.stochastic_nodes if name != "rows"], tr.observation_nodes
    (['u_x', 'u_y'], ['x', 'y'])
    """

    def __init__(self, scm: SCM) -> None:
        self.scm = scm
        # Fail now, not at the first call, if some mechanism has no torch noise law.
        self._noise = {v: _as_pyro_distribution(m.noise_distribution()) for v, m in scm.mechanisms.items()}

    @property
    def variables(self) -> tuple[str, ...]:
        """The variable sites, in the order the model visits them (topological).

        Examples
        --------
        >>> import causalworld as cw
        >>> cw.SCM.linear([("b", "a")], {("b", "a"): 1.0}, 1.0).to_pyro().variables
        ('b', 'a')
        """
        return self.scm.variables

    @property
    def noise_sites(self) -> dict[str, str]:
        """``{variable: noise site name}``.

        Examples
        --------
        >>> import causalworld as cw
        >>> cw.SCM.linear([("x", "y")], {("x", "y"): 1.0}, 1.0).to_pyro().noise_sites
        {'x': 'u_x', 'y': 'u_y'}
        """
        return {v: noise_site(v) for v in self.scm.variables}

    def __call__(self, num_samples: int = 1) -> Values:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples < 1:
            raise ShapeError(f"num_samples must be a positive int, got {num_samples!r}")
        scm, n = self.scm, num_samples
        scm._check_tensor_interventions(n)
        interventions, mechanisms = scm.interventions, scm.mechanisms
        values: Values = {}
        with pyro.plate("rows", n, dim=-1):
            for v in scm.variables:
                u = pyro.sample(noise_site(v), self._noise[v])  # (n, *noise_shape)
                iv = interventions.get(v)
                if iv is not None and iv.hard:
                    x = scm._intervene(iv, None, n, 1)
                else:
                    x = mechanisms[v](scm._parent_matrix(values, v, n), u)
                    if iv is not None:
                        x = scm._intervene(iv, x, n, 1)
                out = pyro.deterministic(v, x)
                # ``poutine.do`` (or ``condition``) on this site hands back another value: that
                # is the one the children see, checked and shaped like any hard intervention.
                values[v] = x if out is x else self._as_column(v, out, n)
        return values

    def _as_column(self, variable: str, value: Any, n: int) -> Tensor:
        scm = self.scm
        mech = scm.mechanisms[variable]
        if isinstance(value, Tensor) and value.dim() == 1 and value.shape[0] != n:
            raise ShapeError(
                f"the value given to site {variable!r} holds {value.shape[0]} entries but the model was "
                f"called with {n} rows; give one value per row or a single number"
            )
        iv = Intervention.parse(variable, value, cardinality=mech.cardinality, dtype=scm.dtype, device=scm.device)
        return iv.materialize(n, dtype=torch.long if mech.discrete else scm.dtype, device=scm.device)

    def __repr__(self) -> str:
        return f"<PyroSCM of {self.scm!r}>"


def to_pyro(scm: SCM) -> PyroSCM:
    """``scm`` as a Pyro model (see :class:`PyroSCM` for its sites and how to query it).

    Raises :class:`~causalworld.errors.ConversionError` when a mechanism does not expose its
    noise as a torch distribution (``noise_distribution()``).

    Examples
    --------
    >>> from causalworld import random_scm
    >>> model = random_scm(3, mechanism="discrete", cardinality=3, seed=0).to_pyro()
    >>> sorted(model.noise_sites.values())
    ['u_x0', 'u_x1', 'u_x2']
    >>> model(5)["x0"].dtype
    torch.int64
    """
    if not isinstance(scm, SCM):
        raise ConversionError(f"to_pyro expects a causalworld SCM, got {type(scm).__name__}")
    return PyroSCM(scm)


def pyro_counterfactual(
    scm: SCM,
    observed: Any,
    do: Mapping[str, Any],
    *,
    num_samples: int = 1,
    seed: int | torch.Generator | None = None,
) -> Values:
    """A counterfactual computed with Pyro's handlers on :func:`to_pyro`: the pattern to copy.

    Abduct the noise with :meth:`SCM.abduct` (exact for invertible mechanisms, posterior draws
    for discrete ones), **condition the noise sites** ``u_<var>`` on it, then ``poutine.do`` the
    intervention and run the model::

        noise = scm.abduct(observed, num_samples=k, seed=seed)
        cond = poutine.condition(model, data={f"u_{v}": noise[v] for v in scm.variables})
        poutine.do(cond, data=do)(k * N)

    Conditioning the *variable* sites on the observed values instead and then applying ``do``
    keeps no noise from the observation: it answers the interventional question
    ``P(y | do(x), evidence)``, not the counterfactual one. The result equals
    ``scm.counterfactual(observed, do, num_samples=k, seed=seed)`` (the same seed gives the same
    posterior draws), with ``k * N`` rows, sample-major.

    ``do`` holds hard interventions only (numbers, or tensors of one value per observed row);
    a soft (callable) intervention raises :class:`~causalworld.errors.ConversionError`: use
    ``scm.counterfactual``, which applies it.

    Examples
    --------
    >>> from causalworld import SCM
    >>> scm = SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0)
    >>> obs = {"x": torch.tensor([1.0]), "y": torch.tensor([2.5])}
    >>> pyro_counterfactual(scm, obs, {"x": 0.0})["y"]  # u_y = 0.5 is kept, x is set to 0
    tensor([0.5000])
    """
    for v, spec in do.items():
        if callable(spec) and not isinstance(spec, Tensor):
            raise ConversionError(
                f"do({v}=<callable>): soft interventions cannot go through pyro.poutine.do; "
                "use scm.counterfactual(observed, do), which applies them"
            )
    scm.do(do)  # check names, shapes and codes of the intervention with our own parser
    values = scm.as_tensors(observed, require=scm.variables, what="observed")
    n = next(iter(values.values())).shape[0]
    data: dict[str, Any] = {}
    for v, spec in do.items():
        # Pyro turns a Python number into a float32 tensor: give it one in the model's dtype.
        t = spec if isinstance(spec, Tensor) else torch.as_tensor(
            spec, dtype=torch.long if scm.cardinality(v) is not None else scm.dtype, device=scm.device)
        if t.dim() == 1:
            if t.shape[0] != n:
                raise ShapeError(
                    f"do({v}=...) holds {t.shape[0]} values but {n} rows were observed; "
                    "give one value per observed row or a single number"
                )
            t = t.repeat(num_samples)  # sample-major, as the abducted noise
        data[v] = t
    with torch.no_grad():
        noise = scm.abduct(values, num_samples=num_samples, seed=seed)  # abduct
        model = to_pyro(scm)
        conditioned = poutine.condition(model, data={noise_site(v): noise[v] for v in scm.variables})
        acted = poutine.do(conditioned, data=data)  # act
        return acted(n * num_samples)  # predict
