# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5. Coming from DoWhy
#
# If you already model with `dowhy.gcm`, you can bring your fitted model in
# (`SCM.from_dowhy`), ask it the same questions with the same verbs and the same argument
# names, and take a causalworld model out to DoWhy (`scm.to_dowhy()`) without refitting it.
# This notebook checks that both libraries give the same answers on the same model, and puts
# their speed side by side.

# %%
import os

SMOKE = "CI" in os.environ
N_TRAIN = 1000 if SMOKE else 5000  # rows DoWhy is fitted on
N_QUERY = 1000 if SMOKE else 20000  # rows per query (observed rows, or samples drawn)
REPEATS = 1 if SMOKE else 5  # timings: best of this many calls

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import torch
from dowhy import gcm
from scipy import stats
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPRegressor

import causalworld as cw

gcm.config.disable_progress_bars()
torch.set_num_threads(1)  # one core each: the timings below compare like with like

# %% [markdown]
# ## The data, from a model we know
#
# A shop: advertising brings visitors, visitors and a discount drive sales, and sales saturate
# (a nonlinear mechanism, `tanh`). The truth is a causalworld SCM; its samples play the part of
# your data.

# %%
from causalworld.scm.mechanisms import AdditiveNoiseMLP, GaussianRoot, LinearGaussian

graph = nx.DiGraph([("ads", "visitors"), ("visitors", "sales"), ("discount", "sales"), ("sales", "profit"),
                    ("discount", "profit")])
# sales = 2 tanh(0.7 (visitors + discount)) + noise: one tanh unit, weights set by hand
saturating = AdditiveNoiseMLP(2, hidden=(1,), activation="tanh", noise_std=0.3, dtype=torch.float64)
with torch.no_grad():
    hidden_layer, output_layer = saturating.net[0], saturating.net[2]
    hidden_layer.weight.copy_(torch.tensor([[0.7, 0.7]]))
    hidden_layer.bias.zero_()
    output_layer.weight.copy_(torch.tensor([[2.0]]))
    output_layer.bias.zero_()
truth = cw.SCM(graph, {
    "ads": GaussianRoot(mean=0.0, std=1.0),
    "discount": GaussianRoot(mean=0.0, std=1.0),
    "visitors": LinearGaussian(1, weight=[1.5], noise_std=0.5),
    "sales": saturating,
    "profit": LinearGaussian(2, weight=[1.0, -0.8], noise_std=0.3),
}, dtype=torch.float64)
print(truth)
train = truth.to_frame(truth.sample(N_TRAIN, seed=0))
train.head()

# %% [markdown]
# ## A DoWhy model, fitted the DoWhy way
#
# An `InvertibleStructuralCausalModel` on the graph, normal roots, additive-noise models with
# a linear regressor, and an `MLPRegressor` for the saturating `sales`; `gcm.fit` on the data.

# %%
dowhy_model = gcm.InvertibleStructuralCausalModel(graph)
for root in ("ads", "discount"):
    dowhy_model.set_causal_mechanism(root, gcm.ScipyDistribution(stats.norm))
for node in ("visitors", "profit"):
    dowhy_model.set_causal_mechanism(node, gcm.AdditiveNoiseModel(gcm.ml.SklearnRegressionModel(LinearRegression())))
dowhy_model.set_causal_mechanism("sales", gcm.AdditiveNoiseModel(gcm.ml.SklearnRegressionModel(
    MLPRegressor(hidden_layer_sizes=(32,), activation="tanh", max_iter=3000, random_state=0))))
start = time.perf_counter()
gcm.fit(dowhy_model, train)
dowhy_fit_seconds = time.perf_counter() - start
print(f"gcm.fit: {dowhy_fit_seconds:.2f} s")

# %% [markdown]
# ## In: `SCM.from_dowhy`
#
# The fitted regressors come over with their weights (linear ones as `LinearGaussian`, the MLP
# as `AdditiveNoiseMLP` with the same layers); nothing is refitted.

# %%
ours = cw.SCM.from_dowhy(dowhy_model)
print(ours)

# %% [markdown]
# ## The same questions, the same verbs
#
# `import causalworld as cw` offers DoWhy's verbs with DoWhy's argument names:
# `interventional_samples`, `counterfactual_samples`, `average_causal_effect`. We ask each
# question of both models.
#
# **Counterfactuals** are deterministic given the observed rows (the noise is abducted, not
# drawn), so the answers must agree to rounding.

# %%
observed = truth.to_frame(truth.sample(N_QUERY, seed=1))
what_if = {"discount": lambda d: d + 1.0}  # had each discount been one unit larger
theirs_cf = gcm.counterfactual_samples(dowhy_model, what_if, observed_data=observed)
ours_cf = cw.counterfactual_samples(ours, what_if, observed_data=observed)
cf_gap = float(np.max(np.abs(ours_cf[list(graph)].to_numpy() - theirs_cf[list(graph)].to_numpy())))
print(f"largest difference between the counterfactual answers: {cf_gap:.2e}")
# the simulator's own answer: the truth's counterfactual for the same rows
true_cf = cw.counterfactual_samples(truth, what_if, observed_data=observed)
fit_error = float((ours_cf["profit"] - true_cf["profit"]).abs().mean() / observed["profit"].std())
print(f"fitted model vs the truth, counterfactual profit: mean error {fit_error:.3f} std")

