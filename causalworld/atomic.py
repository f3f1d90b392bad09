"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The floor beside ``errors``. A single file is written through here; a folder of files (a saved
model, episodes, a checkpoint) is written through :mod:`causalworld.store`, which orders these
writes so that a save killed at any point leaves the previous save loadable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    The file gets the permissions any new file gets (``0o666`` less the process's umask, so
    ``0o644`` under the usual umask ``022``), not the owner-only ``0o600`` of
    ``tempfile.mkstemp``: a saved model is as readable as any file its owner writes.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = pathlib.Path(d) / "x.bin"
    ...     write_atomic(p, b"abc")
    ...     p.read_bytes()
    b'abc'
    """
    path = Path(path)
    fd, tmp = _create_temporary(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _create_temporary(path: Path) -> tuple[int, str]:
    """A new, empty temporary file beside ``path`` (``.<name>.<random>.tmp``), opened for writing.

    ``os.open`` with mode ``0o666`` lets the kernel apply the umask, as for any new file; reading
    the umask instead (``os.umask`` sets it to read it) would race with other threads.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
    raise FileExistsError(f"could not create a temporary file beside {path}")  # pragma: no cover
