"""notebooks/06_your_own_data: a CSV and a graph through SCM.fit, own frames through the encoder."""

from tests.notebooks.run_notebook import run_notebook


def test_your_own_data_notebook_answers_like_the_simulator(tmp_path):
    nb, seconds = run_notebook("06_your_own_data", tmp_path)
    print(f"06_your_own_data: {seconds:.1f} s wall, {nb.metadata['kernel_cpu_seconds']} s kernel CPU")
