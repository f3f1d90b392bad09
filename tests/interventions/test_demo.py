"""The README's demo runs end to end and its loop is right against the world's truth."""

import interventions.demo as demo


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


def test_pixel_loop_reports_against_the_truth(capsys):
    report = demo.pixel_loop(seed=0, steps=30, rounds=1, episodes=80, progress=False)
    assert set(report["identified"]) <= {"hue0", "x0", "y0", "size0", *[f"z{i}" for i in range(8)]}
    assert report["rounds"] == 1 and report["shd"] is not None and 0 <= report["shd"] <= 6
    assert "the learner sees only frames" in capsys.readouterr().out
