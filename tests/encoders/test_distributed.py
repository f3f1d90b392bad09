"""The encoder's fit under ``torchrun --nproc_per_node=2`` (gloo, CPU): two processes with batch B
take the same steps as one process with batch 2B, to float rounding."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
import torch

SCRIPT = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(1)
    import causalworld as cw
    from causalworld.encoders import VideoEncoder
    from causalworld.encoders.train import distributed
    batch, out = int(sys.argv[1]), sys.argv[2]
    world = cw.make("sprites", image_size=32, n_objects=1, seed=0)
    enc = VideoEncoder(8, steps=4, batch_size=batch, lr=2e-3, width=16, progress=False, seed=0,
                       counterfactual=True).fit(world)
    rank, size = distributed()
    if rank == 0:
        torch.save({k: v.detach().clone() for k, v in enc.nets_.encoder.state_dict().items()}, out)
    print("world size", size)
""")


def _run(cmd: list[str], tmp_path) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_two_processes_with_batch_b_equal_one_with_batch_2b(tmp_path):
    script = tmp_path / "fit.py"
    script.write_text(SCRIPT)
    two, one = tmp_path / "two.pt", tmp_path / "one.pt"
    out = _run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(script),
                "8", str(two)], tmp_path)
    assert "world size 2" in out
    assert "world size 1" in _run([sys.executable, str(script), "16", str(one)], tmp_path)
    a, b = torch.load(two), torch.load(one)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-5, rtol=1e-4), (key, float((a[key] - b[key]).abs().max()))
