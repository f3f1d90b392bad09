"""The mechanism protocol: the one contract every structural equation in causalworld follows.

A mechanism computes one variable from its parents and its own exogenous noise,
``x = f(parents, u)``. The SCM core calls it for sampling (``sample_noise`` then ``forward``),
for counterfactuals (``abduct`` the noise from an observed row, then ``forward`` under another
intervention) and for likelihoods (``log_prob``). The worlds implement their own physics (Malus's
law, collisions) as mechanisms too, so the truth they simulate can be saved and queried like any
fitted model. Mechanisms are saved as a registered class name, a JSON config and their tensors
(``state_dict``); nothing is unpickled.
"""

from __future__ import annotations

import abc
import math
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from causalworld.errors import (
    ConversionError,
    DTypeError,
    NonFiniteError,
    NotInvertibleError,
    OutOfRangeError,
    UnknownMechanismError,
    suggest,
)

__all__ = ["Mechanism", "register_mechanism", "mechanism_class", "registered_mechanisms"]

_REGISTRY: dict[str, type["Mechanism"]] = {}


def register_mechanism(cls: type["Mechanism"]) -> type["Mechanism"]:
    """Register a mechanism class so that saved SCMs using it can be loaded (a class decorator).

    Loading resolves mechanisms by this registered name only: no code is read from a model file.

    Examples
    --------
    >>> from causalworld.scm.mechanisms import LinearGaussian, register_mechanism
    >>> @register_mechanism
    ... class Doubled(LinearGaussian):
    ...     '''x = 2 * (w . parents + b) + u'''
    ...     def forward(self, parents, noise):
    ...         return 2 * (parents @ self.weight + self.bias) + noise
    >>> "Doubled" in registered_mechanisms()
    True
    """
    if not (isinstance(cls, type) and issubclass(cls, Mechanism)):
        raise DTypeError(f"register_mechanism expects a Mechanism subclass, got {cls!r}")
    _REGISTRY[cls.__name__] = cls
    return cls


def registered_mechanisms() -> list[str]:
    """Names of every registered mechanism class.

    Examples
    --------
    >>> {"LinearGaussian", "Categorical"} <= set(registered_mechanisms())
    True
    """
    return sorted(_REGISTRY)


