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
# # 3. Counterfactual video: what would have happened?
#
# An interventional question asks about a new world: *if we set `x`, what happens?* A
# counterfactual question asks about **this** episode: *had `x` been different, what would we
# have seen, everything else about the episode kept as it was?* The answer keeps the episode's
# own exogenous noise (abduct it from what was seen), changes `x` (act), and runs the
# mechanisms forward (predict).
#
# A simulator knows the true answer: `world.counterfactual_rollout(episodes, do)` replays the
# very same noise under another intervention. Here a model learned from experiments answers
# the same question, the world's renderer draws its answer as video, and we put the learned
# counterfactual beside the true one.

# %%
import os

SMOKE = "CI" in os.environ
N_OBS = 200 if SMOKE else 500  # observational episodes
N_PER_TARGET = 40 if SMOKE else 100  # episodes per intervened variable
N_QUESTIONS = 100 if SMOKE else 500  # new episodes the counterfactual question is asked of

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import torch

import causalworld as cw
from causalworld.discovery import ExactLearner
from causalworld.metrics import shd
from causalworld.viz import draw_graph, frame_strip

torch.set_num_threads(1 if SMOKE else torch.get_num_threads())

# %% [markdown]
# ## The world: sprites
#
# `sprites` draws coloured squares whose position, hue and size are variables of a random
# ground-truth SCM (one of its variables causes another across objects). Two objects give
# eight variables.

# %%
world = cw.make("sprites", image_size=32, n_objects=2, seed=0)
print(world.id, world.variables)
draw_graph(world)

# %% [markdown]
# ## Experiments, then a learned model
#
# Watch `N_OBS` episodes, then set each variable in turn (`N_PER_TARGET` episodes each, values
# drawn across its allowed range). `ExactLearner` learns the graph and fits the mechanisms
# (`scm_`) from the values and the targets of those episodes.

# %%
rng = np.random.default_rng(0)
plan = [{} for _ in range(N_OBS)]
for var, (low, high) in world.intervenable.items():
    plan += [{var: float(v)} for v in rng.uniform(low, high, size=N_PER_TARGET)]
episodes = world.rollout(len(plan), do=plan, seed=0)
learner = ExactLearner(progress=False, seed=0).fit({v: episodes.values[v] for v in world.variables},
                                                   targets=episodes.targets)
n_shd = shd(world.graph, learner.graph_)
print(f"{len(plan)} episodes; learned graph: SHD {n_shd} against the true graph")
assert n_shd == 0

# %% [markdown]
# ## The question
#
# Take new episodes. For the variable with the most descendants, ask: *had it been set to a
# value three quarters up its range, what would its effects have been, in each of these
# episodes?*
#
# - the **truth**: `world.counterfactual_rollout(fresh, {cause: value})`, the same noise;
# - the **learned answer**: `learner.scm_.counterfactual(values, {cause: value})`: abduct
#   each episode's noise from its values under the learned model, act, predict.

# %%
fresh = world.rollout(N_QUESTIONS, seed=1)
cause = max(world.variables, key=lambda v: len(nx.descendants(world.graph, v)))
effects = sorted(nx.descendants(world.graph, cause))
low, high = world.intervenable[cause]
value = float(low + 0.75 * (high - low))
truth = world.counterfactual_rollout(fresh, {cause: value})
observed = {v: fresh.values[v].to(learner.scm_.dtype) for v in world.variables}
answer = learner.scm_.counterfactual(observed, {cause: value})
print(f"had {cause} been {value:.2f}, what would {', '.join(effects)} have been?")

# %% [markdown]
# Scored per effect as the mean absolute error over the episodes, in units of the effect's
# observational standard deviation.

# %%
cf_error = {v: float((answer[v].float() - truth.values[v].float()).abs().mean() / fresh.values[v].float().std())
            for v in effects}
for v, e in cf_error.items():
    print(f"  {v:8s} counterfactual error {e:.3f} std")

# %%
fig, axes = plt.subplots(1, len(effects), figsize=(3.2 * len(effects), 3), squeeze=False)
for ax, v in zip(axes[0], effects):
    ax.scatter(truth.values[v].numpy(), answer[v].float().numpy(), s=6, alpha=0.6)
    lo, hi = float(truth.values[v].min()), float(truth.values[v].max())
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
    ax.set(title=v, xlabel="true counterfactual", ylabel="learned counterfactual")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The answer as video
#
# The learned model answers in variables; the world's renderer turns any values of its
# depicted variables into frames (`world.render(values, noise)`, with the episodes' own render
# noise). So the learned counterfactual becomes a video we can put beside the true
# counterfactual video and the factual one. (An episode of `sprites` is a single frame, so the
# strip's columns are episodes; worlds with motion render every frame the same way.)

# %%
learned_frames = world.render(answer, noise=fresh.noise)
shown = torch.arange(6)  # sprites has one frame per episode: the strip's columns are six episodes
strip = frame_strip({"factual": fresh.frames[shown, 0], "true what-if": truth.frames[shown, 0],
                     "learned what-if": learned_frames[shown, 0]},
                    title=f"do({cause} = {value:.2f})", scale=1.3)
for i, ax in enumerate(strip.axes[:len(shown)]):
    ax.set_title(f"episode {i}", fontsize=8)
strip

# %%
same = float((learned_frames.int() - truth.frames.int()).abs().le(8).float().mean())
changed = float((fresh.frames.int() - truth.frames.int()).abs().gt(8).float().mean())
print(f"the intervention changed {100 * changed:.1f}% of pixels; the learned what-if video matches the true one "
      f"on {100 * same:.1f}% of pixels (within 8 grey levels)")

# %% [markdown]
# The learned model reproduces the true counterfactual: the same graph, mechanisms close to
# the true ones, and the episodes' own noise carried over. The checks below fail the test
# suite if that stops being true.

# %%
worst = max(cf_error.values())
assert worst < (0.1 if SMOKE else 0.05), cf_error
assert same > (0.97 if SMOKE else 0.99)
assert changed > 0.001  # the question changes the video at all
