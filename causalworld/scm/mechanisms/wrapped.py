"""Mechanisms that call a prediction model of another library (a fitted scikit-learn or DoWhy model).

``SCM.from_dowhy`` converts what it can into native mechanisms (linear regressors, MLPs) and
wraps the rest: a gradient-boosted tree, a scikit-learn ``Pipeline``, an ``SVR``, a classifier.
A wrapped mechanism is exact (it calls the very model DoWhy fitted) but runs on the CPU through
numpy, one call per query and variable, so it is slower than a native one, and it cannot be
saved without pickle or moved to another device: :meth:`SCM.save` and ``scm.to("cuda")`` refuse
it, naming ``SCM.fit(model.graph, data)``, which fits native mechanisms to the same graph.

Parents reach the foreign model as they reached it when it was fitted: in its own column order,
as float64, with discrete parents as their labels (DoWhy one-hot encodes string and boolean
columns itself).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from causalworld.errors import DeviceError
from causalworld.scm.labels import decode, is_default
from causalworld.scm.mechanisms.continuous import _AdditiveFamily
from causalworld.scm.mechanisms.discrete import Categorical

__all__ = ["WrappedRegressor", "WrappedClassifier", "FOREIGN_FIX"]

FOREIGN_FIX = (
    "fit native mechanisms to the same graph and data with causalworld.SCM.fit(model.graph, data) "
    "(or choose invertible linear / MLP regressors in DoWhy before converting)"
)


class _Foreign:
    """What both wrapped mechanisms share: the foreign model's inputs, and the refusals."""

    foreign: ClassVar[bool] = True

    def _setup_inputs(self, model: Any, order: Sequence[int], parent_labels: Sequence[Sequence[Any] | None],
                      what: str) -> None:
        self.model = model
        self.what = what
        self._order = np.asarray(order, dtype=np.int64)  # foreign column j = our parent column order[j]
        # labels per foreign column, only where they differ from the codes themselves
        self._labels = [None if ls is None or is_default(ls) else tuple(ls) for ls in parent_labels]

    @property
    def unsaveable_because(self) -> str:
        return (f"it calls a {self.what} through numpy, which a causalworld model file cannot hold "
                f"without pickle; {FOREIGN_FIX}")

    def _inputs(self, parents: Tensor) -> np.ndarray:
        X = parents.detach().cpu().to(torch.float64).numpy()[:, self._order]  # (N, p), foreign order
        if not any(ls is not None for ls in self._labels):
            return X
        out = X.astype(object)
        for j, ls in enumerate(self._labels):
            if ls is not None:
                out[:, j] = decode(X[:, j].astype(np.int64), ls)
        return out

    def to(self, *args: Any, **kwargs: Any) -> Any:
        device = torch._C._nn._parse_to(*args, **kwargs)[0]
        if device is not None and torch.device(device).type != "cpu":
            raise DeviceError(
                f"a wrapped {self.what} runs on the CPU through numpy and cannot move to {device}; {FOREIGN_FIX}"
            )
        return super().to(*args, **kwargs)  # type: ignore[misc]

    def _slow_note(self) -> str:
        return f"wrapped {self.what}: CPU numpy, slower than a native mechanism"


