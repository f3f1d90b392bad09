"""Conversion between a causalworld ``SCM`` and a ``dowhy.gcm`` structural causal model.

``to_dowhy`` exports our fitted mechanisms to DoWhy without refitting them, so DoWhy's verbs and
ours can be checked against each other on the very same model; ``from_dowhy`` imports a fitted
DoWhy model built from a named subset of its mechanisms. It sits beside the SCM core in the loop
of ``docs/architecture.md``: a learned or simulated model leaves and enters here. Only
``SCM.to_dowhy`` / ``SCM.from_dowhy`` import this module, so ``import causalworld`` stays free of DoWhy.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import torch
from torch import Tensor

from dowhy.gcm import (
    AdditiveNoiseModel,
    ClassifierFCM,
    EmpiricalDistribution,
    InvertibleStructuralCausalModel,
    PostNonlinearModel,
    ScipyDistribution,
)
from dowhy.gcm.causal_models import CAUSAL_MECHANISM, PARENTS_DURING_FIT
from dowhy.gcm.ml.prediction_model import PredictionModel
from dowhy.gcm.ml.regression import (
    InvertibleExponentialFunction,
    InvertibleFunction,
    InvertibleIdentityFunction,
    InvertibleLogarithmicFunction,
    LinearRegressionWithFixedParameter,
    SklearnRegressionModel,
)
from dowhy.graph import get_ordered_predecessors
from scipy import stats
from sklearn import linear_model
from sklearn.neural_network import MLPRegressor

from causalworld.errors import ConversionError
from causalworld.scm import graph as graphs
from causalworld.scm.labels import check_labels, is_default
from causalworld.scm.mechanisms import (
    AdditiveNoiseMLP,
    Categorical,
    GaussianRoot,
    LinearGaussian,
    Mechanism,
    PostNonlinear,
    QuadraticGaussian,
    UniformRoot,
)
from causalworld.scm.mechanisms.continuous import LINKS
from causalworld.scm.mechanisms.wrapped import WrappedClassifier, WrappedRegressor
from causalworld.scm.model import SCM

__all__ = ["to_dowhy", "from_dowhy", "CausalWorldPrediction", "CausalWorldLink"]

_SUPPORTED_EXPORT = "GaussianRoot, UniformRoot, LinearGaussian, QuadraticGaussian, AdditiveNoiseMLP and PostNonlinear"
_SUPPORTED_IMPORT = (
    "roots: ScipyDistribution(norm | uniform), EmpiricalDistribution (of numbers or of labels); "
    "non-roots: ClassifierFCM, AdditiveNoiseModel, or PostNonlinearModel (link identity, exp, or one "
    "exported by causalworld) with normal (ScipyDistribution norm) or EmpiricalDistribution noise"
)
FIX = "or fit causalworld mechanisms to the same graph and data instead: causalworld.SCM.fit(model.graph, data)"
_SKLEARN_ACTIVATIONS = {"relu": "relu", "tanh": "tanh", "logistic": "sigmoid"}


# --------------------------------------------------------------------------- the DoWhy wrappers
class CausalWorldPrediction(PredictionModel):
    """A DoWhy ``PredictionModel`` computing ``f(parents)`` of a causalworld mechanism in float64.

    DoWhy hands the parents over in its order, ``sorted(predecessors)``; the columns are reordered
    to the order the mechanism takes (``scm.parents(node)``). The parameters are fixed: ``fit``
    keeps them, as DoWhy's ``LinearRegressionWithFixedParameter`` does, after checking that the
    inputs are still the exported parents; ``clone`` returns a copy with the same parameters.

    Examples
    --------
    >>> from causalworld.scm.mechanisms import LinearGaussian
    >>> f = CausalWorldPrediction(LinearGaussian(2, weight=[1.0, 10.0]), "y", ["b", "a"], ["a", "b"])
    >>> f.predict(np.array([[1.0, 2.0]]))  # a = 1, b = 2: 1 * b + 10 * a
    array([[12.]])
    """

    def __init__(self, mechanism: Mechanism, node: str, parents: Sequence[Any], dowhy_parents: Sequence[Any]):
        if sorted(parents) != sorted(dowhy_parents):
            raise ConversionError(f"{node!r}: parents {list(parents)} and DoWhy's {list(dowhy_parents)} differ")
        self.mechanism = copy.deepcopy(mechanism).to(device="cpu", dtype=torch.float64).requires_grad_(False)
        self.node = node
        self.parents = tuple(parents)  # the order the mechanism takes
        self.dowhy_parents = tuple(dowhy_parents)  # the order DoWhy hands them over
        self._columns = np.array(_reorder(self.dowhy_parents, self.parents), dtype=np.int64)

    def _inputs(self, X: np.ndarray) -> Tensor:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1 and len(self.parents) == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2 or X.shape[1] != len(self.parents):
            raise ConversionError(
                f"the causalworld mechanism of {self.node!r} takes {len(self.parents)} parent column(s) "
                f"{list(self.dowhy_parents)} but got an array of shape {X.shape}; it was exported with these "
                "parents and cannot be used with others"
            )
        return torch.from_numpy(np.ascontiguousarray(X[:, self._columns]))

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        """Keep the exported parameters (they are fixed); only check that ``X`` has the parents' columns.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> f = CausalWorldPrediction(LinearGaussian(2, weight=[1.0, 10.0]), "y", ["b", "a"], ["a", "b"])
        >>> f.fit(np.zeros((3, 2)), np.zeros(3))  # the parameters stay
        >>> f.predict(np.array([[1.0, 2.0]]))
        array([[12.]])
        >>> f.fit(np.zeros((3, 3)), np.zeros(3))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        causalworld.errors.ConversionError: the causalworld mechanism of 'y' takes 2 parent column(s) ...
        """
        self._inputs(X)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``f(parents)`` for rows of parents in DoWhy's column order, as a ``[N, 1]`` array.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> f = CausalWorldPrediction(LinearGaussian(2, weight=[1.0, 10.0]), "y", ["b", "a"], ["a", "b"])
        >>> f.predict(np.array([[1.0, 2.0], [0.0, 1.0]]))  # columns a, b: 1 * b + 10 * a
        array([[12.],
               [ 1.]])
        """
        with torch.no_grad():
            out = self.mechanism.predict(self._inputs(X))
        return out.numpy().reshape(-1, 1)

    def clone(self) -> "CausalWorldPrediction":
        """A copy with the same (fixed) parameters.

        Examples
        --------
        >>> from causalworld.scm.mechanisms import LinearGaussian
        >>> f = CausalWorldPrediction(LinearGaussian(2, weight=[1.0, 10.0]), "y", ["b", "a"], ["a", "b"])
        >>> twin = f.clone()
        >>> twin is f, twin.predict(np.array([[1.0, 2.0]]))
        (False, array([[12.]]))
        """
        return CausalWorldPrediction(self.mechanism, self.node, self.parents, self.dowhy_parents)

    def __str__(self) -> str:
        return f"causalworld {type(self.mechanism).__name__} of {self.node!r}"


