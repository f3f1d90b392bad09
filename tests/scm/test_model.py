"""SCM structure, sampling, do and log_prob, checked against closed forms of linear-Gaussian models."""

import networkx as nx
import numpy as np
import pytest
import torch
from scipy import stats

import causalworld as cw
from causalworld.errors import (
    ArgumentError,
    CausalWorldError,
    CyclicGraphError,
    DeviceError,
    DTypeError,
    ExtrapolationWarning,
    GraphError,
    MissingVariableError,
    NonFiniteError,
    OutOfRangeError,
    ShapeError,
    UnknownVariableError,
)
from causalworld.scm.mechanisms import GaussianRoot, LinearGaussian


def chain():
    return cw.SCM.linear([("x", "y"), ("y", "z")], {("x", "y"): 2.0, ("y", "z"): -1.5}, {"x": 1.0, "y": 0.5, "z": 0.3})


def linear_moments(scm: cw.SCM, do: dict[str, float]):
    """Mean and covariance of a linear-Gaussian SCM under hard interventions, from its matrices."""
    W = scm.weights().to_numpy().astype(np.float64)
    d = len(scm.variables)
    b = np.zeros(d)
    s2 = np.zeros(d)
    for j, v in enumerate(scm.variables):
        m = scm.mechanisms[v]
        if isinstance(m, GaussianRoot):
            b[j], s2[j] = float(m.mean), float(m.std) ** 2
        else:
            b[j], s2[j] = float(m.bias), float(m.noise_std) ** 2
    for v, c in do.items():
        j = scm.variables.index(v)
        W[:, j] = 0.0
        b[j], s2[j] = c, 0.0
    M = np.linalg.inv(np.eye(d) - W)
    return b @ M, M.T @ np.diag(s2) @ M


def test_cycle_is_refused_and_named():
    with pytest.raises(CyclicGraphError, match="a -> b -> c -> a"):
        cw.SCM.linear([("a", "b"), ("b", "c"), ("c", "a")], {}, 1.0)


def test_variables_are_in_topological_order_and_graph_is_frozen():
    scm = cw.SCM.linear([("z", "y"), ("y", "x")], {("z", "y"): 1.0, ("y", "x"): 1.0}, 1.0)
    assert scm.variables == ("z", "y", "x")
    with pytest.raises(Exception):
        scm.graph.add_edge("x", "z")


def test_mechanism_must_match_the_graph():
    with pytest.raises(GraphError, match="takes 2 parent"):
        cw.SCM([("x", "y")], {"x": GaussianRoot(), "y": LinearGaussian(2)})
    with pytest.raises(MissingVariableError):
        cw.SCM([("x", "y")], {"x": GaussianRoot()})
    with pytest.raises(UnknownVariableError, match="did you mean 'y'"):
        cw.SCM([("x", "y")], {"x": GaussianRoot(), "y": LinearGaussian(1), "yy": GaussianRoot()})


def test_same_seed_same_samples_and_different_seed_different():
    scm = cw.random_scm(6, mechanism="mlp", seed=2)
    a, b, c = scm.sample(50, seed=3), scm.sample(50, seed=3), scm.sample(50, seed=4)
    for v in scm.variables:
        assert torch.equal(a[v], b[v])
    assert not torch.equal(a[scm.variables[-1]], c[scm.variables[-1]])


@pytest.mark.parametrize("seed", range(4))
def test_interventional_moments_match_closed_form(seed):
    scm = cw.random_scm(6, edges_per_node=1.5, mechanism="linear", seed=seed, dtype=torch.float64)
    target = scm.variables[1]
    n = 200_000
    sample = scm.do({target: 1.5}).sample(n, seed=seed)
    X = torch.stack([sample[v] for v in scm.variables], 1).numpy()
    mean, cov = linear_moments(scm, {target: 1.5})
    scale = np.sqrt(np.diag(cov)) + 1e-9
    assert np.all(np.abs(X.mean(0) - mean) < 5 * scale / np.sqrt(n) + 1e-9)
    emp = np.cov(X.T)
    assert np.allclose(emp, cov, atol=0.02 * np.outer(scale, scale).max() + 1e-9, rtol=0.03)


