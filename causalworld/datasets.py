"""Real measurements with an accepted causal answer, read from the files a registry package ships.

Nothing here is downloaded or copied into this project: the data are the resources of the
``cdt`` package (the Causal Discovery Toolbox, ``pip install "causalworld[datasets]"``), read
from where pip installed them. The package itself is not imported (its import probes for GPUs
and warns), only its files are read.

- :func:`tuebingen_pairs`: the 99 two-variable Tübingen cause-effect pairs (Mooij et al. 2016,
  "Distinguishing cause from effect using observational data: methods and benchmarks", JMLR 17),
  each with its true direction.
- :func:`sachs`: the Sachs et al. (2005) flow-cytometry measurements of 11 proteins
  (7,466 cells pooled over nine experimental conditions, intervention targets not recorded)
  and the accepted signalling network (18 edges).

Examples
--------
>>> from causalworld.datasets import sachs, tuebingen_pairs
>>> data, graph = sachs()
>>> data.shape, graph.number_of_edges()
((7466, 11), 18)
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from causalworld.errors import MissingDependencyError

__all__ = ["CausePair", "tuebingen_pairs", "sachs"]


@dataclass(frozen=True)
class CausePair:
    """One cause-effect pair: ``data`` has the columns ``cause`` and ``effect`` in a fixed order.

    The column order says nothing about the direction only when the caller shuffles it; in the
    shipped files the cause always comes first (column ``"A"``).

    Examples
    --------
    >>> import pandas as pd
    >>> pair = CausePair("mine", pd.DataFrame({"A": [1.0, 2.0], "B": [2.0, 4.1]}), cause="A", effect="B")
    >>> pair.data[[pair.effect, pair.cause]].columns.tolist()  # shuffled before a method sees it
    ['B', 'A']
    """

    name: str
    data: pd.DataFrame
    cause: str
    effect: str


def _resources() -> Path:
    spec = importlib.util.find_spec("cdt")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "the real data sets are read from the files of the 'cdt' package, which is not installed; "
            "install it with: pip install \"causalworld[datasets]\"")
    folder = Path(next(iter(spec.submodule_search_locations))) / "data" / "resources"
    if not folder.is_dir():
        raise MissingDependencyError(f"the installed 'cdt' package has no data folder at {folder}; "
                                     "reinstall it with: pip install --force-reinstall \"cdt>=0.6,<0.7\"")
    return folder


def tuebingen_pairs() -> list[CausePair]:
    """The 99 bivariate Tübingen cause-effect pairs, each as a two-column DataFrame.

    Returns
    -------
    list of CausePair
        In the shipped order (``pair1`` ... ``pair99``); every pair's columns are ``"A"`` (the
        cause) and ``"B"`` (the effect), 94 to 16,382 rows of float64. Shuffle the column order
        before handing a pair to a method that could read it (every benchmark here does).

    Raises
    ------
    MissingDependencyError
        When ``cdt`` is not installed.

    Examples
    --------
    >>> pairs = tuebingen_pairs()
    >>> len(pairs), pairs[0].cause, pairs[0].effect
    (99, 'A', 'B')
    """
    folder = _resources()
    table = pd.read_csv(folder / "Tuebingen_pairs.csv")
    truth = pd.read_csv(folder / "Tuebingen_targets.csv").set_index("SampleID")["Target"]
    pairs = []
    for name, a, b in zip(table["SampleID"], table["A"], table["B"]):
        x = np.array(a.split(), dtype=np.float64)
        y = np.array(b.split(), dtype=np.float64)
        cause, effect = ("A", "B") if truth[name] > 0 else ("B", "A")
        pairs.append(CausePair(name, pd.DataFrame({"A": x, "B": y}), cause, effect))
    return pairs


def sachs() -> tuple[pd.DataFrame, nx.DiGraph]:
    """The Sachs et al. (2005) protein-signalling measurements and their accepted network.

    Returns
    -------
    data : pandas.DataFrame
        7,466 rows (cells) by 11 columns (protein abundances, raw, heavy-tailed), pooled over
        nine conditions; which rows were perturbed is not in the shipped file.
    graph : networkx.DiGraph
        The accepted network as shipped (18 directed edges over the 11 proteins).

    Raises
    ------
    MissingDependencyError
        When ``cdt`` is not installed.

    Examples
    --------
    >>> data, graph = sachs()
    >>> sorted(graph.successors("praf"))
    ['pmek']
    """
    folder = _resources()
    data = pd.read_csv(folder / "cyto_full_data.csv").astype(np.float64)
    edges = pd.read_csv(folder / "cyto_full_target.csv")
    graph = nx.DiGraph()
    graph.add_nodes_from(data.columns)
    graph.add_edges_from(zip(edges["Cause"], edges["Effect"]))
    return data, graph
