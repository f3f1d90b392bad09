"""The ``causalworld`` command: one typer app, one subcommand per job (``serve`` today).

Each subcommand parses its options, calls one library function and turns a
:mod:`causalworld.errors` error into its message on stderr and the exit code of
:mod:`causalworld.serve.statuses`. A new job (running an experiment, say) is one more function
decorated with ``@app.command()``; ``main`` is the console script.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from causalworld.errors import CausalWorldError
from causalworld.serve.statuses import status_of

__all__ = ["app", "main"]

app = typer.Typer(
    name="causalworld",
    help="Learn causal models of a world from video, by intervening in it; serve them over HTTP.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """causalworld: run a subcommand (causalworld serve --help)."""
    # A callback keeps `causalworld serve ...` a subcommand even while it is the only one.


def _fail(error: CausalWorldError) -> None:
    typer.echo(f"causalworld: {type(error).__name__}: {error}", err=True)
    raise typer.Exit(status_of(error).exit)


@app.command()
def serve(
    folder: Annotated[Path, typer.Argument(help="a folder written by scm.save, or an Experiment(out=...) run folder")],
    host: Annotated[str, typer.Option(help="address to bind; anything but loopback needs --token")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port to listen on")] = 8000,
    token: Annotated[Optional[str], typer.Option(envvar="CAUSALWORLD_TOKEN", show_default=False,
                                                 help="bearer token every query must send (env CAUSALWORLD_TOKEN)")] = None,
    max_rows: Annotated[int, typer.Option(min=1, help="rows per request, at most")] = 100_000,
    max_body_bytes: Annotated[int, typer.Option(min=1, help="bytes per request body, at most")] = 64 * 2**20,
    timeout: Annotated[float, typer.Option(min=0.001, help="seconds per request, at most")] = 60.0,
    device: Annotated[Optional[str], typer.Option(help="where the model computes (default: as saved)")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level")] = "info",
) -> None:
    """Serve a saved SCM over HTTP: JSON queries under /v1, schema at /v1/openapi.json."""
    from causalworld.serve.limits import Limits
    from causalworld.serve.run import serve as run_server

    try:
        limits = Limits(max_rows=max_rows, max_body_bytes=max_body_bytes, timeout_s=timeout)
        run_server(folder, host=host, port=port, token=token, limits=limits, device=device, log_level=log_level)
    except CausalWorldError as e:
        _fail(e)


def main(argv: list[str] | None = None) -> None:
    """Run the ``causalworld`` command (the console script).

    Examples
    --------
    >>> main(["serve", "/nowhere", "--host", "0.0.0.0"])
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    app(args=sys.argv[1:] if argv is None else argv, prog_name="causalworld")
