"""``serve``, the HTTP door's command: ``python -m causalworld serve DIR``.

A :mod:`causalworld.errors` error becomes its message on stderr and the exit code of
:mod:`causalworld.serve.statuses`. The installed ``causalworld`` command is
:mod:`interventions.cli`, at the top of the import order: it adds the experimenter's jobs
(``run``, ``query``, ``resume``, ``worlds``, ``sweep``) to this ``serve``, so importing this
module imports nothing above ``causalworld``.
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
    token: Annotated[Optional[str], typer.Option(
        envvar="CAUSALWORLD_TOKEN", show_default=False,
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
    """Run ``python -m causalworld serve ...``: exit 0 when the server stops, else the exit code of
    its error (click's 2 for a usage error).

    Examples
    --------
    >>> main(["serve", "/nowhere", "--host", "0.0.0.0"])  # on stderr: causalworld: ArgumentError: ...
    Traceback (most recent call last):
    ...
    SystemExit: 2
    """
    try:  # usage errors and typer.Exit end here with their codes (standalone mode)
        app(args=sys.argv[1:] if argv is None else argv, prog_name="causalworld")
    except CausalWorldError as e:  # raised by a job that leaves the wording to the command
        typer.echo(f"causalworld: {type(e).__name__}: {e}", err=True)
        raise SystemExit(status_of(e).exit) from None