class CausalWorldLink(InvertibleFunction):
    """A DoWhy ``InvertibleFunction`` for a causalworld post-nonlinear link (one of ``LINKS``).

    Examples
    --------
    >>> CausalWorldLink("sinh").evaluate_inverse(CausalWorldLink("sinh").evaluate(np.array([0.5])))
    array([0.5])
    """

    def __init__(self, name: str):
        if name not in LINKS:
            raise ConversionError(f"unknown link {name!r}; causalworld links are {sorted(LINKS)}")
        self.name = name

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """The link ``g`` applied elementwise (in float64).

        Examples
        --------
        >>> CausalWorldLink("cube").evaluate(np.array([2.0]))
        array([8.])
        """
        return LINKS[self.name][0](torch.as_tensor(np.asarray(X, dtype=np.float64))).numpy()

    def evaluate_inverse(self, X: np.ndarray) -> np.ndarray:
        """The inverse link ``g^-1`` applied elementwise (in float64).

        Examples
        --------
        >>> CausalWorldLink("cube").evaluate_inverse(np.array([8.0, -8.0]))
        array([ 2., -2.])
        """
        return LINKS[self.name][1](torch.as_tensor(np.asarray(X, dtype=np.float64))).numpy()

    def __str__(self) -> str:
        return f"causalworld link {self.name!r}"


