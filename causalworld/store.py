"""The one way causalworld saves a folder: a JSON manifest over a content-addressed tensors file.

Saved models, episodes, encoder checkpoints and experiment records all go through
:func:`save_folder` and :func:`load_folder`, so each gets the same promises:

- A save killed at any point leaves the previous save loadable. The tensors go to a new file
  named by their SHA-256 (``<stem>-<digest>.safetensors``), the manifest (``<stem>.json``) is
  replaced atomically last, and only then are files no manifest names deleted. Renaming a new
  folder over an old one is not an option (it fails on Linux when the old one is not empty).
- The manifest's checksum covers every field of the manifest and every byte of the tensors, so
  a hand-edited, truncated or mixed-up folder fails to load with a ``ModelFileError``.
- Two processes saving to one folder take turns (an advisory lock on the folder), so neither
  deletes the other's tensors and a manifest never names another save's file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors
from torch import Tensor

from causalworld.atomic import write_atomic
from causalworld.errors import ModelFileError

try:  # advisory locks are POSIX; elsewhere concurrent saves to one folder are the caller's business
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["save_folder", "load_folder", "tensors_path", "checksum", "canonical_json"]

_TENSORS_NAME = re.compile(r"^[A-Za-z0-9_.]+-[0-9a-f]{16,64}\.safetensors$")


def canonical_json(doc: Mapping[str, Any]) -> bytes:
    """The bytes a checksum is taken over: sorted keys, no whitespace, no NaN.

    Examples
    --------
    >>> canonical_json({"b": 1, "a": [1.5, "x"]})
    b'{"a":[1.5,"x"],"b":1}'
    """
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def checksum(doc: Mapping[str, Any], tensor_bytes: bytes) -> str:
    """SHA-256 over every field of ``doc`` but ``"checksum"`` and then the tensors' bytes.

    Examples
    --------
    >>> checksum({"a": 1}, b"") == checksum({"a": 1, "checksum": "anything"}, b"")
    True
    >>> checksum({"a": 1}, b"") == checksum({"a": 2}, b"")
    False
    """
    body = {k: v for k, v in doc.items() if k != "checksum"}
    h = hashlib.sha256(canonical_json(body))
    h.update(b"\0")
    h.update(tensor_bytes)
    return h.hexdigest()


def _owned(tensors: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """CPU, contiguous tensors, none sharing memory with another (safetensors refuses that)."""
    out: dict[str, Tensor] = {}
    seen: set[int] = set()
    for key, t in tensors.items():
        if not isinstance(t, Tensor):
            raise TypeError(f"tensor {key!r} is a {type(t).__name__}, not a torch.Tensor")
        t = t.detach().cpu().contiguous()
        ptr = t.untyped_storage().data_ptr()
        if ptr in seen and t.numel() > 0:
            t = t.clone()  # a root's value and its noise can be one tensor
        seen.add(ptr)
        out[key] = t
    return out


@contextlib.contextmanager
def _lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on the folder itself (no lock file; released if killed)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def save_folder(
    folder: str | os.PathLike,
    *,
    manifest: str,
    doc: Mapping[str, Any],
    tensors: Mapping[str, Tensor],
    replaces: Sequence[str] = (),
) -> Path:
    """Save ``doc`` (plain JSON) and ``tensors`` to ``folder`` so that a killed save loses nothing.

    Parameters
    ----------
    folder : path
        Created if needed. Other manifests in it (other stems) are left alone.
    manifest : str
        The manifest's file name, ``"<stem>.json"``; the tensors go to ``<stem>-<sha256>.safetensors``.
    doc : mapping
        JSON-able fields; it should carry ``"format"`` and ``"format_version"`` for
        :func:`load_folder` to check. ``"tensors_file"`` and ``"checksum"`` are added.
    tensors : mapping of str to Tensor
        Moved to the CPU; tensors that share memory are copied apart.
    replaces : sequence of str, default=()
        File names an older layout of this kind wrote, deleted once the new manifest is in place.

    Returns
    -------
    Path
        The folder.

    Raises
    ------
    ModelFileError
        ``folder`` is a file.
    TypeError, ValueError
        ``doc`` is not plain JSON (callers turn this into their own typed error).

    Examples
    --------
    >>> import tempfile, torch
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = save_folder(d, manifest="thing.json", doc={"format": "demo", "format_version": 1},
    ...                     tensors={"w": torch.arange(3.0)})
    ...     doc, tensors = load_folder(d, manifest="thing.json", format="demo", max_version=1)
    >>> doc["format"], tensors["w"].tolist()
    ('demo', [0.0, 1.0, 2.0])
    """
    folder = Path(folder)
    stem = _stem(manifest)
    if folder.exists() and not folder.is_dir():
        raise ModelFileError(f"{folder} is a file, not a folder; give a folder path to save in")
    folder.mkdir(parents=True, exist_ok=True)

    blob = save_tensors(_owned(tensors)) if tensors else save_tensors({})
    digest = hashlib.sha256(blob).hexdigest()
    name = f"{stem}-{digest[:32]}.safetensors"
    body = {k: v for k, v in doc.items() if k not in ("tensors_file", "checksum")}
    body["tensors_file"] = name
    body["checksum"] = {"algorithm": "sha256", "value": checksum(body, blob)}
    text = json.dumps(body, indent=2, allow_nan=False).encode() + b"\n"

    with _lock(folder):
        write_atomic(folder / name, blob)
        write_atomic(folder / manifest, text)  # the save happens here
        _remove_unnamed(folder, stem, keep=name, replaces=replaces)
    return folder


def _stem(manifest: str) -> str:
    if not manifest.endswith(".json") or "/" in manifest or os.sep in manifest or manifest.startswith("."):
        raise ValueError(f"manifest must be a plain file name ending in .json, got {manifest!r}")
    return manifest[: -len(".json")]


def _remove_unnamed(folder: Path, stem: str, *, keep: str, replaces: Sequence[str]) -> None:
    """Delete this kind's tensors files the manifest does not name, and temporary files of killed saves."""
    doomed = [p for p in folder.glob(f"{stem}-*.safetensors") if p.name != keep]
    doomed += [p for p in folder.glob(f".{stem}*.tmp")]
    doomed += [folder / r for r in replaces if r != keep]
    for p in doomed:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def tensors_path(folder: str | os.PathLike, manifest: str) -> Path:
    """The tensors file the manifest in ``folder`` names (for inspection; loading checks it).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = save_folder(d, manifest="x.json", doc={"format": "demo", "format_version": 1}, tensors={})
    ...     tensors_path(d, "x.json").name.startswith("x-")
    True
    """
    doc = json.loads((Path(folder) / manifest).read_text())
    return Path(folder) / doc["tensors_file"]


