"""notebooks/05_from_dowhy: a dowhy.gcm model in and out, the same answers, the speed side by side."""

from tests.notebooks.run_notebook import run_notebook


def test_dowhy_notebook_gives_dowhys_answers(tmp_path):
    nb, seconds = run_notebook("05_from_dowhy", tmp_path)
    print(f"05_from_dowhy: {seconds:.1f} s wall, {nb.metadata['kernel_cpu_seconds']} s kernel CPU")
