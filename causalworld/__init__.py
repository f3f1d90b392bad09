"""causalworld: learn causal models of a world from video, by intervening in it.

The short public API. See ``docs/architecture.md`` for the map of packages:

>>> import causalworld as cw
>>> scm = cw.random_scm(5, mechanism="linear", seed=0)
>>> obs = scm.sample(3, seed=1)
>>> cf = scm.counterfactual(obs, {scm.variables[0]: 0.0})
>>> sorted(cf) == sorted(scm.variables)
True
"""

from causalworld import errors
from causalworld.scm import (
    SCM,
    AdditiveNoiseMLP,
    Binary,
    Categorical,
    GaussianRoot,
    LinearGaussian,
    Mechanism,
    PostNonlinear,
    QuadraticGaussian,
    UniformRoot,
    average_causal_effect,
    counterfactual_samples,
    draw_samples,
    interventional_samples,
    random_dag,
    random_scm,
    register_mechanism,
)

__version__ = "0.1.0"

# Later packages are imported on first use, so `import causalworld` stays light (no gymnasium,
# dowhy or pyro at import time). Each name maps to the module that defines it.
_LAZY = {
    "make": "causalworld.envs",
    "list_worlds": "causalworld.envs",
    "register_world": "causalworld.envs",
    "Episodes": "causalworld.episodes",
    "envs": "causalworld.envs",
    "episodes": "causalworld.episodes",
    "discovery": "causalworld.discovery",
    "metrics": "causalworld.metrics",
    "viz": "causalworld.viz",
}


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        module = importlib.import_module(_LAZY[name])
        return module if module.__name__.endswith(name) else getattr(module, name)
    raise AttributeError(f"module 'causalworld' has no attribute {name!r}")

__all__ = [
    "errors",
    "SCM",
    "random_scm",
    "random_dag",
    "Mechanism",
    "register_mechanism",
    "GaussianRoot",
    "UniformRoot",
    "LinearGaussian",
    "AdditiveNoiseMLP",
    "PostNonlinear",
    "QuadraticGaussian",
    "Binary",
    "Categorical",
    "draw_samples",
    "interventional_samples",
    "counterfactual_samples",
    "average_causal_effect",
    "__version__",
]