# %% [markdown]
# **Interventional samples** and the **average causal effect** are Monte Carlo answers: each
# library draws its own noise, so they agree up to sampling error. We compare the means with
# a tolerance of five standard errors, and the effect with the truth's own.

# %%
set_ads = {"ads": lambda a: 1.0}
theirs_iv = gcm.interventional_samples(dowhy_model, set_ads, num_samples_to_draw=N_QUERY)
ours_iv = cw.interventional_samples(ours, set_ads, num_samples_to_draw=N_QUERY, seed=0)
iv = pd.DataFrame({"ours": ours_iv.mean(), "DoWhy": theirs_iv[list(graph)].mean(),
                   "standard error": ours_iv.std() / np.sqrt(N_QUERY)})
print(iv.round(3))

alt, ref = {"discount": lambda d: 1.0}, {"discount": lambda d: 0.0}
theirs_ace = gcm.average_causal_effect(dowhy_model, "profit", alt, ref, num_samples_to_draw=N_QUERY)
ours_ace = cw.average_causal_effect(ours, "profit", alt, ref, num_samples_to_draw=N_QUERY, seed=0)
true_ace = cw.average_causal_effect(truth, "profit", alt, ref, num_samples_to_draw=200_000, seed=0)
print(f"ACE of discount on profit: ours {ours_ace:.3f}, DoWhy {theirs_ace:.3f}, truth {true_ace:.3f}")

# %% [markdown]
# ## Out: `scm.to_dowhy()`
#
# The other way round: a causalworld model (here the truth itself) becomes a fitted DoWhy
# model with the same parameters, which DoWhy queries at once, no `gcm.fit` needed. Its
# counterfactuals equal ours.

# %%
exported = truth.to_dowhy()
back_cf = gcm.counterfactual_samples(exported, what_if, observed_data=observed)
export_gap = float(np.max(np.abs(back_cf[list(graph)].to_numpy() - true_cf[list(graph)].to_numpy())))
print(f"DoWhy on the exported truth vs our truth: largest difference {export_gap:.2e}")

# %% [markdown]
# ## Speed, side by side
#
# The same queries on the same model: once on a single observed row (what an interactive
# "what if?" costs: mostly per-call overhead) and once on `N_QUERY` rows (throughput: mostly
# the arithmetic of the mechanisms); best of `REPEATS` calls, wall seconds on this machine, one
# torch thread. Your numbers will differ. Our verbs run every row at once as tensors; DoWhy
# evaluates node by node in numpy and scikit-learn.


# %%
def best_of(call, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return min(times)


one_row = observed.head(1)
queries = {
    "counterfactual, 1 row": (lambda: cw.counterfactual_samples(ours, what_if, observed_data=one_row),
                              lambda: gcm.counterfactual_samples(dowhy_model, what_if, observed_data=one_row)),
    f"counterfactual, {N_QUERY} rows": (lambda: cw.counterfactual_samples(ours, what_if, observed_data=observed),
                                        lambda: gcm.counterfactual_samples(dowhy_model, what_if, observed_data=observed)),
    f"interventional, {N_QUERY} samples": (
        lambda: cw.interventional_samples(ours, set_ads, num_samples_to_draw=N_QUERY, seed=0),
        lambda: gcm.interventional_samples(dowhy_model, set_ads, num_samples_to_draw=N_QUERY)),
    f"ACE, {N_QUERY} samples": (
        lambda: cw.average_causal_effect(ours, "profit", alt, ref, num_samples_to_draw=N_QUERY, seed=0),
        lambda: gcm.average_causal_effect(dowhy_model, "profit", alt, ref, num_samples_to_draw=N_QUERY)),
}
timings = pd.DataFrame([{"query": name, "ours (s)": best_of(a, 5 * REPEATS if "1 row" in name else REPEATS),
                         "DoWhy (s)": best_of(b, 5 * REPEATS if "1 row" in name else REPEATS)}
                        for name, (a, b) in queries.items()]).set_index("query")
timings["DoWhy / ours"] = timings["DoWhy (s)"] / timings["ours (s)"]
timings.round(4)

# %%
fig, ax = plt.subplots(figsize=(6, 2.6))
timings[["ours (s)", "DoWhy (s)"]].plot.barh(ax=ax, logx=True)
ax.set_xlabel("seconds per call (log scale)")
ax.invert_yaxis()
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Checked
#
# Counterfactuals agree to rounding in both directions, the Monte Carlo answers agree within
# sampling error, and the fitted model's effect is close to the truth's. (The timings are
# shown, not asserted: they depend on the machine and on what else runs on it.)

# %%
assert cf_gap < 1e-6 and export_gap < 1e-6
assert ((iv["ours"] - iv["DoWhy"]).abs() <= 5 * iv["standard error"] * np.sqrt(2) + 1e-9).all(), iv
ace_se = 5 * np.sqrt(2.0 / N_QUERY) * float(observed["profit"].std())
assert abs(ours_ace - theirs_ace) < ace_se
assert abs(ours_ace - true_ace) < (0.1 if SMOKE else 0.05)
assert fit_error < (0.2 if SMOKE else 0.1)
