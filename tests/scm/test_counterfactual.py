"""Counterfactuals against the truth: closed forms for linear models, the true noise for the rest,
and exact posterior probabilities (closed form or 1-D integration) for discrete Gumbel-max nodes."""

import math

import networkx as nx
import numpy as np
import pytest
import torch
from scipy import integrate

import causalworld as cw
from causalworld.errors import NotInvertibleError, ShapeError
from causalworld.scm.mechanisms import Binary, Categorical, GaussianRoot, LinearGaussian, Mechanism


def closed_form_linear(scm: cw.SCM, X: np.ndarray, do: dict[str, float]) -> np.ndarray:
    """x = x W + c + u  =>  u = x (I - W) - c;  x' = (u' + c') (I - W')^-1, written out in numpy."""
    W = scm.weights().to_numpy().astype(np.float64)
    d = W.shape[0]
    c = np.zeros(d)
    for j, v in enumerate(scm.variables):
        m = scm.mechanisms[v]
        c[j] = float(m.bias) if isinstance(m, LinearGaussian) else 0.0
    U = X @ (np.eye(d) - W) - c
    W2, c2, U2 = W.copy(), c.copy(), U.copy()
    for v, val in do.items():
        j = scm.variables.index(v)
        W2[:, j] = 0.0
        c2[j] = 0.0
        U2[:, j] = val
    return (U2 + c2) @ np.linalg.inv(np.eye(d) - W2)


@pytest.mark.parametrize("seed", range(12))
def test_linear_counterfactual_equals_closed_form(seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 31))
    scm = cw.random_scm(d, edges_per_node=float(rng.uniform(0.5, 2.5)), mechanism="linear", seed=seed,
                        dtype=torch.float64)
    obs = scm.sample(64, seed=seed + 100)
    targets = rng.choice(d, size=min(d, 2), replace=False)
    do = {scm.variables[t]: float(rng.normal(0, 2)) for t in targets}
    cf = scm.counterfactual(obs, do)
    X = np.stack([obs[v].numpy() for v in scm.variables], 1)
    expected = closed_form_linear(scm, X, do)
    got = np.stack([cf[v].numpy() for v in scm.variables], 1)
    assert np.allclose(got, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("mechanism", ["mlp", "pnl"])
@pytest.mark.parametrize("seed", range(5))
def test_nonlinear_counterfactual_equals_forward_pass_with_true_noise(mechanism, seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 31))
    scm = cw.random_scm(d, edges_per_node=1.5, mechanism=mechanism, seed=seed, dtype=torch.float64)
    noise = scm.sample_noise(128, seed=seed)
    obs = scm.from_noise(noise)
    target = scm.variables[int(rng.integers(0, d))]
    value = float(rng.normal())
    cf = scm.counterfactual(obs, {target: value})
    truth = scm.do({target: value}).from_noise(noise)
    for v in scm.variables:
        assert torch.allclose(cf[v], truth[v], rtol=1e-8, atol=1e-8), v


def test_no_intervention_gives_back_the_factual_world_and_soft_do_works():
    scm = cw.random_scm(8, mechanism="mlp", seed=3, dtype=torch.float64)
    noise = scm.sample_noise(50, seed=1)
    obs = scm.from_noise(noise)
    same = scm.counterfactual(obs, {})
    for v in scm.variables:
        assert torch.allclose(same[v], obs[v], atol=1e-10)
    t = scm.variables[0]
    shifted = scm.counterfactual(obs, {t: lambda x: x + 1.0})
    truth = scm.do({t: lambda x: x + 1.0}).from_noise(noise)
    for v in scm.variables:
        assert torch.allclose(shifted[v], truth[v], atol=1e-10)


def test_tensor_intervention_per_row_and_num_samples_layout():
    scm = cw.random_scm(5, mechanism="linear", seed=0, dtype=torch.float64)
    obs = scm.sample(7, seed=2)
    t = scm.variables[0]
    vals = torch.linspace(-1, 1, 7, dtype=torch.float64)
    cf = scm.counterfactual(obs, {t: vals}, num_samples=3)
    assert all(cf[v].shape == (21,) for v in scm.variables)
    assert torch.equal(cf[t], vals.repeat(3))
    # continuous noise is identified: the three draws are the same rows
    last = scm.variables[-1]
    assert torch.allclose(cf[last][:7], cf[last][7:14]) and torch.allclose(cf[last][:7], cf[last][14:])
    with pytest.raises(ShapeError, match="one value per observed row"):
        scm.counterfactual(obs, {t: vals[:3]})


