"""Discrete mechanisms with Gumbel-max noise, whose counterfactuals come from the exact noise
posterior (Oberst & Sontag 2019, "Counterfactual off-policy evaluation with Gumbel-max SCMs").

A categorical variable is ``x = argmax_k(logits_k(parents) + g_k)`` with ``g_k`` i.i.d. standard
Gumbel. Given an observed ``x = k`` the posterior of ``g`` is sampled exactly by the top-down
construction: the maximum ``M = logsumexp(logits) + Gumbel`` goes to ``k``, every other
coordinate is a Gumbel truncated below ``M``. A binary variable is the two-category case written
with one scalar noise: ``g_1 - g_0`` is standard logistic, so ``x = 1[eta + L > 0]`` with
``eta = logit P(x=1)`` and ``L ~ Logistic(0, 1)``; its posterior is a truncated logistic.

DoWhy cannot abduct the noise of its classifier mechanisms (dowhy#1146); these can.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from causalworld.errors import OutOfRangeError
from causalworld.memory import check_memory
from causalworld.scm.mechanisms.base import Mechanism, register_mechanism
from causalworld.scm.mechanisms.continuous import _as_param

__all__ = ["Binary", "Categorical", "MAX_CARDINALITY"]

# Most categories a Categorical takes: Gumbel-max draws one noise value per category for every row,
# so a row of 2**16 categories is already 512 KiB of noise in float64.
MAX_CARDINALITY = 2**16


def _check_codes(value: Tensor, k: int) -> Tensor:
    if value.dtype.is_floating_point:
        codes = value.round()
        if not torch.equal(codes, value):
            raise OutOfRangeError("a discrete variable got a non-integer value; pass int64 category codes")
        value = codes
    value = value.long()
    if value.numel() and (int(value.min()) < 0 or int(value.max()) >= k):
        raise OutOfRangeError(
            f"a discrete variable with {k} categories got code {int(value.min())}..{int(value.max())}; "
            f"codes must lie in 0..{k - 1}"
        )
    return value


@register_mechanism
class Binary(Mechanism):
    """``x = 1[weight . parents + bias + L > 0]``, ``L ~ Logistic(0, 1)`` (Gumbel-max with two categories).

    Examples
    --------
    >>> m = Binary(1, weight=[3.0], bias=-1.0).requires_grad_(False)
    >>> pa = torch.tensor([[1.0], [0.0]])
    >>> m(pa, torch.tensor([0.0, 0.0]))
    tensor([1, 0])
    >>> u = m.abduct(pa, torch.tensor([1, 0]), num_samples=1000, generator=torch.Generator().manual_seed(0))
    >>> bool((u[::2] > -2.0).all() and (u[1::2] <= 1.0).all())
    True
    """

    discrete: ClassVar[bool] = True

    def __init__(self, n_parents: int, weight: Sequence[float] | Tensor | None = None, bias: float = 0.0,
                 *, dtype: torch.dtype | None = None) -> None:
        super().__init__(n_parents, dtype=dtype)
        self.weight = nn.Parameter(_as_param(weight, (n_parents,), 0.0, self.dtype, "Binary weight"))
        self.bias = nn.Parameter(_as_param(bias, (), 0.0, self.dtype, "Binary bias"))

    @property
    def cardinality(self) -> int:
        """Always 2: the codes 0 and 1.

        Examples
        --------
        >>> Binary(1).cardinality
        2
        """
        return 2

    def logit(self, parents: Tensor) -> Tensor:
        """``eta = logit P(x = 1 | parents)``, ``[N]``.

        Examples
        --------
        >>> Binary(1, weight=[3.0], bias=-1.0).logit(torch.tensor([[1.0], [0.0]]))
        tensor([ 2., -1.], grad_fn=<AddBackward0>)
        """
        if self.n_parents == 0:
            return self.bias.expand(parents.shape[0])
        return torch.mv(parents, self.weight) + self.bias

    def forward(self, parents: Tensor, noise: Tensor) -> Tensor:
        return (self.logit(parents) + noise > 0).long()

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return torch.logit(self._rand((n,), generator))

    def abduct(self, parents: Tensor, value: Tensor, *, num_samples: int = 1, generator=None) -> Tensor:
        x = _check_codes(value, 2).bool()
        eta = self._repeat(self.logit(parents), num_samples)
        x = self._repeat(x, num_samples)
        # x=1 <=> L > -eta <=> -L < eta: -L = logit(U * sigmoid(eta)); x=0 <=> L <= -eta: L = logit(U * sigmoid(-eta))
        u = self._rand(eta.shape, generator)
        one = -torch.logit(u * torch.sigmoid(eta))
        zero = torch.logit(u * torch.sigmoid(-eta))
        return torch.where(x, one, zero)

    def log_prob(self, value: Tensor, parents: Tensor) -> Tensor:
        x = _check_codes(value, 2)
        eta = self.logit(parents)
        return torch.where(x.bool(), F.logsigmoid(eta), F.logsigmoid(-eta))

    def noise_distribution(self) -> torch.distributions.Distribution:
        zero, one = torch.zeros((), dtype=self.dtype, device=self.device), torch.ones((), dtype=self.dtype, device=self.device)
        return torch.distributions.TransformedDistribution(
            torch.distributions.Uniform(zero, one), [torch.distributions.SigmoidTransform().inv]
        )

    def get_config(self) -> dict[str, Any]:
        return {"n_parents": self.n_parents}

    def equation(self, name: str, parents: list[str]) -> str:
        terms = [f"{w:.4g}*{p}" for w, p in zip(self.weight.tolist(), parents)] + [f"{self.bias.item():.4g}"]
        rhs = " + ".join(terms).replace("+ -", "- ")
        return f"{name} := 1[{rhs} + u_{name} > 0],  u_{name} ~ Logistic(0, 1)"


@register_mechanism
class Categorical(Mechanism):
    """``x = argmax_k(parents @ weight[:, k] + bias[k] + g_k)``, ``g_k ~ Gumbel(0, 1)`` i.i.d.

    The noise of one row is a ``[cardinality]`` vector. At most ``MAX_CARDINALITY`` (65536)
    categories: more raise :class:`~causalworld.errors.OutOfRangeError`.

    Examples
    --------
    >>> m = Categorical(0, 3, bias=[0.0, 1.0, 2.0]).requires_grad_(False)
    >>> g = torch.Generator().manual_seed(0)
    >>> x = m(torch.empty(20000, 0), m.sample_noise(20000, g))
    >>> (torch.bincount(x, minlength=3) / 20000).round(decimals=2)  # softmax([0, 1, 2]) = [0.09, 0.245, 0.665]
    tensor([0.0900, 0.2400, 0.6700])
    >>> u = m.abduct(torch.empty(3, 0), torch.tensor([0, 1, 2]), generator=g)
    >>> m(torch.empty(3, 0), u)
    tensor([0, 1, 2])
    """

    discrete: ClassVar[bool] = True

    def __init__(self, n_parents: int, cardinality: int, weight: Tensor | Sequence | None = None,
                 bias: Tensor | Sequence | None = None, *, dtype: torch.dtype | None = None) -> None:
        super().__init__(n_parents, dtype=dtype)
        if not isinstance(cardinality, int) or isinstance(cardinality, bool) or cardinality < 2:
            raise OutOfRangeError(f"cardinality must be an int >= 2, got {cardinality!r}")
        if cardinality > MAX_CARDINALITY:
            raise OutOfRangeError(
                f"cardinality {cardinality} is more than MAX_CARDINALITY = {MAX_CARDINALITY} categories (every row "
                "draws one noise value per category); group rare categories, or model the variable as continuous"
            )
        check_memory(8 * (n_parents + 1) * cardinality, what=f"Categorical({n_parents}, {cardinality})",
                     fix="use fewer parents or categories")
        self._k = cardinality
        self.weight = nn.Parameter(_as_param(weight, (n_parents, cardinality), 0.0, self.dtype, "Categorical weight"))
        self.bias = nn.Parameter(_as_param(bias, (cardinality,), 0.0, self.dtype, "Categorical bias"))

    @property
    def cardinality(self) -> int:
        """The number of categories ``K`` (codes ``0..K-1``).

        Examples
        --------
        >>> Categorical(0, 3).cardinality
        3
        """
        return self._k

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """``(K,)``: one Gumbel per category (Gumbel-max sampling).

        Examples
        --------
        >>> Categorical(0, 3).sample_noise(5).shape
        torch.Size([5, 3])
        """
        return (self._k,)

    def logits(self, parents: Tensor) -> Tensor:
        """Unnormalised log-probabilities of each category, ``[N, cardinality]``.

        Examples
        --------
        >>> Categorical(0, 3, bias=[0.0, 1.0, 2.0]).logits(torch.empty(2, 0)).tolist()
        [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
        """
        if self.n_parents == 0:
            return self.bias.expand(parents.shape[0], self._k)
        return parents @ self.weight + self.bias

    def forward(self, parents: Tensor, noise: Tensor) -> Tensor:
        if noise.dim() == 1:  # DoWhy's form: one uniform value per row, read through the class CDF
            return self.from_uniform(parents, noise)
        return torch.argmax(self.logits(parents) + noise, dim=-1)

    def from_uniform(self, parents: Tensor, u: Tensor) -> Tensor:
        """The category whose cumulative probability (in code order) first reaches ``u`` (``[N]``,
        in [0, 1]): how DoWhy's ``ClassifierFCM`` reads its noise, so ``noise_data`` written for
        DoWhy gives DoWhy's answers.

        Examples
        --------
        >>> m = Categorical(0, 3, bias=torch.log(torch.tensor([0.2, 0.3, 0.5])))
        >>> m.from_uniform(torch.empty(4, 0), torch.tensor([0.1, 0.2, 0.45, 0.9])).tolist()
        [0, 0, 1, 2]
        """
        cdf = torch.softmax(self.logits(parents), dim=-1).cumsum(-1)
        # cdf >= u, as DoWhy compares, up to the rounding of the softmax in this dtype
        below = (cdf < u.to(cdf.dtype).unsqueeze(-1) - 8 * torch.finfo(cdf.dtype).eps).sum(-1)
        return below.clamp_max(self._k - 1)

    def _gumbel(self, shape: tuple[int, ...], generator) -> Tensor:
        return -torch.log(-torch.log(self._rand(shape, generator)))

    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        return self._gumbel((n, self._k), generator)

    def abduct(self, parents: Tensor, value: Tensor, *, num_samples: int = 1, generator=None) -> Tensor:
        x = self._repeat(_check_codes(value, self._k), num_samples)  # (S*N,)
        logits = self._repeat(self.logits(parents), num_samples)  # (S*N, K)
        top = torch.logsumexp(logits, dim=-1) + self._gumbel(x.shape, generator)  # (S*N,) the max of logits + g
        free = logits + self._gumbel(logits.shape, generator)  # unconstrained draws
        below = -torch.logaddexp(-top.unsqueeze(-1), -free)  # each truncated below the max
        z = below.scatter(-1, x.unsqueeze(-1), top.unsqueeze(-1))
        return z - logits

    def log_prob(self, value: Tensor, parents: Tensor) -> Tensor:
        x = _check_codes(value, self._k)
        return torch.log_softmax(self.logits(parents), dim=-1).gather(-1, x.unsqueeze(-1)).squeeze(-1)

    def noise_distribution(self) -> torch.distributions.Distribution:
        zero = torch.zeros(self._k, dtype=self.dtype, device=self.device)
        return torch.distributions.Independent(torch.distributions.Gumbel(zero, torch.ones_like(zero)), 1)

    def get_config(self) -> dict[str, Any]:
        return {"n_parents": self.n_parents, "cardinality": self._k}

    def equation(self, name: str, parents: list[str]) -> str:
        return (f"{name} := argmax_k(logits_k({', '.join(parents)}) + u_{name},k),  "
                f"u_{name},k ~ Gumbel(0, 1), k = 0..{self._k - 1}")
