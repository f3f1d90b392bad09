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
# # 6. Your own data
#
# Two doors into causalworld for data that did not come from one of its worlds:
#
# 1. **A table and a graph you already have**: a CSV read with pandas, a list of arrows, then
#    `SCM.fit` gives a model that answers effect and counterfactual questions.
# 2. **Your own video**: frames as a `uint8` array plus what you set in each recording, through
#    `Episodes.from_arrays`, to the video encoder and on to a structure learner.
#
# So that every answer can be checked, the "recordings" here come from a simulator, which
# knows the true answers; in your hands they would come from your lab.

# %%
import os

SMOKE = "CI" in os.environ
N_ROWS = 1000 if SMOKE else 5000  # rows of the CSV
N_VIDEOS = 200 if SMOKE else 2000  # recorded episodes
ENCODER_STEPS = 20 if SMOKE else 300  # training steps of the video encoder
ENCODER_BATCH = 16 if SMOKE else 32  # recordings per training step
# a tiny encoder cannot pass the usual bar for naming a latent (held-out R² >= 0.5); at SMOKE
# any latent that predicts its variable better than the mean is named
MIN_R2 = 0.0 if SMOKE else 0.5

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import torch

import causalworld as cw
from causalworld.discovery import ExactLearner
from causalworld.encoders import VideoEncoder
from causalworld.metrics import edge_precision, edge_recall, shd
from causalworld.viz import draw_graph, frame_strip, latents_vs_truth

torch.set_num_threads(1 if SMOKE else torch.get_num_threads())

# %% [markdown]
# ## Part 1: a CSV and a graph
#
# First we make the CSV: `N_ROWS` observations of the `sprites` world (two coloured squares whose
# position, hue and size follow a causal model), written to a temporary folder. This stands in
# for your own file.

# %%
world = cw.make("sprites", image_size=32, n_objects=2, seed=0)
recorded = world.rollout(N_ROWS, seed=0)
folder = Path(tempfile.mkdtemp())
pd.DataFrame({v: recorded.values[v].numpy() for v in world.variables}).to_csv(folder / "measurements.csv", index=False)
print((folder / "measurements.csv").read_text()[:200])

# %% [markdown]
# Now the user's side: read the file, and write down the graph you believe in (here we copy
# the world's; any list of `(cause, effect)` pairs works, and every column must be a node).

# %%
df = pd.read_csv(folder / "measurements.csv")
my_graph = nx.DiGraph(list(world.graph.edges))
my_graph.add_nodes_from(df.columns)
print(df.shape, "columns:", list(df.columns))
print("my arrows:", sorted(my_graph.edges))

# %% [markdown]
# `SCM.fit(graph, data, mechanisms)` fits one mechanism per variable from its parents:
# linear-Gaussian here (`"auto"` would try small neural networks where they predict held-out
# rows better). `fit_summary` shows how much of each variable its parents explain.

# %%
model = cw.SCM.fit(my_graph, df, "linear", progress=False)
print(model)
model.fit_summary.round(3)

# %% [markdown]
# ### Effects
#
# The average causal effect of raising `x0` from -1 to 1 on `size1`, and of `x1` on `y1` (a
# two-step path through `hue1`), from the fitted model and from the true model of the
# simulator.

# %%
questions = [("x0", "size1"), ("x1", "y1")]
effects = []
for cause, effect in questions:
    args = (effect, {cause: lambda v: 1.0}, {cause: lambda v: -1.0})
    effects.append({
        "question": f"{cause} -1 -> 1: change in {effect}",
        "fitted": cw.average_causal_effect(model, *args, num_samples_to_draw=20_000, seed=0),
        "truth": cw.average_causal_effect(world.truth, *args, num_samples_to_draw=20_000, seed=0),
    })
effects = pd.DataFrame(effects).set_index("question")
effects.round(3)

# %% [markdown]
# ### Counterfactuals
#
# For the first rows of the file: *had `x1` been 2 in this recording, what would `y1` have
# been?* The fitted model abducts each row's noise from its values. The simulator still has
# the episodes' true noise, so `world.counterfactual_rollout` gives the true answer.

# %%
rows = df.head(200)
answer = cw.counterfactual_samples(model, {"x1": lambda v: 2.0}, observed_data=rows)
truth = world.counterfactual_rollout(recorded[torch.arange(200)], {"x1": 2.0})
cf_error = float((answer["y1"].to_numpy() - truth.values["y1"].numpy()).__abs__().mean() / df["y1"].std())
print(f"counterfactual y1 under do(x1 = 2): mean error {cf_error:.3f} std over 200 rows")

fig, ax = plt.subplots(figsize=(3.6, 3.4))
ax.scatter(truth.values["y1"].numpy(), answer["y1"], s=8)
ax.set(xlabel="true counterfactual y1", ylabel="fitted model's counterfactual y1", title="do(x1 = 2)")
fig.tight_layout()
plt.show()

