"""Running work that cannot be interrupted from inside under a time limit: the call goes to a
child process, which is stopped when the time is up (the learners' ``max_time`` for causal-learn
runs and for fitting ``scm_``)."""

from __future__ import annotations

import math
import multiprocessing as mp
import pickle
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import torch

from causalworld.errors import InsufficientDataError

__all__ = ["call_with_timeout"]


def _child(conn: Any, fn: Callable[..., Any], args: tuple) -> None:
    # A forked child inherits the parent's OpenMP thread pool without its threads: the first
    # parallel region in torch waits on them forever (an MLP fit of scm_ that takes a second in
    # the parent never ended, and max_time always ran out). One thread runs no parallel region.
    torch.set_num_threads(1)
    # Plain pickle, as bytes, over the pipe to the parent that forked this child (no file is read:
    # the bytes only ever come from this function): the multiprocessing pickler would pass torch
    # tensors as handles to this process's shared memory, which are gone once it exits.
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = fn(*args)
        conn.send_bytes(pickle.dumps(("ok", value, [(w.message, w.category) for w in caught])))
    except BaseException as e:  # sent back and raised in the parent
        conn.send_bytes(pickle.dumps(("error", e, [])))
    finally:
        conn.close()


def _poll(conn: Any, seconds: float) -> bool:
    """``conn.poll(seconds)`` for any length of time (one poll takes at most ~24 days)."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if conn.poll(max(0.0, min(left, 86_400.0))):
            return True
        if left <= 86_400.0:
            return False


def call_with_timeout(fn: Callable[..., Any], args: tuple, seconds: float | None) -> tuple[Any, bool]:
    """``fn(*args)``; with a finite ``seconds``, in a child process stopped after that many
    seconds. Returns ``(result or None, timed_out)``; an exception of ``fn`` is raised here and
    its warnings are issued here.

    Examples
    --------
    >>> call_with_timeout(sum, ([1, 2, 3],), None)
    (6, False)
    >>> call_with_timeout(sum, ([1, 2, 3],), float("inf"))  # no limit: called here
    (6, False)
    """
    if seconds is None or math.isinf(seconds):
        return fn(*args), False
    methods = mp.get_all_start_methods()
    # fork is instant; Python 3.12+ warns about forking a threaded process, so use a fork server there
    method = "fork" if "fork" in methods and sys.version_info < (3, 12) else "forkserver" if "forkserver" in methods else "spawn"
    ctx = mp.get_context(method)
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args), daemon=True)
    proc.start()
    send.close()
    try:
        if _poll(recv, max(seconds, 0.0)):
            try:
                status, value, caught = pickle.loads(recv.recv_bytes())
            except EOFError:
                status, value, caught = "error", InsufficientDataError("the child process ended without an answer"), []
            proc.join()
            if status == "error":
                raise value
            for message, category in caught:
                warnings.warn(message, category, stacklevel=2)
            return value, False
        proc.terminate()
        proc.join()
        return None, True
    finally:
        recv.close()
