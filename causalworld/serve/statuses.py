"""The one table from each error in :mod:`causalworld.errors` to an HTTP status and a CLI exit code.

The server answers a library error with its status and ``{"error": <class name>, "detail":
<message>}``; the client reads the class name back and raises the same type; the ``causalworld``
command exits with the code. Lookup walks the class's MRO, so a subclass without its own row
(``CyclicGraphError``) takes its parent's (``GraphError``). This module imports nothing but the
errors, so the command can use it without the server's dependencies.
"""

from __future__ import annotations

from typing import NamedTuple

from causalworld import errors as E

__all__ = ["Status", "STATUSES", "status_of", "error_class"]


class Status(NamedTuple):
    """What an error becomes at the edge: an HTTP status and an exit code of the command.

    Examples
    --------
    >>> STATUSES[E.AuthenticationError]
    Status(http=401, exit=4)
    >>> Status(422, 2).http
    422
    """

    http: int
    exit: int


# Bad input is 422 (the request was read, its content is wrong) and exit code 2 (click's usage
# error); a model folder that cannot be read is the server's own problem (500, exit 3).
STATUSES: dict[type[BaseException], Status] = {
    E.CausalWorldError: Status(400, 1),
    E.UnknownVariableError: Status(422, 2),
    E.MissingVariableError: Status(422, 2),
    E.UnknownMechanismError: Status(500, 3),
    E.UnknownWorldError: Status(422, 2),
    E.GraphError: Status(422, 2),
    E.CyclicGraphError: Status(422, 2),
    E.ShapeError: Status(422, 2),
    E.DTypeError: Status(422, 2),
    E.DeviceError: Status(422, 2),
    E.NonFiniteError: Status(422, 2),
    E.OutOfRangeError: Status(422, 2),
    E.InterventionError: Status(422, 2),
    E.ArgumentError: Status(422, 2),
    E.NotInvertibleError: Status(422, 2),
    E.ConversionError: Status(422, 2),
    E.ModelFileError: Status(500, 3),
    E.NotFittedError: Status(409, 1),
    E.InsufficientDataError: Status(422, 2),
    E.WorldCheckError: Status(422, 1),
    E.IndexOutOfRangeError: Status(422, 2),
    E.AuthenticationError: Status(401, 4),
    E.RequestTooLargeError: Status(413, 2),
    E.RequestTimeoutError: Status(503, 5),
    E.PolicyCheckError: Status(422, 1),
    E.MissingFFmpegError: Status(500, 3),
    E.MemoryLimitError: Status(413, 2),  # asks for more than fits: smaller chunks get under it
    E.MissingDependencyError: Status(500, 3),  # the installation lacks an extra: the server's problem
}


def status_of(error: BaseException) -> Status:
    """The status of ``error``: its class's row, else the nearest base class's.

    Examples
    --------
    >>> from causalworld.errors import CyclicGraphError, UnknownVariableError
    >>> status_of(UnknownVariableError("'z' is not a variable"))
    Status(http=422, exit=2)
    >>> status_of(CyclicGraphError("x -> y -> x")).http
    422
    """
    for cls in type(error).__mro__:
        if cls in STATUSES:
            return STATUSES[cls]
    return Status(500, 1)


def error_class(name: object) -> type[E.CausalWorldError]:
    """The :mod:`causalworld.errors` class called ``name``; :class:`~causalworld.errors.CausalWorldError`
    for a name that is not one of them (an answer from a newer server, say).

    Examples
    --------
    >>> error_class("NonFiniteError").__name__
    'NonFiniteError'
    >>> error_class("os.system").__name__
    'CausalWorldError'
    """
    cls = getattr(E, name, None) if isinstance(name, str) and name in E.__all__ else None
    if isinstance(cls, type) and issubclass(cls, E.CausalWorldError):
        return cls
    return E.CausalWorldError