def test_do_returns_new_model_and_leaves_original_untouched():
    scm = chain()
    done = scm.do({"y": 1.0})
    assert scm.interventions == {} and set(done.interventions) == {"y"}
    s0, s1 = scm.sample(1000, seed=1), done.sample(1000, seed=1)
    assert torch.equal(s0["x"], s1["x"])  # non-descendant: same noise, same value
    assert torch.all(s1["y"] == 1.0)
    assert not torch.equal(s0["z"], s1["z"])


def test_soft_intervention_shifts_would_be_value():
    scm = chain()
    base, shifted = scm.sample(100, seed=0), scm.do({"y": lambda y: y + 1.0}).sample(100, seed=0)
    assert torch.allclose(shifted["y"], base["y"] + 1.0)
    assert torch.allclose(shifted["z"], base["z"] - 1.5, atol=1e-5)


def test_tensor_intervention_needs_one_value_per_row():
    scm = chain()
    vals = torch.arange(5, dtype=scm.dtype)
    assert torch.equal(scm.do({"x": vals}).sample(5, seed=0)["x"], vals)
    with pytest.raises(ShapeError, match="5 values but 4 rows"):
        scm.do({"x": vals}).sample(4, seed=0)


def test_do_outside_fitted_range_warns_with_the_range():
    truth = chain()
    fitted = cw.SCM.fit(truth.graph, truth.sample(2000, seed=0), "linear", progress=False)
    lo, hi = fitted.fitted_ranges["x"]
    with pytest.warns(ExtrapolationWarning, match=r"outside the range \["):
        fitted.do({"x": hi + 10.0})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.do({"x": (lo + hi) / 2})


def test_log_prob_equals_multivariate_normal_density():
    scm = chain().to(dtype=torch.float64)
    s = scm.sample(20, seed=5)
    X = torch.stack([s[v] for v in scm.variables], 1).numpy()
    mean, cov = linear_moments(scm, {})
    expected = stats.multivariate_normal(mean, cov).logpdf(X)
    assert np.allclose(scm.log_prob(s).numpy(), expected, rtol=1e-8)


def test_log_prob_under_hard_do_skips_the_set_variable():
    scm = chain().to(dtype=torch.float64)
    s = scm.do({"y": 0.5}).sample(10, seed=1)
    lp = scm.do({"y": 0.5}).log_prob(s)
    mx, my, mz = (scm.mechanisms[v] for v in ("x", "y", "z"))
    x, z = s["x"], s["z"]
    expected = mx.log_prob(x, x[:, None]) + mz.log_prob(z, s["y"][:, None])
    assert torch.allclose(lp, expected)


def test_describe_prints_equations():
    text = chain().do({"y": 1.0}).describe()
    assert "x := u_x" in text and "y := 1.0   (do)" in text and "z := -1.5*y" in text


def test_data_errors_are_typed_and_name_the_fix():
    scm = chain()
    good = {"x": torch.zeros(3), "y": torch.zeros(3), "z": torch.zeros(3)}
    with pytest.raises(UnknownVariableError, match="did you mean 'x'"):
        scm.counterfactual({**good, "xx": torch.zeros(3)}, {})
    with pytest.raises(MissingVariableError):
        scm.counterfactual({"x": torch.zeros(3)}, {})
    with pytest.raises(ShapeError, match="equal length"):
        scm.counterfactual({**good, "z": torch.zeros(4)}, {})
    with pytest.raises(cw.errors.NonFiniteError, match="NaN"):
        scm.counterfactual({**good, "y": torch.tensor([0.0, float("nan"), 0.0])}, {})
    with pytest.raises(cw.errors.DTypeError):
        scm.counterfactual({**good, "y": np.array(["a", "b", "c"])}, {})
    with pytest.raises(DeviceError, match="move"):
        scm.counterfactual({**good, "y": torch.zeros(3, device="meta")}, {})
    with pytest.raises(ShapeError):
        scm.sample(0)
    with pytest.raises(ArgumentError):
        scm.do({"x": 1.0}, x=2.0)
    with pytest.raises(UnknownVariableError):
        scm.do({"w": 1.0})
    with pytest.raises(cw.errors.NonFiniteError):
        scm.do({"x": float("inf")})


def test_errors_derive_from_the_matching_builtins():
    assert issubclass(UnknownVariableError, KeyError) and issubclass(UnknownVariableError, CausalWorldError)
    assert issubclass(ShapeError, ValueError) and issubclass(cw.errors.DTypeError, TypeError)
    with pytest.raises(KeyError) as info:  # `except KeyError` written for DoWhy catches it
        chain().do({"nope": 1.0})
    assert "nope" in str(info.value) and not str(info.value).startswith('"')
    with pytest.raises(ValueError):  # and so does `except ValueError`
        chain().do({"nope": 1.0})


