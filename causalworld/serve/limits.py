"""What one request may ask of a served model: body bytes, rows, seconds; and who may bind where.

The defaults keep a laptop responsive and are set with ``create_app`` keywords or the
``causalworld serve`` options. A request past a limit is refused with
:class:`~causalworld.errors.RequestTooLargeError` (413) or
:class:`~causalworld.errors.RequestTimeoutError` (503), naming the limit and the way under it.
"""

from __future__ import annotations

import ipaddress
import json
import math
import warnings
from dataclasses import dataclass
from typing import Any

from causalworld.errors import (
    ArgumentError,
    DTypeError,
    ExposedServerWarning,
    OutOfRangeError,
    RequestTooLargeError,
)
from causalworld.serve.statuses import status_of

__all__ = ["Limits", "BodySizeLimit", "check_bind", "is_loopback", "MIN_TOKEN_LENGTH"]

MIN_TOKEN_LENGTH = 16
"""The shortest token accepted for a server other hosts can reach."""


@dataclass(frozen=True)
class Limits:
    """The limits of one request.

    Parameters
    ----------
    max_rows : int, default=100_000
        Rows one request may read or produce (observed rows times ``num_samples`` for a
        counterfactual, ``n`` for a sample).
    max_body_bytes : int, default=64 MiB
        Bytes of one request body (100,000 rows of 20 variables take about 40 MB of JSON).
    timeout_s : float, default=60.0
        Seconds one request may compute before it is answered 503. The computation itself runs to
        its end in its worker thread (torch ops cannot be interrupted); ``max_rows`` bounds it.

    Examples
    --------
    >>> Limits(max_rows=1000).max_rows
    1000
    >>> Limits(timeout_s=0)
    Traceback (most recent call last):
    ...
    causalworld.errors.OutOfRangeError: timeout_s must be a positive number of seconds, got 0; ...
    """

    max_rows: int = 100_000
    max_body_bytes: int = 64 * 2**20
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        for name in ("max_rows", "max_body_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise DTypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
            if value < 1:
                raise OutOfRangeError(f"{name} must be at least 1, got {value}")
        t = self.timeout_s
        if not isinstance(t, (int, float)) or isinstance(t, bool):
            raise DTypeError(f"timeout_s must be a number of seconds, got {type(t).__name__} {t!r}")
        if not math.isfinite(t) or t <= 0:
            raise OutOfRangeError(f"timeout_s must be a positive number of seconds, got {t}; give, say, 60")

    def check_rows(self, rows: int, what: str) -> None:
        """Raise :class:`~causalworld.errors.RequestTooLargeError` when ``rows`` is past ``max_rows``.

        Examples
        --------
        >>> Limits(max_rows=100).check_rows(100, "observed")
        >>> Limits(max_rows=100).check_rows(101, "observed")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        causalworld.errors.RequestTooLargeError: observed is 101 rows, past this server's limit of 100 rows ...
        """
        if rows > self.max_rows:
            raise RequestTooLargeError(
                f"{what} is {rows:,} rows, past this server's limit of {self.max_rows:,} rows per request; "
                "split the request into batches (or start the server with a larger --max-rows)"
            )


def _too_large(detail: str) -> bytes:
    err = RequestTooLargeError(detail)
    return json.dumps({"error": type(err).__name__, "detail": str(err)}).encode()


class BodySizeLimit:
    """ASGI middleware: refuse a body past ``max_bytes`` before it is read (by its Content-Length)
    or while it streams in (a chunked body, read here up to the limit and then handed on), with a
    413 and the error body of every refusal.

    Examples
    --------
    >>> import asyncio
    >>> sent = []
    >>> async def send(message):
    ...     sent.append(message)
    >>> async def receive():
    ...     return {"type": "http.request", "body": b"", "more_body": False}
    >>> async def app(scope, receive, send):  # the app behind the limit: not reached here
    ...     raise AssertionError("the body should have been refused")
    >>> scope = {"type": "http", "headers": [(b"content-length", b"100")]}
    >>> asyncio.run(BodySizeLimit(app, max_bytes=10)(scope, receive, send))
    >>> sent[0]["status"], json.loads(sent[1]["body"])["error"]
    (413, 'RequestTooLargeError')
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _detail(self, size: str) -> str:
        return (f"the request body is {size} bytes, past this server's limit of {self.max_bytes:,} bytes; "
                "send fewer rows per request (or start the server with a larger --max-body-bytes)")

    async def _refuse(self, send: Any, size: str) -> None:
        body = _too_large(self._detail(size))
        await send({"type": "http.response.start", "status": status_of(RequestTooLargeError("")).http,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, f"{int(declared):,}")
            return
        if declared is not None:  # the HTTP layer holds the body to its declared length
            await self.app(scope, receive, send)
            return
        # a streamed (chunked) body: read it here, up to the limit, then hand it on whole
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self._refuse(send, f"over {self.max_bytes:,}")
                return
            more = message.get("more_body", False)
        pending = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay() -> Any:
            return pending.pop() if pending else await receive()

        await self.app(scope, replay, send)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to bind ``host`` beyond loopback without a token; warn when binding it with one.

    Raises
    ------
    ArgumentError
        ``host`` is not a loopback address and ``token`` is missing or shorter than
        ``MIN_TOKEN_LENGTH`` characters.

    Warns
    -----
    ExposedServerWarning
        ``host`` is not a loopback address (other machines can reach the server).

    Examples
    --------
    >>> check_bind("127.0.0.1", None)  # loopback: no token needed
    >>> check_bind("0.0.0.0", None)
    Traceback (most recent call last):
    ...
    causalworld.errors.ArgumentError: binding 0.0.0.0 lets other machines reach the model; ...
    """
    if not isinstance(host, str) or not host:
        raise DTypeError(f"host must be an address or host name, got {host!r}")
    if token is not None and (not isinstance(token, str) or not token):
        raise DTypeError("token must be a non-empty string (or None on a loopback address)")
    if is_loopback(host):
        return
    if token is None or len(token) < MIN_TOKEN_LENGTH:
        raise ArgumentError(
            f"binding {host} lets other machines reach the model; give a bearer token of at least "
            f"{MIN_TOKEN_LENGTH} characters (--token or CAUSALWORLD_TOKEN; for example the output of "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))'), or bind 127.0.0.1"
        )
    warnings.warn(
        f"serving on {host}: other machines can reach this model; only the bearer token keeps them out, "
        "and it travels in clear text unless a TLS proxy sits in front",
        ExposedServerWarning,
        stacklevel=2,
    )
