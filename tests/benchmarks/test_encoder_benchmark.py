"""Smoke test of benchmarks/encoder.py: every method trains within its budget on the same world,
is scored on held-out episodes, and the table is written as JSON with the machine."""

import json

import pytest
import torch

from tests.benchmarks.scripts import benchmark_script


@pytest.fixture(scope="module")
def bench():
    with benchmark_script("encoder.py") as module:
        yield module


def test_quick_run_writes_the_table(bench, tmp_path, capsys):
    out = tmp_path / "encoder.json"
    result = bench.main(["--quick", "--seconds", "2", "--methods", "ours", "autoencoder", "supervised",
                         "--test-episodes", "100", "--out", str(out)])
    assert "diag" in capsys.readouterr().out
    saved = json.loads(out.read_text())
    assert saved["machine"]["cpu_count"] >= 1 and [r["method"] for r in saved["rows"]] == ["ours", "autoencoder", "supervised"]
    for row in saved["rows"]:
        assert 0.0 <= row["mcc"] <= 1.0 and row["diag"] <= 1.0 and row["frames_per_s"] > 0
    assert result["rows"] == saved["rows"]


def test_held_out_r2_tells_which_causes_a_reading_carries(bench):
    # a reading of a * b (a switch times a dimmer) with c (the ambient light) left out of it: the
    # causes together explain it, c adds nothing, and a product that brings c in explains it less
    import numpy as np

    rng = np.random.default_rng(0)
    a, b, c = (rng.integers(0, 2, 4000).astype(float), rng.uniform(0.2, 1, 4000), rng.uniform(0.05, 0.95, 4000))
    y = a * b + 0.01 * rng.standard_normal(4000)
    assert bench._held_out_r2(y, [a, b, c]) > 0.99 and bench._held_out_r2(y, [a, b]) > 0.99
    assert bench._held_out_r2(y, [a, c]) < 0.8 and bench._held_out_r2(y, [a * b * (1 - 0.5 * c)]) < 0.97


def test_effects_reading_tells_what_a_latent_stands_for(bench):
    # a stand-in encoder whose latent is lights' red lamp as its switch and dimmer set it (no
    # ambient dimming): read best from the lamp's parents, as well without the ambient light, and
    # so the graph over what it reads has no ambient -> lamp edge
    import causalworld as cw
    import pandas as pd

    class SetPart:
        def latents(self, eps):
            return pd.DataFrame({"z0": (eps.values["switch_red"] * eps.values["dimmer_red"]).double().numpy()})

    world = cw.make("lights", image_size=8, frames=2, seed=0)
    eps = world.rollout(1000, seed=0)
    reading = bench.effects_reading(SetPart().latents(eps), world, eps, {"z0": "lamp_red"})["lamp_red"]
    assert reading["latent"] == "z0" and reading["from_parents"] > 0.99
    assert reading["from_parents_without"]["ambient"] > 0.99 and reading["from_parents_without"]["dimmer_red"] < 0.8
    assert reading["from_variable"] < reading["from_parents"] - 0.02
    truth = world.graph.subgraph(["ambient", "switch_red", "lamp_red"])
    read = bench.graph_read(truth, {"lamp_red": reading})
    assert sorted(read.edges) == [("switch_red", "lamp_red")] and truth.has_edge("ambient", "lamp_red")


def test_unset_reading_tells_which_latents_carry_a_drawn_variable_nobody_sets(bench):
    # a stand-in encoder: the ambient light named, the red lamp in an effect latent, and one
    # spare latent that is the sensor's reading: the spare block reads the sensor, and it reads
    # nothing of the green lamp, which no latent carries
    import causalworld as cw
    from types import SimpleNamespace

    world = cw.make("lights", image_size=8, frames=2, seed=0)
    test = world.rollout(600, seed=1)
    z = torch.stack([test.values["ambient"], test.values["lamp_red"], test.values["sensor"][:, 0]], 1).float()
    enc = SimpleNamespace(columns_=["ambient", "z0", "z1"], variables_=["ambient"], effects_={"z0": "dimmer_red"})
    reading = bench.unset_reading(enc, world, test, z)
    assert "lamp_red" not in reading and {"sensor", "lamp_green", "lamp_blue"} <= set(reading)
    assert reading["sensor"]["spare"] > 0.95 and reading["sensor"]["all"] > 0.95
    assert reading["lamp_green"]["spare"] < 0.1 and reading["sensor"]["true_parents"] > 0.8