# ------------------------------------------------------------------------------------- export
def _export_mechanism(node: str, m: Mechanism, parents: Sequence[str], dowhy_parents: Sequence[str]) -> Any:
    kind = type(m)  # exact classes only: a subclass may change forward() behind predict()
    if kind is GaussianRoot:
        return ScipyDistribution(stats.norm, loc=float(m.mean), scale=float(m.std))
    if kind is UniformRoot:
        return ScipyDistribution(stats.uniform, loc=float(m.low), scale=float(m.high - m.low))
    if getattr(m, "dowhy_mechanism", None) is not None:  # read from DoWhy: hand back what DoWhy fitted
        return copy.deepcopy(m.dowhy_mechanism)
    if kind in (LinearGaussian, QuadraticGaussian, AdditiveNoiseMLP, PostNonlinear):
        prediction = CausalWorldPrediction(m.inner if kind is PostNonlinear else m, node, parents, dowhy_parents)
        noise = ScipyDistribution(stats.norm, loc=float(m.noise_mean), scale=float(m.noise_std))
        if kind is PostNonlinear:
            return PostNonlinearModel(prediction, noise, CausalWorldLink(m.link_name))
        return AdditiveNoiseModel(prediction, noise)
    if m.discrete:
        why = ("DoWhy models a discrete node with a ClassifierFCM, whose noise it cannot abduct from an "
               "observed row (py-why/dowhy#1146), so its counterfactuals would be wrong; ask causalworld's "
               "own counterfactual() or counterfactual_samples() instead")
    else:
        why = f"only {_SUPPORTED_EXPORT} mechanisms (exact classes) have a DoWhy counterpart"
    raise ConversionError(f"cannot export {node!r} ({type(m).__name__}) to DoWhy: {why}")


def to_dowhy(scm: SCM) -> Any:
    """``scm`` as a fitted ``dowhy.gcm.InvertibleStructuralCausalModel`` with the same parameters.

    Roots become ``ScipyDistribution(norm | uniform)``; linear-Gaussian and MLP mechanisms become
    ``AdditiveNoiseModel`` and post-nonlinear ones ``PostNonlinearModel``, with normal noise of
    the same scale and a prediction model (:class:`CausalWorldPrediction`) that runs our
    mechanism in float64 on the CPU. Each node's ``parents_during_fit`` is set to DoWhy's
    ``sorted(predecessors)``, so DoWhy queries it at once, without ``gcm.fit``. The parameters are
    fixed: ``gcm.fit`` on the result keeps them (as for DoWhy's fixed-parameter models).

    Raises
    ------
    ConversionError
        For a discrete or custom mechanism (naming the node and why), or for an SCM under
        interventions (give those to DoWhy's verbs instead).

    Examples
    --------
    >>> import causalworld as cw
    >>> from dowhy import gcm
    >>> scm = cw.SCM.linear([("x", "y")], {("x", "y"): 2.0}, 1.0, dtype=torch.float64)
    >>> model = scm.to_dowhy()
    >>> obs = pd.DataFrame({"x": [1.0], "y": [2.5]})
    >>> gcm.counterfactual_samples(model, {"x": lambda x: 0.0}, observed_data=obs)["y"].tolist()
    [0.5]
    """
    if not isinstance(scm, SCM):
        raise ConversionError(f"to_dowhy expects a causalworld SCM, got {type(scm).__name__}")
    if scm.interventions:
        raise ConversionError(
            f"this SCM is under interventions on {sorted(scm.interventions)}; DoWhy models carry none. "
            "Export the model without them and pass them to DoWhy's verbs, e.g. "
            "gcm.interventional_samples(model, {'x': lambda x: 1.0}, ...)"
        )
    g = nx.DiGraph()
    g.add_nodes_from(scm.variables)
    g.add_edges_from(scm.graph.edges)
    model = InvertibleStructuralCausalModel(g)
    for v in scm.variables:
        dowhy_parents = get_ordered_predecessors(model.graph, v)
        model.set_causal_mechanism(v, _export_mechanism(v, scm.mechanisms[v], scm.parents(v), dowhy_parents))
        model.graph.nodes[v][PARENTS_DURING_FIT] = dowhy_parents
    return model


# ------------------------------------------------------------------------------------- import
def _reorder(columns_of: Sequence[str], order: Sequence[str]) -> list[int]:
    """Indices ``idx`` with ``order[j] == columns_of[idx[j]]``."""
    position = {p: i for i, p in enumerate(columns_of)}
    return [position[p] for p in order]


