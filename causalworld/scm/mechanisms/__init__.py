"""Mechanism families of the SCM core, all following the protocol of :class:`Mechanism`."""

from causalworld.scm.mechanisms.base import Mechanism, mechanism_class, register_mechanism, registered_mechanisms
from causalworld.scm.mechanisms.continuous import (
    LINKS,
    AdditiveNoiseMLP,
    GaussianRoot,
    LinearGaussian,
    PostNonlinear,
    UniformRoot,
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
    "PostNonlinear",
    "Binary",
    "Categorical",
    "LINKS",
]
