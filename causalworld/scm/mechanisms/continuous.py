"""Continuous mechanisms: root distributions, additive noise (linear or MLP) and post-nonlinear.

All of them are invertible in their noise, so abduction is exact: for ``x = g(f(pa) + u)`` the
noise is ``u = g^{-1}(x) - f(pa)``. Noise is kept in the scale of the variable (not standardised),
as DoWhy keeps it, so noise tables can be exchanged with ``dowhy.gcm`` unchanged. For a root
variable the noise *is* the value.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from causalworld.errors import DTypeError, NonFiniteError, OutOfRangeError, ShapeError
from causalworld.scm.mechanisms.base import Mechanism, normal_log_prob, register_mechanism

__all__ = [
    "GaussianRoot",
    "UniformRoot",
    "LinearGaussian",
    "AdditiveNoiseMLP",
    "PostNonlinear",
    "LINKS",
]


def _as_param(value: Any, shape: tuple[int, ...], default: float, dtype: torch.dtype | None = None,
              what: str = "a mechanism parameter") -> Tensor:
    """``value`` as a tensor of ``shape`` in ``dtype``, checked finite and representable there."""
    dtype = torch.get_default_dtype() if dtype is None else dtype
    if value is None:
        return torch.full(shape, default, dtype=dtype)
    if isinstance(value, (str, bytes)) or isinstance(value, complex) or (
            hasattr(value, "dtype") and getattr(value.dtype, "is_complex", False) is True):
        raise DTypeError(f"{what} must be real numbers, got {value!r}")
    try:
        # Read in float64 first: the check below must see the value before it is rounded.
        wide = torch.as_tensor(value, dtype=torch.float64).detach().clone()
    except (TypeError, ValueError, RuntimeError) as e:
        raise DTypeError(f"{what} must be numeric, got {value!r} ({e})") from None
    if wide.numel() != math.prod(shape):
        raise ShapeError(f"{what} needs {shape or 'one value'}, got shape {tuple(wide.shape)}")
    if not bool(torch.isfinite(wide).all()):
        raise NonFiniteError(f"{what} must be finite, got {value!r}")
    limit = torch.finfo(dtype).max
    if wide.numel() and float(wide.abs().max()) > limit:
        raise OutOfRangeError(
            f"{what} {float(wide.abs().max()):.4g} exceeds the largest {dtype} ({limit:.4g}); "
            "build the model with dtype=torch.float64"
        )
    return wide.to(dtype).reshape(shape)


def _scale(value: Any, what: str) -> float:
    """A finite float > 0 (a noise scale), or a typed error naming ``what``."""
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise DTypeError(f"{what} must be a number, got {type(value).__name__} {value!r}")
    if isinstance(value, (str, bytes, complex)):
        raise DTypeError(f"{what} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise NonFiniteError(f"{what} must be a finite number > 0, got {v}")
    if not v > 0:
        raise OutOfRangeError(f"{what} must be a finite number > 0, got {v}")
    return v


def _check_scale(t: Tensor, what: str) -> None:
    if not bool(torch.isfinite(t).all()):
        raise NonFiniteError(f"{what} must be a finite number > 0, got {t.tolist()}")
    if not bool((t > 0).all()):
        raise OutOfRangeError(f"{what} must be a finite number > 0, got {t.tolist()}")


def _fmt(x: float) -> str:
    return f"{x:.4g}"


class _EmpiricalNoise(Mechanism):
    """A mechanism whose noise may be drawn from stored values rather than from its normal law.

    A model read from DoWhy keeps an ``EmpiricalDistribution``'s data this way (a root's values,
    an additive noise model's residuals): sampling resamples them with replacement, as DoWhy
    does, so the draws keep their skew and heavy tails. Abduction is unchanged (exact). The
    mean and std stay those of the values, and ``log_prob`` and ``noise_distribution`` (so
    ``to_pyro``) use the normal with them, since a set of values has no density.
    """

    def set_empirical_noise(self, values: Any) -> "_EmpiricalNoise":
        """Draw the noise from ``values`` (1-D, finite, not all equal) from now on, and set the
        noise's mean and std to theirs; returns the mechanism.

        Examples
        --------
        >>> m = GaussianRoot().set_empirical_noise([0.0, 10.0])
        >>> sorted(set(m.sample_noise(50, torch.Generator().manual_seed(0)).tolist())), m.get_config()["mean"]
        ([0.0, 10.0], 5.0)
        """
        values = torch.as_tensor(values, dtype=self.dtype, device=self.device).reshape(-1)
        if not bool(torch.isfinite(values).all()):
            raise NonFiniteError("empirical noise values hold NaN or infinity; drop those values first")
        std = float(values.std(correction=0)) if values.numel() else 0.0
        if not std > 0:
            raise OutOfRangeError(f"empirical noise needs values that vary, got {values.numel()} equal value(s)")
        self._set_moments(float(values.mean()), std)
        self.register_buffer("noise_values", values.clone())
        return self

    @abc.abstractmethod
    def _set_moments(self, mean: float, std: float) -> None:
        """Set the noise law's mean and std (each mechanism keeps them in buffers of its own)."""

    @property
    def empirical(self) -> bool:
        """Whether the noise is drawn from stored values (:meth:`set_empirical_noise`)."""
        return "noise_values" in self._buffers

    def _empirical_config(self) -> dict[str, Any]:
        return {"empirical_noise": int(self.noise_values.shape[0])} if self.empirical else {}

    def _resample(self, n: int, generator: torch.Generator | None) -> Tensor:
        idx = torch.randint(self.noise_values.shape[0], (n,), generator=generator, device=self.device)
        return self.noise_values[idx]

    def _empirical_text(self) -> str:
        return f"empirical: {self.noise_values.shape[0]} values" if self.empirical else ""

    @classmethod
    def _with_empirical(cls, m: "_EmpiricalNoise", count: int | None) -> "_EmpiricalNoise":
        """``m`` with room for ``count`` stored noise values (filled by ``load_state_dict``)."""
        if count:
            m.register_buffer("noise_values", torch.zeros(int(count), dtype=m.dtype, device=m.device))
        return m

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Mechanism":
        config = dict(config)
        count = config.pop("empirical_noise", None)
        return cls._with_empirical(cls(**config), count)


