"""Real servers for the tests: ``python -m causalworld serve FOLDER`` in a subprocess on a free
loopback port, ready when ``/v1/health`` answers. Several start at once, so their imports overlap."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A server of ``folder`` started with the command-line ``options``; ``ready()`` gives its URL."""

    def __init__(self, folder: str | Path, *options: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        env.pop("CAUSALWORLD_TOKEN", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "causalworld", "serve", str(folder), "--port", str(self.port),
             "--log-level", "warning", *options],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        )

    def ready(self, wait_s: float = 120.0) -> str:
        deadline = time.monotonic() + wait_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.proc.stdout.read()}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2.0).status_code == 200:
                    return self.url
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {wait_s} s")
            time.sleep(0.05)

    def stop(self) -> str:
        """Stop the server; return what it printed."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        out = self.proc.stdout.read()
        self.proc.stdout.close()
        return out