@pytest.mark.parametrize("mechanism", ["linear", "mlp", "discrete"])
def test_chunked_equals_unchunked(mechanism):
    # 20,000 rows and 2 samples: more than one block of random draws (8,192 rows here), so the
    # chunk sizes below really split the work, and the same seed must give the same answer.
    scm = cw.random_scm(6, mechanism=mechanism, seed=1, cardinality=3, dtype=torch.float64)
    obs = scm.sample(20_000, seed=0)
    do = {scm.variables[1]: 1 if mechanism == "discrete" else 0.7}
    whole = scm.counterfactual(obs, do, num_samples=2, seed=5)
    for chunk_size in (97, 5_000, 20_000, 10**6):
        parts = scm.counterfactual(obs, do, num_samples=2, seed=5, chunk_size=chunk_size)
        for v in scm.variables:
            assert torch.equal(whole[v], parts[v]), (chunk_size, v)
    if mechanism == "discrete":  # and the draws are draws: another seed gives other counterfactuals
        other = scm.counterfactual(obs, do, num_samples=2, seed=6)
        assert any(not torch.equal(whole[v], other[v]) for v in scm.variables)
    one = scm.counterfactual(obs, do, chunk_size=97, seed=5)  # one sample (the linear model: no draws at all)
    assert all(torch.allclose(one[v], scm.counterfactual(obs, do, seed=5)[v], atol=1e-12) for v in scm.variables)


def test_float32_and_float64_agree():
    s64 = cw.random_scm(10, mechanism="mlp", seed=4, dtype=torch.float64)
    s32 = s64.to(dtype=torch.float32)
    obs = s64.sample(200, seed=0)
    do = {s64.variables[2]: 0.3}
    a = s64.counterfactual(obs, do)
    b = s32.counterfactual({k: v.float() for k, v in obs.items()}, do)
    for v in s64.variables:
        assert b[v].dtype == torch.float32
        assert torch.allclose(a[v].float(), b[v], atol=1e-3, rtol=1e-3)


def test_a_million_rows_in_chunks():
    scm = cw.random_scm(10, mechanism="linear", seed=0, dtype=torch.float64)
    obs = scm.sample(1_000_000, seed=0)
    do = {scm.variables[0]: 1.0}
    cf = scm.counterfactual(obs, do, chunk_size=300_000)
    idx = torch.arange(0, 1_000_000, 99_991)
    sub = scm.counterfactual({k: v[idx] for k, v in obs.items()}, do)
    for v in scm.variables:
        assert torch.allclose(cf[v][idx], sub[v], atol=1e-10)


# ---------------------------------------------------------------- discrete: exact posteriors
def binary_pair(w: float, b: float) -> cw.SCM:
    return cw.SCM([("t", "y")], {"t": Binary(0, bias=0.3), "y": Binary(1, weight=[w], bias=b)}, dtype=torch.float64)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@pytest.mark.parametrize("w,b", [(2.0, -1.0), (-1.5, 0.5), (0.7, 0.2)])
def test_binary_counterfactual_matches_closed_form(w, b):
    """y = 1[w t + b + L > 0]. Seen (t=1, y=y0); under do(t=0) y' = 1[b + L > 0], L | y0 truncated logistic."""
    scm = binary_pair(w, b)
    n_draws = 40_000
    for y0 in (0, 1):
        p = scm.counterfactual_distribution({"t": [1], "y": [y0]}, {"t": 0}, "y", num_samples=n_draws, seed=7)[0, 1].item()
        eta1, eta0 = w + b, b
        if y0 == 1:  # P(L > -eta0 | L > -eta1)
            exact = sigmoid(min(eta0, eta1)) / sigmoid(eta1)
        else:  # P(L > -eta0 | L <= -eta1)
            exact = max(0.0, sigmoid(eta0) - sigmoid(eta1)) / (1 - sigmoid(eta1))
        sd = math.sqrt(max(exact * (1 - exact), 1e-12) / n_draws)
        assert abs(p - exact) <= 4.5 * sd + 1e-12, (y0, p, exact)


def gumbel_cdf(x):
    return np.exp(-np.exp(-x))


def gumbel_pdf(x):
    return np.exp(-x - np.exp(-x))