def _as64(x: Any) -> Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def _linear(weight: np.ndarray, bias: float, noise_std: float) -> LinearGaussian:
    m = LinearGaussian(len(weight), noise_std=noise_std, dtype=torch.float64).requires_grad_(False)
    m.weight.copy_(_as64(weight))
    m.bias.fill_(float(bias))
    m.noise_std.fill_(float(noise_std))  # the constructor rounds it through the default dtype
    return m


def _mlp(node: str, sk: Any, idx: list[int], noise_std: float, shift: float) -> LinearGaussian | AdditiveNoiseMLP:
    """An ``MLPRegressor``'s network with its inputs in our order and the noise mean folded in."""
    coefs = [np.asarray(c, dtype=np.float64) for c in sk.coefs_]  # [in, out] per layer
    intercepts = [np.asarray(b, dtype=np.float64) for b in sk.intercepts_]
    if getattr(sk, "out_activation_", "identity") != "identity" or coefs[-1].shape[1] != 1:
        raise ConversionError(f"{node!r}: only single-output MLPRegressors with an identity output convert")
    coefs[0] = coefs[0][idx, :]  # rows are inputs: DoWhy's order -> ours
    if sk.activation == "identity":  # a purely linear network: compose it into one linear map
        w, b = coefs[0], intercepts[0]
        for c, i in zip(coefs[1:], intercepts[1:]):
            w, b = w @ c, b @ c + i
        return _linear(w[:, 0], float(b[0]) + shift, noise_std)
    if sk.activation not in _SKLEARN_ACTIVATIONS:
        raise ConversionError(
            f"{node!r}: MLPRegressor activation {sk.activation!r} has no causalworld counterpart; "
            f"supported: identity, {', '.join(_SKLEARN_ACTIVATIONS)}"
        )
    hidden = [c.shape[1] for c in coefs[:-1]]
    m = AdditiveNoiseMLP(coefs[0].shape[0], hidden=hidden, activation=_SKLEARN_ACTIVATIONS[sk.activation],
                         noise_std=noise_std).to(torch.float64).requires_grad_(False)
    layers = [layer for layer in m.net if isinstance(layer, torch.nn.Linear)]
    for layer, c, i in zip(layers, coefs, intercepts):
        layer.weight.copy_(_as64(c.T))  # torch keeps [out, in]
        layer.bias.copy_(_as64(i))
    m.in_shift.zero_()
    m.in_scale.fill_(1.0)
    m.out_shift.fill_(shift)
    m.out_scale.fill_(1.0)
    m.noise_std.fill_(noise_std)
    return m


def _noise_law(node: str, noise_model: Any) -> tuple[float, float, np.ndarray | None]:
    """``(mean, std, data)`` of a non-root's noise model: normal (``data`` None), or empirical (its
    moments and its data, which sampling resamples)."""
    if isinstance(noise_model, ScipyDistribution) and noise_model.scipy_distribution is stats.norm:
        params = noise_model.parameters
        if not params:
            raise ConversionError(f"{node!r}: its noise model (ScipyDistribution norm) is not fitted; call gcm.fit first")
        mean, std = float(params.get("loc", 0.0)), float(params.get("scale", 1.0))
    elif isinstance(noise_model, EmpiricalDistribution):
        if noise_model.data is None:
            raise ConversionError(f"{node!r}: its noise model (EmpiricalDistribution) is not fitted; call gcm.fit first")
        data = np.asarray(noise_model.data, dtype=np.float64).reshape(-1)
        mean, std = float(data.mean()), float(data.std())
        if np.isfinite(mean) and np.isfinite(std) and std > 0:
            return mean, std, data
    else:
        name = getattr(getattr(noise_model, "scipy_distribution", None), "name", None)
        what = f"ScipyDistribution({name})" if name else type(noise_model).__name__
        raise ConversionError(
            f"cannot import the noise of {node!r}: {what} is not supported; causalworld's additive and "
            "post-nonlinear mechanisms take normal noise (ScipyDistribution(stats.norm)) or an "
            "EmpiricalDistribution's data"
        )
    if not (np.isfinite(mean) and np.isfinite(std) and std > 0):
        raise ConversionError(f"{node!r}: its noise has mean {mean} and std {std}; a positive, finite std is needed")
    return mean, std, None


