"""The stacked MLP trainer: many regressions in one pass, each as it would be alone."""

from __future__ import annotations

import pytest
import torch

import causalworld as cw
from causalworld.scm.fit import fit_mlps
from causalworld.scm.stacked_training import train_stacked


def _tasks():
    g = torch.Generator().manual_seed(0)
    out = []
    # different widths, row counts (one too few to hold rows out, one a single mini-batch) and functions
    for p, n, f in [(1, 700, lambda x: torch.sin(2 * x[:, 0])), (3, 400, lambda x: x[:, 0] * x[:, 1] - x[:, 2]),
                    (2, 90, lambda x: torch.tanh(x.sum(1))), (2, 1200, lambda x: x[:, 0].abs())]:
        X = torch.randn(n, p, generator=g, dtype=torch.float64)
        out.append((X, f(X) + 0.1 * torch.randn(n, generator=g, dtype=torch.float64)))
    return out


@pytest.mark.parametrize("refit", [False, True])
def test_each_task_trains_as_it_would_alone(refit):
    # Together or one at a time: the same held-out split, early-stopping step and network (to
    # float32 rounding), whatever else shares the pass and whenever the others stop.
    tasks, seeds = _tasks(), [5, 6, 7, 8]
    kw = dict(hidden=(8, 8), steps=300, batch_size=128, refit=refit, check_every=10, patience=1)
    together = train_stacked(tasks, seeds, **kw)
    probe = torch.randn(50, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    steps = set()
    for (X, y), s, t in zip(tasks, seeds, together):
        (alone,) = train_stacked([(X, y)], [s], **kw)
        assert alone.best_step == t.best_step
        steps.add(t.best_step)
        assert torch.equal(alone.val_rows, t.val_rows)
        assert alone.val_mse == pytest.approx(t.val_mse, rel=1e-4, nan_ok=True)
        with torch.no_grad():
            a, b = alone.net.predict(probe[:, :X.shape[1]]), t.net.predict(probe[:, :X.shape[1]])
        assert torch.allclose(a, b, atol=1e-5)
        assert a.dtype == torch.float64
    assert len(steps) > 1  # the members did stop at different steps
    assert len(together[2].val_rows) == 0 and together[2].val_mse != together[2].val_mse  # 90 rows: none held out


def test_the_fits_are_close_to_the_true_functions():
    tasks = _tasks()
    fits = train_stacked(tasks, [0, 1, 2, 3])
    for (X, y), fit, limit in zip(tasks, fits, [0.05, 0.15, 0.15, 0.05]):
        with torch.no_grad():
            resid = y - fit.net.predict(X)
        # the residual is the noise (std 0.1), give or take what the fit missed
        assert float(resid.std()) < 0.1 + limit


def test_fit_mlps_auto_keeps_linear_mechanisms_for_linear_data():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(800, 2, generator=g, dtype=torch.float64)
    noise = 0.2 * torch.randn(800, generator=g, dtype=torch.float64)
    tasks = [(X, 2 * X[:, 0] - X[:, 1] + noise), (X[:, :1], torch.cos(2 * X[:, 0]) + noise),
             (X[:60], X[:60, 0] ** 2)]  # 60 rows: too few to tell, linear
    kinds = [type(m).__name__ for m, _ in fit_mlps(tasks, [0, 1, 2], auto=True, members=2)]
    assert kinds == ["LinearGaussian", "AdditiveNoiseMLP", "LinearGaussian"]
    m, r2 = fit_mlps(tasks[1:2], [1], auto=False, members=2)[0]
    assert m.hidden == (64, 64) and r2 > 0.9


def test_a_mechanism_does_not_depend_on_the_rest_of_the_graph():
    # SCM.fit trains every MLP mechanism in one stacked pass; adding an unrelated variable (and its
    # mechanism to the pass) leaves the others' fits unchanged.
    truth = cw.random_scm(4, edges_per_node=1.5, mechanism="mlp", seed=3)
    data = truth.to_frame(truth.sample(600, seed=0))
    small = cw.SCM.fit(truth.graph, data, "mlp", progress=False, mlp_members=1, mlp_steps=200)
    g = truth.graph.copy()
    g.add_edge(truth.variables[0], "extra")
    data["extra"] = data[truth.variables[0]].pow(2) + 0.1
    large = cw.SCM.fit(g, data, "mlp", progress=False, mlp_members=1, mlp_steps=200)
    sample = truth.to_frame(truth.sample(100, seed=1))
    for v in truth.variables:
        ps = sorted(truth.graph.predecessors(v), key=truth.variables.index)
        if not ps:
            continue
        X = torch.tensor(sample[ps].to_numpy())
        with torch.no_grad():
            a, b = small.mechanisms[v].predict(X), large.mechanisms[v].predict(X)
        assert torch.allclose(a, b, atol=1e-5), v


def test_the_largest_seed_wraps_instead_of_overflowing():
    X = torch.randn(200, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    (m, r2), = fit_mlps([(X, X[:, 0].sin())], [2**64 - 1], members=2, steps=30)
    assert m.hidden == (64, 64) and r2 > 0


def test_the_fit_is_the_same_with_one_or_two_threads():
    # Each member's arithmetic is its own slice of the batched products, so how torch splits the
    # work over threads does not change a bit of the fitted mechanisms.
    truth = cw.random_scm(5, edges_per_node=1.5, mechanism="mlp", seed=1)
    data = truth.sample(800, seed=0)
    threads = torch.get_num_threads()
    answers = []
    try:
        for t in (1, 2):
            torch.set_num_threads(t)
            fitted = cw.SCM.fit(truth.graph, data, "mlp", progress=False, mlp_steps=150)
            answers.append(fitted.counterfactual(truth.sample(100, seed=2), {truth.variables[0]: 1.0}))
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(answers[0][v], answers[1][v]) for v in truth.variables)
