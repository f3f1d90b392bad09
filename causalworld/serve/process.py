"""``ServerProcess``: ``python -m causalworld serve FOLDER`` in a subprocess, ready when it answers.

For notebooks, benchmarks and tests that want a real server on this machine: it takes a free
loopback port, starts the command, waits for ``/v1/health`` and stops the process at the end of
a ``with`` block. Several can start at once, so their imports overlap.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from causalworld.errors import ArgumentError

__all__ = ["ServerProcess", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` now (the system's choice).

    Examples
    --------
    >>> 0 < free_port() < 65536
    True
    """
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerProcess:
    """A ``causalworld serve`` subprocess of ``folder`` on loopback, started at once.

    Parameters
    ----------
    folder : str or Path
        A saved SCM or an experiment run folder.
    *options : str
        More command-line options (``"--token", "..."``, ``"--max-rows", "1000"``).
    port : int, default=None
        The port (default: a free one).
    env : dict, default=None
        Extra environment variables of the server (``{"OMP_NUM_THREADS": "1"}``).

    Examples
    --------
    Start a server of a saved model, ask it, stop it (a few seconds: the server imports torch):

    >>> import tempfile
    >>> from causalworld.client import Client
    >>> folder = tempfile.mkdtemp()
    >>> _ = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, dtype=torch.float64).save(folder)
    >>> server = ServerProcess(folder, "--max-rows", "1000")
    >>> server.ready() == server.url
    True
    >>> with Client(server.url) as client:  # y = 2x + u: observed u = 0.5 is kept
    ...     client.counterfactual(pd.DataFrame({"x": [1.0], "y": [2.5]}), {"x": 0.0})["y"].tolist()
    [0.5]
    >>> "Uvicorn running" in server.stop() or server.proc.returncode is not None
    True
    """

    def __init__(self, folder: str | os.PathLike, *options: str, port: int | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {**os.environ, **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "causalworld", "serve", str(Path(folder)), "--port", str(self.port),
             "--log-level", "warning", *options],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environ,
        )

    def ready(self, timeout: float = 120.0) -> str:
        """Wait until the server answers and return its URL (the class example shows it).

        Raises
        ------
        ArgumentError
            The server exited (its output, with the error, is in the message) or did not answer
            within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ArgumentError(f"the server exited with code {self.proc.returncode}:\n{self.stop()}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2.0).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise ArgumentError(f"the server did not answer within {timeout} s; give ready() a longer timeout")
            time.sleep(0.05)

    def stop(self) -> str:
        """Stop the server (if it runs) and return what it printed (the class example shows it)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        out = self.proc.stdout.read() if self.proc.stdout and not self.proc.stdout.closed else ""
        if self.proc.stdout:
            self.proc.stdout.close()
        return out

    def __enter__(self) -> "ServerProcess":
        self.ready()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
