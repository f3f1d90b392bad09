"""``sweep``: many experiments (worlds x policies x seeds) as Ray tasks, one machine or a cluster.

Each task is :func:`run_config`, a pure function of its config (world, policy, seed, sizes and
thread count): it builds everything from the config, so a sweep gives the same rows as running
its experiments one after the other (``sweep(configs, ray=False)``). Ray is optional
(``pip install "causalworld[distributed]"``); on one machine :func:`sweep` starts a local Ray,
and ``address=`` joins an existing cluster.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from causalworld.errors import ArgumentError, DTypeError, suggest

__all__ = ["sweep", "run_config", "CONFIG_KEYS"]

#: What a config may hold, with the value used when it is left out.
CONFIG_KEYS: dict[str, Any] = {
    "world": None, "policy": "random", "seed": 0, "rounds": 3, "episodes_per_round": 100,
    "interventions_per_round": 3, "image_size": 16, "frames": 1, "world_config": {}, "threads": 1,
}


def _complete(config: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(config, Mapping):
        raise DTypeError(f"each config must be a dict, got {type(config).__name__}")
    unknown = [k for k in config if k not in CONFIG_KEYS]
    if unknown:
        raise ArgumentError(f"unknown config key {unknown[0]!r}; {suggest(unknown[0], CONFIG_KEYS)}")
    if config.get("world") is None:
        raise ArgumentError("a config needs a 'world' (e.g. {'world': 'lights'})")
    return {**CONFIG_KEYS, **config}


def run_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """Run one experiment from its config alone and return its summary row.

    Parameters
    ----------
    config : dict
        Keys of :data:`CONFIG_KEYS` (``world`` required); ``policy`` is a command-line name
        (``random``, ``round-robin``, ``info-gain``).

    Returns
    -------
    dict
        The config, then ``shd``, ``counterfactual_error`` and ``edges`` of the last round,
        ``shd_per_round`` (a list) and ``seconds``.

    Examples
    --------
    >>> row = run_config({"world": "lights", "rounds": 1, "episodes_per_round": 30, "image_size": 8})
    >>> row["world"], len(row["shd_per_round"])
    ('lights', 2)
    """
    import causalworld as cw
    from interventions.cli import _policy
    from interventions.experiment import Experiment

    c = _complete(config)
    world = cw.make(c["world"], image_size=c["image_size"], frames=c["frames"], seed=c["seed"], **c["world_config"])
    result = Experiment(world, policy=_policy(c["policy"]), rounds=c["rounds"], episodes_per_round=c["episodes_per_round"],
                        interventions_per_round=c["interventions_per_round"], seed=c["seed"], threads=c["threads"],
                        progress=False).run()
    h = result.history
    last = h.iloc[-1]
    return {**c, "world_config": dict(c["world_config"]), "shd": float(last["shd"]),
            "counterfactual_error": float(last["counterfactual_error"]), "edges": int(last["edges"]),
            "shd_per_round": [float(x) for x in h["shd"]], "seconds": float(h["seconds"].sum())}


def sweep(configs: Sequence[Mapping[str, Any]], *, ray: bool = True, address: str | None = None,
          num_cpus: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Run every config's experiment and return one row each, in the configs' order.

    Parameters
    ----------
    configs : sequence of dict
        One per experiment (see :func:`run_config`); build a grid with a comprehension.
    ray : bool, default=True
        Run them as Ray tasks (one CPU each). ``False`` runs them one by one in this process.
    address : str, default=None
        An existing Ray cluster's address (``"ray://head:10001"`` or ``"auto"``); ``None``
        starts a local Ray with ``num_cpus`` CPUs, unless one is already running.
    num_cpus : int, default=None
        CPUs of the local Ray (all of the machine's by default).
    progress : bool, default=True
        Show a progress bar as tasks finish.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ArgumentError
        An unknown config key, a config without a world, or Ray not installed.

    Examples
    --------
    >>> grid = [{"world": "lights", "policy": p, "seed": s, "rounds": 1, "episodes_per_round": 30,
    ...          "image_size": 8} for p in ("random", "round-robin") for s in (0, 1)]
    >>> sweep(grid, ray=False, progress=False)[["policy", "seed"]].values.tolist()
    [['random', 0], ['random', 1], ['round-robin', 0], ['round-robin', 1]]
    """
    from tqdm.auto import tqdm

    done = [_complete(c) for c in configs]  # bad configs fail here, before any task starts
    if not ray:
        return pd.DataFrame([run_config(c) for c in tqdm(done, desc="experiments", disable=not progress)])
    try:
        import ray as ray_lib
    except ImportError:
        raise ArgumentError('sweep(ray=True) needs Ray: pip install "causalworld[distributed]", or pass ray=False') from None
    if not ray_lib.is_initialized():
        if address is not None:
            ray_lib.init(address=address, log_to_driver=False)
        else:
            ray_lib.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    task = ray_lib.remote(num_cpus=1)(run_config)
    pending = {task.remote(c): i for i, c in enumerate(done)}
    rows: list[Any] = [None] * len(done)
    with tqdm(total=len(done), desc="experiments", disable=not progress) as bar:
        waiting = list(pending)
        while waiting:
            ready, waiting = ray_lib.wait(waiting, num_returns=1)
            for ref in ready:
                rows[pending[ref]] = ray_lib.get(ref)
                bar.update(1)
    return pd.DataFrame(rows)
