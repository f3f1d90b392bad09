"""Physical laws as SCM mechanisms: the base for a world's own structural equations.

A world's truth is an ordinary :class:`causalworld.SCM`, so its physics (Malus's law, a lamp
behind a switch and a dimmer, a fall under gravity) is written as mechanisms of the SCM core's
protocol. :class:`PhysicalLaw` is the common case ``x = law(parents) + u`` with Gaussian ``u``:
a subclass writes only ``law`` (and its config), and inherits sampling, exact abduction (so the
truth answers counterfactuals), the likelihood and the Pyro noise law. Subclasses must be
registered with ``@causalworld.register_mechanism`` so a saved truth loads again.
"""

from __future__ import annotations

import abc
import math
from typing import Any, ClassVar

import torch
from torch import Tensor

from causalworld.errors import ConversionError, OutOfRangeError
from causalworld.scm.mechanisms.base import Mechanism, normal_log_prob

__all__ = ["PhysicalLaw"]


class PhysicalLaw(Mechanism):
    """``x = law(parents) + u``, ``u ~ N(0, noise_std^2)``: a deterministic law with additive noise
    (``noise_std = 0`` makes it exactly deterministic: ``log_prob`` is then a point mass).

    Subclasses define ``law(parents) -> Tensor[N]`` (``parents`` is ``[N, n_parents]`` in the
    SCM's variable order: pass the column of each role in the constructor) and extend
    ``get_config`` with their own JSON-able constructor arguments.

    Examples
    --------
    >>> import causalworld as cw
    >>> @cw.register_mechanism
    ... class Doubling(PhysicalLaw):
    ...     def law(self, parents):
    ...         return 2 * parents[:, 0]
    >>> m = Doubling(1, noise_std=0.1)
    >>> pa = torch.tensor([[1.0], [2.0]])
    >>> x = m(pa, torch.tensor([0.05, -0.05]))
    >>> m.abduct(pa, x)
    tensor([ 0.0500, -0.0500])
    """

    invertible: ClassVar[bool] = True

    def __init__(self, n_parents: int, noise_std: float = 0.01) -> None:
        super().__init__(n_parents)
        if not (isinstance(noise_std, (int, float)) and math.isfinite(noise_std) and noise_std >= 0):
            raise OutOfRangeError(f"noise_std must be a finite number >= 0, got {noise_std!r}")
        self.register_buffer("noise_std", torch.tensor(float(noise_std)))

    @abc.abstractmethod
    def law(self, parents: Tensor) -> Tensor:
        """The noise-free value from the parents, ``[N]``.

        Examples
        --------
        >>> from causalworld.envs.lights import Lamp  # switch * dimmer * (1 - fade * ambient) + u
        >>> m = Lamp(3, fade=0.5, noise_std=0.02)
        >>> pa = torch.tensor([[1.0, 0.8, 0.5]])  # switch on, dimmer 0.8, ambient 0.5: law 0.6
        >>> m.law(pa)
        tensor([0.6000])
        """

    def forward(self, parents: Tensor, noise: Tensor) -> Tensor:
        """The value ``law(parents) + noise``, ``[N]``.

        Examples
        --------
        >>> from causalworld.envs.lights import Lamp  # switch * dimmer * (1 - fade * ambient) + u
        >>> m = Lamp(3, fade=0.5, noise_std=0.02)
        >>> pa = torch.tensor([[1.0, 0.8, 0.5]])  # switch on, dimmer 0.8, ambient 0.5: law 0.6
        >>> m(pa, torch.tensor([0.01]))
        tensor([0.6100])
        """
        return self.law(parents) + noise

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` draws of ``u ~ N(0, noise_std^2)`` from ``generator``.

        Examples
        --------
        >>> from causalworld.envs.lights import Lamp  # switch * dimmer * (1 - fade * ambient) + u
        >>> m = Lamp(3, fade=0.5, noise_std=0.02)
        >>> pa = torch.tensor([[1.0, 0.8, 0.5]])  # switch on, dimmer 0.8, ambient 0.5: law 0.6
        >>> round(float(m.sample_noise(10_000, torch.Generator().manual_seed(0)).std()), 3)
        0.02
        """
        # with noise_std = 0 the draws are zeros, yet the generator still advances (streams stay aligned)
        return self.noise_std * self._randn((n,), generator)

    def abduct(self, parents: Tensor, value: Tensor, *, num_samples: int = 1, generator: torch.Generator | None = None) -> Tensor:
        """The noise that gave ``value``: exactly ``value - law(parents)`` (the law is invertible in ``u``).

        Examples
        --------
        >>> from causalworld.envs.lights import Lamp  # switch * dimmer * (1 - fade * ambient) + u
        >>> m = Lamp(3, fade=0.5, noise_std=0.02)
        >>> pa = torch.tensor([[1.0, 0.8, 0.5]])  # switch on, dimmer 0.8, ambient 0.5: law 0.6
        >>> m.abduct(pa, torch.tensor([0.61]))
        tensor([0.0100])
        """
        return self._repeat(value - self.law(parents), num_samples)

    def log_prob(self, value: Tensor, parents: Tensor) -> Tensor:
        """Log density of ``value`` given the parents (a point mass when ``noise_std = 0``).

        Examples
        --------
        >>> from causalworld.envs.lights import Lamp  # switch * dimmer * (1 - fade * ambient) + u
        >>> m = Lamp(3, fade=0.5, noise_std=0.02)
        >>> pa = torch.tensor([[1.0, 0.8, 0.5]])  # switch on, dimmer 0.8, ambient 0.5: law 0.6
        >>> m.log_prob(torch.tensor([0.6, 0.62]), pa.repeat(2, 1))  # at the law, one std off
        tensor([2.9931, 2.4931])
        >>> Lamp(3, noise_std=0.0).log_prob(torch.tensor([0.6, 0.62]), pa.repeat(2, 1))
        tensor([0., -inf])
        """
        resid = value - self.law(parents)
        if float(self.noise_std) > 0:
            return normal_log_prob(resid, self.noise_std)
        # a deterministic law: a point mass on its own output
        return torch.where(resid == 0, torch.zeros_like(resid), torch.full_like(resid, -math.inf))

    def noise_distribution(self) -> torch.distributions.Distribution:
        """The law of ``u`` as a ``torch.distributions.Normal`` (for the Pyro export).

        Raises
        ------
        ConversionError
            ``noise_std = 0``: a deterministic law has no density to export.

        Examples
        --------
        >>> from causalworld.envs.lights import Lamp  # switch * dimmer * (1 - fade * ambient) + u
        >>> m = Lamp(3, fade=0.5, noise_std=0.02)
        >>> pa = torch.tensor([[1.0, 0.8, 0.5]])  # switch on, dimmer 0.8, ambient 0.5: law 0.6
        >>> d = m.noise_distribution()
        >>> type(d).__name__, round(float(d.scale), 3)
        ('Normal', 0.02)
        """
        if float(self.noise_std) > 0:
            return torch.distributions.Normal(torch.zeros_like(self.noise_std), self.noise_std)
        raise ConversionError(
            f"{type(self).__name__} has noise_std = 0 (a deterministic law), which torch.distributions "
            "cannot express; build the world with a noise_std > 0 to export it to Pyro"
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able (what a saved truth stores; subclasses add theirs).

        Examples
        --------
        >>> from causalworld.envs.lights import Lamp  # switch * dimmer * (1 - fade * ambient) + u
        >>> m = Lamp(3, fade=0.5, noise_std=0.02)
        >>> pa = torch.tensor([[1.0, 0.8, 0.5]])  # switch on, dimmer 0.8, ambient 0.5: law 0.6
        >>> cfg = m.get_config()
        >>> cfg["n_parents"], round(cfg["noise_std"], 3), Lamp(**cfg).get_config() == cfg
        (3, 0.02, True)
        """
        return {"n_parents": self.n_parents, "noise_std": float(self.noise_std)}

    def equation(self, name: str, parents: list[str]) -> str:
        """The structural equation in words, as ``print(scm)`` shows it.

        Examples
        --------
        >>> from causalworld.envs.lights import Lamp  # switch * dimmer * (1 - fade * ambient) + u
        >>> m = Lamp(3, fade=0.5, noise_std=0.02)
        >>> pa = torch.tensor([[1.0, 0.8, 0.5]])  # switch on, dimmer 0.8, ambient 0.5: law 0.6
        >>> m.equation("lamp_red", ["switch_red", "dimmer_red", "ambient"])
        'lamp_red := Lamp(switch_red, dimmer_red, ambient) + u_lamp_red,  u_lamp_red ~ N(0, 0.02^2)'
        """
        args = ", ".join(parents)
        std = float(self.noise_std)
        if std == 0:
            return f"{name} := {type(self).__name__}({args})"
        return f"{name} := {type(self).__name__}({args}) + u_{name},  u_{name} ~ N(0, {std:.4g}^2)"
