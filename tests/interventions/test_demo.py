"""The README's demo runs end to end and its loop is right against the world's truth."""

import causalworld.demo as demo


def test_world_loop_recovers_graph_and_answers_counterfactuals(tmp_path):
    out = tmp_path / "cf.png"
    result = demo.world_loop(seed=0, out=str(out))
    assert result["shd"] == 0
    assert result["counterfactual_error"] < 0.1
    assert out.stat().st_size > 1000


def test_scm_walkthrough_runs(capsys):
    demo.scm_walkthrough(seed=0)
    text = capsys.readouterr().out
    assert "1.5: the unit's own noise is kept" in text