def _import_labelled_root(node: str, data: np.ndarray) -> tuple[Mechanism, tuple[Any, ...]]:
    """A root DoWhy models by the empirical distribution of its labels: a categorical root with
    the same frequencies (its codes in the labels' sorted order, as classifiers order classes)."""
    labels, counts = np.unique(data, return_counts=True)
    if len(labels) < 2:
        raise ConversionError(f"root {node!r} takes the one value {labels[0]!r}; a discrete variable needs two or more")
    freq = torch.as_tensor(counts / counts.sum(), dtype=torch.float64)
    return Categorical(0, len(labels), bias=torch.log(freq), dtype=torch.float64), check_labels(node, list(labels), len(labels))


def _import_root(node: str, m: Any) -> Mechanism:
    if isinstance(m, ScipyDistribution) and m.scipy_distribution in (stats.norm, stats.uniform) and m.parameters:
        loc, scale = float(m.parameters.get("loc", 0.0)), float(m.parameters.get("scale", 1.0))
        root: Mechanism = GaussianRoot(0.0, 1.0) if m.scipy_distribution is stats.norm else UniformRoot(0.0, 1.0)
        root = root.to(torch.float64)
        if not (np.isfinite(loc) and np.isfinite(scale) and scale > 0):
            raise ConversionError(f"root {node!r}: loc={loc}, scale={scale}; a positive, finite scale is needed")
        if isinstance(root, GaussianRoot):
            root.mean.fill_(loc)
            root.std.fill_(scale)
        else:
            root.low.fill_(loc)
            root.high.fill_(loc + scale)
        return root
    if isinstance(m, EmpiricalDistribution) and m.data is not None:
        # sampling resamples the data, as DoWhy does; a root's noise is its value
        data = np.asarray(m.data, dtype=np.float64).reshape(-1)
        if not (np.isfinite(data).all() and data.std() > 0):
            raise ConversionError(f"root {node!r}: its EmpiricalDistribution is constant or not finite; "
                                  "a root needs finite values that vary")
        return GaussianRoot(0.0, 1.0).to(torch.float64).set_empirical_noise(data)
    if isinstance(m, ScipyDistribution):
        name = getattr(m.scipy_distribution, "name", None)
        why = "it is not fitted" if not m.parameters else f"ScipyDistribution({name}) is not supported"
    elif isinstance(m, EmpiricalDistribution):
        why = "its EmpiricalDistribution is not fitted"
    else:
        why = f"{type(m).__name__} is not supported"
    raise ConversionError(f"cannot import root {node!r}: {why}; supported: {_SUPPORTED_IMPORT}")


def _describe(pm: Any) -> str:
    """A short name of a foreign prediction model: ``HistGradientBoostingRegressor``,
    ``Pipeline(polynomialfeatures, linearregression)``."""
    sk = getattr(pm, "sklearn_model", pm)
    steps = getattr(sk, "steps", None)
    if steps:
        return f"{type(sk).__name__}({', '.join(type(step).__name__ for _, step in steps)})"
    return type(sk).__name__


def _wrapped_regressor(node: str, pm: Any, dowhy_parents: list[str], ours: list[str], labels: dict[str, Any],
                       noise_std: float, noise_mean: float) -> WrappedRegressor:
    if not hasattr(pm, "predict"):
        raise ConversionError(f"cannot import {node!r}: its prediction model {type(pm).__name__} has no predict()")
    m = WrappedRegressor(pm, _reorder(ours, dowhy_parents), noise_std=noise_std, noise_mean=noise_mean,
                         parent_labels=[labels.get(p) for p in dowhy_parents], what=_describe(pm))
    return m


