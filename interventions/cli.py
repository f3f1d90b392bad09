"""The ``causalworld`` command: run the experimenter on a world, query what it learned, resume it.

It lives in ``interventions`` (the top of the import order), so it can reach every package::

    causalworld worlds
    causalworld run lights --policy info-gain --rounds 4 --out runs/lights
    causalworld query runs/lights --do switch_red=1 [--given observed.csv]
    causalworld resume runs/lights
    causalworld sweep --worlds lights --policies random,info-gain --seeds 0-9 [--address ray://head:10001]

``run`` writes ``DIR/report.json`` (``shd``, ``latent_r2``, ``counterfactual_error``, ``rounds``,
``seconds`` and the per-round history), ``DIR/shd.png`` (SHD per round) and, when the learned
model can draw its answer, ``DIR/counterfactual.png`` (factual, the model's what-if, the
simulator's). Bad input exits with status 2 and one line naming the problem, never a traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional

import numpy as np
import typer

from causalworld.cli import serve
from causalworld.errors import ArgumentError, CausalWorldError, UnknownVariableError, suggest
from causalworld.serve.statuses import status_of

__all__ = ["app", "main", "POLICY_NAMES", "write_report"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Learn causal models of a world from video, by intervening in it; serve them over HTTP.")
app.command("serve")(serve)  # the HTTP door (causalworld.cli), beside the experimenter's jobs

#: The command line's policy names and the classes they stand for.
POLICY_NAMES = {"random": "RandomPolicy", "round-robin": "RoundRobinPolicy", "info-gain": "InfoGainPolicy"}
RUN_SETTINGS = "command.json"  # what `run` was asked, so `resume` can rebuild the encoder
ENCODER_FOLDER = "encoder"  # with --pixels: the encoder the run reads with, saved before its first round


def _policy(name: str) -> Any:
    import interventions

    if name not in POLICY_NAMES:
        raise ArgumentError(f"unknown policy {name!r}; {suggest(name, POLICY_NAMES)}")
    return getattr(interventions, POLICY_NAMES[name])()


def _world(settings: dict[str, Any]) -> Any:
    """The run's world, as ``run`` was asked for it."""
    import causalworld as cw

    return cw.make(settings["world"], image_size=settings["image_size"], frames=settings["frames"],
                   device=settings["device"], seed=settings["seed"], **settings["config"])


def _encoder(settings: dict[str, Any], out: Path) -> Any:
    """With ``--pixels``: the run's encoder, trained by playing in the world before the experiment
    (every variable set at random in fresh episodes), checkpointed and saved in ``out/encoder``
    (so a resumed run reads with the same one); loaded from there when it is already saved."""
    if not settings.get("pixels"):
        return None
    from causalworld.encoders import VideoEncoder

    folder = out / ENCODER_FOLDER
    if (folder / "encoder.json").is_file():
        return VideoEncoder.load(folder, device=settings["device"])
    world = _world(settings)
    enc = VideoEncoder(settings["latent_dim"], steps=settings["encoder_steps"], batch_size=64, device=settings["device"],
                       seed=settings["seed"], progress=settings["progress"])
    enc.fit(world, checkpoint=out / "encoder-checkpoint")
    enc.save(folder)
    return enc


def _latent_r2(result: Any) -> float:
    """Mean held-out R² of the encoder's named latents (its calibration); 1.0 for the true values."""
    scores = getattr(result.encoder, "calibration_r2_", None)
    if scores is None:
        return 1.0
    named = [r for v, r in scores.items() if v in result.encoder.variables_]
    return float(np.mean(named)) if named else float("nan")


