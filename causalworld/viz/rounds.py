"""How an experiment's model improved round by round: a score per round, several policies compared.

Reads the ``history`` table an experiment leaves (``interventions.ExperimentResult.history``: one
row per round with ``round``, ``n_interventions``, ``n_episodes``, ``shd``,
``counterfactual_error``, ``edges``, ``seconds``) or any DataFrame with those columns. Several runs
of one policy (seeds) are drawn as their mean with the band from the lowest to the highest run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from causalworld.errors import ArgumentError, DTypeError, UnknownVariableError

__all__ = ["plot_rounds", "round_table"]

AXIS_LABELS = {
    "shd": "SHD to the true graph (lower is better)",
    "counterfactual_error": "counterfactual error, std units (lower is better)",
    "edges": "edges learned",
    "seconds": "seconds per round",
    "round": "round",
    "n_interventions": "interventions so far",
    "n_episodes": "episodes so far",
}
INTEGER = {"shd", "edges", "round", "n_interventions", "n_episodes"}


def _history(run: Any, label: str) -> pd.DataFrame:
    history = run.history if hasattr(run, "history") else run
    if not isinstance(history, pd.DataFrame):
        raise DTypeError(f"run {label!r} must be an ExperimentResult (with .history) or its history DataFrame, "
                         f"got {type(run).__name__}")
    if history.empty:
        raise ArgumentError(f"run {label!r} has an empty history: no rounds to plot")
    return history


def _runs(results: Any) -> dict[str, list[pd.DataFrame]]:
    """``{label: [history, ...]}`` from one run, a list of runs, or ``{label: run or runs}``."""
    if isinstance(results, Mapping):
        out = {}
        for label, runs in results.items():
            runs = list(runs) if isinstance(runs, (list, tuple)) else [runs]
            if not runs:
                raise ArgumentError(f"{label!r} has no runs to plot")
            out[str(label)] = [_history(r, str(label)) for r in runs]
    elif isinstance(results, (list, tuple)):
        out = {f"run {k}": [_history(r, f"run {k}")] for k, r in enumerate(results)}
    else:
        out = {"run": [_history(results, "run")]}
    if not out:
        raise ArgumentError("no runs to plot: pass an ExperimentResult, its history, a list of them or "
                            "{policy: result or [results]}")
    return out


def round_table(runs: Sequence[pd.DataFrame], metric: str, x: str = "round") -> pd.DataFrame:
    """Mean, lowest and highest ``metric`` over runs at each value of ``x`` (NaN rounds skipped).

    Examples
    --------
    >>> a = pd.DataFrame({"round": [0, 1], "shd": [4, 2]})
    >>> b = pd.DataFrame({"round": [0, 1], "shd": [6, 2]})
    >>> round_table([a, b], "shd").to_dict("list")
    {'mean': [5.0, 2.0], 'min': [4.0, 2.0], 'max': [6.0, 2.0], 'runs': [2, 2]}
    """
    for h in runs:
        for col in (x, metric):
            if col not in h.columns:
                raise UnknownVariableError.of(col, list(h.columns), where="an experiment's history (its columns)")
    long = pd.concat([h[[x, metric]].astype(float) for h in runs], ignore_index=True)
    table = long.groupby(x)[metric].agg(["mean", "min", "max", "count"]).rename(columns={"count": "runs"})
    return table


def plot_rounds(
    results: Any,
    metric: str | Sequence[str] = "shd",
    *,
    x: str = "round",
    title: str | None = None,
    path: str | os.PathLike | None = None,
) -> Figure:
    """Plot a score per round of one or several experiments, e.g. SHD per round for each policy.

    Parameters
    ----------
    results : ExperimentResult, DataFrame, list or mapping
        One run (an ``ExperimentResult`` or its ``history``), a list of runs (one line each), or
        ``{label: run or [runs]}``: one line per label, the mean over its runs with a band from the
        lowest to the highest.
    metric : str or sequence of str, default="shd"
        History column(s) to plot, one panel each (``"shd"``, ``"counterfactual_error"``,
        ``"edges"``, ``"seconds"``).
    x : str, default="round"
        The column along the bottom: ``"round"``, ``"n_interventions"`` or ``"n_episodes"``.
    title, path : optional
        A title above the panels; a file to save the figure to.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per metric; each line's gid is its label and its data are ``x`` against the mean.

    Raises
    ------
    UnknownVariableError
        A ``metric`` or ``x`` that is not a column of the history.
    DTypeError
        A run that is neither a result with ``history`` nor a DataFrame.
    ArgumentError
        No runs, or a history without rows.

    Examples
    --------
    >>> h = pd.DataFrame({"round": [0, 1, 2], "n_interventions": [0, 3, 6], "shd": [5, 3, 1]})
    >>> fig = plot_rounds({"round-robin": h})
    >>> line = fig.axes[0].lines[0]
    >>> line.get_gid(), line.get_ydata().tolist()
    ('round-robin', [5.0, 3.0, 1.0])
    """
    metrics = [metric] if isinstance(metric, str) else list(metric)
    if not metrics:
        raise ArgumentError("metric is empty: name at least one history column, e.g. 'shd'")
    runs = _runs(results)
    fig = Figure(figsize=(4.2 * len(metrics), 3.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(metrics), squeeze=False)[0]
    for ax, m in zip(axes, metrics):
        for label, hs in runs.items():
            table = round_table(hs, m, x)
            xs = table.index.to_numpy(dtype=float)
            (line,) = ax.plot(xs, table["mean"].to_numpy(), marker="o", ms=3, label=label, gid=label)
            if len(hs) > 1:
                ax.fill_between(xs, table["min"].to_numpy(), table["max"].to_numpy(), color=line.get_color(),
                                alpha=0.2, lw=0)
        ax.set_xlabel(AXIS_LABELS.get(x, x), fontsize=8)
        ax.set_ylabel(AXIS_LABELS.get(m, m), fontsize=8)
        ax.tick_params(labelsize=7)
        if x in INTEGER:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if m in INTEGER:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if len(runs) > 1 or any(len(hs) > 1 for hs in runs.values()):
            ax.legend(fontsize=7, frameon=False, title="mean, band: lowest to highest run"
                      if any(len(hs) > 1 for hs in runs.values()) else None, title_fontsize=6)
    if title:
        fig.suptitle(title, fontsize=10)
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