class _Root(Mechanism):
    """A variable without parents whose noise is its value."""

    invertible: ClassVar[bool] = True

    def __init__(self, *, dtype: torch.dtype | None = None) -> None:
        super().__init__(0, dtype=dtype)

    def forward(self, parents: Tensor, noise: Tensor) -> Tensor:
        return noise

    def abduct(self, parents: Tensor, value: Tensor, *, num_samples: int = 1, generator=None) -> Tensor:
        return self._repeat(value, num_samples)

    def get_config(self) -> dict[str, Any]:
        return {}


@register_mechanism
class GaussianRoot(_EmpiricalNoise, _Root):
    """A root variable ``x = u``, ``u ~ N(mean, std^2)``.

    Examples
    --------
    >>> m = GaussianRoot(mean=1.0, std=2.0)
    >>> u = m.sample_noise(4, torch.Generator().manual_seed(0))
    >>> bool(torch.equal(m(torch.empty(4, 0), u), u))
    True
    """

    def __init__(self, mean: float = 0.0, std: float = 1.0, *, dtype: torch.dtype | None = None) -> None:
        super().__init__(dtype=dtype)
        self.register_buffer("mean", _as_param(mean, (), 0.0, self.dtype, "GaussianRoot mean"))
        self.register_buffer("std", _as_param(_scale(std, "GaussianRoot std"), (), 1.0, self.dtype, "GaussianRoot std"))

    def check_parameters(self) -> None:
        super().check_parameters()
        _check_scale(self.std, "GaussianRoot std")

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        if self.empirical:
            return self._resample(n, generator)
        return self.mean + self.std * self._randn((n,), generator)

    def log_prob(self, value: Tensor, parents: Tensor) -> Tensor:
        return normal_log_prob(value - self.mean, self.std)

    def noise_distribution(self) -> torch.distributions.Distribution:
        return torch.distributions.Normal(self.mean, self.std)

    def get_config(self) -> dict[str, Any]:
        return {"mean": float(self.mean), "std": float(self.std), **self._empirical_config()}

    def _set_moments(self, mean: float, std: float) -> None:
        self.mean.fill_(mean)
        self.std.fill_(std)

    def equation(self, name: str, parents: list[str]) -> str:
        law = f"N({_fmt(float(self.mean))}, {_fmt(float(self.std))}^2)"
        if self.empirical:
            law = f"{self._empirical_text()}, mean {_fmt(float(self.mean))}, std {_fmt(float(self.std))}"
        return f"{name} := u_{name},  u_{name} ~ {law}"


