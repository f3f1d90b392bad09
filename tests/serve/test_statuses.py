"""The one error table: every error class has a row, bad input is 4xx, and a name read back
gives the same class (or the base class for a name that is not one of ours)."""

from __future__ import annotations

import inspect

import causalworld.errors as E
from causalworld.serve.statuses import STATUSES, error_class, status_of


def _error_classes():
    return [c for _, c in inspect.getmembers(E, inspect.isclass) if issubclass(c, E.CausalWorldError)]


def test_every_error_class_has_its_own_row():
    missing = [c.__name__ for c in _error_classes() if c not in STATUSES]
    assert missing == []


def test_input_errors_are_4xx_and_exit_2():
    for cls in (E.UnknownVariableError, E.ShapeError, E.NonFiniteError, E.OutOfRangeError, E.DTypeError):
        assert status_of(cls("x")) == (422, 2)
    assert status_of(E.AuthenticationError("x")).http == 401
    assert status_of(E.RequestTooLargeError("x")).http == 413
    assert status_of(E.RequestTimeoutError("x")).http == 503
    assert status_of(ValueError("not ours")).http == 500


def test_names_read_back_to_the_same_class():
    for cls in _error_classes():
        assert error_class(cls.__name__) is cls
    assert error_class("KeyError") is E.CausalWorldError and error_class(None) is E.CausalWorldError
