"""notebooks/02_childs_physics: the falling law learned from experiments, surprise at impossible twins."""

from tests.notebooks.run_notebook import run_notebook


def test_childs_physics_notebook_learns_that_unsupported_things_fall(tmp_path):
    nb, seconds = run_notebook("02_childs_physics", tmp_path)
    print(f"02_childs_physics: {seconds:.1f} s wall, {nb.metadata['kernel_cpu_seconds']} s kernel CPU")