@register_mechanism
class UniformRoot(_Root):
    """A root variable ``x = u``, ``u ~ Uniform(low, high)``.

    Examples
    --------
    >>> m = UniformRoot(0.0, 2.0)
    >>> u = m.sample_noise(1000, torch.Generator().manual_seed(0))
    >>> bool(((u >= 0) & (u <= 2)).all())
    True
    """

    def __init__(self, low: float = 0.0, high: float = 1.0, *, dtype: torch.dtype | None = None) -> None:
        super().__init__(dtype=dtype)
        self.register_buffer("low", _as_param(low, (), 0.0, self.dtype, "UniformRoot low"))
        self.register_buffer("high", _as_param(high, (), 1.0, self.dtype, "UniformRoot high"))
        self.check_parameters()

    def check_parameters(self) -> None:
        """Also refuse an empty interval (``high <= low``).

        Examples
        --------
        >>> UniformRoot(1.0, 1.0)
        Traceback (most recent call last):
        ...
        causalworld.errors.OutOfRangeError: UniformRoot needs high > low, got low=1.0, high=1.0
        """
        super().check_parameters()
        if not bool(self.high > self.low):
            raise OutOfRangeError(f"UniformRoot needs high > low, got low={float(self.low)}, high={float(self.high)}")

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` uniform draws in ``[low, high]``.

        Examples
        --------
        >>> UniformRoot(0.0, 2.0).sample_noise(3, torch.Generator().manual_seed(0))
        tensor([0.9925, 1.5364, 0.1770])
        """
        u = torch.rand((n,), generator=generator, dtype=self.dtype, device=self.device)
        return self.low + (self.high - self.low) * u

    def log_prob(self, value: Tensor, parents: Tensor) -> Tensor:
        """``-log(high - low)`` inside the interval, ``-inf`` outside.

        Examples
        --------
        >>> UniformRoot(0.0, 2.0).log_prob(torch.tensor([1.0, 3.0]), torch.empty(2, 0))
        tensor([-0.6931,    -inf])
        """
        inside = (value >= self.low) & (value <= self.high)
        lp = -torch.log(self.high - self.low).expand_as(value)
        return torch.where(inside, lp, torch.full_like(value, -math.inf))

    def noise_distribution(self) -> torch.distributions.Distribution:
        """The noise law as ``torch.distributions.Uniform``.

        Examples
        --------
        >>> UniformRoot(0.0, 2.0).noise_distribution()
        Uniform(low: 0.0, high: 2.0)
        """
        return torch.distributions.Uniform(self.low, self.high)

    def get_config(self) -> dict[str, Any]:
        """``low`` and ``high`` as floats.

        Examples
        --------
        >>> UniformRoot(0.0, 2.0).get_config()
        {'low': 0.0, 'high': 2.0}
        """
        return {"low": float(self.low), "high": float(self.high)}

    def equation(self, name: str, parents: list[str]) -> str:
        """The equation with its interval.

        Examples
        --------
        >>> UniformRoot(0.0, 2.0).equation("x", [])
        'x := u_x,  u_x ~ Uniform(0, 2)'
        """
        return f"{name} := u_{name},  u_{name} ~ Uniform({_fmt(float(self.low))}, {_fmt(float(self.high))})"


# -- invertible links g for post-nonlinear models: (g, g^{-1}, log|d g^{-1}/dx|, domain check) --
def _cube_inv(x: Tensor) -> Tensor:
    return torch.sign(x) * x.abs().pow(1.0 / 3.0)


LINKS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "identity": (lambda z: z, lambda x: x, lambda x: torch.zeros_like(x)),
    "exp": (torch.exp, torch.log, lambda x: -torch.log(x)),
    "cube": (lambda z: z**3, _cube_inv, lambda x: -math.log(3.0) - (2.0 / 3.0) * torch.log(x.abs())),
    "sinh": (torch.sinh, torch.asinh, lambda x: -0.5 * torch.log1p(x * x)),
    "asinh": (torch.asinh, torch.sinh, lambda x: torch.log(torch.cosh(x))),
}
"""Invertible links ``g`` available to :class:`PostNonlinear`: name -> (g, g^-1, log|dg^-1/dx|)."""


class _AdditiveFamily(_EmpiricalNoise):
    """``x = g(f(parents) + u)``, ``u ~ N(noise_mean, noise_std^2)``; ``g`` is the identity unless
    post-nonlinear.

    ``noise_mean`` is 0 for every mechanism causalworld fits. A model read from DoWhy keeps
    DoWhy's noise as it is (an additive noise model fitted there has noise with the mean of its
    residuals), so that noise tables mean the same in both libraries; it is kept in the config,
    not among the tensors, so files saved before it existed load unchanged.
    """

    invertible: ClassVar[bool] = True
    link_name: str = "identity"

    def __init__(self, n_parents: int, noise_std: float, *, dtype: torch.dtype | None = None,
                 noise_mean: float = 0.0) -> None:
        super().__init__(n_parents, dtype=dtype)
        self.register_buffer("noise_std", _as_param(_scale(noise_std, "noise_std"), (), 1.0, self.dtype, "noise_std"))
        self.register_buffer("noise_mean", _as_param(noise_mean, (), 0.0, self.dtype, "noise_mean"), persistent=False)

    def _set_moments(self, mean: float, std: float) -> None:
        self.noise_mean.fill_(mean)
        self.noise_std.fill_(std)

    def _noise_config(self) -> dict[str, Any]:
        mean = float(self.noise_mean)
        return ({"noise_mean": mean} if mean else {}) | self._empirical_config()

    def _noise_text(self, name: str) -> str:
        mean = float(self.noise_mean)
        if self.empirical:
            return f"u_{name} ~ {self._empirical_text()}, mean {_fmt(mean)}, std {_fmt(float(self.noise_std))}"
        return f"u_{name} ~ N({_fmt(mean) if mean else 0}, {_fmt(float(self.noise_std))}^2)"

    def check_parameters(self) -> None:
        super().check_parameters()
        _check_scale(self.noise_std, "noise_std")

    @abc.abstractmethod
    def predict(self, parents: Tensor) -> Tensor:
        """``f(parents)``: the part of the variable its parents determine, ``[N]``."""

    def _link(self) -> tuple[Callable, Callable, Callable]:
        return LINKS[self.link_name]

    def forward(self, parents: Tensor, noise: Tensor) -> Tensor:
        z = self.predict(parents) + noise
        return z if self.link_name == "identity" else self._link()[0](z)

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        if self.empirical:
            return self._resample(n, generator)
        return torch.addcmul(self.noise_mean, self.noise_std, self._randn((n,), generator))

    def _unlink(self, value: Tensor) -> Tensor:
        if self.link_name == "identity":
            return value
        if self.link_name == "exp" and bool((value <= 0).any()):
            raise OutOfRangeError("a post-nonlinear variable with link 'exp' must be > 0; got a value <= 0")
        return self._link()[1](value)

    def abduct(self, parents: Tensor, value: Tensor, *, num_samples: int = 1, generator=None) -> Tensor:
        return self._repeat(self._unlink(value) - self.predict(parents), num_samples)

    def log_prob(self, value: Tensor, parents: Tensor) -> Tensor:
        u = self._unlink(value) - self.predict(parents)
        lp = normal_log_prob(u - self.noise_mean, self.noise_std)
        if self.link_name != "identity":
            lp = lp + self._link()[2](value)
        return lp

    def noise_distribution(self) -> torch.distributions.Distribution:
        return torch.distributions.Normal(self.noise_mean.clone(), self.noise_std)


@register_mechanism
class LinearGaussian(_AdditiveFamily):
    """``x = weight . parents + bias + u``, ``u ~ N(0, noise_std^2)``.

    Examples
    --------
    >>> m = LinearGaussian(2, weight=[1.0, -2.0], bias=0.5, noise_std=0.1).requires_grad_(False)
    >>> pa = torch.tensor([[1.0, 1.0]])
    >>> x = m(pa, torch.tensor([0.1]))
    >>> x
    tensor([-0.4000])
    >>> m.abduct(pa, x)
    tensor([0.1000])
    """

    def __init__(self, n_parents: int, weight: Sequence[float] | Tensor | None = None, bias: float = 0.0,
                 noise_std: float = 1.0, *, dtype: torch.dtype | None = None, noise_mean: float = 0.0) -> None:
        super().__init__(n_parents, noise_std, dtype=dtype, noise_mean=noise_mean)
        self.weight = nn.Parameter(_as_param(weight, (n_parents,), 0.0, self.dtype, "LinearGaussian weight"))
        self.bias = nn.Parameter(_as_param(bias, (), 0.0, self.dtype, "LinearGaussian bias"))

    def predict(self, parents: Tensor) -> Tensor:
        """``w . parents + b``, ``[N]``.

        Examples
        --------
        >>> LinearGaussian(2, weight=[1.0, -2.0], bias=0.5).predict(torch.tensor([[1.0, 1.0]]))
        tensor([-0.5000], grad_fn=<AddBackward0>)
        """
        if self.n_parents == 0:
            return self.bias.expand(parents.shape[0])
        return torch.mv(parents, self.weight) + self.bias

    def get_config(self) -> dict[str, Any]:
        return {"n_parents": self.n_parents, "noise_std": float(self.noise_std), **self._noise_config()}

    def equation(self, name: str, parents: list[str]) -> str:
        terms = [f"{_fmt(w)}*{p}" for w, p in zip(self.weight.tolist(), parents)]
        terms.append(_fmt(self.bias.item()))
        rhs = " + ".join(terms).replace("+ -", "- ")
        return f"{name} := {rhs} + u_{name},  {self._noise_text(name)}"


def quadratic_terms(u: Tensor) -> Tensor:
    """The columns of a quadratic regression on ``u`` ``[N, p]``: ``u``, its squares, then the
    product of each pair ``(a, b)``, ``a < b``, in row-major order: ``[N, 2 p + p (p - 1) / 2]``.

    Examples
    --------
    >>> quadratic_terms(torch.tensor([[2.0, 3.0]]))
    tensor([[2., 3., 4., 9., 6.]])
    """
    a, b = torch.triu_indices(u.shape[1], u.shape[1], 1, device=u.device)
    return torch.cat([u, u * u, u[:, a] * u[:, b]], dim=1)


@register_mechanism
class QuadraticGaussian(_AdditiveFamily):
    """``x = weight . q((parents - center) / scale) + bias + u``, ``u ~ N(0, noise_std^2)``: a
    second-order polynomial of the parents, where ``q`` gives each standardised parent, its square
    and the product of each pair (:func:`quadratic_terms`, ``2 p + p (p - 1) / 2`` weights).

    The mechanism of the quadratic BIC score
    (:class:`~causalworld.discovery.scores.QuadraticBICScore`), fitted in closed form by least
    squares (``SCM.fit(..., mechanisms="quadratic")``): it bends where a line cannot (``cos^2`` of
    an angle, a switch times a dimmer), costs what a linear mechanism does, and abducts its noise
    exactly. Outside the fitted range it grows as a parabola: an MLP's tanh units level off there.

    Examples
    --------
    >>> m = QuadraticGaussian(1, weight=[0.0, 1.0], bias=0.0, noise_std=0.1).requires_grad_(False)  # x = pa^2 + u
    >>> pa = torch.tensor([[-2.0], [3.0]])
    >>> x = m(pa, torch.tensor([0.1, 0.0]))
    >>> x
    tensor([4.1000, 9.0000])
    >>> m.abduct(pa, x)
    tensor([0.1000, 0.0000])
    """

    def __init__(self, n_parents: int, weight: Sequence[float] | Tensor | None = None, bias: float = 0.0,
                 noise_std: float = 1.0, *, center: Sequence[float] | Tensor | None = None,
                 scale: Sequence[float] | Tensor | None = None, dtype: torch.dtype | None = None,
                 noise_mean: float = 0.0) -> None:
        super().__init__(n_parents, noise_std, dtype=dtype, noise_mean=noise_mean)
        n_terms = 2 * n_parents + n_parents * (n_parents - 1) // 2
        self.weight = nn.Parameter(_as_param(weight, (n_terms,), 0.0, self.dtype, "QuadraticGaussian weight"))
        self.bias = nn.Parameter(_as_param(bias, (), 0.0, self.dtype, "QuadraticGaussian bias"))
        self.register_buffer("center", _as_param(center, (n_parents,), 0.0, self.dtype, "QuadraticGaussian center"))
        self.register_buffer("scale", _as_param(scale, (n_parents,), 1.0, self.dtype, "QuadraticGaussian scale"))

    def check_parameters(self) -> None:
        super().check_parameters()
        _check_scale(self.scale, "QuadraticGaussian scale")

    def predict(self, parents: Tensor) -> Tensor:
        """``w . q((parents - center) / scale) + b``, ``[N]``.

        Examples
        --------
        >>> m = QuadraticGaussian(2, weight=[1.0, 0.0, 0.0, 0.0, 2.0], bias=0.5)  # x0 + 2 x0 x1 + 0.5
        >>> m.predict(torch.tensor([[1.0, 3.0]]))
        tensor([7.5000], grad_fn=<AddBackward0>)
        """
        if self.n_parents == 0:
            return self.bias.expand(parents.shape[0])
        return torch.mv(quadratic_terms((parents - self.center) / self.scale), self.weight) + self.bias

    def get_config(self) -> dict[str, Any]:
        return {"n_parents": self.n_parents, "noise_std": float(self.noise_std), **self._noise_config()}

    def equation(self, name: str, parents: list[str]) -> str:
        p = self.n_parents
        u = [f"u({q})" for q in parents]
        names = u + [f"{a}^2" for a in u] + [f"{u[i]}*{u[j]}" for i in range(p) for j in range(i + 1, p)]
        terms = [f"{_fmt(w)}*{t}" for w, t in zip(self.weight.tolist(), names) if w != 0.0]
        terms.append(_fmt(self.bias.item()))
        rhs = " + ".join(terms).replace("+ -", "- ")
        scaling = ", ".join(f"u({q}) = ({q} - {_fmt(c)}) / {_fmt(s)}"
                            for q, c, s in zip(parents, self.center.tolist(), self.scale.tolist()))
        return f"{name} := {rhs} + u_{name},  {scaling + ',  ' if scaling else ''}{self._noise_text(name)}"


_ACTIVATIONS: dict[str, Callable[[], nn.Module]] = {
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.2),
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "silu": nn.SiLU,
}


_FUNCTIONAL: dict[str, Callable[[Tensor], Tensor]] = {
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "sigmoid": torch.sigmoid,
    "elu": F.elu,
    "silu": F.silu,
}


@register_mechanism
class AdditiveNoiseMLP(_AdditiveFamily):
    """``x = MLP(parents) + u``, ``u ~ N(0, noise_std^2)``, with input and output scaling.

    ``MLP(pa) = out_shift + out_scale * net((pa - in_shift) / in_scale)``: the scalings are set by
    :meth:`causalworld.SCM.fit` from the data, so the network trains on standardised values.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> m = AdditiveNoiseMLP(2, hidden=(8,), noise_std=0.5).requires_grad_(False)
    >>> pa = torch.randn(5, 2)
    >>> u = m.sample_noise(5, torch.Generator().manual_seed(1))
    >>> torch.allclose(m.abduct(pa, m(pa, u)), u)
    True
    """

    def __init__(self, n_parents: int, hidden: Sequence[int] = (32, 32), activation: str = "tanh",
                 noise_std: float = 1.0, *, dtype: torch.dtype | None = None, noise_mean: float = 0.0) -> None:
        super().__init__(n_parents, noise_std, dtype=dtype, noise_mean=noise_mean)
        if activation not in _ACTIVATIONS:
            raise OutOfRangeError(f"unknown activation {activation!r}; choose one of {sorted(_ACTIVATIONS)}")
        self.hidden = tuple(int(h) for h in hidden)
        if any(h < 1 for h in self.hidden):
            raise OutOfRangeError(f"hidden layer widths must be positive, got {tuple(hidden)}")
        self.activation = activation
        layers: list[nn.Module] = []
        width = n_parents
        for h in self.hidden:
            layers += [nn.Linear(width, h, dtype=self.dtype), _ACTIVATIONS[activation]()]
            width = h
        layers.append(nn.Linear(width, 1, dtype=self.dtype))
        self.net = nn.Sequential(*layers)
        self._linears = [m for m in self.net if isinstance(m, nn.Linear)]
        self.register_buffer("in_shift", torch.zeros(n_parents, dtype=self.dtype))
        self.register_buffer("in_scale", torch.ones(n_parents, dtype=self.dtype))
        self.register_buffer("out_shift", torch.tensor(0.0, dtype=self.dtype))
        self.register_buffer("out_scale", torch.tensor(1.0, dtype=self.dtype))

    def predict(self, parents: Tensor) -> Tensor:
        """The network's output for standardised ``parents``, in the variable's units, ``[N]``.

        Examples
        --------
        >>> _ = torch.manual_seed(0)
        >>> m = AdditiveNoiseMLP(2, hidden=(4,)).requires_grad_(False)
        >>> pa = torch.randn(3, 2)
        >>> torch.equal(m.predict(pa), m(pa, torch.zeros(3)))  # the noise-free value
        True
        """
        # The layers are applied functionally: nn.Module call overhead dominates single-row queries.
        h = (parents - self.in_shift) / self.in_scale  # (N, p)
        act = _FUNCTIONAL[self.activation]
        layers = self._linears
        for lin in layers[:-1]:
            h = act(F.linear(h, lin.weight, lin.bias))  # (N, hidden)
        out = F.linear(h, layers[-1].weight, layers[-1].bias).squeeze(-1)  # (N,)
        return torch.addcmul(self.out_shift, self.out_scale, out)

    def get_config(self) -> dict[str, Any]:
        return {"n_parents": self.n_parents, "hidden": list(self.hidden), "activation": self.activation,
                "noise_std": float(self.noise_std), **self._noise_config()}

    def equation(self, name: str, parents: list[str]) -> str:
        arch = "-".join(str(h) for h in (self.n_parents, *self.hidden, 1))
        return (f"{name} := MLP[{arch}, {self.activation}]({', '.join(parents)}) + u_{name},  "
                f"{self._noise_text(name)}")


_INNER = {"LinearGaussian": LinearGaussian, "AdditiveNoiseMLP": AdditiveNoiseMLP}


@register_mechanism
class PostNonlinear(_AdditiveFamily):
    """``x = g(f(parents) + u)``, ``u ~ N(0, noise_std^2)``, with ``g`` an invertible link.

    ``f`` is the prediction of an inner :class:`LinearGaussian` or :class:`AdditiveNoiseMLP`
    (``inner``): only its prediction is used; its own ``noise_std`` and ``noise_mean`` are not (the
    noise is this mechanism's ``noise_std`` and ``noise_mean``). ``g`` is one of :data:`LINKS`
    (``"sinh"``, ``"asinh"``, ``"cube"``, ``"exp"``).
    The noise enters before the link, so it is not additive in ``x``, yet abduction stays exact.

    Examples
    --------
    >>> m = PostNonlinear(LinearGaussian(1, weight=[2.0]), link="sinh", noise_std=0.3)
    >>> pa, u = torch.tensor([[0.5]]), torch.tensor([0.2])
    >>> x = m(pa, u)
    >>> torch.allclose(x, torch.sinh(torch.tensor([1.2])))
    True
    >>> torch.allclose(m.abduct(pa, x), u)
    True
    """

    def __init__(self, inner: LinearGaussian | AdditiveNoiseMLP, link: str = "sinh", noise_std: float = 1.0,
                 *, dtype: torch.dtype | None = None, noise_mean: float = 0.0) -> None:
        if link not in LINKS:
            raise OutOfRangeError(f"unknown link {link!r}; choose one of {sorted(LINKS)}")
        if not isinstance(inner, (LinearGaussian, AdditiveNoiseMLP)):
            raise DTypeError(f"PostNonlinear inner must be a LinearGaussian or AdditiveNoiseMLP, got {type(inner).__name__}")
        super().__init__(inner.n_parents, noise_std, dtype=inner.dtype if dtype is None else dtype, noise_mean=noise_mean)
        inner = inner.to(dtype=self.dtype)
        self.inner = inner
        self.link_name = link

    def predict(self, parents: Tensor) -> Tensor:
        """The inner model's ``f(parents)``, before the noise and the link.

        Examples
        --------
        >>> m = PostNonlinear(LinearGaussian(1, weight=[2.0]), link="exp")
        >>> m.predict(torch.tensor([[0.5]])).item()
        1.0
        """
        return self.inner.predict(parents)

    def get_config(self) -> dict[str, Any]:
        return {"inner": {"class": type(self.inner).__name__, "config": self.inner.get_config()},
                "link": self.link_name, "noise_std": float(self.noise_std), **self._noise_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "PostNonlinear":
        """A new PostNonlinear (and its inner model) from :meth:`get_config`'s dict.

        Examples
        --------
        >>> m = PostNonlinear(LinearGaussian(1, weight=[2.0]), link="cube", noise_std=0.3)
        >>> PostNonlinear.from_config(m.get_config()).get_config() == m.get_config()
        True
        """
        inner_cls = _INNER[config["inner"]["class"]]
        m = cls(inner_cls(**config["inner"]["config"]), link=config["link"], noise_std=config["noise_std"],
                noise_mean=config.get("noise_mean", 0.0))
        return cls._with_empirical(m, config.get("empirical_noise"))

    def equation(self, name: str, parents: list[str]) -> str:
        inner = self.inner.equation(name, parents).split(":=", 1)[1].split(f"+ u_{name}", 1)[0].strip()
        return f"{name} := {self.link_name}({inner} + u_{name}),  {self._noise_text(name)}"
