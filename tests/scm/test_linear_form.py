"""The linear-Gaussian fast path: a counterfactual moves only the set columns' descendants."""

import numpy as np
import pandas as pd
import torch

import causalworld as cw
from causalworld.scm.linear_form import LinearForm


def _by_propagation(W: torch.Tensor, b: torch.Tensor, X: torch.Tensor, sets: dict[int, torch.Tensor]) -> torch.Tensor:
    """The textbook counterfactual: abduct u = x - (x W + b), then recompute every column in
    topological order (W is upper triangular) with the set columns held at their values."""
    U = X - (X @ W + b)
    out = torch.empty_like(X)
    for j in range(X.shape[1]):
        out[:, j] = sets[j] if j in sets else out[:, :j] @ W[:j, j] + b[j] + U[:, j]
    return out


def test_counterfactual_matches_abduct_act_predict_for_several_set_columns():
    g = torch.Generator().manual_seed(0)
    d, n = 7, 300
    W = torch.triu(torch.randn(d, d, generator=g, dtype=torch.float64), diagonal=1)
    W[torch.rand(d, d, generator=g) < 0.4] = 0.0
    b = torch.randn(d, generator=g, dtype=torch.float64)
    X = torch.randn(n, d, generator=g, dtype=torch.float64) * 3
    form = LinearForm(W, b)
    per_row = torch.randn(n, generator=g, dtype=torch.float64)
    for sets in ({2: 1.5}, {1: -0.5, 4: per_row}, {0: 2.0, 3: 0.0, 5: per_row}):
        got = form.counterfactual(list(X.T), sets)
        truth = _by_propagation(W, b, X, {j: torch.as_tensor(v, dtype=torch.float64).expand(n) for j, v in sets.items()})
        for j in range(d):
            assert torch.allclose(got[j], truth[:, j], atol=1e-10), (sets, j)
        for j, v in sets.items():  # set columns hold exactly the set values
            assert torch.equal(got[j], torch.as_tensor(v, dtype=torch.float64).expand(n))
        _, _, moved = form.effects(tuple(sorted(sets)))
        for j in set(range(d)) - set(moved) - set(sets):  # nothing downstream: the observed column, copied
            assert torch.equal(got[j], X[:, j]) and got[j].data_ptr() != X[:, j].data_ptr()


def test_each_row_is_answered_alone():
    # no block, chunk or batch size changes a row's answer: a subset of rows gives the same bits
    scm = cw.random_scm(12, mechanism="linear", seed=3, dtype=torch.float64)
    obs = scm.sample(5_000, seed=1)
    do = {scm.variables[0]: 0.25, scm.variables[4]: -1.0}
    whole = scm.counterfactual(obs, do)
    idx = torch.tensor([0, 17, 4_096, 4_999])
    part = scm.counterfactual({v: t[idx] for v, t in obs.items()}, do)
    assert all(torch.equal(whole[v][idx], part[v]) for v in scm.variables)


def test_a_large_frame_is_answered_without_sharing_memory_with_it():
    scm = cw.random_scm(6, mechanism="linear", seed=2, dtype=torch.float64)
    df = scm.to_frame(scm.sample(70_000, seed=0))  # above the size read in place
    before = df.copy()
    root = scm.variables[0]
    cf = cw.counterfactual_samples(scm, {root: lambda x: 1.0}, observed_data=df)
    inter = cw.interventional_samples(scm, {scm.variables[-1]: lambda x: 0.0}, observed_data=df, seed=0)
    pd.testing.assert_frame_equal(df, before)  # the caller's data is untouched
    for answer in (cf, inter):
        assert list(answer.columns) == list(df.columns)
        for v in df.columns:
            assert not np.shares_memory(answer[v].to_numpy(), df.to_numpy())
    truth = scm.counterfactual(scm.as_tensors(before), {root: 1.0})
    for v in scm.variables:
        np.testing.assert_allclose(cf[v].to_numpy(), truth[v].numpy(), rtol=0, atol=1e-12)
    cf[scm.variables[-1]] = 0.0  # writing to the answer leaves the input alone
    pd.testing.assert_frame_equal(df, before)
