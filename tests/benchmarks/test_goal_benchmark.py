"""Smoke test of benchmarks/goal.py: with tiny settings the learned model's plan reaches the goal
on lights more often than random interventions, and the table is written."""

import json


from tests.benchmarks.scripts import benchmark_script


def test_quick_run_plans_better_than_random(tmp_path, capsys):
    with benchmark_script("goal.py") as module:
        table = module.main(["--quick", "--out", str(tmp_path / "goal.json")])
    assert "lights: goal = the red lamp brighter than 0.5" in capsys.readouterr().out
    reached = table.set_index("planner")["reached"]
    assert reached["oracle (true SCM)"] >= 0.9 and reached["learned model"] > reached["random interventions"]
    assert len(json.loads((tmp_path / "goal.json").read_text())["rows"]) == 3
