"""Smoke test of benchmarks/end_to_end.py: the pixel loop and the true-values loop both run with
tiny settings; the true values recover the graph exactly."""

import json


from tests.benchmarks.scripts import benchmark_script


def test_quick_run_writes_both_rows(tmp_path, capsys):
    with benchmark_script("end_to_end.py") as module:
        rows = module.main(["--quick", "--out", str(tmp_path / "e2e.json")])
    pixels, truth = rows
    # at this tiny budget some variables may be set too rarely to be named; those that are checked
    # are among the world's, and the identified ones are named by them
    assert pixels["source"] == "pixels" and pixels["r2"] and set(pixels["r2"]) <= {"hue0", "x0", "y0", "size0"}
    assert set(pixels["identified"]) <= set(pixels["r2"])
    assert truth["shd"] == 0 and truth["identified"] == ["hue0", "x0", "y0", "size0"]
    assert "identified (held-out R2)" in capsys.readouterr().out
    assert len(json.loads((tmp_path / "e2e.json").read_text())["rows"]) == 2
