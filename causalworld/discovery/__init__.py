"""Structure learning: from data and intervention targets to a graph, its equivalence class, edge
probabilities and a fitted SCM (the ``discovery`` stage of the loop in ``docs/architecture.md``).

Every learner follows one estimator contract (:mod:`causalworld.discovery.base`): settings in
``__init__``, ``fit(data, targets=None, lags=0)`` returns ``self``, learned attributes end in
``_`` (``graph_``, ``cpdag_``, ``edge_probs_``, ``scm_``), ``sample_graphs(k, seed)`` and the
held-out ``score(data, targets)``. All of them assume no hidden confounders.

Examples
--------
>>> import causalworld as cw
>>> truth = cw.random_scm(4, edges_per_node=1.0, mechanism="linear", seed=0)
>>> data = truth.sample(500, seed=1)
>>> learner = cw.discovery.ExactLearner(progress=False).fit(data)
>>> learner.graph_.number_of_nodes()
4
"""

from causalworld.discovery.base import LEARNERS, Learned, Learner, clone, register_learner
from causalworld.discovery.baselines import GESLearner, PCLearner, SortRegressLearner
from causalworld.discovery.exact import ExactLearner
from causalworld.discovery.gradient import GradientLearner
from causalworld.discovery.graphs import MixedGraph, consistent_extension, essential_graph
from causalworld.discovery.knowledge import Knowledge
from causalworld.discovery.mixed import MixedScore
from causalworld.discovery.pairwise import anm_direction, igci_direction, reci_direction
from causalworld.discovery.score_choice import choose_score
from causalworld.discovery.scores import BGeScore, BICScore, RFFScore, make_score

__all__ = [
    "Learner",
    "Learned",
    "LEARNERS",
    "register_learner",
    "clone",
    "ExactLearner",
    "GradientLearner",
    "PCLearner",
    "GESLearner",
    "SortRegressLearner",
    "MixedGraph",
    "essential_graph",
    "consistent_extension",
    "Knowledge",
    "BICScore",
    "BGeScore",
    "RFFScore",
    "make_score",
    "MixedScore",
    "choose_score",
    "anm_direction",
    "reci_direction",
    "igci_direction",
]