# %%
assert (effects["fitted"] - effects["truth"]).abs().max() < 0.15
assert cf_error < 0.1

# %% [markdown]
# ## Part 2: your own frames
#
# Now a camera instead of a table. Your recordings are an array of frames `uint8 [n, T, C, H,
# W]` (channel-first; `frames.transpose(0, 1, 4, 2, 3)` fixes channel-last video) and, for
# each recording, what you set and to what value: a table with a column per variable you
# could set, NaN where you left it alone. That is all the encoder gets: never the true values
# of anything.
#
# The simulated stand-in: one square whose hue, x, y and size follow a chain
# `hue0 -> x0 -> y0 -> size0`; in each recording each of them is set with probability 1/2 to a
# random value.

# %%
camera = cw.make("sprites", image_size=32, n_objects=1, seed=0)
rng = np.random.default_rng(1)
set_values = pd.DataFrame(np.nan, index=range(N_VIDEOS), columns=list(camera.variables))
plan = []
for i in range(N_VIDEOS):
    do = {}
    for v, (low, high) in camera.intervenable.items():
        if rng.random() < 0.5:
            do[v] = float(rng.uniform(low, high))
            set_values.loc[i, v] = do[v]
    plan.append(do)
simulated = camera.rollout(N_VIDEOS, do=plan, seed=2)
frames = simulated.frames.numpy()  # what your camera recorded
print(frames.dtype, frames.shape)
set_values.head()

# %% [markdown]
# `Episodes.from_arrays` checks the shapes and types and takes the targets from where
# `do_values` is not NaN.

# %%
mine = cw.Episodes.from_arrays(frames, do_values=set_values, names=list(camera.variables))
frame_strip(mine, episodes=range(6), title="six of your recordings")

# %% [markdown]
# ### The encoder
#
# `VideoEncoder` learns by predicting in representation space (no pixel is reconstructed) and
# names one latent after each variable you set apart from the others, from the values you set.
# `identifiability_` says, in words, what became of each variable.

# %%
encoder = VideoEncoder(8, steps=ENCODER_STEPS, batch_size=ENCODER_BATCH, lr=2e-3, min_r2=MIN_R2, progress=False, seed=0)
encoder.fit(mine)
for v, why in encoder.identifiability_.items():
    print(f"{v:6s} {why}")
print("held-out R² of each named latent on the values set:", {k: round(r, 2) for k, r in encoder.calibration_r2_.items()})

# %% [markdown]
# On new recordings, `latents` gives the learner's table: one row per recording, the named
# latents in your variables' units, then unnamed ones `z0, z1, ...`. Against the true values
# (which only the simulator knows) the named latents line up:

# %%
plan_new = [{v: float(rng.uniform(*camera.intervenable[v])) for v in camera.variables if rng.random() < 0.5}
            for _ in range(N_VIDEOS)]
new = camera.rollout(N_VIDEOS, do=plan_new, seed=3)
table = encoder.latents(new)
latents_vs_truth(table, new.values, title="named latents against the true values")

# %% [markdown]
# ### And on to a graph
#
# The learner reads the named latents with the targets of each recording
# (`encoder.targets(episodes)`: what was set, restricted to the named columns).

# %%
named = encoder.variables_
print("named:", named)
if len(named) >= 2:
    learner = ExactLearner(progress=False).fit(table[named], targets=encoder.targets(new))
    truth_named = nx.DiGraph(camera.graph.subgraph(named))
    n_shd = shd(truth_named, learner.graph_)
    recall, precision = edge_recall(truth_named, learner.graph_), edge_precision(truth_named, learner.graph_)
    print(f"learned from pixels: {sorted(learner.graph_.edges)}")
    print(f"against the truth over {named}: SHD {n_shd}, true arrows found {recall:.0%}, "
          f"learned arrows that are true {precision:.0%}")
    display(draw_graph(learner.graph_, title="learned from your frames"))

# %% [markdown]
# A run of 20 steps (the test suite's setting) names latents only because the bar is lowered
# and cannot be trusted with the graph, so only the shape of its answer is checked then. With
# the full settings (300 steps, 2,000 recordings) every variable is named with held-out R²
# above 0.9 and every arrow of the chain comes back, oriented. The latents are measurements
# with small errors, though, and a noisy measurement of `x0` does not fully screen `hue0` off
# from `y0`: with 2,000 recordings the learner also picks up a few weak arrows the truth lacks
# (SHD counts them). More training, or a learner told the latents are noisy, is the remedy.

# %%
assert len(table) == N_VIDEOS and list(table.columns) == [c for c in encoder.columns_ if c not in encoder.redundant_]
assert set(encoder.identifiability_) == set(camera.variables)
if not SMOKE:
    assert set(named) == set(camera.variables)
    assert min(encoder.calibration_r2_.values()) > 0.85
    assert recall == 1.0  # every true arrow, oriented