def load_folder(
    folder: str | os.PathLike,
    *,
    manifest: str,
    format: str,
    max_version: int,
    what: str = "saved causalworld folder",
    fix: str = "save it again",
    legacy_tensors_file: str | None = None,
) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """Read and check a folder written by :func:`save_folder`; returns ``(doc, tensors)`` on the CPU.

    Parameters
    ----------
    folder : path
    manifest : str
        The manifest's file name, as given to :func:`save_folder`.
    format : str
        The ``"format"`` the manifest must carry.
    max_version : int
        The newest ``"format_version"`` the caller reads.
    what : str, default="saved causalworld folder"
        What the folder holds, for messages ("saved causalworld SCM").
    fix : str, default="save it again"
        What to do about a damaged folder, ending each message.
    legacy_tensors_file : str, optional
        The fixed tensors file name of a layout older than content addressing.

    Raises
    ------
    ModelFileError
        Not a folder; manifest or tensors missing, truncated, altered or foreign; a newer version.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     load_folder(d, manifest="x.json", format="demo", max_version=1, fix="save it with x.save(folder)")
    Traceback (most recent call last):
    ...
    causalworld.errors.ModelFileError: .../x.json is missing, so ... is not a complete saved causalworld folder; save it with x.save(folder)
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFileError(f"{folder} is missing or not a folder; give the folder that holds the {what}")
    for attempt in range(2):  # a concurrent save may delete the tensors between our two reads
        doc = _read_manifest(folder / manifest, format=format, max_version=max_version, what=what, fix=fix)
        name = doc.get("tensors_file", legacy_tensors_file)
        if not isinstance(name, str) or not (_TENSORS_NAME.match(name) or name == legacy_tensors_file):
            raise ModelFileError(f"{folder / manifest} names no valid tensors file ({name!r}); the file is damaged: {fix}")
        path = folder / name
        if path.is_file() or attempt == 1:
            break
    if not path.is_file():
        raise ModelFileError(f"{path} is missing, so {folder} is not a complete {what}; {fix}")
    blob = path.read_bytes()
    stated = doc.get("checksum")
    if not isinstance(stated, dict) or stated.get("algorithm") != "sha256" or stated.get("value") != checksum(doc, blob):
        raise ModelFileError(
            f"the checksum of {folder} does not match its contents: {manifest} or {name} was truncated "
            f"or modified after saving; {fix}"
        )
    try:
        tensors = load_tensors(blob)
    except (SafetensorError, ValueError, RuntimeError) as e:  # checksum matched: written damaged
        raise ModelFileError(f"{path} cannot be read as safetensors ({e}); {fix}") from None
    return doc, tensors


def _read_manifest(path: Path, *, format: str, max_version: int, what: str, fix: str) -> dict[str, Any]:
    if not path.is_file():
        raise ModelFileError(f"{path} is missing, so {path.parent} is not a complete {what}; {fix}")
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise ModelFileError(f"{path} is not valid JSON ({e}); it is truncated or damaged: {fix}") from None
    if not isinstance(doc, dict) or doc.get("format") != format:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise ModelFileError(
            f"{path} is not a {what} (format {found!r}, expected {format!r}); give the folder it was saved to"
        )
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path} has an invalid format_version {version!r}; the file is damaged: {fix}")
    if version > max_version:
        raise ModelFileError(
            f"{path} has format version {version}, newer than the {max_version} this causalworld reads "
            f"(it was written by causalworld {doc.get('library_version', '?')}); upgrade causalworld to load it"
        )
    return doc
