"""notebooks/01_discovery_with_interventions: the learners' graphs against the true graph (SHD)."""

from tests.notebooks.run_notebook import run_notebook


def test_discovery_notebook_recovers_the_true_graph(tmp_path):
    nb, seconds = run_notebook("01_discovery_with_interventions", tmp_path)
    print(f"01_discovery_with_interventions: {seconds:.1f} s wall, {nb.metadata['kernel_cpu_seconds']} s kernel CPU")