def exact_categorical_cf(l: np.ndarray, lp: np.ndarray, k: int) -> np.ndarray:
    """P(y' = j | y = k) for 3 categories, y = argmax(l + g), y' = argmax(lp + g), g i.i.d. Gumbel.

    Integrates over g_j numerically (1-D) with the inner integral over g_k in closed form.
    """
    K = 3
    p_k = np.exp(l[k]) / np.exp(l).sum()
    out = np.zeros(K)
    for j in range(K):
        i = [m for m in range(K) if m not in (j, k)]
        if j == k:
            # g_k = s: every other m needs g_m <= s + min(l_k - l_m, lp_k - lp_m)
            others = [m for m in range(K) if m != k]

            def f(s):
                return gumbel_pdf(s) * np.prod([gumbel_cdf(s + min(l[k] - l[m], lp[k] - lp[m])) for m in others])

            out[j] = integrate.quad(f, -30, 40, limit=200)[0]
            continue
        (m,) = i
        A = l[k] - l[m]

        def inner(r):
            lo, hi = r + l[j] - l[k], r + lp[j] - lp[k]  # s range from y=k and y'=j
            if hi <= lo:
                return 0.0
            C = r + lp[j] - lp[m]  # g_m <= min(s + A, C)
            cut = min(max(C - A, lo), hi)
            a = 1.0 + math.exp(-A)
            part1 = (np.exp(-np.exp(-cut) * a) - np.exp(-np.exp(-lo) * a)) / a  # s in [lo, cut]: bound s + A
            part2 = gumbel_cdf(C) * (gumbel_cdf(hi) - gumbel_cdf(cut))  # s in [cut, hi]: bound C
            return part1 + part2

        out[j] = integrate.quad(lambda r: gumbel_pdf(r) * inner(r), -30, 40, limit=200)[0]
    return out / p_k


@pytest.mark.parametrize("seed", range(3))
def test_categorical_counterfactual_matches_numerical_integration(seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(0, 1.5, size=(1, 3))
    bias = rng.normal(0, 1, size=3)
    scm = cw.SCM([("t", "y")], {"t": Binary(0), "y": Categorical(1, 3, weight=W, bias=bias)}, dtype=torch.float64)
    l, lp = bias + W[0] * 1.0, bias + W[0] * 0.0  # logits for t = 1 (seen) and t = 0 (counterfactual)
    n_draws = 40_000
    for k in range(3):
        exact = exact_categorical_cf(l, lp, k)
        assert abs(exact.sum() - 1) < 1e-6
        p = scm.counterfactual_distribution({"t": [1], "y": [k]}, {"t": 0}, "y", num_samples=n_draws, seed=seed)[0].numpy()
        sd = np.sqrt(np.maximum(exact * (1 - exact), 1e-12) / n_draws)
        assert np.all(np.abs(p - exact) <= 4.5 * sd + 1e-9), (k, p, exact)


def test_discrete_posterior_draws_reproduce_the_observation():
    scm = cw.random_scm(6, mechanism="discrete", cardinality=4, seed=0, dtype=torch.float64)
    obs = scm.sample(300, seed=1)
    again = scm.counterfactual(obs, {}, num_samples=5, seed=2)
    for v in scm.variables:
        assert torch.equal(again[v], obs[v].repeat(5))


def test_abducted_noise_has_the_prior_marginal():
    """Averaged over observations, posterior draws of Gumbel noise are Gumbel(0, 1) again."""
    scm = cw.random_scm(3, mechanism="discrete", cardinality=3, seed=1, dtype=torch.float64)
    obs = scm.sample(50_000, seed=0)
    noise = scm.abduct(obs, seed=1)
    g = noise[scm.variables[-1]].flatten().numpy()
    assert abs(g.mean() - np.euler_gamma) < 0.02 and abs(g.var() - np.pi**2 / 6) < 0.05


def test_same_seed_same_discrete_counterfactual():
    scm = cw.random_scm(5, mechanism="discrete", cardinality=3, seed=2)
    obs = scm.sample(100, seed=0)
    a = scm.counterfactual(obs, {scm.variables[0]: 2}, num_samples=4, seed=9)
    b = scm.counterfactual(obs, {scm.variables[0]: 2}, num_samples=4, seed=9)
    assert all(torch.equal(a[v], b[v]) for v in scm.variables)


def test_mechanism_without_abduction_gets_a_typed_error():
    class Opaque(Mechanism):
        def forward(self, parents, noise):
            return parents[:, 0] * noise

        def sample_noise(self, n, generator=None):
            return self._randn((n,), generator)

        def log_prob(self, value, parents):
            return torch.zeros_like(value)

    scm = cw.SCM([("x", "y")], {"x": GaussianRoot(), "y": Opaque(1)})
    obs = scm.sample(4, seed=0)
    with pytest.raises(NotInvertibleError, match="'y'"):
        scm.counterfactual(obs, {"x": 1.0})
    assert scm.do({"x": 1.0}).sample(4, seed=0)["x"].eq(1.0).all()  # sampling still works


def test_ten_million_rows_stay_under_4_gib(tmp_path):
    """A 10-node model answers 10^7 rows in chunks; the process's peak memory stays under 4 GiB."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        """
        import resource, torch, causalworld as cw
        torch.set_num_threads(2)
        scm = cw.random_scm(10, mechanism="linear", seed=0, dtype=torch.float32)
        obs = scm.sample(10_000_000, seed=0)
        t = scm.variables[0]
        cf = scm.counterfactual(obs, {t: 1.0})
        idx = torch.arange(0, 10_000_000, 999_983)
        small = scm.counterfactual({k: v[idx] for k, v in obs.items()}, {t: 1.0})
        ok = all(torch.allclose(cf[v][idx], small[v], atol=1e-4) for v in scm.variables)
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(ok, peak_kib)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    ok, peak_kib = out.stdout.split()
    assert ok == "True"
    assert int(peak_kib) < 4 * 1024 * 1024, f"peak RSS {int(peak_kib) / 1024:.0f} MiB"


def test_a_series_row_or_a_dataframe_gets_a_dataframe_with_the_observed_index():
    import pandas as pd

    scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0, dtype=torch.float64)
    df = pd.DataFrame({"y": [2.5, 0.0, 1.0], "x": [1.0, 0.0, -1.0]}, index=["a", "b", "c"])
    cf = scm.counterfactual(df.loc["a"], {"x": 0.0})  # one row as a Series: u_y = 0.5 is kept
    pd.testing.assert_frame_equal(cf, pd.DataFrame({"x": [0.0], "y": [0.5]}, index=["a"]))
    table = scm.counterfactual(df, {"x": pd.Series([1.0, 2.0, 3.0], index=["c", "a", "b"])})  # matched by index
    assert list(table.index) == ["a", "b", "c"]
    np.testing.assert_allclose(table["y"], [2 * 2.0 + 0.5, 2 * 3.0 + 0.0, 2 * 1.0 + 3.0])
    by_position = scm.counterfactual({"x": torch.tensor([1.0, 0.0, -1.0]), "y": torch.tensor([2.5, 0.0, 1.0])},
                                     {"x": pd.Series([2.0, 3.0, 1.0])})
    np.testing.assert_allclose(by_position["y"].numpy(), table["y"].to_numpy())
    draws = scm.counterfactual(df, {"x": 0.0}, num_samples=2)  # sample-major: the index repeats
    assert list(draws.index) == ["a", "b", "c", "a", "b", "c"]
    with pytest.raises(ShapeError, match="index"):
        scm.counterfactual(df, {"x": pd.Series([1.0, 2.0, 3.0], index=[0, 1, 2])})


