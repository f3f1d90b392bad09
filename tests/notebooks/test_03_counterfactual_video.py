"""notebooks/03_counterfactual_video: the learned counterfactual video against the world's own."""

from tests.notebooks.run_notebook import run_notebook


def test_counterfactual_video_notebook_matches_the_simulators_counterfactual(tmp_path):
    nb, seconds = run_notebook("03_counterfactual_video", tmp_path)
    print(f"03_counterfactual_video: {seconds:.1f} s wall, {nb.metadata['kernel_cpu_seconds']} s kernel CPU")