def _import_prediction(node: str, pm: Any, dowhy_parents: list[str], ours: list[str],
                       noise_std: float, shift: float,
                       labels: dict[str, Any] | None = None) -> LinearGaussian | AdditiveNoiseMLP | WrappedRegressor:
    """Our mechanism for ``f`` with inputs in ``ours`` order; DoWhy feeds ``dowhy_parents`` order.
    A model without a native counterpart, or one that one-hot encodes labelled parents, is wrapped."""
    labels = labels or {}
    idx = _reorder(dowhy_parents, ours)
    p = len(ours)
    if any(p_ in labels for p_ in dowhy_parents) or getattr(pm, "_encoders", None):
        return _wrapped_regressor(node, pm, dowhy_parents, ours, labels, noise_std, shift)
    if isinstance(pm, CausalWorldPrediction):
        if sorted(pm.parents) != sorted(ours):
            raise ConversionError(f"{node!r}: its causalworld mechanism takes {list(pm.parents)}, the graph gives {ours}")
        m = _permuted(pm.mechanism, _reorder(pm.parents, ours))
        m.noise_std.fill_(noise_std)
        if shift:
            _add_shift(m, shift)
        return m
    if isinstance(pm, LinearRegressionWithFixedParameter):
        coef = np.asarray(pm.coefficients, dtype=np.float64).reshape(-1)
        if coef.shape[0] != p:
            raise ConversionError(f"{node!r}: {coef.shape[0]} coefficients for {p} parents {dowhy_parents}")
        return _linear(coef[idx], float(np.asarray(pm.intercept).reshape(-1)[0]) + shift, noise_std)
    if isinstance(pm, SklearnRegressionModel):
        sk = pm.sklearn_model
        linear_types = (linear_model.LinearRegression, linear_model.Ridge, linear_model.RidgeCV, linear_model.Lasso,
                        linear_model.LassoCV, linear_model.ElasticNet, linear_model.ElasticNetCV,
                        linear_model.LassoLarsIC)
        fitted = hasattr(sk, "coef_") or hasattr(sk, "coefs_")
        if isinstance(sk, linear_types) and fitted:
            coef = np.asarray(sk.coef_, dtype=np.float64).reshape(-1)
            if coef.shape[0] != p:
                raise ConversionError(f"{node!r}: {coef.shape[0]} coefficients for {p} parents {dowhy_parents}")
            return _linear(coef[idx], float(np.asarray(sk.intercept_).reshape(-1)[0]) + shift, noise_std)
        if isinstance(sk, MLPRegressor) and fitted:
            if sk.coefs_[0].shape[0] != p:
                raise ConversionError(f"{node!r}: the MLPRegressor takes {sk.coefs_[0].shape[0]} inputs for {p} parents")
            return _mlp(node, sk, idx, noise_std, shift)
        if isinstance(sk, (*linear_types, MLPRegressor)):
            raise ConversionError(f"{node!r}: its {type(sk).__name__} is not fitted; call gcm.fit first")
    return _wrapped_regressor(node, pm, dowhy_parents, ours, labels, noise_std, shift)


def _permuted(m: Mechanism, idx: list[int]) -> Any:
    """A float64 copy of ``m`` whose ``j``-th input is the old input ``idx[j]``."""
    m = copy.deepcopy(m).to(device="cpu", dtype=torch.float64).requires_grad_(False)
    if isinstance(m, LinearGaussian):
        m.weight.copy_(m.weight[idx].clone())
    elif isinstance(m, AdditiveNoiseMLP):
        first = m.net[0]
        first.weight.copy_(first.weight[:, idx].clone())  # (hidden, p): columns are inputs
        m.in_shift.copy_(m.in_shift[idx].clone())
        m.in_scale.copy_(m.in_scale[idx].clone())
    return m


def _add_shift(m: LinearGaussian | AdditiveNoiseMLP, shift: float) -> None:
    if isinstance(m, LinearGaussian):
        m.bias.add_(shift)
    else:
        m.out_shift.add_(shift)


def _import_classifier(node: str, mech: ClassifierFCM, dowhy_parents: list[str], ours: list[str],
                       labels: dict[str, Any]) -> tuple[Mechanism, tuple[Any, ...]]:
    """A ``ClassifierFCM`` as a categorical mechanism whose logits are the classifier's
    log-probabilities: it samples as DoWhy does, and its counterfactuals come from the exact
    Gumbel noise posterior (which DoWhy cannot give, py-why/dowhy#1146)."""
    clf = mech.classifier_model
    try:
        classes = list(clf.classes)
    except (AttributeError, TypeError):
        raise ConversionError(f"{node!r}: its classifier {_describe(clf)} is not fitted; call gcm.fit first") from None
    if len(classes) < 2:
        raise ConversionError(f"{node!r}: its classifier knows one class {classes}; a discrete variable needs two or more")
    m = WrappedClassifier(clf, _reorder(ours, dowhy_parents), len(classes),
                          parent_labels=[labels.get(p) for p in dowhy_parents], what=_describe(clf))
    return m, check_labels(node, classes, len(classes))


