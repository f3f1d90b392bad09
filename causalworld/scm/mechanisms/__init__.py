"""Mechanism families of the SCM core, all following the protocol of :class:`Mechanism`."""

from causalworld.scm.mechanisms.base import Mechanism, mechanism_class, register_mechanism, registered_mechanisms
from causalworld.scm.mechanisms.continuous import (
    LINKS,
    AdditiveNoiseMLP,
    GaussianRoot,
    LinearGaussian,
    PostNonlinear,
    QuadraticGaussian,
    UniformRoot,
    quadratic_terms,
)
from causalworld.scm.mechanisms.discrete import Binary, Categorical

__all__ = [
    "Mechanism",
    "register_mechanism",
    "registered_mechanisms",
    "mechanism_class",
    "GaussianRoot",
    "UniformRoot",
    "LinearGaussian",
    "AdditiveNoiseMLP",
    "QuadraticGaussian",
    "quadratic_terms",
    "PostNonlinear",
    "Binary",
    "Categorical",
    "LINKS",
]