def mechanism_class(name: str) -> type["Mechanism"]:
    """Look up a registered mechanism class by name.

    Examples
    --------
    >>> mechanism_class("LinearGaussian").__name__
    'LinearGaussian'
    >>> mechanism_class("LinearGausian")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    causalworld.errors.UnknownMechanismError: mechanism class 'LinearGausian' is not registered; ...
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownMechanismError(
            f"mechanism class {name!r} is not registered; register it with "
            f"@causalworld.register_mechanism before loading. {suggest(name, _REGISTRY)}"
        ) from None


class Mechanism(nn.Module, metaclass=abc.ABCMeta):
    """Base class of the mechanism protocol: ``x = forward(parents, noise)``.

    Subclasses implement:

    ``forward(parents, noise) -> Tensor[N]``
        ``parents`` is ``[N, n_parents]`` in the SCM's float dtype (discrete parents as their
        codes), ``noise`` is ``[N, *noise_shape]``. Continuous outputs are floats, discrete ones
        int64 codes.
    ``sample_noise(n, generator=None) -> Tensor[n, *noise_shape]``
        on the mechanism's device and dtype.
    ``abduct(parents, value, *, num_samples=1, generator=None) -> Tensor[num_samples * N, ...]``
        the noise behind an observed value: exact (repeated ``num_samples`` times, sample-major)
        for mechanisms invertible in their noise, draws from the exact noise posterior for
        discrete ones. The default raises :class:`~causalworld.errors.NotInvertibleError`.
    ``log_prob(value, parents) -> Tensor[N]``
    ``get_config() -> dict``
        JSON-able constructor arguments; the tensors are the module's ``state_dict``.

    Class attributes say what the mechanism is: ``discrete`` (int64 codes out),
    ``invertible`` (abduction is exact rather than a posterior draw: :meth:`~causalworld.scm.model.SCM.abduct`
    then abducts once and repeats the noise for
    ``num_samples``, so a custom mechanism that sets it must be exactly invertible),
    ``noise_shape``.

    Constructors take a keyword-only ``dtype`` (default: torch's default dtype) and build every
    parameter in it, so a float64 model's values are never rounded through float32; a value
    past the dtype's range raises :class:`~causalworld.errors.OutOfRangeError`.
    ``check_parameters()`` raises on NaN, infinity or an out-of-range scale; the SCM calls it on
    every mechanism it is given.

    Examples
    --------
    >>> from causalworld.scm.mechanisms import LinearGaussian
    >>> m = LinearGaussian(1, weight=[2.0], noise_std=0.5).requires_grad_(False)
    >>> pa = torch.tensor([[1.0], [3.0]])
    >>> x = m(pa, torch.tensor([0.1, -0.2]))  # x = 2 * parent + u
    >>> x
    tensor([2.1000, 5.8000])
    >>> m.abduct(pa, x)  # the noise behind the observed values
    tensor([ 0.1000, -0.2000])
    """

    discrete: ClassVar[bool] = False
    invertible: ClassVar[bool] = False

    def __init__(self, n_parents: int, *, dtype: torch.dtype | None = None) -> None:
        super().__init__()
        if not isinstance(n_parents, int) or isinstance(n_parents, bool) or n_parents < 0:
            raise OutOfRangeError(f"n_parents must be a non-negative int, got {n_parents!r}")
        dtype = torch.get_default_dtype() if dtype is None else dtype
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise DTypeError(f"a mechanism's dtype must be a floating torch dtype such as torch.float64, got {dtype!r}")
        self.n_parents = n_parents
        # A zero-size anchor gives every mechanism a device and a float dtype, parameters or not.
        # Parameters are built in this dtype from the start: building them in float32 and
        # converting later would round a float64 model's values (0.1 -> 0.10000000149).
        self.register_buffer("_anchor", torch.zeros(0, dtype=dtype), persistent=False)

    # -- what the SCM core needs to know ---------------------------------------------------
    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Shape of one row's noise: ``()`` for scalar noise.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import Categorical, LinearGaussian
        >>> LinearGaussian(1).noise_shape, Categorical(0, 3).noise_shape  # one Gumbel per category
        ((), (3,))
        """
        return ()

    @property
    def cardinality(self) -> int | None:
        """Number of categories of a discrete mechanism, ``None`` for continuous ones.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import Categorical, LinearGaussian
        >>> Categorical(0, 3).cardinality, LinearGaussian(1).cardinality
        (3, None)
        """
        return None

    @property
    def dtype(self) -> torch.dtype:
        """The float dtype the mechanism's parameters and noise are in.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> LinearGaussian(1, dtype=torch.float64).dtype
        torch.float64
        """
        return self._anchor.dtype

    @property
    def device(self) -> torch.device:
        """The device the mechanism's tensors live on (moved with ``.to(device)``).

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> LinearGaussian(1).device
        device(type='cpu')
        """
        return self._anchor.device

    # -- the protocol ----------------------------------------------------------------------
    @abc.abstractmethod
    def forward(self, parents: Tensor, noise: Tensor) -> Tensor:
        """The structural equation: the variable's value from its parents and its noise.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> m = LinearGaussian(2, weight=[1.0, 1.0], bias=1.0).requires_grad_(False)
        >>> m(torch.tensor([[1.0, 2.0]]), torch.tensor([0.5]))  # 1 + 2 + 1 + 0.5
        tensor([4.5000])
        """

    @abc.abstractmethod
    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` draws of the noise, on the mechanism's device and dtype.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> u = LinearGaussian(1, noise_std=0.5, dtype=torch.float64).sample_noise(3, torch.Generator().manual_seed(0))
        >>> u.shape, u.dtype
        (torch.Size([3]), torch.float64)
        """

    def abduct(
        self,
        parents: Tensor,
        value: Tensor,
        *,
        num_samples: int = 1,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """The noise behind observed ``value`` given ``parents``, ``[num_samples * N, *noise_shape]``.

        Exact for mechanisms invertible in their noise; draws from the noise posterior for
        discrete ones. This default raises :class:`~causalworld.errors.NotInvertibleError`.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> m = LinearGaussian(1, weight=[2.0]).requires_grad_(False)
        >>> m.abduct(torch.tensor([[1.0]]), torch.tensor([2.5]), num_samples=2)
        tensor([0.5000, 0.5000])
        """
        raise NotInvertibleError(
            f"{type(self).__name__} can neither invert its noise nor sample its noise posterior, "
            "so no counterfactual can be computed through it; use a mechanism with an abduct() "
            "(additive noise, post-nonlinear, Gumbel-max discrete) or give noise_data directly"
        )

    @abc.abstractmethod
    def log_prob(self, value: Tensor, parents: Tensor) -> Tensor:
        """``log p(value | parents)`` per row (a log-mass for discrete mechanisms).

        Examples
        --------
        >>> from causalworld.scm.mechanisms import GaussianRoot
        >>> GaussianRoot(std=1.0).log_prob(torch.tensor([0.0]), torch.empty(1, 0))  # -log(sqrt(2 pi))
        tensor([-0.9189])
        """

    def noise_distribution(self) -> torch.distributions.Distribution:
        """The noise law as a ``torch.distributions`` object (used by the Pyro export).

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> LinearGaussian(1, noise_std=0.5).noise_distribution()
        Normal(loc: 0.0, scale: 0.5)
        """
        raise ConversionError(
            f"{type(self).__name__} does not expose its noise as a torch distribution, so it cannot "
            "be exported to Pyro; implement noise_distribution() on it"
        )

    def check_parameters(self) -> None:
        """Raise if a parameter or buffer holds NaN or infinity (after a dtype change or a load).

        Subclasses with constrained parameters (a positive scale) extend this; the SCM calls it
        on every mechanism it is given, so a bad value is refused where the model is made.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> m = LinearGaussian(1)
        >>> with torch.no_grad():
        ...     _ = m.weight.fill_(float("nan"))
        >>> m.check_parameters()  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        causalworld.errors.NonFiniteError: its LinearGaussian parameter 'weight' holds NaN or infinite values ...
        """
        for name, t in list(self.named_parameters()) + list(self.named_buffers()):
            if t.dtype.is_floating_point and t.numel() and not bool(torch.isfinite(t).all()):
                raise NonFiniteError(
                    f"its {type(self).__name__} parameter {name!r} holds NaN or infinite values "
                    f"(in {t.dtype}); give finite values that fit the dtype, or use torch.float64"
                )

    def get_config(self) -> dict[str, Any]:
        """The JSON-able constructor arguments (the tensors travel in the ``state_dict``).

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> LinearGaussian(1, noise_std=0.5).get_config()
        {'n_parents': 1, 'noise_std': 0.5}
        """
        return {"n_parents": self.n_parents}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Mechanism":
        """A new mechanism of this class from :meth:`get_config`'s dict (load the tensors after).

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> m = LinearGaussian(1, weight=[2.0], noise_std=0.5)
        >>> copy = LinearGaussian.from_config(m.get_config())
        >>> _ = copy.load_state_dict(m.state_dict())
        >>> copy.equation("y", ["x"]) == m.equation("y", ["x"])
        True
        """
        return cls(**config)

    def equation(self, name: str, parents: list[str]) -> str:
        """A one-line structural equation a person can read, e.g. ``y := 0.5*x + u_y``.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> LinearGaussian(1, weight=[2.0], noise_std=0.5).equation("y", ["x"])
        'y := 2*x + 0 + u_y,  u_y ~ N(0, 0.5^2)'
        """
        args = ", ".join(parents)
        return f"{name} := {type(self).__name__}({args}{', ' if args else ''}u_{name})"

    # -- shared helpers --------------------------------------------------------------------
    @staticmethod
    def _repeat(t: Tensor, num_samples: int) -> Tensor:
        """Stack ``num_samples`` copies sample-major: rows ``k*N .. (k+1)*N-1`` are copy ``k``."""
        if num_samples == 1:
            return t
        return t.repeat((num_samples,) + (1,) * (t.dim() - 1))

    def _randn(self, shape: tuple[int, ...], generator: torch.Generator | None) -> Tensor:
        return torch.randn(shape, generator=generator, dtype=self.dtype, device=self.device)

    def _rand(self, shape: tuple[int, ...], generator: torch.Generator | None) -> Tensor:
        # keep away from 0 and 1 so logs and logits stay finite
        tiny = torch.finfo(self.dtype).tiny
        u = torch.rand(shape, generator=generator, dtype=self.dtype, device=self.device)
        return u.clamp_(min=tiny, max=1.0 - torch.finfo(self.dtype).eps)


LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def normal_log_prob(x: Tensor, std: Tensor | float) -> Tensor:
    """log N(x; 0, std^2), elementwise.

    Examples
    --------
    >>> normal_log_prob(torch.tensor([0.0, 1.0]), 1.0)  # -log(sqrt(2 pi)) - x^2 / 2
    tensor([-0.9189, -1.4189])
    """
    std = torch.as_tensor(std, dtype=x.dtype, device=x.device)
    return -0.5 * (x / std) ** 2 - torch.log(std) - LOG_SQRT_2PI