def write_report(result: Any, out: Path, *, seconds: float, probe_seed: int = 1) -> dict[str, Any]:
    """Write ``report.json``, ``shd.png`` and (when drawable) ``counterfactual.png`` for a run.

    Parameters
    ----------
    result : interventions.ExperimentResult
    out : Path
        The run's folder.
    seconds : float
        Wall time of the run, recorded as is.
    probe_seed : int, default=1
        Seed of the episodes the counterfactual strip shows.

    Returns
    -------
    dict
        What ``report.json`` holds.

    Examples
    --------
    >>> import tempfile
    >>> import causalworld as cw
    >>> from interventions import Experiment, RoundRobinPolicy
    >>> result = Experiment(cw.make("lights", image_size=8, frames=1), policy=RoundRobinPolicy(), rounds=1,
    ...                     episodes_per_round=40, interventions_per_round=3, seed=0, progress=False).run()
    >>> with tempfile.TemporaryDirectory() as out:
    ...     report = write_report(result, Path(out), seconds=1.0)
    ...     sorted(p.name for p in Path(out).iterdir())
    ['counterfactual.png', 'report.json', 'shd.png']
    >>> report["rounds"], bool(report["shd"] == result.history["shd"].iloc[-1])
    (1, True)
    """
    from causalworld.viz import plot_rounds

    history = result.history
    last = history.iloc[-1]

    def clean(x: Any) -> Any:
        x = float(x)
        return x if np.isfinite(x) else None

    report = {
        "world": result.world.id,
        "rounds": int(last["round"]),
        "interventions": int(last["n_interventions"]),
        "shd": clean(last["shd"]),
        "counterfactual_error": clean(last["counterfactual_error"]),
        "latent_r2": clean(_latent_r2(result)),
        "identified": [str(c) for c in result.data.columns],
        "edges": sorted([list(e) for e in result.graph.directed]),
        "seconds": float(seconds),
        "history": [{k: (clean(v) if isinstance(v, (float, np.floating)) else int(v) if isinstance(v, (np.integer,)) else v)
                     for k, v in row.items()} for row in history.to_dict(orient="records")],
    }
    plot_rounds(result, metric="shd", x="n_interventions", title=f"{result.world.id}: SHD per round", path=out / "shd.png")
    _counterfactual_strip(result, out, probe_seed)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def _counterfactual_strip(result: Any, out: Path, seed: int) -> None:
    """Factual, model and simulator frames of one what-if, when the model can draw it."""
    import networkx as nx

    from interventions.truevalues import column_of

    world = result.world
    eps = world.rollout(4, seed=seed)
    held = [v for v in world.intervenable if column_of(world, list(result.scm.variables), v) is not None]
    shows = [v for v in held if (nx.descendants(world.graph, v) | {v}) & set(world.depicted)]
    if not shows:
        return
    x = sorted(shows, key=lambda v: not isinstance(world.intervenable[v], range))[0]  # a switch shows best
    dom = world.intervenable[x]
    if isinstance(dom, range):
        value = float(dom[-1])
    else:  # high in the range the model was fitted on: no extrapolation
        lo, hi = result.scm.fitted_ranges.get(column_of(world, list(result.scm.variables), x), dom)
        value = float(lo + 0.9 * (hi - lo))
    cf = result.counterfactual(eps, {x: value})
    if cf.frames is None:
        return
    from causalworld.viz import counterfactual_strip

    counterfactual_strip(world, eps, {x: value}, learned=cf.frames, path=out / "counterfactual.png")


def _print_report(report: dict[str, Any]) -> None:
    typer.echo(f"{'round':>5} {'interventions':>13} {'shd':>5} {'cf error':>9} {'seconds':>8}")
    for row in report["history"]:
        shd = "-" if row["shd"] is None else f"{row['shd']:.0f}"
        cf = "-" if row["counterfactual_error"] is None else f"{row['counterfactual_error']:.3f}"
        typer.echo(f"{row['round']:>5} {row['n_interventions']:>13} {shd:>5} {cf:>9} {row['seconds']:>8.1f}")
    typer.echo(f"identified: {', '.join(report['identified'])}")
    typer.echo(f"latent R2 {report['latent_r2']}, SHD {report['shd']}, counterfactual error "
               f"{report['counterfactual_error']}, {report['seconds']:.1f} s")


@app.command()
def worlds() -> None:
    """List the registered worlds: variables, depicted ones, and what can be intervened on."""
    import causalworld as cw

    for name in cw.list_worlds():
        w = cw.make(name)
        typer.echo(f"{w.id:<16} {len(w.variables):>3} variables, {len(w.depicted):>3} depicted, "
                   f"intervenable: {', '.join(w.intervenable)}")


