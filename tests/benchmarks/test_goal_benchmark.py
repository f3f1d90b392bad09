"""Smoke test of benchmarks/goal.py: with tiny settings the learned model's plan reaches the goal
on lights more often than random interventions, and the table is written."""

import importlib.util
import json
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "goal.py"


def test_quick_run_plans_better_than_random(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("goal_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    threads = torch.get_num_threads()
    try:
        spec.loader.exec_module(module)
        table = module.main(["--quick", "--out", str(tmp_path / "goal.json")])
    finally:
        torch.set_num_threads(threads)
        sys.modules.pop(spec.name, None)
    assert "lights: goal = the red lamp brighter than 0.5" in capsys.readouterr().out
    reached = table.set_index("planner")["reached"]
    assert reached["oracle (true SCM)"] >= 0.9 and reached["learned model"] > reached["random interventions"]
    assert len(json.loads((tmp_path / "goal.json").read_text())["rows"]) == 3
