"""Serving a saved SCM over HTTP: ``create_app`` (FastAPI), ``serve`` (uvicorn), their limits.

The routes, the request and answer schemas, the error table and the limits each have a module;
see ``docs/serve.md``. Names are imported on first use, so the error table
(:mod:`causalworld.serve.statuses`) is usable without FastAPI installed.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["create_app", "load_model", "serve", "Limits", "check_bind", "ServerProcess"]

_LAZY = {
    "create_app": "causalworld.serve.app",
    "load_model": "causalworld.serve.app",
    "serve": "causalworld.serve.run",
    "Limits": "causalworld.serve.limits",
    "check_bind": "causalworld.serve.limits",
    "ServerProcess": "causalworld.serve.process",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'causalworld.serve' has no attribute {name!r}")
