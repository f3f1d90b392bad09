"""Saving and loading an SCM as a folder: ``scm.json`` (structure, configs) + ``scm-<sha256>.safetensors``.

A learned or simulated model leaves the loop through here (to the server, to a
later run). Mechanism classes are resolved only through the registry of
:func:`causalworld.register_mechanism`; no code is read from the file and nothing is unpickled.
The folder is written by :func:`causalworld.store.save_folder`: a save killed part-way leaves the
previous one loadable, and a sha256 checksum over both files catches truncation and tampering;
typed errors name the fix.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import torch
from torch import Tensor

from causalworld.errors import (
    CausalWorldError,
    ConversionError,
    DTypeError,
    ModelFileError,
    NonFiniteError,
    OutOfRangeError,
    UnknownMechanismError,
)
from causalworld.store import load_folder, save_folder
from causalworld.scm.intervention import Intervention
from causalworld.scm.labels import is_default
from causalworld.scm.mechanisms import Mechanism, mechanism_class
from causalworld.scm.model import SCM

__all__ = ["save_scm", "load_scm", "FORMAT", "FORMAT_VERSION", "JSON_FILE"]

FORMAT = "causalworld.scm"
"""The ``format`` field of every saved SCM: a file without it is not ours."""
FORMAT_VERSION = 2
"""The newest file layout this code reads and the one it writes (1: a fixed tensors file name)."""
JSON_FILE = "scm.json"
LEGACY_TENSORS_FILE = "tensors.safetensors"  # format version 1

_DTYPES = {"float16": torch.float16, "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64}
_DO_PREFIX = "__do__/"  # tensor key prefix of per-row intervention values
_SUMMARY_DTYPES = ("float64", "float32", "int64", "int32", "bool", "str", "object", "string")


def _json_number(x: Any) -> Any:
    """A JSON-safe scalar: NaN becomes ``null`` (strict JSON has no NaN), numpy scalars plain."""
    if hasattr(x, "item"):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _summary_to_json(summary: pd.DataFrame) -> dict[str, Any]:
    columns = [str(c) for c in summary.columns]
    dtypes = {c: str(summary[c].dtype) for c in columns}
    records = [{c: _json_number(row[c]) for c in columns} for row in summary.to_dict("records")]
    return {"columns": columns, "dtypes": dtypes, "records": records}


def _summary_from_json(doc: dict[str, Any]) -> pd.DataFrame:
    columns = doc["columns"]
    df = pd.DataFrame(doc["records"], columns=columns)
    for c, dt in doc["dtypes"].items():
        if dt in _SUMMARY_DTYPES and dt not in ("object",):
            df[c] = df[c].astype("float64" if dt.startswith("float") else dt)
    return df


def save_scm(scm: SCM, folder: str | os.PathLike) -> Path:
    """Save ``scm`` to ``folder`` (created if needed; an existing save there is replaced).

    The folder holds ``scm.json`` (format name and version, library version, variables in
    order, edges, each mechanism as ``{"class": registered name, "config": get_config()}``,
    dtype, fitted ranges, the labels of discrete variables, hard interventions, ``fit_summary``
    records and a sha256 checksum) and
    ``scm-<sha256>.safetensors`` (each mechanism's ``state_dict`` under ``"<var>/<key>"``). The
    tensors are written first under a name of their own, then the JSON replaces the old one
    atomically, then the old tensors are deleted: a save killed at any point leaves the
    previous save loadable.

    A soft (callable) intervention is code and is refused with
    :class:`~causalworld.errors.ConversionError`: save the model before ``do`` and apply the
    callable again after loading.

    Examples
    --------
    >>> import tempfile
    >>> from causalworld import SCM, random_scm
    >>> scm = random_scm(4, mechanism="mlp", seed=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     _ = scm.save(folder)
    ...     print(sorted(p.suffix for p in Path(folder).iterdir()))
    ...     again = SCM.load(folder)
    ['.json', '.safetensors']
    >>> torch.equal(again.sample(5, seed=1)["x3"], scm.sample(5, seed=1)["x3"])
    True
    """
    from causalworld import __version__

    if not isinstance(scm, SCM):
        raise ConversionError(f"save_scm expects a causalworld SCM, got {type(scm).__name__}")
    for v in scm.variables:
        if not isinstance(v, str):
            raise ConversionError(f"variable {v!r} is a {type(v).__name__}; only string variable names can be saved")
    dtype_name = str(scm.dtype).removeprefix("torch.")
    tensors: dict[str, Tensor] = {}

    def put(key: str, t: Tensor) -> None:
        if key in tensors:
            raise ConversionError(
                f"two tensors of this SCM would be saved under the key {key!r}; rename the variable "
                "whose name contains '/' so that its keys do not clash"
            )
        # clone: safetensors refuses tensors that share memory, and views of larger storage
        tensors[key] = t.detach().to("cpu").contiguous().clone()

    mechanisms: dict[str, Any] = {}
    for v, m in scm.mechanisms.items():
        foreign = getattr(m, "unsaveable_because", None)
        if foreign:
            raise ConversionError(f"the mechanism of {v!r} cannot be saved: {foreign}")
        name = type(m).__name__
        if _registered(name) is not type(m):
            raise ConversionError(
                f"the mechanism of {v!r} is a {name}, which is not registered (or another class holds "
                "that name); decorate its class with @causalworld.register_mechanism so it can be loaded"
            )
        state = m.state_dict()
        for key, t in state.items():
            put(f"{v}/{key}", t)
        mechanisms[v] = {"class": name, "config": m.get_config(), "tensors": sorted(state)}

    interventions: dict[str, Any] = {}
    for v, iv in scm.interventions.items():
        if iv.kind == "value":
            interventions[v] = {"kind": "value", "value": iv.value}
        elif iv.kind == "tensor":
            put(_DO_PREFIX + v, iv.value)
            interventions[v] = {"kind": "tensor", "tensor": _DO_PREFIX + v}
        else:
            raise ConversionError(
                f"the intervention on {v!r} is a callable, which is code and cannot be saved; save the "
                "model before scm.do(...) and apply the callable again after loading"
            )

    doc: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "variables": list(scm.variables),
        "edges": [[u, v] for u, v in scm.graph.edges],
        "mechanisms": mechanisms,
        "dtype": dtype_name,
        "fitted_ranges": {v: [float(lo), float(hi)] for v, (lo, hi) in scm.fitted_ranges.items()},
        "labels": {v: list(ls) for v, ls in scm.labels.items() if not is_default(ls)},
        "interventions": interventions,
        "fit_summary": None if scm.fit_summary is None else _summary_to_json(scm.fit_summary),
    }
    try:
        return save_folder(folder, manifest=JSON_FILE, doc=doc, tensors=tensors, replaces=(LEGACY_TENSORS_FILE,))
    except ModelFileError:
        raise
    except (TypeError, ValueError) as e:
        raise ConversionError(
            f"the model's configuration is not plain JSON ({e}); make every mechanism's get_config() "
            "return only numbers, strings, lists and dicts"
        ) from None


def _registered(name: str) -> type[Mechanism] | None:
    try:
        return mechanism_class(name)
    except UnknownMechanismError:
        return None


def _field(doc: dict[str, Any], name: str, kind: type | tuple[type, ...], path: Path) -> Any:
    if name not in doc or not isinstance(doc[name], kind):
        raise ModelFileError(
            f"{path} lacks a valid {name!r} field; the file is damaged or was not written by "
            "causalworld: save the model again with scm.save(folder)"
        )
    return doc[name]


def load_scm(folder: str | os.PathLike, *, device: str | torch.device | None = None) -> SCM:
    """Load an SCM saved by :func:`save_scm` (``SCM.load(folder)``), optionally onto ``device``.

    Mechanism classes are looked up by their registered name only
    (:class:`~causalworld.errors.UnknownMechanismError` when one is not registered: import or
    register it first). A missing, truncated, tampered or foreign file, or one written by a newer
    causalworld, raises :class:`~causalworld.errors.ModelFileError` naming the problem. The
    checksum guards against accidents and casual edits, not against someone who recomputes it;
    what keeps loading safe is that only registered classes are built and no code is read.

    Examples
    --------
    >>> import tempfile
    >>> from causalworld import SCM
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     SCM.load(folder)  # an empty folder
    Traceback (most recent call last):
    ...
    causalworld.errors.ModelFileError: .../scm.json is missing, so ... is not a complete saved causalworld SCM; ...
    """
    if not isinstance(folder, (str, os.PathLike)) or isinstance(folder, str) and not folder:
        raise DTypeError(f"folder must be a path (str or os.PathLike) to a saved model, got {type(folder).__name__} {folder!r}")
    doc, tensors = load_folder(
        folder, manifest=JSON_FILE, format=FORMAT, max_version=FORMAT_VERSION, what="saved causalworld SCM",
        fix="save the model again with scm.save(folder)", legacy_tensors_file=LEGACY_TENSORS_FILE,
    )
    json_path = Path(folder) / JSON_FILE
    try:
        return _build(doc, tensors, json_path, device)
    except CausalWorldError:
        raise
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as e:
        # Only reachable when the checksum was recomputed over a hand-edited file.
        raise ModelFileError(
            f"{json_path} is malformed ({type(e).__name__}: {e}); save the model again with scm.save(folder)"
        ) from None


def _build(doc: dict[str, Any], tensors: dict[str, Tensor], path: Path, device: str | torch.device | None) -> SCM:
    variables = _field(doc, "variables", list, path)
    edges = _field(doc, "edges", list, path)
    specs = _field(doc, "mechanisms", dict, path)
    dtype_name = _field(doc, "dtype", str, path)
    if dtype_name not in _DTYPES:
        raise ModelFileError(f"{path} names dtype {dtype_name!r}; expected one of {sorted(_DTYPES)}")
    dtype = _DTYPES[dtype_name]
    if dtype not in (torch.float32, torch.float64):
        raise ModelFileError(
            f"{path} names dtype {dtype_name}, which no causalworld model computes in (float32 or float64); "
            "it was not written by SCM.save: convert the model with scm.to(dtype=torch.float32) and save it again"
        )
    graph = nx.DiGraph()
    graph.add_nodes_from(variables)  # in the saved topological order, which SCM then keeps
    try:
        graph.add_edges_from((u, v) for u, v in edges)
    except (TypeError, ValueError):
        raise ModelFileError(f"{path} has malformed edges; save the model again") from None

    used: set[str] = set()
    mechanisms: dict[str, Mechanism] = {}
    for v in variables:
        spec = specs.get(v)
        if not isinstance(spec, dict) or not isinstance(spec.get("class"), str):
            raise ModelFileError(f"{path} has no mechanism record for {v!r}; save the model again")
        cls = mechanism_class(spec["class"])  # the registry only: UnknownMechanismError if absent
        try:
            # Building may initialise weights from the global RNG; they are overwritten below, and
            # a load should not move the user's random stream.
            with torch.random.fork_rng(devices=[]):
                m = cls.from_config(spec.get("config", {})).to(dtype=dtype)
        except UnknownMechanismError:
            raise
        except Exception as e:  # noqa: BLE001 - a config this class cannot take, whatever it raises
            raise ModelFileError(
                f"the config saved for {v!r} does not build a {spec['class']} ({type(e).__name__}: {e}); "
                "the file was written by another version of that class: re-save it with the current one"
            ) from None
        keys = spec.get("tensors", [])
        state = {}
        for key in keys:
            full = f"{v}/{key}"
            if full not in tensors:
                raise ModelFileError(f"the tensors file lacks the tensor {full!r} of {v!r}; save the model again")
            state[key] = tensors[full]
            used.add(full)
        try:
            m.load_state_dict(state, strict=True)
        except RuntimeError as e:
            raise ModelFileError(
                f"the tensors saved for {v!r} do not fit a {spec['class']} built from its config ({e}); "
                "save the model again with the current class"
            ) from None
        mechanisms[v] = m.requires_grad_(False)

    ranges = {}
    for v, rng in (doc.get("fitted_ranges") or {}).items():
        if not (isinstance(rng, list) and len(rng) == 2):
            raise ModelFileError(f"{path} has a malformed fitted range for {v!r}; save the model again")
        ranges[v] = (float(rng[0]), float(rng[1]))
    labels = doc.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(ls, list) for ls in labels.values()):
        raise ModelFileError(f"{path} has malformed labels; save the model again")
    try:
        scm = SCM(graph, mechanisms, dtype=dtype, device=device, fitted_ranges=ranges, labels=labels)
    except (NonFiniteError, OutOfRangeError) as e:
        # Only a hand-edited file (checksum recomputed) holds such values: SCM.save never writes them.
        raise ModelFileError(f"{path} holds parameters no model can have: {e}; save the model again") from None
    if list(scm.variables) != list(variables):
        raise ModelFileError(f"{path} lists the variables in an order its edges do not allow; save the model again")

    for v, rec in (doc.get("interventions") or {}).items():
        kind = rec.get("kind") if isinstance(rec, dict) else None
        if kind == "value":
            spec_value: Any = rec.get("value")
        elif kind == "tensor" and rec.get("tensor") in tensors:
            spec_value = tensors[rec["tensor"]]
            used.add(rec["tensor"])
        else:
            raise ModelFileError(f"{path} has a malformed intervention on {v!r}; save the model again")
        iv = Intervention.parse(v, spec_value.to(scm.device) if isinstance(spec_value, Tensor) else spec_value,
                                cardinality=scm.cardinality(v), dtype=scm.dtype, device=scm.device)
        # Set directly rather than through scm.do: the ExtrapolationWarning was given when the
        # intervention was made, and loading it again is not a new extrapolation.
        scm._interventions[v] = iv
    extra = sorted(set(tensors) - used)
    if extra:
        raise ModelFileError(f"the tensors file holds tensors no record names ({extra[:5]}); save the model again")
    if doc.get("fit_summary") is not None:
        try:
            scm.fit_summary = _summary_from_json(doc["fit_summary"])
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{path} has a malformed fit_summary ({e}); save the model again") from None
    return scm
