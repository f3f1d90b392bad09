"""Run a teaching notebook top to bottom the way the test suite does: its jupytext ``py:percent``
file converted to a notebook and executed by nbclient on a python3 kernel of this interpreter,
with ``CI=1`` (the notebook's ``SMOKE`` settings), the Agg backend and warnings as errors."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# The suite's rule (pyproject's filterwarnings) inside the kernel: a warning fails the notebook,
# except the third-party deprecations the suite also lets through.
_WARNINGS_AS_ERRORS = """\
import warnings
warnings.simplefilter("error")
for _module in ("dowhy", "causallearn", "pyro", "networkx", "sklearn", "pydot", "pyparsing"):
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=_module)
warnings.filterwarnings("ignore", category=FutureWarning, module="dowhy")
warnings.filterwarnings("ignore", category=PendingDeprecationWarning, module="ipykernel")  # its own shutdown
"""


def run_notebook(name: str, tmp_path: Path, *, timeout: int = 600) -> tuple[nbformat.NotebookNode, float]:
    """Execute ``notebooks/<name>.py`` in ``tmp_path``; return the executed notebook and its wall
    seconds (kernel start-up included; the kernel's CPU seconds are in its
    ``metadata["kernel_cpu_seconds"]``).

    The kernel is the ``python3`` kernel spec, which jupyter_client starts with this process's
    interpreter (``sys.executable``); a last cell checks that it did. A failing cell raises
    ``nbclient.exceptions.CellExecutionError`` with the cell's traceback.
    """
    path = NOTEBOOKS / f"{name}.py"
    nb = jupytext.read(path)
    assert nb.metadata.get("jupytext", {}).get("formats") == "ipynb,py:percent", f"{path} is not paired with an ipynb"
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert 'SMOKE = "CI" in os.environ' in first_code.source, f"{path}: the first code cell must set SMOKE"
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= 5, f"{path} teaches in too few Markdown cells"
    for cell in nb.cells:  # the Agg backend, as set below: figures are built and laid out, not drawn to PNG
        if cell.cell_type == "code":
            cell.source = cell.source.replace("%matplotlib inline\n", "")
    nb.cells.insert(0, nbformat.v4.new_code_cell(_WARNINGS_AS_ERRORS))
    nb.cells.append(nbformat.v4.new_code_cell(
        "import resource, sys\nprint(sys.executable)\nu = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(f'{u.ru_utime + u.ru_stime:.1f}')"))
    env = {**os.environ, "CI": "1", "MPLBACKEND": "Agg"}
    start = time.perf_counter()
    NotebookClient(nb, kernel_name="python3", timeout=timeout,
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    seconds = time.perf_counter() - start
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs).split()
    assert printed[0] == sys.executable, f"the kernel ran {printed[0]!r}, not this interpreter {sys.executable!r}"
    nb.metadata["kernel_cpu_seconds"] = float(printed[1])
    return nb, seconds
