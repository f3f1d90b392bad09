"""Smoke test of benchmarks/active.py: it runs with tiny settings and writes its table and plot."""

import json

import pytest

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def bench():
    with benchmark_script("active.py") as module:
        yield module


def test_quick_run_writes_the_table_and_the_plot(bench, tmp_path, capsys):
    out, plot = tmp_path / "active.json", tmp_path / "active.png"
    report = bench.main(["--quick", "--worlds", "scm4", "--policies", "random", "info-gain",
                         "--out", str(out), "--plot", str(plot)])
    assert "mean SHD by number of interventions" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert {r["policy"] for r in saved["rows"]} == {"random", "info-gain"}
    assert {r["n_interventions"] for r in saved["rows"]} == {0, 2, 4}
    assert all(r["shd"] >= 0 for r in saved["rows"]) and plot.stat().st_size > 0
    assert [s["policy"] for s in report["summary"]] == ["random", "info-gain"]
    assert {r["policy"] for r in saved["paired_vs_random"]} == {"info-gain"}


def test_a_tempered_info_gain_is_reported_under_its_own_label(bench):
    report = bench.main(["--quick", "--worlds", "scm4", "--policies", "random", "info-gain",
                         "--info-gain-temperature", "10", "--out", "", "--plot", ""])
    assert {r["policy"] for r in report["rows"]} == {"random", "info-gain T=10"}
    assert [s["policy"] for s in report["summary"]] == ["random", "info-gain T=10"]
    assert {r["policy"] for r in report["paired_vs_random"]} == {"info-gain T=10"}


def test_paired_differences_to_random_are_taken_seed_by_seed(bench):
    import pandas as pd

    # info-gain is one edge better than random on every seed at budget 2, though the seeds' SHDs
    # spread from 0 to 9: the paired difference is exactly -1 with no spread
    rows = []
    for seed, hard in enumerate([0, 4, 9]):
        rows += [{"world": "w", "policy": "random", "seed": seed, "n_interventions": 2, "shd": hard + 1},
                 {"world": "w", "policy": "info-gain", "seed": seed, "n_interventions": 2, "shd": hard},
                 {"world": "w", "policy": "round-robin", "seed": seed, "n_interventions": 2, "shd": hard + 1 + seed}]
    out = bench.paired(pd.DataFrame(rows))
    assert out.loc[("w", "info-gain", 2)].tolist() == [-1.0, 0.0]
    assert out.loc[("w", "round-robin", 2), "mean"] == 1.0 and out.loc[("w", "round-robin", 2), "sem"] == pytest.approx(1 / 3**0.5)
    assert bench.paired(pd.DataFrame(rows[1::3])).empty  # no random rows: nothing to pair with


def test_quick_pixel_run_reads_every_episode_with_one_encoder(bench, capsys):
    report = bench.main(["--quick", "--pixels", "--encoder-steps", "10", "--worlds", "sprites", "--policies", "random",
                         "--out", "", "--plot", ""])
    assert "sprites: encoder trained" in capsys.readouterr().out
    assert {r["n_interventions"] for r in report["rows"]} == {0, 2, 4}
    # round 0 already has a model over what the encoder reads: SHD is scored in every round
    assert all(r["shd"] >= 0 for r in report["rows"])


