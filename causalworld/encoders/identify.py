"""What the data can name: which intervened variables a latent can be tied to, and why not the rest.

A variable is *identified* when the agent set it apart from every other variable: set in at
least ``min_episodes`` episodes, to values that vary, and not always set together with another
variable to values that move with it (two variables always set to the same value, or never set
apart, look the same in every episode the agent knows about). After training, a named latent
must also recover its set values from single frames on held-out episodes (R² >= ``min_r2``);
one that does not is a variable the frames do not show directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import networkx as nx
import torch
from torch import Tensor

__all__ = ["set_apart", "explain_unseen", "explained_by"]


def set_apart(set_values: Tensor, names: Sequence[str], *, min_episodes: int) -> dict[str, str | None]:
    """``{variable: None if it can be named, else the reason in words}`` from what was set.

    Parameters
    ----------
    set_values : Tensor [n, m]
        What each episode set each variable to, NaN where nothing was set.
    names : sequence of str
        The m variables.
    min_episodes : int
        Episodes a variable must be set in (and set apart from each other variable in).

    Examples
    --------
    >>> nan = float("nan")
    >>> sv = torch.tensor([[1.0, 1.0, nan], [2.0, 2.0, 0.5], [nan, nan, 0.1], [3.0, 3.0, nan]] * 10)
    >>> set_apart(sv, ["a", "b", "c"], min_episodes=5)["a"]
    "never set apart from 'b' (set together in 30 episodes, to values that move together: correlation 1.00)"
    >>> set_apart(sv, ["a", "b", "c"], min_episodes=5)["c"] is None
    True
    """
    sv = set_values.detach().cpu().to(torch.float64)
    setm = ~torch.isnan(sv)
    out: dict[str, str | None] = {}
    for j, v in enumerate(names):
        rows = setm[:, j]
        count = int(rows.sum())
        if count < min_episodes:
            out[v] = (f"set in {count} episodes, fewer than the {min_episodes} needed to name a latent after it"
                      if count else "never set by an intervention, so no latent can be tied to it")
            continue
        vals = sv[rows, j]
        if float(vals.std()) == 0.0:
            out[v] = f"always set to the same value ({float(vals[0]):g}), so its values cannot be told apart"
            continue
        reason = None
        for k, w in enumerate(names):
            if k == j:
                continue
            alone = int((rows & ~setm[:, k]).sum())
            if alone >= min_episodes:
                continue
            both = rows & setm[:, k]
            if int(both.sum()) < 3:
                continue
            a, b = sv[both, j], sv[both, k]
            a, b = a - a.mean(), b - b.mean()
            corr = float((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-12))
            if abs(corr) > 0.95:
                reason = (f"never set apart from {w!r} (set together in {int(both.sum())} episodes, to values that "
                          f"move together: correlation {corr:.2f})")
                break
        out[v] = reason
    return out


def explain_unseen(variable: str, graph: nx.DiGraph | None, depicted: Sequence[str], time_varying: Sequence[str],
                   r2: float | None = None) -> str:
    """Why a variable the agent set cannot be read off single frames, in words a user can act on.

    Examples
    --------
    >>> g = nx.DiGraph([("dimmer", "lamp"), ("spin", "angle")])
    >>> explain_unseen("dimmer", g, ["lamp", "angle"], ["angle"])
    "not depicted: it acts on the frames only through 'lamp'"
    >>> explain_unseen("spin", g, ["lamp", "angle"], ["angle"])
    "not depicted: seen only through the motion of 'angle' over the frames"
    """
    measured = f" (held-out R² {r2:.2f} from single frames)" if r2 is not None else ""
    if graph is None or variable not in graph:
        return ("its set values cannot be read off single frames" + measured +
                ": it is probably not depicted, or seen only through other variables")
    shown = [w for w in nx.descendants(graph, variable) if w in depicted]
    direct = [w for w in graph.successors(variable) if w in depicted]
    if direct and all(w in time_varying for w in direct):
        return "not depicted: seen only through the motion of " + ", ".join(repr(w) for w in sorted(direct)) + \
            " over the frames" + measured
    if shown:
        return "not depicted: it acts on the frames only through " + ", ".join(repr(w) for w in sorted(shown)) + measured
    return "not depicted, and nothing it causes is depicted" + measured


def reasons_table(reasons: Mapping[str, str | None], named: Sequence[str]) -> dict[str, str]:
    """Every variable with what the encoder did with it, for ``identifiability_``."""
    return {v: ("identified: named latent" if v in named else str(r)) for v, r in reasons.items()}


def explained_by(named: Tensor, free: Tensor, *, seed: int = 0, hidden: int = 64, steps: int = 500) -> Tensor:
    """Held-out R² of each free latent from the named ones: ``[f]``.

    A small MLP (two tanh layers of ``hidden`` units, full-batch Adam for ``steps`` steps, its
    initial weights from ``seed``) regresses the standardised ``free`` ``[n, f]`` latents on the
    standardised ``named`` ``[n, k]`` ones, on a random half of the rows (also from ``seed``); R²
    is scored on the other half. A free latent the named ones explain is a copy of what they
    already say (the collapse guard makes spare latents vary, and they vary with the named
    variables, through any nonlinear mixture of them), not a factor of its own.

    Examples
    --------
    >>> g = torch.Generator().manual_seed(0)
    >>> a = torch.rand(400, 2, generator=g) * 2 - 1
    >>> free = torch.stack([torch.sin(3 * a[:, 0]) * a[:, 1], torch.randn(400, generator=g)], 1)  # a mixture; noise
    >>> r2 = explained_by(a, free)
    >>> bool(r2[0] > 0.9), bool(r2[1] < 0.1)
    (True, True)
    """
    n = named.shape[0]
    if named.shape[1] == 0 or free.shape[1] == 0 or n < 8:
        return torch.full((free.shape[1],), float("nan"))
    with torch.enable_grad():
        g = torch.Generator().manual_seed(int(seed))
        x = named.detach().cpu().to(torch.float32)
        y = free.detach().cpu().to(torch.float32)
        x = (x - x.mean(0)) / x.std(0).clamp_min(1e-12)
        y = (y - y.mean(0)) / y.std(0).clamp_min(1e-12)
        half = torch.zeros(n, dtype=torch.bool)
        half[torch.randperm(n, generator=g)[: n // 2]] = True
        sizes = [x.shape[1], hidden, hidden, y.shape[1]]
        weights = [(torch.randn(a, b, generator=g) / a**0.5).requires_grad_() for a, b in zip(sizes, sizes[1:])]
        biases = [torch.zeros(b, requires_grad=True) for b in sizes[1:]]

        def net(h: Tensor) -> Tensor:
            for i, (w, b) in enumerate(zip(weights, biases)):
                h = h @ w + b
                if i < len(weights) - 1:
                    h = torch.tanh(h)
            return h

        opt = torch.optim.Adam([*weights, *biases], lr=1e-2)
        for _ in range(int(steps)):
            opt.zero_grad()
            loss = ((net(x[half]) - y[half]) ** 2).mean()
            loss.backward()
            opt.step()
        with torch.no_grad():
            resid = y[~half] - net(x[~half])
            spread = ((y[~half] - y[~half].mean(0)) ** 2).mean(0).clamp_min(1e-12)
            return 1.0 - (resid**2).mean(0) / spread
