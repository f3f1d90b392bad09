"""``serve``: check where the server may bind, build the app, and run it under uvicorn until stopped.

The ``causalworld serve`` command calls this; so can a script. Binding beyond loopback needs a
token and warns (:func:`causalworld.serve.limits.check_bind`); the model is loaded before the
port is opened, so a bad folder fails at once with its typed error.
"""

from __future__ import annotations

import os

import torch

from causalworld.serve.app import PREFIX, create_app
from causalworld.serve.limits import Limits, check_bind

__all__ = ["serve", "DEFAULT_HOST", "DEFAULT_PORT"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def serve(
    model: str | os.PathLike,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    limits: Limits | None = None,
    device: str | torch.device | None = None,
    log_level: str = "info",
) -> None:
    """Serve the model in ``model`` (a saved SCM or an experiment run folder) on ``host:port``.

    Blocks until the server stops (Ctrl-C). See :func:`causalworld.serve.app.create_app` for the
    routes and ``docs/serve.md`` for the security defaults.

    Raises
    ------
    ArgumentError
        ``host`` is not a loopback address and no token of at least 16 characters was given.
    ModelFileError
        The folder holds no model, or a damaged one.

    Warns
    -----
    ExposedServerWarning
        ``host`` is not a loopback address.

    Examples
    --------
    >>> serve("/nowhere", host="0.0.0.0")
    Traceback (most recent call last):
    ...
    causalworld.errors.ArgumentError: binding 0.0.0.0 lets other machines reach the model; ...
    """
    import uvicorn

    check_bind(host, token)
    limits = limits or Limits()
    app = create_app(model, token=token, max_rows=limits.max_rows, max_body_bytes=limits.max_body_bytes,
                     timeout_s=limits.timeout_s, device=device)
    scm = app.state.scm
    shown = f"[{host}]" if ":" in host else host
    print(f"causalworld: serving {len(scm.variables)} variables from {model} at http://{shown}:{port}{PREFIX} "
          f"(schema: {PREFIX}/openapi.json; token {'required' if token else 'off'}; limits: {limits.max_rows:,} rows, "
          f"{limits.max_body_bytes:,} bytes, {limits.timeout_s:g} s per request)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