@app.command()
def run(
    world: Annotated[str, typer.Argument(help="A registered world (see `causalworld worlds`).")],
    out: Annotated[Path, typer.Option(help="Folder for the run's record, model, report and figures.")],
    policy: Annotated[str, typer.Option(help="random, round-robin or info-gain.")] = "info-gain",
    rounds: Annotated[int, typer.Option(help="Rounds of experiments after the observational one.")] = 3,
    episodes: Annotated[int, typer.Option(help="Episodes per round.")] = 100,
    interventions: Annotated[Optional[int], typer.Option(help="Interventions per round (default: 9; with --pixels one per episode, "
                                                               "so the set values vary as the encoder needs).")] = None,
    image_size: Annotated[int, typer.Option(help="Frame size in pixels.")] = 32,
    frames: Annotated[int, typer.Option(help="Frames per episode.")] = 1,
    pixels: Annotated[bool, typer.Option(help="Learn the variables from the frames with a VideoEncoder.")] = False,
    encoder_steps: Annotated[int, typer.Option(help="Training steps of the encoder, batches of 64 episodes in which it sets "
                                                   "every variable at random, before the first round (with --pixels).")] = 2200,
    latent_dim: Annotated[int, typer.Option(help="Latents of the encoder (with --pixels).")] = 16,
    config: Annotated[Optional[list[str]], typer.Option("--config", help="A world setting KEY=VALUE (e.g. n_objects=1); repeat for several.")] = None,
    device: Annotated[str, typer.Option(help="cpu or cuda.")] = "cpu",
    seed: Annotated[int, typer.Option(help="Seeds the whole run.")] = 0,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Run the experimenter on WORLD and write its report to --out."""
    from interventions.experiment import Experiment

    settings = {"world": world, "policy": policy, "rounds": rounds, "episodes": episodes, "interventions": interventions,
                "image_size": image_size, "frames": frames, "pixels": pixels, "encoder_steps": encoder_steps,
                "latent_dim": latent_dim, "config": _parse_config(config or []), "device": device, "seed": seed,
                "progress": progress}
    chosen = _policy(policy)
    w = _world(settings)
    if not w.graph.number_of_edges():  # nothing to learn: say so rather than report a trivial SHD 0
        typer.echo(f"note: {w.id} with --frames {frames} has no causal edges to learn (nothing can act within "
                   f"{frames} frame(s)); try --frames {type(w).default_frames}", err=True)
    k = interventions if interventions is not None else (episodes if pixels else min(9, episodes))
    # the settings are checked before the encoder spends minutes learning to see, and before anything is written
    Experiment(w, policy=chosen, rounds=rounds, episodes_per_round=episodes, interventions_per_round=k, seed=seed)
    if (out / "experiment.json").exists() or (out / RUN_SETTINGS).exists():
        raise ArgumentError(f"{out} already holds a run; continue it with `causalworld resume {out}` or give another --out")
    out.mkdir(parents=True, exist_ok=True)
    (out / RUN_SETTINGS).write_text(json.dumps(settings, indent=2) + "\n")
    start = time.perf_counter()
    exp = Experiment(w, policy=chosen, rounds=rounds, episodes_per_round=episodes, interventions_per_round=k,
                     encoder=_encoder(settings, out), encoder_rounds=(), seed=seed, out=out, progress=progress)
    result = exp.run()
    _print_report(write_report(result, out, seconds=time.perf_counter() - start))


@app.command()
def resume(
    out: Annotated[Path, typer.Argument(help="A run's folder (from `causalworld run`).")],
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Continue a killed run in OUT to the result an uninterrupted one gives, and write its report."""
    from interventions.experiment import Experiment

    settings: dict[str, Any] = {}
    if (out / RUN_SETTINGS).exists():
        settings = json.loads((out / RUN_SETTINGS).read_text())
        settings["progress"] = progress
    if not (out / "experiment.json").exists() and not settings.get("pixels"):
        raise ArgumentError(f"{out} holds no run (no experiment.json); start one with `causalworld run WORLD --out {out}`")
    start = time.perf_counter()
    encoder = _encoder(settings, out)  # killed while it learned to see: its training continues from its checkpoint
    if not (out / "experiment.json").exists():  # killed before the first round was recorded: start the rounds
        w = _world(settings)
        k = settings["interventions"] if settings["interventions"] is not None else settings["episodes"]
        result = Experiment(w, policy=_policy(settings["policy"]), rounds=settings["rounds"],
                            episodes_per_round=settings["episodes"], interventions_per_round=k, encoder=encoder,
                            encoder_rounds=(), seed=settings["seed"], out=out, progress=progress).run()
    else:
        result = Experiment.resume(out, encoder=encoder, progress=progress)
    _print_report(write_report(result, out, seconds=time.perf_counter() - start))


def _pairs(items: list[str], option: str, key: str) -> list[tuple[str, str]]:
    """``NAME=VALUE`` options split at the first ``=``; a typed error names the option otherwise."""
    out = []
    for p in items:
        name, sep, value = p.partition("=")
        if not sep or not name.strip():
            raise ArgumentError(f"{option} takes {key}=VALUE, got {p!r}")
        out.append((name.strip(), value))
    return out


def _parse_config(items: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for name, value in _pairs(items, "--config", "KEY"):
        try:
            config[name] = json.loads(value)  # numbers, booleans, lists; anything else stays a string
        except ValueError:
            config[name] = value
    return config


def _parse_do(items: list[str]) -> dict[str, float]:
    do: dict[str, float] = {}
    for name, value in _pairs(items, "--do", "VAR"):
        try:
            do[name] = float(value)
        except ValueError:
            raise ArgumentError(f"--do {name}={value}: {value!r} is not a number") from None
    return do


@app.command()
def query(
    folder: Annotated[Path, typer.Argument(help="A run's folder, or a saved SCM's folder.")],
    do: Annotated[list[str], typer.Option("--do", help="VAR=VALUE; repeat for several.")],
    given: Annotated[Optional[Path], typer.Option(help="A CSV of observed rows: answer their counterfactuals.")] = None,
    n: Annotated[int, typer.Option(help="Samples for an interventional query (without --given).")] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the samples.")] = 0,
) -> None:
    """Ask the learned model what happens under --do: the interventional mean and spread of every
    variable, or, with --given, what each observed row would have been (CSV on stdout)."""
    import pandas as pd

    from causalworld import SCM

    model_dir = folder / "scm" if (folder / "scm").is_dir() else folder
    scm = SCM.load(model_dir)
    asked = _parse_do(do)
    for name in asked:
        if name not in scm.variables:
            raise UnknownVariableError.of(name, scm.variables, where=f"the model in {model_dir}")
    if given is None:
        samples = scm.do(asked).sample(n, seed=seed)
        typer.echo(f"{'variable':<16} {'mean':>10} {'std':>10}")
        for v in scm.variables:
            t = samples[v].double()
            typer.echo(f"{v:<16} {float(t.mean()):>10.4f} {float(t.std()):>10.4f}")
        return
    if not given.exists():
        raise ArgumentError(f"--given {given} does not exist; give a CSV with one column per variable of the model")
    observed = pd.read_csv(given)
    answer = scm.counterfactual(observed, asked)
    table = pd.DataFrame({v: answer[v].detach().cpu().numpy() for v in scm.variables}) if isinstance(answer, dict) else answer
    typer.echo(table.to_csv(index=False), nl=False)


def _seeds(text: str) -> list[int]:
    try:
        if "-" in text:
            lo, hi = text.split("-", 1)
            return list(range(int(lo), int(hi) + 1))
        return [int(x) for x in text.split(",")]
    except ValueError:
        raise ArgumentError(f"--seeds takes a range LO-HI or a list A,B,C, got {text!r}") from None


@app.command()
def sweep(
    worlds: Annotated[str, typer.Option(help="Worlds, comma separated.")] = "lights",
    policies: Annotated[str, typer.Option(help="Policies, comma separated.")] = "random,round-robin,info-gain",
    seeds: Annotated[str, typer.Option(help="Seeds: a range LO-HI or a list A,B,C.")] = "0-3",
    rounds: Annotated[int, typer.Option(help="Rounds of each experiment.")] = 3,
    episodes: Annotated[int, typer.Option(help="Episodes per round.")] = 100,
    interventions: Annotated[int, typer.Option(help="Interventions per round.")] = 3,
    image_size: Annotated[int, typer.Option(help="Frame size in pixels.")] = 16,
    address: Annotated[Optional[str], typer.Option(help="A Ray cluster's address; default: a local Ray.")] = None,
    num_cpus: Annotated[Optional[int], typer.Option(help="CPUs of the local Ray.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Write the rows to this CSV.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Run every world x policy x seed experiment as Ray tasks and print one row each."""
    from interventions.sweeps import sweep as run_sweep

    for p in policies.split(","):
        _policy(p)  # unknown names fail before Ray starts
    grid = [{"world": w, "policy": p, "seed": s, "rounds": rounds, "episodes_per_round": episodes,
             "interventions_per_round": interventions, "image_size": image_size}
            for w in worlds.split(",") for p in policies.split(",") for s in _seeds(seeds)]
    rows = run_sweep(grid, address=address, num_cpus=num_cpus, progress=progress)
    shown = rows[["world", "policy", "seed", "shd", "counterfactual_error", "seconds"]]
    typer.echo(shown.to_string(index=False))
    typer.echo(shown.groupby(["world", "policy"])[["shd", "counterfactual_error"]].mean().to_string())
    if out is not None:
        rows.to_csv(out, index=False)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``causalworld`` command (the console script); returns the exit status:
    0 when the job is done, else its error's code in :mod:`causalworld.serve.statuses` (2 for bad
    input, as for a usage error; 3 for a damaged record or model folder), with one line on stderr.

    Examples
    --------
    >>> main(["run", "lights", "--out", "x", "--policy", "infogain"])  # on stderr: causalworld: ArgumentError: unknown policy ...
    2
    """
    import click

    try:
        app(args=argv, prog_name="causalworld", standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code or 0)
    except click.ClickException as e:
        e.show()
        return 2
    except click.exceptions.Abort:
        typer.echo("aborted", err=True)
        return 1
    except CausalWorldError as e:
        typer.echo(f"causalworld: {type(e).__name__}: {e}", err=True)
        return status_of(e).exit
    return 0


if __name__ == "__main__":
    sys.exit(main())