class _CountingShift(Mechanism):
    """``x = parent + u``: claims to be invertible and records the ``num_samples`` it is asked for."""

    invertible = True

    def __init__(self) -> None:
        super().__init__(1)
        self.asked: list[int] = []

    def forward(self, parents, noise):
        return parents[:, 0] + noise

    def sample_noise(self, n, generator=None):
        return self._randn((n,), generator)

    def abduct(self, parents, value, *, num_samples=1, generator=None):
        self.asked.append(num_samples)
        return self._repeat(value - parents[:, 0], num_samples)

    def log_prob(self, value, parents):
        return -0.5 * (value - parents[:, 0]) ** 2

    def get_config(self):
        return {}


def test_an_invertible_mechanism_is_abducted_once_and_its_noise_repeated():
    shift = _CountingShift()
    scm = cw.SCM({"x": [], "y": ["x"]}, {"x": GaussianRoot(), "y": shift})
    noise = scm.abduct({"x": [0.0, 1.0], "y": [0.5, 3.0]}, num_samples=4)
    assert shift.asked == [1]  # the flag is what the SCM reads: one exact abduction
    assert torch.equal(noise["y"], torch.tensor([0.5, 2.0] * 4))


@pytest.mark.parametrize("mechanism", ["mlp", "linear"])
def test_what_is_not_downstream_keeps_its_observed_value(mechanism):
    # with exact abduction, a variable that is neither set nor downstream of a set one is its
    # observed value, bit for bit, in a tensor of its own; the downstream ones match the forward
    # pass with the true noise
    scm = cw.random_scm(8, mechanism=mechanism, seed=5, dtype=torch.float64)
    noise = scm.sample_noise(300, seed=0)
    obs = scm.from_noise(noise)
    target = scm.variables[3]
    cf = scm.counterfactual(obs, {target: 0.5})
    truth = scm.do({target: 0.5}).from_noise(noise)
    downstream = {target} | nx.descendants(scm.graph, target)
    assert len(downstream) < len(scm.variables)
    for v in scm.variables:
        if v in downstream:
            assert torch.allclose(cf[v], truth[v], atol=1e-9), v
        else:
            assert torch.equal(cf[v], obs[v]) and cf[v].data_ptr() != obs[v].data_ptr(), v
