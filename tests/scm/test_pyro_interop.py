"""``to_pyro``: Pyro's handlers on the exported model give our interventional distributions and our
counterfactuals, and conditioning on observed values before ``do`` gives the interventional answer."""

import numpy as np
import pytest
import torch
from pyro import poutine

import causalworld as cw
from causalworld.errors import ConversionError, OutOfRangeError, ShapeError
from causalworld.scm.mechanisms import LinearGaussian, Mechanism
from causalworld.scm.pyro_interop import PyroSCM, pyro_counterfactual, to_pyro
from tests.scm.test_model import linear_moments  # the analytic moments, shared

KINDS = [("linear", 2), ("mlp", 2), ("pnl", 2), ("discrete", 2), ("discrete", 3)]


def seeded(fn, seed, *args):
    """Run a Pyro model on the global RNG with a fixed seed, leaving the caller's RNG as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return fn(*args)


def noise_data(noise):
    return {f"u_{v}": u for v, u in noise.items()}


def assert_same(a, b, variables, atol=1e-10):
    for v in variables:
        if a[v].dtype.is_floating_point:
            assert torch.allclose(a[v], b[v], rtol=1e-9, atol=atol), v
        else:
            assert torch.equal(a[v], b[v]), v


@pytest.mark.parametrize("mechanism,card", KINDS)
def test_noise_sites_replay_our_forward_pass_and_poutine_do_our_do(mechanism, card):
    scm = cw.random_scm(7, mechanism=mechanism, cardinality=card, edges_per_node=1.5, seed=4, dtype=torch.float64)
    model = scm.to_pyro()
    noise = scm.sample_noise(300, seed=1)
    replay = poutine.condition(model, data=noise_data(noise))(300)
    assert_same(replay, scm.from_noise(noise), scm.variables)

    # a hard intervention on a node with children, as a number and as one value per row
    target = max(scm.variables, key=lambda v: scm.graph.out_degree(v))
    value = 1 if mechanism == "discrete" else 0.7
    per_row = (torch.arange(300) % card) if mechanism == "discrete" else torch.linspace(-2, 2, 300, dtype=torch.float64)
    for do in (value, per_row):
        t = torch.as_tensor(do, dtype=torch.long if mechanism == "discrete" else torch.float64)
        got = poutine.do(poutine.condition(model, data=noise_data(noise)), data={target: t})(300)
        assert_same(got, scm.do({target: do}).from_noise(noise), scm.variables)


def test_trace_has_noise_sites_in_a_plate_and_deterministic_variable_sites():
    scm = cw.random_scm(4, mechanism="discrete", cardinality=3, seed=0)
    tr = seeded(poutine.trace(to_pyro(scm)).get_trace, 0, 6)
    for v in scm.variables:
        u = tr.nodes[f"u_{v}"]
        assert u["value"].shape == (6, 3) and u["fn"].event_shape == (3,) and u["fn"].batch_shape == (6,)
        assert [f.name for f in u["cond_indep_stack"]] == ["rows"]
        assert tr.nodes[v]["is_observed"] and tr.nodes[v]["infer"].get("_deterministic")
        # the variable is the Gumbel-max of its logits plus the noise site's value
        pa = torch.stack([tr.nodes[p]["value"].to(scm.dtype) for p in scm.parents(v)], 1) if scm.parents(v) else torch.empty(6, 0)
        expected = torch.argmax(scm.mechanisms[v].logits(pa) + u["value"], -1)
        assert torch.equal(tr.nodes[v]["value"], expected)
    assert torch.isfinite(tr.log_prob_sum())


def moments(values, variables):
    X = np.stack([values[v].numpy() for v in variables], 1)
    return X.mean(0), np.cov(X, rowvar=False)


def test_poutine_do_gives_the_analytic_interventional_distribution_of_a_linear_scm():
    scm = cw.random_scm(5, mechanism="linear", edges_per_node=1.5, seed=11, dtype=torch.float64)
    target = max(scm.variables, key=lambda v: len(nx_descendants(scm, v)))
    do = {target: 1.5}
    n = 20_000
    ours = scm.do(do).sample(n, seed=2)
    theirs = seeded(poutine.do(to_pyro(scm), data={target: torch.tensor(1.5, dtype=torch.float64)}), 3, n)
    mean, cov = linear_moments(scm, do)
    sd = np.sqrt(np.diag(cov))
    # a sample mean is off by sd/sqrt(n); a covariance entry by sqrt((s_ii s_jj + s_ij^2)/n)
    cov_se = np.sqrt((np.outer(sd**2, sd**2) + cov**2) / n)
    for got in (ours, theirs):
        m, c = moments(got, scm.variables)
        assert np.all(np.abs(m - mean) <= 5 * sd / np.sqrt(n) + 1e-12)
        assert np.all(np.abs(c - cov) <= 5 * cov_se + 1e-12)
    assert torch.all(theirs[target] == 1.5)
    assert len(nx_descendants(scm, target)) > 0  # the intervention moves something downstream


def nx_descendants(scm, v):
    import networkx as nx

    return nx.descendants(scm.graph, v)


@pytest.mark.parametrize("mechanism,card", KINDS)
def test_pyro_counterfactual_equals_ours(mechanism, card):
    scm = cw.random_scm(8, mechanism=mechanism, cardinality=card, edges_per_node=1.5, seed=7, dtype=torch.float64)
    obs = scm.sample(200, seed=5)
    target = max(scm.variables, key=lambda v: len(nx_descendants(scm, v)))
    do = {target: 1 if mechanism == "discrete" else -0.8}
    k = 4 if mechanism == "discrete" else 1
    ours = scm.counterfactual(obs, do, num_samples=k, seed=9)
    theirs = pyro_counterfactual(scm, obs, do, num_samples=k, seed=9)
    assert_same(theirs, ours, scm.variables)
    assert theirs[target].shape == (k * 200,)


def test_discrete_counterfactual_by_hand_on_one_posterior_draw():
    """The pattern users write: condition the noise sites on one draw of abducted noise, then do."""
    scm = cw.random_scm(6, mechanism="discrete", cardinality=3, edges_per_node=1.5, seed=2, dtype=torch.float64)
    obs = scm.sample(500, seed=0)
    target = max(scm.variables, key=lambda v: len(nx_descendants(scm, v)))
    noise = scm.abduct(obs, seed=13)  # one posterior draw per row
    cf = poutine.do(poutine.condition(scm.to_pyro(), data=noise_data(noise)), data={target: torch.tensor(2)})(500)
    ours = scm.counterfactual(obs, {target: 2}, seed=13)
    assert_same(cf, ours, scm.variables)
    # the abducted noise reproduces the observed world, and rows whose target was already 2 keep it
    factual = poutine.condition(scm.to_pyro(), data=noise_data(noise))(500)
    assert_same(factual, obs, scm.variables)
    unchanged = obs[target] == 2
    assert_same({v: cf[v][unchanged] for v in scm.variables}, {v: obs[v][unchanged] for v in scm.variables}, scm.variables)


def confounded_scm():
    # z -> x -> y and z -> y: y = 2 x + z + u_y, u_y ~ N(0, 0.5^2)
    return cw.SCM.linear([("z", "x"), ("x", "y"), ("z", "y")], {("z", "x"): 1.0, ("x", "y"): 2.0, ("z", "y"): 1.0},
                         {"z": 1.0, "x": 1.0, "y": 0.5}, dtype=torch.float64)


def test_condition_on_observed_then_do_is_interventional_not_counterfactual():
    scm = confounded_scm()
    row = scm.sample(1, seed=4)
    z, x, y = (float(row[v]) for v in ("z", "x", "y"))
    n = 20_000
    obs_rows = {v: row[v].repeat(n) for v in scm.variables}
    model = scm.to_pyro()

    # rung 3: the counterfactual keeps this row's noise u_y = y - 2 x - z
    cf = pyro_counterfactual(scm, obs_rows, {"x": 0.0})["y"]
    assert torch.allclose(cf, torch.full((n,), y - 2 * x, dtype=torch.float64), atol=1e-12)  # closed form: y + 2 (0 - x)

    # condition the *variables* on what was seen before acting (z, x), then do: rung 2
    wrong = poutine.do(poutine.condition(model, data={"z": obs_rows["z"], "x": obs_rows["x"]}), data={"x": torch.tensor(0.0, dtype=torch.float64)})
    y_int = seeded(wrong, 1, n)["y"]
    assert abs(float(y_int.mean()) - z) < 5 * 0.5 / np.sqrt(n)  # E[y | do(x=0), z] = z
    assert abs(float(y_int.std()) - 0.5) < 0.02  # the noise is drawn afresh: spread 0.5, not 0
    assert float((y_int - cf).abs().mean()) > 0.3

    # conditioning y too leaves y at its observed value: the intervention is ignored altogether
    stuck = poutine.do(poutine.condition(model, data=obs_rows), data={"x": torch.tensor(0.0, dtype=torch.float64)})(n)["y"]
    assert torch.equal(stuck, obs_rows["y"]) and not torch.allclose(stuck, cf)


def test_interventions_already_on_the_scm_are_exported():
    scm = cw.random_scm(6, mechanism="mlp", edges_per_node=1.5, seed=3, dtype=torch.float64)
    a, b = scm.variables[0], scm.variables[2]
    acted = scm.do({a: 0.25, b: lambda t: 2 * t + 1})
    noise = scm.sample_noise(100, seed=8)
    got = poutine.condition(acted.to_pyro(), data=noise_data(noise))(100)
    assert_same(got, acted.from_noise(noise), scm.variables)
    assert torch.all(got[a] == 0.25)
    # an outer poutine.do overrides the exported intervention, as a later scm.do would
    over = poutine.do(poutine.condition(acted.to_pyro(), data=noise_data(noise)), data={a: torch.tensor(-1.0, dtype=torch.float64)})(100)
    assert_same(over, acted.do({a: -1.0}).from_noise(noise), scm.variables)


def test_errors_are_typed():
    class NoNoiseLaw(Mechanism):
        def forward(self, parents, noise):
            return noise

        def sample_noise(self, n, generator=None):
            return torch.zeros(n)

        def log_prob(self, value, parents):
            return torch.zeros_like(value)

    scm = cw.SCM([("x", "y")], {"x": NoNoiseLaw(0), "y": LinearGaussian(1, weight=[1.0])})
    with pytest.raises(ConversionError, match="noise_distribution"):
        scm.to_pyro()
    with pytest.raises(ConversionError):
        to_pyro("not an scm")

    lin = confounded_scm()
    obs = lin.sample(5, seed=0)
    with pytest.raises(ConversionError, match="scm.counterfactual"):
        pyro_counterfactual(lin, obs, {"x": lambda t: t + 1})
    with pytest.raises(ShapeError):
        pyro_counterfactual(lin, obs, {"x": torch.zeros(3, dtype=torch.float64)})
    model = lin.to_pyro()
    assert isinstance(model, PyroSCM)
    with pytest.raises(ShapeError):
        model(0)
    with pytest.raises(ShapeError):
        poutine.do(model, data={"x": torch.zeros(3, dtype=torch.float64)})(5)

    disc = cw.random_scm(3, mechanism="discrete", cardinality=3, seed=0)
    with pytest.raises(OutOfRangeError):
        poutine.do(disc.to_pyro(), data={disc.variables[0]: torch.tensor(5)})(4)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("mechanism,card", [("mlp", 2), ("discrete", 3)])
def test_replay_and_counterfactual_on_cuda(mechanism, card):
    scm = cw.random_scm(6, mechanism=mechanism, cardinality=card, seed=1, dtype=torch.float64, device="cuda")
    noise = scm.sample_noise(100, seed=2)
    assert_same(poutine.condition(scm.to_pyro(), data=noise_data(noise))(100), scm.from_noise(noise), scm.variables)
    obs = scm.sample(50, seed=3)
    do = {scm.variables[0]: 1 if mechanism == "discrete" else 0.3}
    assert_same(pyro_counterfactual(scm, obs, do, num_samples=2, seed=4),
                scm.counterfactual(obs, do, num_samples=2, seed=4), scm.variables)


def test_pyro_counterfactual_of_a_linear_scm_equals_the_closed_form():
    # Abduction by hand (no causalworld.abduct): u_z = z, u_x = x - z, u_y = y - 2x - z. Conditioning
    # the exported model's noise sites on them and setting x = 1.5 must give the textbook answer
    # x' = 1.5, z' = z, y' = y + 2 (1.5 - x).
    scm = confounded_scm()
    obs = scm.sample(300, seed=4)
    z, x, y = obs["z"], obs["x"], obs["y"]
    noise = {"z": z, "x": x - z, "y": y - 2 * x - z}
    cf = poutine.do(poutine.condition(scm.to_pyro(), data=noise_data(noise)), data={"x": torch.tensor(1.5)})(300)
    assert torch.allclose(cf["z"], z, atol=1e-12)
    assert torch.allclose(cf["x"], torch.full_like(x, 1.5), atol=1e-12)
    assert torch.allclose(cf["y"], y + 2 * (1.5 - x), atol=1e-12)
