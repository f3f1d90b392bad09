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
from typing import Any, ClassVar

import torch
from torch import Tensor

from causalworld.errors import OutOfRangeError
from causalworld.scm.mechanisms.base import Mechanism, normal_log_prob

__all__ = ["PhysicalLaw"]


class PhysicalLaw(Mechanism):
    """``x = law(parents) + u``, ``u ~ N(0, noise_std^2)``: a deterministic law with additive noise.

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
        if not noise_std > 0:
            raise OutOfRangeError(f"noise_std must be > 0, got {noise_std}")
        self.register_buffer("noise_std", torch.tensor(float(noise_std)))

    @abc.abstractmethod
    def law(self, parents: Tensor) -> Tensor:
        """The noise-free value from the parents, ``[N]``."""

    def forward(self, parents: Tensor, noise: Tensor) -> Tensor:
        return self.law(parents) + noise

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self.noise_std * self._randn((n,), generator)

    def abduct(self, parents: Tensor, value: Tensor, *, num_samples: int = 1, generator: torch.Generator | None = None) -> Tensor:
        return self._repeat(value - self.law(parents), num_samples)

    def log_prob(self, value: Tensor, parents: Tensor) -> Tensor:
        return normal_log_prob(value - self.law(parents), self.noise_std)

    def noise_distribution(self) -> torch.distributions.Distribution:
        return torch.distributions.Normal(torch.zeros_like(self.noise_std), self.noise_std)

    def get_config(self) -> dict[str, Any]:
        return {"n_parents": self.n_parents, "noise_std": float(self.noise_std)}

    def equation(self, name: str, parents: list[str]) -> str:
        return f"{name} := {type(self).__name__}({', '.join(parents)}) + u_{name},  u_{name} ~ N(0, {float(self.noise_std):.4g}^2)"
