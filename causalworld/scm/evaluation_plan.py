"""Batched evaluation of many MLP mechanisms at once: one pass per topological level.

Per-variable evaluation costs a dozen small tensor ops per mechanism, which dominates
single-row queries. Here the additive-noise MLPs that share an architecture are stacked into
``[k, ...]`` weight tensors (parents padded with zero weights) and evaluated with batched
matrix products, so a level of the graph, or the whole abduction step, is a few ops however many
variables it holds. The SCM core builds these plans once per model (:class:`EvaluationPlan`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from causalworld.scm.mechanisms.continuous import _FUNCTIONAL, AdditiveNoiseMLP
from causalworld.scm.mechanisms.base import Mechanism

__all__ = ["StackedMLP", "EvaluationPlan"]


class StackedMLP:
    """``k`` additive-noise MLPs of one architecture, evaluated together: ``predict -> [k, N]``.

    Parents are gathered into ``[k, p_max, N]`` (a node with fewer parents repeats its first
    parent, under zero weights), then each layer is one ``baddbmm``.

    Examples
    --------
    >>> _ = torch.manual_seed(0)
    >>> a = AdditiveNoiseMLP(1, hidden=(4,)).requires_grad_(False)
    >>> b = AdditiveNoiseMLP(2, hidden=(4,)).requires_grad_(False)
    >>> stack = StackedMLP(["y", "z"], [a, b], [["x"], ["x", "w"]])
    >>> values = {"x": torch.randn(5), "w": torch.randn(5)}
    >>> out = stack.predict(values, 5)
    >>> out.shape
    torch.Size([2, 5])
    >>> torch.allclose(out[1], b.predict(torch.stack([values["x"], values["w"]], 1)))  # as one at a time
    True
    """

    def __init__(self, names: Sequence[str], mechanisms: Sequence[AdditiveNoiseMLP],
                 parents: Sequence[Sequence[str]]) -> None:
        self.names = list(names)
        ref = mechanisms[0]
        dtype, device = ref.dtype, ref.device
        k = len(mechanisms)
        p_max = max(len(p) for p in parents)
        self.activation = _FUNCTIONAL[ref.activation]
        self.gather: list[str] = []
        in_shift = torch.zeros(k, p_max, 1, dtype=dtype, device=device)
        in_scale = torch.ones(k, p_max, 1, dtype=dtype, device=device)
        layers = len(ref._linears)
        weights: list[list[Tensor]] = [[] for _ in range(layers)]
        biases: list[list[Tensor]] = [[] for _ in range(layers)]
        for i, (m, ps) in enumerate(zip(mechanisms, parents)):
            self.gather += list(ps) + [ps[0]] * (p_max - len(ps))
            in_shift[i, : len(ps), 0] = m.in_shift
            in_scale[i, : len(ps), 0] = m.in_scale
            for li, lin in enumerate(m._linears):
                w = lin.weight.detach()
                if li == 0 and len(ps) < p_max:
                    w = torch.cat([w, w.new_zeros(w.shape[0], p_max - len(ps))], dim=1)
                weights[li].append(w)
                biases[li].append(lin.bias.detach().unsqueeze(-1))
        self.k, self.p_max = k, p_max
        self.in_shift, self.in_scale = in_shift, in_scale
        self.weights = [torch.stack(w) for w in weights]  # (k, out, in) per layer
        self.biases = [torch.stack(b) for b in biases]  # (k, out, 1) per layer
        self.out_shift = torch.stack([m.out_shift for m in mechanisms]).unsqueeze(-1)  # (k, 1)
        self.out_scale = torch.stack([m.out_scale for m in mechanisms]).unsqueeze(-1)  # (k, 1)
        self.dtype = dtype

    def predict(self, values: Mapping[str, Tensor], n: int) -> Tensor:
        """``f(parents)`` of all ``k`` MLPs for ``n`` rows of ``values``: ``[k, N]``.

        Examples
        --------
        >>> _ = torch.manual_seed(0)
        >>> mlps = [AdditiveNoiseMLP(1, hidden=(4,)).requires_grad_(False) for _ in range(3)]
        >>> x = torch.randn(4)
        >>> out = StackedMLP(["a", "b", "c"], mlps, [["x"]] * 3).predict({"x": x}, 4)
        >>> torch.allclose(out, torch.stack([m.predict(x[:, None]) for m in mlps]))
        True
        """
        cols = [values[p] if values[p].dtype == self.dtype else values[p].to(self.dtype) for p in self.gather]
        h = torch.stack(cols).view(self.k, self.p_max, n)  # (k, p_max, N)
        h = (h - self.in_shift) / self.in_scale
        last = len(self.weights) - 1
        for li, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, w, h)  # (k, out, N)
            if li < last:
                h = self.activation(h)
        return torch.addcmul(self.out_shift, self.out_scale, h.squeeze(1))  # (k, N)


def _groups(names: Sequence[str], mechanisms: Mapping[str, Mechanism],
            parents: Mapping[str, Sequence[str]]) -> tuple[list[StackedMLP], list[str]]:
    """Stack the MLPs among ``names`` by architecture; return the stacks and the rest."""
    by_arch: dict[tuple, list[str]] = defaultdict(list)
    rest: list[str] = []
    for v in names:
        m = mechanisms[v]
        if type(m) is AdditiveNoiseMLP and m.n_parents > 0:
            by_arch[(m.hidden, m.activation)].append(v)
        else:
            rest.append(v)
    stacks = []
    for group in by_arch.values():
        if len(group) < 2:
            rest.extend(group)
            continue
        stacks.append(StackedMLP(group, [mechanisms[v] for v in group], [parents[v] for v in group]))
    return stacks, rest


class EvaluationPlan:
    """How to evaluate a model's mechanisms in few ops: per topological level for the predict
    step (``levels``: a list of ``(stacks, single variables)``), and all at once for abduction
    (``abduct_stacks``, ``abduct_rest``), where every parent is observed.

    Examples
    --------
    >>> from causalworld.scm.mechanisms import GaussianRoot
    >>> mechanisms = {"x": GaussianRoot(), "y": AdditiveNoiseMLP(1, hidden=(4,)), "z": AdditiveNoiseMLP(1, hidden=(4,))}
    >>> parents = {"x": [], "y": ["x"], "z": ["x"]}
    >>> plan = EvaluationPlan([["x"], ["y", "z"]], mechanisms, parents, ["x", "y", "z"])
    >>> plan.useful, plan.levels[1][0][0].names, plan.abduct_rest  # y and z stacked, x alone
    (True, ['y', 'z'], ['x'])
    """

    def __init__(self, levels: Sequence[Sequence[str]], mechanisms: Mapping[str, Mechanism],
                 parents: Mapping[str, Sequence[str]], order: Sequence[str]) -> None:
        self.levels = [_groups(level, mechanisms, parents) for level in levels]
        self.abduct_stacks, rest = _groups(order, mechanisms, parents)
        position = {v: i for i, v in enumerate(order)}
        self.abduct_rest = sorted(rest, key=position.__getitem__)
        self.useful = bool(self.abduct_stacks) or any(stacks for stacks, _ in self.levels)