def test_to_changes_dtype_without_touching_original():
    scm = chain()
    s64 = scm.to(dtype=torch.float64)
    assert s64.dtype == torch.float64 and scm.dtype == torch.float32
    a = scm.sample(10, seed=0)["z"].double()
    b = s64.sample(10, seed=0)["z"]
    assert a.dtype == torch.float64 and b.dtype == torch.float64


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    scm = cw.random_scm(10, mechanism="mlp", seed=0, dtype=torch.float64)
    obs = scm.sample(1000, seed=1)
    cpu = scm.counterfactual(obs, {scm.variables[0]: 0.5})
    gpu_scm = scm.to("cuda")
    gpu = gpu_scm.counterfactual({k: v.cuda() for k, v in obs.items()}, {scm.variables[0]: 0.5})
    for v in scm.variables:
        assert torch.allclose(cpu[v], gpu[v].cpu(), atol=1e-9)


# -- parameters live in the model's dtype; nothing non-finite passes silently -------------------
def test_float64_linear_model_keeps_its_weights_exact():
    scm = cw.SCM.linear([("a", "b")], {("a", "b"): 0.1}, 0.3, intercepts={"b": 100000.3}, dtype=torch.float64)
    assert scm.weights().iloc[0, 1] == 0.1
    assert scm.mechanisms["b"].bias.item() == 100000.3
    assert scm.mechanisms["b"].noise_std.item() == 0.3


def test_float64_random_scm_builds_its_parameters_in_float64():
    scm = cw.random_scm(4, mechanism="mlp", seed=0, dtype=torch.float64)
    for m in scm.mechanisms.values():
        assert all(t.dtype == torch.float64 for t in m.state_dict().values())


def test_values_beyond_float32_fit_a_float64_model_and_are_refused_by_a_float32_one():
    big = cw.SCM.linear([("a", "b")], {("a", "b"): 1e39}, dtype=torch.float64)
    assert big.weights().iloc[0, 1] == 1e39
    with pytest.raises(OutOfRangeError, match=r"'b'.*1e\+39 exceeds the largest torch.float32.*float64"):
        cw.SCM.linear([("a", "b")], {("a", "b"): 1e39}, dtype=torch.float32)
    with pytest.raises(NonFiniteError, match="'b'.*float64"):  # a float64 model moved to float32
        big.to(dtype=torch.float32)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_models_are_refused_at_construction(dtype):
    with pytest.raises(DTypeError, match="float32 or torch.float64"):
        cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}, dtype=dtype)
    with pytest.raises(DTypeError, match="float32 or torch.float64"):
        cw.random_scm(3, seed=0).to(dtype=dtype)


def test_an_scm_without_variables_is_refused():
    with pytest.raises(GraphError, match="no variables"):
        cw.SCM.linear(nx.DiGraph(), {})


def test_a_multidigraph_is_refused_with_the_fix():
    with pytest.raises(GraphError, match=r"MultiDiGraph.*networkx.DiGraph\(graph\)"):
        cw.SCM.linear(nx.MultiDiGraph([("a", "b")]), {("a", "b"): 1.0})


@pytest.mark.parametrize("noise_std, error", [(float("inf"), NonFiniteError), (float("nan"), NonFiniteError),
                                               (0.0, OutOfRangeError), (-1.0, OutOfRangeError), ("1", DTypeError)])
def test_random_scm_refuses_a_bad_noise_std(noise_std, error):
    with pytest.raises(error, match="noise_std"):
        cw.random_scm(1, noise_std=noise_std)


def test_from_noise_refuses_nan_scalars_and_strings_by_name():
    scm = cw.SCM.linear([("a", "b")], {("a", "b"): 1.0})
    with pytest.raises(NonFiniteError, match="noise of a"):
        scm.from_noise({"a": [float("nan")], "b": [0.0]})
    with pytest.raises(ShapeError, match="single number"):
        scm.from_noise({"a": 1.0, "b": 0.0})
    with pytest.raises(DTypeError, match="noise of a"):
        scm.from_noise({"a": ["x"], "b": ["y"]})
    with pytest.raises(DTypeError, match="dict of columns"):
        scm.from_noise([1.0, 2.0])