def test_merge_reports_runs_split_over_processes(bench, tmp_path, capsys):
    # two seeds run apart, then one policy rerun: the merged report holds each seed once, with
    # the rerun's rows in place of the first run's
    paths = [tmp_path / f"{name}.json" for name in ("seed0", "seed1", "rerun")]
    for path, seed in zip(paths[:2], (0, 1)):
        bench.main(["--quick", "--worlds", "scm4", "--policies", "random", "--first-seed", str(seed),
                    "--out", str(path), "--plot", ""])
    rerun = json.loads(paths[0].read_text())
    for row in rerun["rows"]:
        row["shd"] = 99
    paths[2].write_text(json.dumps(rerun))
    report = bench.main(["--merge", *map(str, paths), "--out", str(tmp_path / "all.json"), "--plot", str(tmp_path / "all.png")])
    rows = report["rows"]
    assert sorted({r["seed"] for r in rows}) == [0, 1] and len(rows) == 2 * 3  # 2 seeds, rounds 0-2
    assert {r["shd"] for r in rows if r["seed"] == 0} == {99} and all(r["shd"] < 99 for r in rows if r["seed"] == 1)
    assert report["args"]["seeds"] == 2 and report["args"]["merge"] == list(map(str, paths))
    assert json.loads((tmp_path / "all.json").read_text())["rows"] == rows and (tmp_path / "all.png").stat().st_size > 0
    # runs that are not comparable are refused by name, and nothing is written unless asked where
    other = json.loads(paths[1].read_text())
    other["args"]["rounds"] = 5
    (tmp_path / "other.json").write_text(json.dumps(other))
    with pytest.raises(SystemExit, match="rounds=5"):
        bench.main(["--merge", str(paths[0]), str(tmp_path / "other.json"), "--out", "", "--plot", ""])
    # a file written before a setting existed counts as run with its old value; files at two
    # temperatures merge (their info-gain rows are labelled apart), and the settings list both
    older, tempered = json.loads(paths[0].read_text()), json.loads(paths[1].read_text())
    del older["args"]["info_gain_temperature"]
    tempered["args"]["info_gain_temperature"] = 10.0
    (tmp_path / "older.json").write_text(json.dumps(older))
    (tmp_path / "tempered.json").write_text(json.dumps(tempered))
    both = bench.main(["--merge", str(tmp_path / "older.json"), str(tmp_path / "tempered.json"), "--out", "", "--plot", ""])
    assert both["args"]["info_gain_temperature"] == [1.0, 10.0]
    alone = bench.main(["--merge", str(tmp_path / "older.json"), "--out", "", "--plot", ""])
    assert alone["args"]["info_gain_temperature"] == 1.0
    args = bench.parse_args(["--info-gain-temperature", "10"])
    assert bench.policy_label("info-gain", args) == "info-gain T=10" and bench.policy_label("random", args) == "random"
    assert bench.policy_label("info-gain", bench.parse_args([])) == "info-gain"
    lone = json.loads(paths[0].read_text())
    for row in lone["rows"]:
        row["policy"] = "info-gain"
    (tmp_path / "lone.json").write_text(json.dumps(lone))
    with pytest.raises(SystemExit, match=r"info-gain has seeds \[0\]"):
        bench.main(["--merge", str(paths[0]), str(paths[1]), str(tmp_path / "lone.json"), "--out", "", "--plot", ""])
    with pytest.raises(SystemExit):
        bench.main(["--merge", str(paths[0])])
    assert "give --out and --plot" in capsys.readouterr().err


def test_the_learners_sparsity_prior_is_a_setting_runs_must_share_to_merge(bench, tmp_path, monkeypatch):
    seen = []
    real = bench.ExactLearner

    def recording(**kwargs):
        seen.append(kwargs["min_explained"])
        return real(**kwargs)

    monkeypatch.setattr(bench, "ExactLearner", recording)
    weak, default = tmp_path / "weak.json", tmp_path / "default.json"
    report = bench.main(["--quick", "--worlds", "scm4", "--policies", "random", "--min-explained", "0.003",
                         "--out", str(weak), "--plot", ""])
    assert set(seen) == {0.003} and report["args"]["min_explained"] == 0.003
    seen.clear()
    bench.main(["--quick", "--worlds", "scm4", "--policies", "random", "--first-seed", "1", "--out", str(default), "--plot", ""])
    assert set(seen) == {0.01}  # the experiment's own prior on true values
    with pytest.raises(SystemExit, match="min_explained=-1.0"):
        bench.main(["--merge", str(weak), str(default), "--out", "", "--plot", ""])
    older = json.loads(default.read_text())
    del older["args"]["min_explained"]  # written before the setting existed: the default it ran with
    (tmp_path / "older.json").write_text(json.dumps(older))
    merged = bench.main(["--merge", str(default), str(tmp_path / "older.json"), "--out", "", "--plot", ""])
    assert merged["args"]["min_explained"] == -1.0
    with pytest.raises(SystemExit, match="min_explained"):  # counted as the default, so not the weak prior's
        bench.main(["--merge", str(weak), str(tmp_path / "older.json"), "--out", "", "--plot", ""])
