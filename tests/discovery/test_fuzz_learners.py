"""Property fuzzers over the learners' settings and data: every fit either returns a DAG over the
data's columns with finite edge probabilities in [0, 1], or raises a typed CausalWorldError
before any search; never a raw error, a hang or a NaN. Derandomised and capped, with small
settings, so the suite's time stays bounded."""

import datetime
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import causalworld as cw
from causalworld.discovery import ExactLearner, GESLearner, GradientLearner, PCLearner, SortRegressLearner
from causalworld.errors import CausalWorldError

FUZZ = settings(derandomize=True, database=None, max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Small, fast configurations of each learner (the fuzzed setting is put on top of these).
FAST = {
    PCLearner: {},
    GESLearner: {},
    SortRegressLearner: {"progress": False},
    ExactLearner: {"progress": False, "max_time": 20},
    GradientLearner: {"progress": False, "max_steps": 30, "min_steps": 10, "warmup_steps": 5, "max_time": 20},
}
ODD = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-2**70, 2**70),
    st.sampled_from([0, -1, 2**64 - 1, 2**64, 10**9, 1e-300, 1e300, True, "1", "auto", None, (1,), [0.5]]),
    st.text(max_size=4),
    st.just(datetime.datetime(2020, 1, 1)),
)


def _data(seed: int = 0) -> pd.DataFrame:
    truth = cw.random_scm(4, edges_per_node=1.5, seed=seed, dtype=torch.float64)
    return truth.to_frame(truth.sample(150, seed=seed))


def _check(learner, data: pd.DataFrame) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a time limit that ran out, an integer column read as continuous: fine here
            learner.fit(data)
    except CausalWorldError:
        return
    g = learner.graph_
    assert set(g.nodes) == set(map(str, data.columns))
    import networkx as nx

    assert nx.is_directed_acyclic_graph(g)
    probs = np.asarray(learner.edge_probs_, dtype=float)
    assert np.isfinite(probs).all() and (probs >= 0).all() and (probs <= 1 + 1e-9).all()


@pytest.mark.parametrize("cls", list(FAST), ids=lambda c: c.__name__)
@FUZZ
@given(data=st.data())
def test_any_setting_fits_or_raises_a_typed_error(cls, data):
    name = data.draw(st.sampled_from(sorted(cls().get_params())), label="setting")
    value = data.draw(ODD, label="value")
    params = {**FAST[cls]}
    params[name] = value
    try:
        learner = cls(**params)
    except CausalWorldError:
        return
    except TypeError as e:  # a keyword the constructor does not take at all is Python's own error
        assert "unexpected keyword" in str(e)
        return
    _check(learner, _data())


COLUMN = st.one_of(
    st.sampled_from(["nan", "inf", "constant", "huge", "tiny", "duplicate", "strings", "dates", "complex",
                     "objects", "bools", "few ints", "many ints", "empty"]),
)


@pytest.mark.parametrize("cls", list(FAST), ids=lambda c: c.__name__)
@FUZZ
@given(kind=COLUMN, where=st.integers(0, 3))
def test_any_column_fits_or_raises_a_typed_error(cls, kind, where):
    df = _data()
    col = df.columns[where]
    n = len(df)
    rng = np.random.default_rng(where)
    replace = {
        "nan": df[col].where(np.arange(n) % 7 != 0),
        "inf": df[col].where(np.arange(n) % 7 != 0, np.inf),
        "constant": pd.Series(np.full(n, 2.5)),
        "huge": df[col] * 1e300,
        "tiny": df[col] * 1e-300,
        "duplicate": df[df.columns[(where + 1) % 4]],
        "strings": pd.Series(rng.choice(["a", "b", "c"], n)),
        "dates": pd.Series(pd.date_range("2020-01-01", periods=n)),
        "complex": pd.Series(df[col].to_numpy() + 1j),
        "objects": pd.Series([object()] * n),
        "bools": pd.Series(rng.random(n) < 0.5),
        "few ints": pd.Series(rng.integers(0, 3, n)),
        "many ints": pd.Series(rng.integers(1900, 2020, n)),
        "empty": None,
    }[kind]
    if replace is None:
        df = df.iloc[:0]
    else:
        df[col] = replace.to_numpy() if hasattr(replace, "to_numpy") else replace
    _check(cls(**FAST[cls]), df)