def _convert(node: str, mech: Any, dowhy_parents: list[str], ours: list[str],
             labels: dict[str, Any]) -> tuple[Mechanism, tuple[Any, ...] | None]:
    """One node's mechanism, and its labels when it is discrete."""
    if not dowhy_parents:
        data = getattr(mech, "data", None) if isinstance(mech, EmpiricalDistribution) else None
        if data is not None and np.asarray(data).dtype.kind in "OUSb":
            return _import_labelled_root(node, np.asarray(data).reshape(-1))
        return _import_root(node, mech), None
    if isinstance(mech, ClassifierFCM):
        return _import_classifier(node, mech, dowhy_parents, ours, labels)
    return _import_node(node, mech, dowhy_parents, ours, labels), None


def _import_node(node: str, mech: Any, dowhy_parents: list[str], ours: list[str],
                 labels: dict[str, Any] | None = None) -> Mechanism:
    labels = labels or {}
    if not isinstance(mech, PostNonlinearModel):  # AdditiveNoiseModel is a PostNonlinearModel
        raise ConversionError(f"cannot import {node!r}: {type(mech).__name__} is not supported; supported: {_SUPPORTED_IMPORT}")
    if type(mech).__name__ == "DiscreteAdditiveNoiseModel":
        raise ConversionError(f"cannot import {node!r}: DiscreteAdditiveNoiseModel rounds its prediction and has "
                              f"integer noise, which no causalworld mechanism does; supported: {_SUPPORTED_IMPORT}")
    fn = mech.invertible_function
    if isinstance(fn, CausalWorldLink):
        link = fn.name
    elif type(fn) in (InvertibleIdentityFunction, InvertibleExponentialFunction, InvertibleLogarithmicFunction):
        link = {InvertibleIdentityFunction: "identity", InvertibleExponentialFunction: "exp",
                InvertibleLogarithmicFunction: "log"}[type(fn)]
    else:
        link = None
    if link is None or link not in LINKS:
        raise ConversionError(
            f"cannot import {node!r}: its invertible function {type(fn).__name__} has no causalworld link; "
            f"causalworld links are {sorted(LINKS)}"
        )
    mean, std, data = _noise_law(node, mech.noise_model)
    # DoWhy's noise is kept as it is, mean included (x = g(f(pa) + u), u ~ N(mean, std^2)), so a
    # noise table means the same in both libraries.
    f = _import_prediction(node, mech.prediction_model, dowhy_parents, ours, std, 0.0, labels)
    f.noise_mean.fill_(mean)
    if link == "identity":
        return f.set_empirical_noise(data) if data is not None else f
    if isinstance(f, WrappedRegressor):
        raise ConversionError(f"cannot import {node!r}: a post-nonlinear model around a {f.what} has no causalworld "
                              "counterpart (only around a linear regressor or an MLPRegressor)")
    pnl = PostNonlinear(LinearGaussian(len(ours)), link=link, noise_std=std, noise_mean=mean).to(torch.float64)
    pnl.inner = f
    pnl.noise_std.fill_(std)
    return pnl.set_empirical_noise(data) if data is not None else pnl