class WrappedRegressor(_Foreign, _AdditiveFamily):
    """``x = f(parents) + u``, ``u ~ N(noise_mean, noise_std^2)``, with ``f`` a foreign model's
    ``predict`` (a DoWhy ``PredictionModel`` or anything with ``predict(X) -> [N] or [N, 1]``).

    Abduction is exact (``u = x - f(parents)``), so counterfactuals equal DoWhy's on the same model.

    Examples
    --------
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> tree = DecisionTreeRegressor(max_depth=2).fit(np.array([[0.0], [1.0], [2.0]]), [0.0, 10.0, 20.0])
    >>> m = WrappedRegressor(tree, [0], noise_std=1.0, what="DecisionTreeRegressor")
    >>> pa = torch.tensor([[1.0]], dtype=torch.float64)
    >>> m.abduct(pa, torch.tensor([10.5], dtype=torch.float64))
    tensor([0.5000], dtype=torch.float64)
    """

    def __init__(self, model: Any, order: Sequence[int], *, noise_std: float, noise_mean: float = 0.0,
                 parent_labels: Sequence[Sequence[Any] | None] | None = None, what: str | None = None) -> None:
        super().__init__(len(order), noise_std, dtype=torch.float64, noise_mean=noise_mean)
        self._setup_inputs(model, order, parent_labels or [None] * len(order), what or type(model).__name__)

    def predict(self, parents: Tensor) -> Tensor:
        """The wrapped model's prediction for ``parents``, ``[N]``, in the mechanism's dtype.

        Examples
        --------
        >>> from sklearn.linear_model import LinearRegression
        >>> reg = LinearRegression().fit(np.array([[0.0], [1.0], [2.0]]), [1.0, 3.0, 5.0])  # y = 2 x + 1
        >>> m = WrappedRegressor(reg, [0], noise_std=1.0, what="LinearRegression")
        >>> m.predict(torch.tensor([[4.0]], dtype=torch.float64))
        tensor([9.], dtype=torch.float64)
        """
        out = np.asarray(self.model.predict(self._inputs(parents)), dtype=np.float64).reshape(-1)
        return torch.from_numpy(out).to(dtype=self.dtype)

    def equation(self, name: str, parents: list[str]) -> str:
        return f"{name} := {self.what}({', '.join(parents)}) + u_{name},  {self._noise_text(name)}   ({self._slow_note()})"

    def extra_repr(self) -> str:
        return self._slow_note()


class WrappedClassifier(_Foreign, Categorical):
    """``x = argmax_k(log p_k(parents) + g_k)``, ``g_k ~ Gumbel(0, 1)``, with ``p`` a foreign
    classifier's class probabilities (``predict_probabilities``, or scikit-learn's ``predict_proba``).

    The Gumbel-max form samples the classifier's distribution exactly and its counterfactuals come
    from the exact noise posterior of :class:`Categorical` (which DoWhy's ``ClassifierFCM`` cannot
    give, py-why/dowhy#1146). Codes follow the classifier's class order.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> clf = LogisticRegression().fit(np.array([[0.0], [0.2], [1.0], [1.2]]), ["no", "no", "yes", "yes"])
    >>> m = WrappedClassifier(clf, [0], 2, what="LogisticRegression")
    >>> pa = torch.tensor([[0.1], [1.1]], dtype=torch.float64)
    >>> torch.allclose(m.logits(pa).exp(), torch.from_numpy(clf.predict_proba(pa.numpy())))
    True
    """

    def __init__(self, model: Any, order: Sequence[int], cardinality: int, *,
                 parent_labels: Sequence[Sequence[Any] | None] | None = None, what: str | None = None) -> None:
        super().__init__(len(order), cardinality, dtype=torch.float64)
        self._setup_inputs(model, order, parent_labels or [None] * len(order), what or type(model).__name__)

    def logits(self, parents: Tensor) -> Tensor:
        X = self._inputs(parents)
        proba = self.model.predict_probabilities(X) if hasattr(self.model, "predict_probabilities") \
            else self.model.predict_proba(X)
        p = torch.from_numpy(np.asarray(proba, dtype=np.float64).reshape(parents.shape[0], self._k))
        # a class the classifier gives probability 0 keeps a finite logit, so its noise posterior stays finite
        return torch.log(p.clamp_min(torch.finfo(torch.float64).tiny)).to(self.dtype)

    def equation(self, name: str, parents: list[str]) -> str:
        return (f"{name} := argmax_k(log P_{self.what}(k | {', '.join(parents)}) + u_{name},k),  "
                f"u_{name},k ~ Gumbel(0, 1)   ({self._slow_note()})")

    def extra_repr(self) -> str:
        return self._slow_note()
