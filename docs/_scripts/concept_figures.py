"""The figures of the Concepts pages (``docs/concepts/*.md``), computed by the library itself
when the docs build: an SCM and its samples, seeing against doing, counterfactuals against fresh
interventional draws, prediction in representation space, and what interventions identify.

Every function returns ``{path under docs/: matplotlib Figure}``.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

import causalworld as cw
from causalworld.viz import draw_graph

__all__ = ["CONCEPT_FIGURES", "ice_cream_scm"]


def ice_cream_scm() -> cw.SCM:
    """The running example of the Concepts pages: the sun warms the day and sells ice cream both
    directly (people are out) and through the temperature."""
    return cw.SCM.linear(
        [("sun", "temperature"), ("sun", "ice_cream"), ("temperature", "ice_cream")],
        {("sun", "temperature"): 3.0, ("sun", "ice_cream"): 1.0, ("temperature", "ice_cream"): 2.0},
        noise_std=0.5,
    )


def _figure(width: float, height: float, ncols: int = 1):
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols, squeeze=False)[0]


def scm() -> dict[str, Figure]:
    model = ice_cream_scm()
    data = model.sample(400, seed=0)
    fig, (ax,) = _figure(3.6, 3.0)
    ax.scatter(data["temperature"], data["ice_cream"], s=5, alpha=0.5)
    ax.set_xlabel("temperature")
    ax.set_ylabel("ice_cream")
    ax.set_title("400 samples: scm.sample(400, seed=0)", fontsize=9)
    return {
        "concepts/img/scm_graph.png": draw_graph(model, title="the SCM's graph", figsize=(4.0, 3.2)),
        "concepts/img/scm_samples.png": fig,
    }


def do() -> dict[str, Figure]:
    model = ice_cream_scm()
    data = model.to_frame(model.sample(4000, seed=0))
    # seeing: the mean of ice_cream among the rows whose temperature falls in each bin
    bins = np.quantile(data["temperature"], np.linspace(0.02, 0.98, 12))
    groups = data.groupby(pd.cut(data["temperature"], bins), observed=False)
    mid = groups["temperature"].mean().to_numpy()  # where each bin's rows lie, not the bin's middle
    seen = groups["ice_cream"].mean().to_numpy()
    # doing: the mean of ice_cream when the temperature is set, sun left as it is
    done = [float(model.do({"temperature": float(t)}).sample(2000, seed=1)["ice_cream"].mean()) for t in mid]
    fig, (ax,) = _figure(4.2, 3.2)
    ax.plot(mid, seen, "o-", label="seeing: E[ice_cream | temperature = t]")
    ax.plot(mid, done, "s-", label="doing: E[ice_cream | do(temperature = t)]")
    ax.set_xlabel("t")
    ax.set_ylabel("ice_cream")
    ax.legend(fontsize=7, loc="upper left")
    cut = nx.DiGraph(model.graph)
    cut.remove_edges_from(list(cut.in_edges("temperature")))
    return {
        "concepts/img/seeing_vs_doing.png": fig,
        "concepts/img/do_graph.png": draw_graph(cut, title="do(temperature := t) cuts the arrow from sun",
                                                figsize=(4.0, 3.2)),
    }


def counterfactual() -> dict[str, Figure]:
    model = ice_cream_scm()
    observed = model.sample(300, seed=0)
    cf = model.counterfactual(observed, {"temperature": 0.0})  # each row's own noise, abducted
    fresh = model.do({"temperature": 0.0}).sample(300, seed=1)  # new rows, new noise
    fig, (ax,) = _figure(4.2, 3.4)
    ax.scatter(observed["ice_cream"], fresh["ice_cream"], s=6, alpha=0.5, label="do(temperature := 0), fresh draws")
    ax.scatter(observed["ice_cream"], cf["ice_cream"], s=6, alpha=0.7,
               label="counterfactual of the same row")
    ax.set_xlabel("ice_cream observed in the row")
    ax.set_ylabel("ice_cream had temperature been 0")
    ax.legend(fontsize=7, loc="upper left")
    return {"concepts/img/counterfactual.png": fig}


def _box(ax, xy, text, colour):
    x, y = xy
    ax.add_patch(FancyBboxPatch((x - 0.11, y - 0.07), 0.22, 0.14, boxstyle="round,pad=0.01",
                                facecolor=colour, edgecolor="#333333"))
    ax.text(x, y, text, ha="center", va="center", fontsize=7.5)


def _arrow(ax, a, b, text=""):
    ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=10, color="#333333"))
    if text:
        ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + 0.03, text, ha="center", fontsize=6.5)


def jepa() -> dict[str, Figure]:
    """The encoder's objective as a diagram whose frames are a real episode and its intervened
    twin: the predictor guesses the target encoder's latents, never the pixels."""
    world = cw.make("sprites", image_size=32, n_objects=2, frames=2, seed=0)
    eps = world.rollout(1, seed=0)
    high = world.intervenable["x0"][0]
    twin = world.counterfactual_rollout(eps, {"x0": high})
    fig, (ax,) = _figure(7.6, 3.0)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_axis_off()
    first = eps.frames[0, 0].permute(1, 2, 0).numpy()
    later = twin.frames[0, 1].permute(1, 2, 0).numpy()
    ax.imshow(first, extent=(0.01, 0.13, 0.62, 0.92), interpolation="nearest", aspect="auto")
    ax.imshow(later, extent=(0.01, 0.13, 0.08, 0.38), interpolation="nearest", aspect="auto")
    ax.text(0.07, 0.95, "frame 0", ha="center", fontsize=7)
    ax.text(0.07, 0.41, f"frame 1 under do(x0 := {high:.2f})", ha="center", fontsize=7)
    _box(ax, (0.3, 0.77), "context encoder", "#cfe0f5")
    _box(ax, (0.3, 0.23), "target encoder\n(EMA of context)", "#e8e8e8")
    _box(ax, (0.58, 0.77), "predictor", "#f5e0c0")
    _box(ax, (0.86, 0.5), "loss in\nlatent space", "#f2c4c4")
    _arrow(ax, (0.14, 0.77), (0.19, 0.77))
    _arrow(ax, (0.14, 0.23), (0.19, 0.23))
    _arrow(ax, (0.41, 0.77), (0.47, 0.77), "latents")
    _arrow(ax, (0.58, 0.97), (0.58, 0.84), "the intervention")
    _arrow(ax, (0.69, 0.77), (0.78, 0.56), "predicted")
    _arrow(ax, (0.41, 0.23), (0.78, 0.44), "target latents (no gradient)")
    ax.text(0.5, 0.02, "no pixel is reconstructed: the loss compares latents", ha="center", fontsize=7, style="italic")
    return {"concepts/img/jepa.png": fig}