def from_dowhy(model: Any, *, dtype: torch.dtype = torch.float64) -> SCM:
    """A causalworld ``SCM`` from a fitted ``dowhy.gcm`` structural causal model.

    Every mechanism ``gcm.auto.assign_causal_mechanisms`` assigns converts:

    - roots: ``ScipyDistribution`` of ``stats.norm`` or ``stats.uniform`` (exact), and
      ``EmpiricalDistribution``: of numbers, a ``GaussianRoot`` that keeps the data and
      resamples them when sampling, as DoWhy does (``set_empirical_noise``); of labels
      (strings, booleans), a :class:`~causalworld.scm.mechanisms.Categorical` root with the
      labels' frequencies;
    - ``AdditiveNoiseModel`` and ``PostNonlinearModel`` (link identity, exp, or one exported by
      :func:`to_dowhy`) whose noise is ``ScipyDistribution(stats.norm)`` (exact) or
      ``EmpiricalDistribution`` (its residuals kept and resampled when sampling). The
      noise is DoWhy's, mean included, so ``noise_data`` means the same in both libraries. The
      prediction model becomes a native mechanism when it has one: a
      ``LinearRegressionWithFixedParameter`` or a sklearn linear regressor (``LinearRegression``,
      ``Ridge(CV)``, ``Lasso(CV)``, ``ElasticNet(CV)``, ``LassoLarsIC``) -> ``LinearGaussian``; an
      ``MLPRegressor`` (relu, tanh, logistic -> ``AdditiveNoiseMLP`` with the same weights;
      identity -> the composed ``LinearGaussian``); a model exported by :func:`to_dowhy` (round
      trip). Any other (``HistGradientBoostingRegressor``, a ``Pipeline``, an ``SVR``, ...), and
      any regressor over labelled parents that DoWhy one-hot encodes, is wrapped:
      :class:`~causalworld.scm.mechanisms.wrapped.WrappedRegressor` calls it (exact, CPU numpy,
      slower; it cannot be saved or moved to CUDA);
    - ``ClassifierFCM``: a categorical mechanism whose logits are the classifier's
      log-probabilities (:class:`~causalworld.scm.mechanisms.wrapped.WrappedClassifier`), labelled
      with its classes. It samples as DoWhy does, and its counterfactuals come from the exact
      Gumbel noise posterior, which DoWhy cannot give (py-why/dowhy#1146).

    A node that still cannot be converted (another noise law, an unfitted mechanism) raises
    :class:`~causalworld.errors.ConversionError` naming the node and the class, and ending with
    the fix: ``SCM.fit(model.graph, data)``. Parameters follow DoWhy's parent order
    (``sorted(predecessors)``) and are reordered to ours. Node names become ``str``. Every node
    must have been fitted to the current graph (DoWhy's ``parents_during_fit``), as DoWhy itself
    requires before a query. ``to_dowhy`` on the result hands wrapped and discrete nodes back as
    the DoWhy mechanisms they came from.

    Examples
    --------
    >>> import causalworld as cw
    >>> scm = cw.random_scm(4, mechanism="pnl", seed=0, dtype=torch.float64)
    >>> back = cw.SCM.from_dowhy(scm.to_dowhy())
    >>> obs = scm.sample(3, seed=1)
    >>> a, b = scm.counterfactual(obs, {"x0": 1.0}), back.counterfactual(obs, {"x0": 1.0})
    >>> all(torch.allclose(a[v], b[v]) for v in scm.variables)
    True
    """
    graph = getattr(model, "graph", None)
    if not isinstance(graph, nx.DiGraph):
        raise ConversionError(f"from_dowhy expects a dowhy.gcm causal model with a networkx graph, got {type(model).__name__}")
    names = {node: str(node) for node in graph.nodes}
    if len(set(names.values())) != len(names):
        raise ConversionError("two DoWhy nodes have the same name as str; causalworld names variables by str")
    g = nx.DiGraph()
    g.add_nodes_from(names.values())
    g.add_edges_from((names[a], names[b]) for a, b in graph.edges)
    order = graphs.topological_order(graphs.as_dag(g))
    position = {v: i for i, v in enumerate(order)}
    back = {s: node for node, s in names.items()}
    mechanisms: dict[str, Mechanism] = {}
    labels: dict[str, tuple[Any, ...]] = {}
    for v in order:
        node = back[v]
        attrs = graph.nodes[node]
        try:
            if CAUSAL_MECHANISM not in attrs:
                raise ConversionError(f"DoWhy node {v!r} has no causal mechanism; assign and fit one first")
            dowhy_parents = get_ordered_predecessors(graph, node)
            if attrs.get(PARENTS_DURING_FIT) != dowhy_parents:
                raise ConversionError(
                    f"DoWhy node {v!r} is not fitted to the graph (parents at fit time: "
                    f"{attrs.get(PARENTS_DURING_FIT)}, now: {dowhy_parents}); call gcm.fit first"
                )
            ours = sorted((str(p) for p in dowhy_parents), key=position.__getitem__)
            mech = attrs[CAUSAL_MECHANISM]
            mechanisms[v], found = _convert(v, mech, [str(p) for p in dowhy_parents], ours, labels)
        except ConversionError as e:
            raise ConversionError(f"{e}; {FIX}") from None
        if found is not None and not is_default(found):
            labels[v] = found
        m = mechanisms[v]
        if found is not None or isinstance(m, WrappedRegressor):
            # A copy of DoWhy's mechanism, so that refitting the DoWhy model leaves ours alone; no
            # causalworld export reproduces these, so to_dowhy hands it back.
            m.dowhy_mechanism = copy.deepcopy(mech)
            if isinstance(m, WrappedRegressor):
                m.model = m.dowhy_mechanism.prediction_model
            elif isinstance(m, WrappedClassifier):
                m.model = m.dowhy_mechanism.classifier_model
    return SCM(g, mechanisms, dtype=dtype, labels=labels)