def test_an_overflowing_query_raises_instead_of_returning_inf():
    scm = cw.SCM.linear([("a", "b")], {("a", "b"): 2.0})
    with pytest.raises(NonFiniteError, match=r"'b' came out NaN or infinite.*float64"):
        scm.do(a=3e38).sample(2, seed=0)
    with pytest.raises(NonFiniteError, match="'b'"):
        scm.counterfactual({"a": [1.0], "b": [2.0]}, {"a": 3e38})
    exact = scm.to(dtype=torch.float64).do(a=3e38).sample(2, seed=0)  # the fix the message names
    assert torch.isfinite(exact["b"]).all()


@pytest.mark.parametrize("value", [1 + 2j, np.array([1, "x"], dtype=object), np.array(["1", "2"]),
                                   np.array([1 + 1j, 2.0])])
def test_do_refuses_values_that_are_not_real_numbers(value):
    with pytest.raises(DTypeError, match=r"do\(a="):
        cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}).do(a=value)


@pytest.mark.parametrize("spec", [("a", 1.0), "a", [("a", 1.0)]])
def test_do_refuses_interventions_that_are_not_a_dict(spec):
    with pytest.raises(DTypeError, match=r"must be a dict \{variable: value\}"):
        cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}).do(spec)


def test_a_datetime_or_complex_column_is_refused_by_name():
    scm = cw.SCM.linear([("a", "b")], {("a", "b"): 1.0})
    with pytest.raises(DTypeError, match="'a' holds datetime64"):
        scm.log_prob({"a": np.array(["2020-01-01"], dtype="datetime64[D]"), "b": [1.0]})
    with pytest.raises(DTypeError, match="'a' holds complex"):
        scm.log_prob({"a": np.array([1 + 1j]), "b": [1.0]})


def test_a_model_on_an_unusable_device_is_refused():
    for device in ["meta", "bogus"] + ([] if torch.cuda.is_available() else ["cuda"]):
        with pytest.raises(DeviceError):
            cw.SCM.linear([("a", "b")], {("a", "b"): 1.0}, device=device)
        with pytest.raises(DeviceError):
            cw.random_scm(2, seed=0).to(device)


def test_data_beyond_float32_is_out_of_range_for_a_float32_model_not_missing():
    scm = cw.SCM.linear([("a", "b")], {("a", "b"): 1.0})
    with pytest.raises(OutOfRangeError, match=r"'a' holds 1e\+39, beyond the largest torch.float32.*float64"):
        scm.log_prob({"a": np.array([1e39]), "b": np.array([0.0])})
    assert torch.isfinite(scm.to(dtype=torch.float64).log_prob({"a": np.array([1e39]), "b": np.array([1e39])})).all()


# ------------------------------------------------------------------ memory limits
HUGE = 2**40


@pytest.mark.parametrize("query", ["sample", "sample_noise", "counterfactual", "abduct"])
def test_a_query_too_large_for_memory_is_refused_before_allocating(query):
    import time

    from causalworld.errors import MemoryLimitError

    scm = chain()
    obs = scm.sample(4, seed=0)
    call = {"sample": lambda: scm.sample(HUGE), "sample_noise": lambda: scm.sample_noise(HUGE),
            "counterfactual": lambda: scm.counterfactual(obs, {"x": 1.0}, num_samples=HUGE),
            "abduct": lambda: scm.abduct(obs, num_samples=HUGE)}[query]
    start = time.perf_counter()
    with pytest.raises(MemoryLimitError, match=f"{HUGE}.*TiB of memory.*rows at a time|{HUGE}.*TiB.*fewer num_samples"):
        call()
    assert time.perf_counter() - start < 0.5


def test_the_memory_override_limits_and_allows_queries(monkeypatch):
    from causalworld.errors import MemoryLimitError
    from causalworld.memory import MAX_BYTES_ENV

    scm = chain()
    expected = scm.sample(1000, seed=3)
    monkeypatch.setenv(MAX_BYTES_ENV, "4k")  # 1000 rows of 3 values and 3 noises, with a working copy: 48 kB
    with pytest.raises(MemoryLimitError, match=f"sample\\(n=1000\\).*raise {MAX_BYTES_ENV}"):
        scm.sample(1000, seed=3)
    monkeypatch.setenv(MAX_BYTES_ENV, "1M")
    got = scm.sample(1000, seed=3)
    assert all(torch.equal(got[v], expected[v]) for v in scm.variables)
