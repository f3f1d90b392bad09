"""interventions: the experimenter. It acts on a world, learns the causal model from what it sees,
and chooses its next experiment from what it is still unsure of.

The loop (:class:`Experiment`) reads propose → rollout → encode → fit → record; a policy
(:class:`RandomPolicy`, :class:`RoundRobinPolicy`, :class:`InfoGainPolicy`) proposes each
round's :class:`Intervention` objects.

Examples
--------
>>> import causalworld as cw
>>> from interventions import Intervention
>>> world = cw.make("lights", image_size=8, frames=2)
>>> iv = Intervention("dimmer_red", 0.5).validate(world)
>>> eps = world.rollout(2, do=iv.to_do(), seed=0)
>>> eps.values["dimmer_red"].tolist()
[0.5, 0.5]
"""

from interventions.checks import PolicyCheckError, check_policy
from interventions.experiment import Counterfactual, Experiment, ExperimentResult, as_table
from interventions.sweeps import run_config, sweep
from interventions.intervention import KINDS, Intervention, Scale, Shift
from interventions.policies import POLICIES, GoalPolicy, InfoGainPolicy, Policy, RandomPolicy, RoundRobinPolicy, State
from interventions.scoring import counterfactual_error, summary_graph
from interventions.truevalues import TrueValues, backwards_in_time, column_of, targets_mask

__all__ = [
    "Experiment",
    "ExperimentResult",
    "Counterfactual",
    "as_table",
    "sweep",
    "run_config",
    "Intervention",
    "Shift",
    "Scale",
    "KINDS",
    "State",
    "Policy",
    "RandomPolicy",
    "RoundRobinPolicy",
    "InfoGainPolicy",
    "GoalPolicy",
    "POLICIES",
    "check_policy",
    "PolicyCheckError",
    "TrueValues",
    "summary_graph",
    "counterfactual_error",
    "column_of",
    "targets_mask",
    "backwards_in_time",
]
