"""The SCM core: a DAG, one mechanism per variable, and the queries on them (sample, do, abduct,
counterfactual, fit), with DoWhy's verbs and exports to DoWhy and Pyro."""

from causalworld.scm.graph import as_dag, from_adjacency, to_adjacency
from causalworld.scm.mechanisms import (
    AdditiveNoiseMLP,
    Binary,
    Categorical,
    GaussianRoot,
    LinearGaussian,
    Mechanism,
    PostNonlinear,
    QuadraticGaussian,
    UniformRoot,
    register_mechanism,
)
from causalworld.scm.model import SCM
from causalworld.scm.random import random_dag, random_scm
from causalworld.scm.verbs import average_causal_effect, counterfactual_samples, draw_samples, interventional_samples

__all__ = [
    "SCM",
    "random_scm",
    "random_dag",
    "as_dag",
    "to_adjacency",
    "from_adjacency",
    "Mechanism",
    "register_mechanism",
    "GaussianRoot",
    "UniformRoot",
    "LinearGaussian",
    "AdditiveNoiseMLP",
    "QuadraticGaussian",
    "PostNonlinear",
    "Binary",
    "Categorical",
    "draw_samples",
    "interventional_samples",
    "counterfactual_samples",
    "average_causal_effect",
]
