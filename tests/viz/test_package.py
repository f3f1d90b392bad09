"""Imports go one way: viz stands on the model, and the model core never imports plotting."""

from __future__ import annotations

import re
from pathlib import Path

import causalworld
import causalworld.viz

IMPORT = re.compile(r"^\s*(?:from|import)\s+([\w.]+)", re.MULTILINE)
CORE = ["scm", "envs", "episodes.py", "discovery", "metrics.py", "encoders", "errors.py", "store.py", "atomic.py"]


def _imports(path: Path) -> set[str]:
    """Modules named by the file's import statements (at any indentation, so lazy imports count)."""
    return set(IMPORT.findall(path.read_text()))


def test_core_never_imports_plotting():
    root = Path(causalworld.__file__).parent
    files = [f for part in CORE for f in ((root / part).rglob("*.py") if (root / part).is_dir() else [root / part])]
    assert len(files) > 20
    for f in files:
        bad = {m for m in _imports(f) if m.split(".")[0] == "matplotlib" or m.startswith("causalworld.viz")}
        assert not bad, f"{f.relative_to(root)} imports {sorted(bad)}; plotting belongs in causalworld.viz"


def test_viz_does_not_import_the_experimenter():
    # interventions stands on causalworld, never the reverse: plot_rounds reads a result's history only
    for f in Path(causalworld.viz.__file__).parent.glob("*.py"):
        assert not {m for m in _imports(f) if m.split(".")[0] == "interventions"}, f.name
