"""Loading a benchmark script (a file under ``benchmarks/``, not a module of the package) for its smoke test."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@contextmanager
def benchmark_script(filename: str) -> Iterator[ModuleType]:
    """The script ``benchmarks/<filename>`` loaded as the module ``<stem>_benchmark``, registered
    in ``sys.modules`` while it is in use (dataclasses look their module up while the script loads)."""
    path = BENCHMARKS / filename
    name = f"{path.stem}_benchmark"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)
