"""The ``causalworld`` command against the library: a run's report holds what the run learned, a
query answers what the saved model answers, a killed run resumes, a pixel run names variables from
frames, and bad input exits 2 with one line and loses nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import entry_points

import pandas as pd
import pytest
import torch

import causalworld as cw
from causalworld import SCM
from interventions.cli import main

def test_the_console_script_is_this_main_and_lists_every_job(capsys):
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "causalworld"]
    assert script.value == "interventions.cli:main"
    assert main(["--help"]) == 0
    shown = capsys.readouterr().out
    assert all(job in shown for job in ("serve", "run", "query", "resume", "worlds", "sweep"))


RUN = ["run", "lights", "--rounds", "2", "--episodes", "60", "--image-size", "8", "--no-progress"]


@pytest.fixture(scope="module")
def lights_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "lights"
    assert main([*RUN, "--out", str(out), "--policy", "round-robin"]) == 0
    return out


def test_worlds_lists_every_registered_world(capsys):
    assert main(["worlds"]) == 0
    shown = capsys.readouterr().out
    for name in cw.list_worlds():
        assert name in shown


def test_a_world_with_nothing_to_learn_at_its_frames_is_said_so(tmp_path, capsys):
    # one frame of falling: nothing has moved yet, so its graph has no edges
    assert main(["run", "falling", "--rounds", "1", "--episodes", "20", "--image-size", "16", "--policy", "random",
                 "--no-progress", "--out", str(tmp_path / "run")]) == 0
    said = capsys.readouterr()
    assert "falling-v0 with --frames 1 has no causal edges to learn" in said.err and "--frames 16" in said.err
    assert json.loads((tmp_path / "run" / "report.json").read_text())["shd"] == 0


def test_a_runs_report_is_what_the_run_learned(lights_run):
    report = json.loads((lights_run / "report.json").read_text())
    record = json.loads((lights_run / "experiment.json").read_text())
    assert report["rounds"] == 2 and len(report["history"]) == 3
    assert report["shd"] == record["history"][-1]["shd"] and report["shd"] <= 4  # of lights' 14 edges
    assert report["counterfactual_error"] == pytest.approx(record["history"][-1]["counterfactual_error"])
    assert report["latent_r2"] == 1.0  # the true values
    assert (lights_run / "shd.png").stat().st_size > 0 and (lights_run / "counterfactual.png").stat().st_size > 0


def test_query_answers_what_the_saved_model_answers(lights_run, tmp_path, capsys):
    scm = SCM.load(lights_run / "scm")
    obs = scm.sample(5, seed=3)
    given = tmp_path / "observed.csv"
    pd.DataFrame({v: t.numpy() for v, t in obs.items()}).to_csv(given, index=False)
    capsys.readouterr()
    assert main(["query", str(lights_run), "--do", "switch_red=1", "--given", str(given)]) == 0
    answer = pd.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    expected = scm.counterfactual(pd.read_csv(given), {"switch_red": 1.0})
    for v in scm.variables:
        want = expected[v].to_numpy(dtype=float) if isinstance(expected, pd.DataFrame) else expected[v].double().cpu().numpy()
        assert torch.allclose(torch.tensor(answer[v].to_numpy(dtype=float)), torch.tensor(want), atol=1e-4), v
    assert main(["query", str(lights_run), "--do", "switch_red=1", "--n", "2000"]) == 0
    lines = {ln.split()[0]: ln.split()[1:] for ln in capsys.readouterr().out.splitlines()[1:]}
    assert float(lines["switch_red"][0]) == 1.0 and float(lines["switch_red"][1]) == 0.0


def test_resume_of_a_cut_run_gives_the_uninterrupted_report(lights_run, tmp_path):
    cut = tmp_path / "cut"
    assert main([*RUN, "--out", str(cut), "--policy", "round-robin", "--rounds", "1"]) == 0
    record = json.loads((cut / "experiment.json").read_text())
    record["config"]["rounds"] = 2  # as if killed after round 1 of 2
    (cut / "experiment.json").write_text(json.dumps(record))  # (the checksum now fails: resume must refuse)
    assert main(["resume", str(cut), "--no-progress"]) == 3  # a damaged record: the error table's code
    assert main(["resume", str(lights_run), "--no-progress"]) == 0  # a finished run is refitted, not rerun
    report = json.loads((lights_run / "report.json").read_text())
    assert len(report["history"]) == 3


def test_bad_input_exits_2_with_one_line_and_loses_nothing(lights_run, tmp_path, capsys):
    before = (lights_run / "experiment.json").read_bytes()
    cases = [
        ["run", "ligths", "--out", str(tmp_path / "a")],
        ["run", "lights", "--out", str(tmp_path / "b"), "--policy", "infogain"],
        ["run", "lights", "--out", str(tmp_path / "c"), "--rounds", "0"],
        [*RUN, "--out", str(lights_run)],  # already holds a run
        ["query", str(lights_run), "--do", "switch_rd=1"],
        ["query", str(lights_run), "--do", "switch_red"],
        ["resume", str(tmp_path / "nothing")],
    ]
    for args in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and err.startswith("causalworld: "), (args, err)
    assert (lights_run / "experiment.json").read_bytes() == before
    # the installed command itself: exit status 2, one line, no traceback
    proc = subprocess.run([sys.executable, "-m", "interventions.cli", *cases[0]], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_a_pixel_run_names_variables_from_frames(tmp_path):
    out = tmp_path / "pixels"
    args = ["run", "sprites", "--config", "n_objects=1", "--pixels", "--encoder-steps", "120", "--latent-dim", "8",
            "--rounds", "1", "--episodes", "160", "--policy", "random", "--out", str(out), "--no-progress"]
    assert main(args) == 0
    report = json.loads((out / "report.json").read_text())
    assert {"x0", "y0"} <= set(report["identified"])  # the positions, read off the frames
    assert report["latent_r2"] >= 0.5 and report["shd"] is not None
    # the encoder learned to see before the first round and was saved: a run killed before its
    # first round was recorded resumes with it, to the same report
    assert (out / "encoder" / "encoder.json").is_file()
    for name in ("experiment.json", "report.json"):
        (out / name).unlink()
    assert main(["resume", str(out), "--no-progress"]) == 0
    again = json.loads((out / "report.json").read_text())
    assert {k: again[k] for k in ("identified", "shd", "counterfactual_error", "latent_r2")} == \
        {k: report[k] for k in ("identified", "shd", "counterfactual_error", "latent_r2")}
