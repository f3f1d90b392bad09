"""notebooks/04_choosing_experiments: info-gain against random on lights, SHD per intervention."""

from tests.notebooks.run_notebook import run_notebook


def test_choosing_experiments_notebook_lowers_shd_with_interventions(tmp_path):
    nb, seconds = run_notebook("04_choosing_experiments", tmp_path)
    print(f"04_choosing_experiments: {seconds:.1f} s wall, {nb.metadata['kernel_cpu_seconds']} s kernel CPU")