def identifiability() -> dict[str, Figure]:
    """P(x -> y) learned by ExactLearner from observational rows alone (x -> y and y -> x fit equally
    well) and with more and more rows where y was set (setting y leaves x as it was only if x
    causes y)."""
    from causalworld.discovery import ExactLearner

    model = cw.SCM.linear([("x", "y")], {("x", "y"): 1.0}, 1.0)
    observed = model.to_frame(model.sample(300, seed=0))
    set_y = model.to_frame(model.do({"y": 2.0}).sample(100, seed=1))
    counts = [0, 2, 5, 10, 30, 100]
    p = []
    for k in counts:
        data = pd.concat([observed, set_y.iloc[:k]], ignore_index=True)
        targets = [set()] * len(observed) + [{"y"}] * k
        learner = ExactLearner(progress=False).fit(data, targets=targets)
        p.append(float(learner.edge_probs_.loc["x", "y"]))
    fig, (ax,) = _figure(4.2, 3.0)
    ax.bar([str(k) for k in counts], p, color="#4c8bd6")
    ax.axhline(0.5, color="grey", ls="--", lw=0.8)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("rows with do(y := 2), beside 300 observed rows")
    ax.set_ylabel("P(x -> y), from edge_probs_")
    return {"concepts/img/identifiability.png": fig}


CONCEPT_FIGURES = {"scm": scm, "do": do, "counterfactual": counterfactual, "jepa": jepa,
                   "identifiability": identifiability}
