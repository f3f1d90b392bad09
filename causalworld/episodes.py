"""``Episodes``: a batch of videos with what was done and, where known, the true values behind them.

This is what crosses from the worlds (or a user's own recordings) to the encoder and the learners
in ``docs/architecture.md``: frames ``uint8 [n, T, C, H, W]``, the true values (``[n]`` per variable, ``[n, T]``
for time-varying ones), the intervention targets (a boolean ``[n, d]`` mask over ``names``) and
the exogenous noise a world needs to replay them counterfactually. It imports only torch,
safetensors, pandas, numpy and the errors, and saves to a folder of safetensors + JSON.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from causalworld.errors import (
    ArgumentError,
    CausalWorldError,
    DeviceError,
    DTypeError,
    IndexOutOfRangeError,
    ModelFileError,
    NonFiniteError,
    ShapeError,
    UnknownVariableError,
)
from causalworld.store import load_folder, save_folder

__all__ = ["Episodes"]

FORMAT = "causalworld.episodes"
FORMAT_VERSION = 2
_META = "episodes.json"
_LEGACY_TENSORS = "episodes.safetensors"  # format version 1


def _check_do_values(dv: Any, n: int, names: Sequence[str], device: torch.device) -> Tensor:
    """``do_values`` as float32 ``[n, d]`` on ``device``: NaN where nothing was set, finite elsewhere."""
    if not isinstance(dv, Tensor):
        raise DTypeError(f"do_values must be a tensor [n, d], got {type(dv).__name__}")
    if not (dv.dtype.is_floating_point or dv.dtype in (torch.int64, torch.int32, torch.bool)):
        raise DTypeError(f"do_values must hold numbers (NaN where nothing was set), got {dv.dtype}")
    if tuple(dv.shape) != (n, len(names)):
        raise ShapeError(f"do_values has shape {tuple(dv.shape)}; expected ({n}, {len(names)}) for names {list(names)}")
    if dv.device != device:
        raise DeviceError(f"do_values is on {dv.device} but the frames are on {device}")
    dv = dv.to(torch.float32) if dv.dtype != torch.float64 else dv.to(torch.float32)
    if bool(torch.isinf(dv).any()):
        raise NonFiniteError("do_values holds an infinite value; NaN means 'nothing set', every set value must be finite")
    return dv


def _as_tensor(x: Any, what: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if isinstance(x, pd.DataFrame):
        x = x.to_numpy()
    arr = np.asarray(x)
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise DTypeError(f"{what} holds {arr.dtype} values; give a numeric array")
    return torch.from_numpy(np.ascontiguousarray(arr).copy() if not arr.flags.writeable else np.ascontiguousarray(arr))


class Episodes:
    """Frames of ``n`` episodes with their true values, intervention targets and noise.

    Parameters
    ----------
    frames
        ``uint8 [n, T, C, H, W]``.
    values
        ``{name: Tensor[n]}`` or ``[n, T]`` for a variable with one value per frame (may be empty
        for footage whose values are unknown).
    targets
        Boolean ``[n, d]``: ``targets[i, j]`` is True when episode ``i`` set ``names[j]`` by
        intervention. ``None`` means nothing was intervened on.
    noise
        ``{key: Tensor[n, ...]}``: the exogenous noise a world replays in a counterfactual rollout.
    names
        The variables, in the order of the ``targets`` columns (default: the keys of ``values``).
    meta
        JSON-able facts about where the episodes came from (the world id, the frame size...).

    Examples
    --------
    >>> frames = torch.zeros(4, 2, 3, 8, 8, dtype=torch.uint8)
    >>> eps = Episodes(frames, {"a": torch.arange(4.0), "b": torch.ones(4, 2)})
    >>> len(eps), eps.names, eps.targets.shape
    (4, ('a', 'b'), torch.Size([4, 2]))
    >>> len(eps[1:3]), list(eps.to_frame().columns)
    (2, ['a', 'b[0]', 'b[1]'])
    """

    def __init__(
        self,
        frames: Tensor,
        values: Mapping[str, Tensor] | None = None,
        *,
        targets: Tensor | None = None,
        noise: Mapping[str, Tensor] | None = None,
        names: Sequence[str] | None = None,
        meta: Mapping[str, Any] | None = None,
        do_values: Tensor | None = None,
    ) -> None:
        if not isinstance(frames, Tensor):
            raise DTypeError(f"frames must be a torch.Tensor, got {type(frames).__name__}; use Episodes.from_arrays for arrays")
        if frames.dtype != torch.uint8:
            raise DTypeError(f"frames must be uint8, got {frames.dtype}")
        if frames.dim() != 5:
            raise ShapeError(f"frames must be [n, T, C, H, W], got shape {tuple(frames.shape)}")
        n = frames.shape[0]
        values = dict(values or {})
        names = tuple(values) if names is None else tuple(str(v) for v in names)
        if len(set(names)) != len(names):
            raise ArgumentError(f"names repeat a variable: {list(names)}")
        for v, t in values.items():
            if v not in names:
                raise UnknownVariableError.of(v, names, where="these episodes' names")
            if not isinstance(t, Tensor):
                raise DTypeError(f"values[{v!r}] must be a tensor, got {type(t).__name__}")
            if t.dim() not in (1, 2) or t.shape[0] != n or (t.dim() == 2 and t.shape[1] != frames.shape[1]):
                raise ShapeError(
                    f"values[{v!r}] has shape {tuple(t.shape)}; expected [{n}] or [{n}, {frames.shape[1]}] (one per frame)"
                )
            if t.device != frames.device:
                raise DeviceError(f"values[{v!r}] is on {t.device} but the frames are on {frames.device}")
        if do_values is not None:
            do_values = _check_do_values(do_values, n, names, frames.device)
            if targets is None:
                targets = ~torch.isnan(do_values)
        if targets is None:
            targets = torch.zeros((n, len(names)), dtype=torch.bool, device=frames.device)
        if not isinstance(targets, Tensor) or targets.dtype != torch.bool:
            raise DTypeError("targets must be a boolean tensor [n, d]")
        if tuple(targets.shape) != (n, len(names)):
            raise ShapeError(f"targets has shape {tuple(targets.shape)}; expected ({n}, {len(names)}) for names {list(names)}")
        noise = dict(noise or {})
        for k, t in noise.items():
            if not isinstance(t, Tensor) or t.dim() < 1 or t.shape[0] != n:
                raise ShapeError(f"noise[{k!r}] must be a tensor with {n} rows")
        self.frames = frames
        self.values: dict[str, Tensor] = values
        self.targets = targets
        self.noise: dict[str, Tensor] = noise
        if do_values is not None and bool((~torch.isnan(do_values) & ~targets).any()):
            i, j = (int(k) for k in torch.nonzero(~torch.isnan(do_values) & ~targets)[0])
            raise ArgumentError(
                f"do_values[{i}, {j}] holds a value but targets say episode {i} did not set {names[j]!r}; "
                "put NaN where nothing was set, or mark the target"
            )
        self.names: tuple[str, ...] = names
        self.meta: dict[str, Any] = dict(meta or {})
        self.do_values: Tensor | None = do_values

    # ------------------------------------------------------------------ shape
    def __len__(self) -> int:
        return self.frames.shape[0]

    @property
    def device(self) -> torch.device:
        """The device the frames (and every other tensor) are on.

        Examples
        --------
        >>> Episodes(torch.zeros(1, 1, 1, 8, 8, dtype=torch.uint8), {"x": torch.zeros(1)}).device
        device(type='cpu')
        """
        return self.frames.device

    @property
    def time_varying(self) -> tuple[str, ...]:
        """The variables with one value per frame.

        Examples
        --------
        >>> frames = torch.zeros(4, 2, 3, 8, 8, dtype=torch.uint8)
        >>> eps = Episodes(frames, {"a": torch.arange(4.0), "b": torch.ones(4, 2)})  # b: one value per frame
        >>> eps.time_varying
        ('b',)
        """
        return tuple(v for v in self.names if v in self.values and self.values[v].dim() == 2)

    def __repr__(self) -> str:
        n, T, C, H, W = self.frames.shape
        return f"<Episodes n={n}, T={T}, {C}x{H}x{W}, {len(self.names)} variables, {int(self.targets.any(1).sum())} intervened>"

    def target_sets(self) -> list[set[str]]:
        """The intervened variables of each episode, as sets of names.

        Examples
        --------
        >>> eps = Episodes(torch.zeros(2, 1, 1, 8, 8, dtype=torch.uint8), {"a": torch.zeros(2), "b": torch.zeros(2)},
        ...                targets=torch.tensor([[True, False], [False, False]]))
        >>> eps.target_sets()
        [{'a'}, set()]
        """
        rows = self.targets.cpu().numpy()
        return [{self.names[j] for j in np.nonzero(r)[0]} for r in rows]

    # ------------------------------------------------------------------ selection
    def __getitem__(self, index: int | slice | Tensor | Sequence[int] | np.ndarray) -> "Episodes":
        """Select episodes; an int gives a batch of one (the batch axis is always kept)."""
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            n = len(self)
            i = int(index)
            if not -n <= i < n:
                raise IndexOutOfRangeError(f"episode {i} is out of range for {n} episodes")
            index = slice(i % n, i % n + 1)
        elif isinstance(index, slice):
            pass
        else:
            usage = "index episodes with an int, a slice, a 1-D integer tensor or a boolean mask"
            if isinstance(index, Tensor):
                idx = index
            else:
                arr = np.asarray(index)
                if arr.dtype.kind not in "biu":  # names, floats, objects: say so before torch fails raw
                    raise DTypeError(f"{usage}; got {type(index).__name__} {index!r:.60}")
                idx = torch.as_tensor(arr)
            if idx.dtype == torch.bool:
                if idx.shape != (len(self),):
                    raise ShapeError(f"a boolean mask must have shape ({len(self)},), got {tuple(idx.shape)}")
            elif idx.dtype.is_floating_point or idx.dtype.is_complex or idx.dim() != 1:
                raise DTypeError(usage)
            elif idx.numel() and not (-len(self) <= int(idx.min()) and int(idx.max()) < len(self)):
                bad = int(idx.max()) if int(idx.max()) >= len(self) else int(idx.min())
                raise IndexOutOfRangeError(f"episode {bad} is out of range for {len(self)} episodes")
            index = idx.to(self.device)
        return Episodes(
            self.frames[index],
            {v: t[index] for v, t in self.values.items()},
            targets=self.targets[index],
            noise={k: t[index] for k, t in self.noise.items()},
            names=self.names,
            meta=self.meta,
            do_values=None if self.do_values is None else self.do_values[index],
        )

    @classmethod
    def concat(cls, parts: Iterable["Episodes"]) -> "Episodes":
        """Episodes one after another; all parts must share names, value keys, noise keys and frame size.

        Examples
        --------
        >>> frames = torch.zeros(2, 1, 1, 8, 8, dtype=torch.uint8)
        >>> a = Episodes(frames, {"x": torch.zeros(2)})
        >>> len(Episodes.concat([a, a, a[0]]))
        5
        """
        parts = list(parts)
        if not parts:
            raise ArgumentError("concat needs at least one Episodes")
        first = parts[0]
        for i, p in enumerate(parts):
            if not isinstance(p, Episodes):
                raise DTypeError(f"part {i} is a {type(p).__name__}, not Episodes")
            if p.names != first.names or set(p.values) != set(first.values) or set(p.noise) != set(first.noise):
                raise ArgumentError(f"part {i} has other variables or noise than part 0; concatenate episodes of one world")
            if p.frames.shape[1:] != first.frames.shape[1:]:
                raise ShapeError(f"part {i} has frames {tuple(p.frames.shape[1:])}, part 0 {tuple(first.frames.shape[1:])}")
            if p.device != first.device:
                raise DeviceError(f"part {i} is on {p.device}, part 0 on {first.device}")
        meta = first.meta if all(p.meta == first.meta for p in parts) else {}
        return cls(
            torch.cat([p.frames for p in parts]),
            {v: torch.cat([p.values[v] for p in parts]) for v in first.values},
            targets=torch.cat([p.targets for p in parts]),
            noise={k: torch.cat([p.noise[k] for p in parts]) for k in first.noise},
            names=first.names,
            meta=meta,
            do_values=None if all(p.do_values is None for p in parts) else torch.cat([p.set_values() for p in parts]),
        )

    def to(self, device: str | torch.device) -> "Episodes":
        """A copy on another device.

        Raises
        ------
        DeviceError
            ``device`` is not a device of this machine (an unknown name, ``"meta"``, CUDA without CUDA).

        Examples
        --------
        >>> eps = Episodes(torch.zeros(1, 1, 1, 8, 8, dtype=torch.uint8), {"x": torch.zeros(1)})
        >>> eps.to("cpu").device
        device(type='cpu')
        >>> eps.to("meta")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        causalworld.errors.DeviceError: episodes cannot go to 'meta' here; ...
        """
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError) as e:
            raise DeviceError(f"{device!r} is not a torch device ({e}); use 'cpu' or 'cuda'") from None
        if device.type not in ("cpu", "cuda") or (device.type == "cuda" and not torch.cuda.is_available()):
            raise DeviceError(f"episodes cannot go to {str(device)!r} here; use 'cpu'"
                              + (" or 'cuda'" if torch.cuda.is_available() else " (CUDA is not available)"))
        return Episodes(self.frames.to(device), {v: t.to(device) for v, t in self.values.items()},
                        targets=self.targets.to(device), noise={k: t.to(device) for k, t in self.noise.items()},
                        names=self.names, meta=self.meta,
                        do_values=None if self.do_values is None else self.do_values.to(device))

    def set_values(self) -> Tensor:
        """What each episode set each variable to: float ``[n, d]`` over ``names``, NaN where it set nothing.

        This is what an agent knows of its own interventions, and all the encoder may learn its
        names from. Given ``do_values``, those; otherwise the true values of the targeted variables
        (the first frame's for a time-varying one), NaN where a targeted value is unknown.

        Examples
        --------
        >>> eps = Episodes(torch.zeros(2, 1, 1, 8, 8, dtype=torch.uint8), {"x": torch.tensor([1.0, 2.0])},
        ...                targets=torch.tensor([[True], [False]]))
        >>> eps.set_values()
        tensor([[1.],
                [nan]])
        """
        if self.do_values is not None:
            return self.do_values
        out = torch.full(tuple(self.targets.shape), float("nan"), dtype=torch.float32, device=self.device)
        for j, v in enumerate(self.names):
            if v in self.values:
                col = self.values[v]
                col = col[:, 0] if col.dim() == 2 else col
                out[:, j] = torch.where(self.targets[:, j], col.to(torch.float32), out[:, j])
        return out

    # ------------------------------------------------------------------ tables
    def to_frame(self, *, targets: bool = False) -> pd.DataFrame:
        """One row per episode: a column per static variable, ``x[0] .. x[T-1]`` for time-varying ones.

        With ``targets=True``, boolean columns ``do(x)`` say which variables each episode set.

        Examples
        --------
        >>> eps = Episodes(torch.zeros(2, 1, 1, 8, 8, dtype=torch.uint8), {"x": torch.tensor([1.0, 2.0])},
        ...                targets=torch.tensor([[True], [False]]))
        >>> eps.to_frame(targets=True)
             x  do(x)
        0  1.0   True
        1  2.0  False
        """
        cols: dict[str, Any] = {}
        for v in self.names:
            if v not in self.values:
                continue
            arr = self.values[v].detach().cpu().numpy()
            if arr.ndim == 2:
                for t in range(arr.shape[1]):
                    cols[f"{v}[{t}]"] = arr[:, t]
            else:
                cols[v] = arr
        if targets:
            mask = self.targets.cpu().numpy()
            for j, v in enumerate(self.names):
                cols[f"do({v})"] = mask[:, j]
        return pd.DataFrame(cols, index=pd.RangeIndex(len(self)))

    # ------------------------------------------------------------------ files
    def save(self, folder: str | os.PathLike) -> Path:
        """Save to ``folder`` (created if needed): ``episodes.json`` + ``episodes-<sha256>.safetensors``.

        Written by :func:`causalworld.store.save_folder`: the tensors go to a new file, the JSON
        (every field, and a checksum over it and the tensors) replaces the old one atomically, and
        only then is the old tensors file deleted, so a save killed at any point leaves the
        previous save loadable, and an altered or mixed-up folder fails to load.

        Raises
        ------
        DTypeError
            ``meta`` is not plain JSON.

        Examples
        --------
        >>> import tempfile
        >>> eps = Episodes(torch.zeros(2, 1, 1, 8, 8, dtype=torch.uint8), {"x": torch.tensor([1.0, 2.0])})
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = eps.save(d)
        ...     back = Episodes.load(d)
        >>> bool(torch.equal(back.values["x"], eps.values["x"]))
        True
        """
        tensors: dict[str, Tensor] = {"frames": self.frames, "targets": self.targets}
        for v, t in self.values.items():
            tensors[f"values/{v}"] = t
        for k, t in self.noise.items():
            tensors[f"noise/{k}"] = t
        if self.do_values is not None:
            tensors["do_values"] = self.do_values
        doc = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "names": list(self.names),
            "values": list(self.values),
            "noise": list(self.noise),
            "n": len(self),
            "frame_shape": list(self.frames.shape[1:]),
            "meta": self.meta,
        }
        try:
            return save_folder(folder, manifest=_META, doc=doc, tensors=tensors, replaces=(_LEGACY_TENSORS,))
        except ModelFileError:
            raise
        except (TypeError, ValueError) as e:
            raise DTypeError(f"Episodes.meta must be plain JSON (numbers, strings, lists, dicts) to save: {e}") from None

    @classmethod
    def load(cls, folder: str | os.PathLike, *, device: str | torch.device | None = None) -> "Episodes":
        """Load episodes saved by :meth:`save`.

        Raises
        ------
        ModelFileError
            The folder is missing, truncated, altered, foreign or inconsistent.

        Examples
        --------
        >>> import tempfile
        >>> eps = Episodes(torch.zeros(2, 1, 1, 8, 8, dtype=torch.uint8), {"x": torch.tensor([1.0, 2.0])})
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = eps.save(d)
        ...     back = Episodes.load(d)
        >>> len(back), back.names, back.values["x"].tolist()
        (2, ('x',), [1.0, 2.0])
        >>> Episodes.load("/nowhere")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        causalworld.errors.ModelFileError: ...
        """
        fix = "record the episodes and save them again with eps.save(folder)"
        legacy = Path(folder) / _META
        if legacy.is_file():
            try:
                old = json.loads(legacy.read_text())
            except (ValueError, UnicodeDecodeError):
                old = None
            if isinstance(old, dict) and old.get("format") == FORMAT and "format_version" not in old and "version" in old:
                raise ModelFileError(
                    f"{folder} holds Episodes in format version {old['version']}, whose JSON its checksum did "
                    f"not cover; this causalworld reads version {FORMAT_VERSION}: {fix}"
                )
        doc, tensors = load_folder(folder, manifest=_META, format=FORMAT, max_version=FORMAT_VERSION,
                                   what="saved causalworld Episodes", fix=fix)
        try:
            names = [str(v) for v in doc["names"]]
            values = {v: tensors.pop(f"values/{v}") for v in doc["values"]}
            noise = {k: tensors.pop(f"noise/{k}") for k in doc["noise"]}
            frames, targets = tensors.pop("frames"), tensors.pop("targets")
            do_values = tensors.pop("do_values", None)
            if tensors:
                raise ValueError(f"tensors no field names: {sorted(tensors)[:5]}")
            if len(frames) != doc["n"] or list(frames.shape[1:]) != doc["frame_shape"]:
                raise ValueError(f"frames {tuple(frames.shape)} against n={doc['n']}, frame_shape={doc['frame_shape']}")
            eps = cls(frames, values, targets=targets, noise=noise, names=names, meta=doc.get("meta", {}),
                      do_values=do_values)
        except (CausalWorldError, KeyError, TypeError, ValueError) as e:
            raise ModelFileError(f"{folder} holds inconsistent Episodes ({type(e).__name__}: {e}); {fix}") from None
        return eps.to(device) if device is not None else eps

    # ------------------------------------------------------------------ outside footage
    @classmethod
    def from_arrays(
        cls,
        frames: Any,
        *,
        targets: Any = None,
        values: Any = None,
        names: Sequence[str] | None = None,
        do_values: Any = None,
    ) -> "Episodes":
        """Episodes from a user's own recordings, checked for shapes and dtypes.

        Parameters
        ----------
        frames
            ``uint8 [n, T, C, H, W]`` (numpy or torch). Floats in ``[0, 1]`` are refused with the
            conversion to use; channel-last ``[n, T, H, W, C]`` is refused with the permutation.
        targets
            ``None`` (nothing intervened), a boolean ``[n, d]`` mask over ``names``, or a list of
            ``n`` sets (or lists) of intervened names.
        values
            ``None``, ``{name: [n] or [n, T]}``, or an ``[n, d]`` array whose columns are ``names``.
        names
            The variable names (needed for an array of values or a mask of targets without values).
        do_values
            ``None``, or what each episode set each variable to: an ``[n, d]`` array over
            ``names`` (or a DataFrame with those columns), NaN where nothing was set. Recordings
            that carry only this (no true values) are what the video encoder learns names from.
            Without ``targets``, the targets are where ``do_values`` is not NaN.

        Examples
        --------
        >>> import numpy as np
        >>> video = np.zeros((3, 4, 3, 16, 16), dtype=np.uint8)
        >>> eps = Episodes.from_arrays(video, values=np.ones((3, 2)), names=["a", "b"], targets=[{"a"}, set(), {"b"}])
        >>> eps.targets.tolist()
        [[True, False], [False, False], [False, True]]
        >>> Episodes.from_arrays(video.astype(np.float32))
        Traceback (most recent call last):
        ...
        causalworld.errors.DTypeError: frames must be uint8 [n, T, C, H, W], got float32; ...
        """
        f = _as_tensor(frames, "frames")
        if f.dtype != torch.uint8:
            raise DTypeError(
                f"frames must be uint8 [n, T, C, H, W], got {str(f.dtype).replace('torch.', '')}; convert "
                "floats in [0, 1] with (x * 255).round().clip(0, 255).astype(np.uint8)"
            )
        if f.dim() != 5:
            hint = " (one video per episode: add a time axis with frames[:, None] for single images)" if f.dim() == 4 else ""
            raise ShapeError(f"frames must be [n, T, C, H, W], got shape {tuple(f.shape)}{hint}")
        if f.shape[2] not in (1, 3, 4) and f.shape[-1] in (1, 3, 4):
            raise ShapeError(
                f"frames of shape {tuple(f.shape)} look channel-last; pass frames.permute(0, 1, 4, 2, 3) "
                "(torch) or frames.transpose(0, 1, 4, 2, 3) (numpy) for [n, T, C, H, W]"
            )
        n, T = f.shape[0], f.shape[1]
        if n == 0:
            raise ShapeError("frames hold no episodes")
        vals: dict[str, Tensor] = {}
        if values is not None:
            if isinstance(values, Mapping):
                for v, col in values.items():
                    vals[str(v)] = _as_tensor(col, f"values[{v!r}]")
                if names is None:
                    names = list(vals)
            else:
                arr = _as_tensor(values, "values")
                if arr.dim() != 2 or arr.shape[0] != n:
                    raise ShapeError(f"values as an array must be [n={n}, d], got shape {tuple(arr.shape)}")
                if names is None or len(names) != arr.shape[1]:
                    raise ArgumentError(f"values is an [{n}, {arr.shape[1]}] array; give names with one name per column")
                vals = {str(v): arr[:, j] for j, v in enumerate(names)}
            for v, t in vals.items():
                if t.dtype == torch.bool:
                    t = t.long()
                if not (t.dtype.is_floating_point or t.dtype in (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)):
                    raise DTypeError(f"values[{v!r}] has dtype {t.dtype}; give numbers")
                if t.dtype.is_floating_point:
                    if not bool(torch.isfinite(t).all()):
                        raise NonFiniteError(f"values[{v!r}] has NaN or infinite values; drop or impute those episodes")
                    t = t.float() if t.dtype != torch.float64 else t
                else:
                    t = t.long()
                if t.dim() not in (1, 2) or t.shape[0] != n or (t.dim() == 2 and t.shape[1] != T):
                    raise ShapeError(f"values[{v!r}] has shape {tuple(t.shape)}; expected [{n}] or [{n}, {T}]")
                vals[v] = t
        names = tuple(str(v) for v in names) if names is not None else tuple(vals)
        mask: Tensor | None = None
        if targets is not None:
            if not names:
                raise ArgumentError("targets need names: give names (or values) so the mask has columns")
            if isinstance(targets, (pd.DataFrame, Mapping)):  # columns by name, as the learners read them
                cols = targets if isinstance(targets, pd.DataFrame) else {str(k): v for k, v in targets.items()}
                unknown = [c for c in cols if c not in names]
                if unknown:
                    raise UnknownVariableError.of(str(unknown[0]), names, where="these episodes' names")
                targets = np.stack([np.asarray(cols[v]) if v in cols else np.zeros(n, dtype=bool) for v in names], axis=1)
            if isinstance(targets, (Tensor, np.ndarray)):
                mask = _as_tensor(targets, "targets")
                if mask.dtype != torch.bool:
                    if mask.dtype.is_floating_point or not bool(((mask == 0) | (mask == 1)).all()):
                        raise DTypeError("targets as an array must be boolean (or 0/1) [n, d]")
                    mask = mask.bool()
                if tuple(mask.shape) != (n, len(names)):
                    raise ShapeError(f"targets has shape {tuple(mask.shape)}; expected ({n}, {len(names)}) for names {list(names)}")
            else:
                rows = list(targets)
                if len(rows) != n:
                    raise ShapeError(f"targets lists {len(rows)} episodes but frames hold {n}")
                index = {v: j for j, v in enumerate(names)}
                mask = torch.zeros((n, len(names)), dtype=torch.bool)
                for i, row in enumerate(rows):
                    if isinstance(row, str):
                        row = [row]
                    for v in row or ():
                        if v not in index:
                            raise UnknownVariableError.of(v, names, where="these episodes' names")
                        mask[i, index[v]] = True
        dv: Tensor | None = None
        if do_values is not None:
            if isinstance(do_values, pd.DataFrame):
                if names is None or not names:
                    names = tuple(str(c) for c in do_values.columns)
                missing = [v for v in names if v not in do_values.columns]
                if missing:
                    raise ShapeError(f"do_values has no column for {missing}; give one column per name {list(names)}")
                do_values = do_values[list(names)].to_numpy(dtype=np.float64)
            dv = _as_tensor(do_values, "do_values")
            if not names:
                raise ArgumentError("do_values is an array; give names with one name per column")
            dv = _check_do_values(dv, n, names, torch.device("cpu"))
            mask = ~torch.isnan(dv) if mask is None else mask
        return cls(f.contiguous(), vals, targets=mask, names=names, meta={"source": "from_arrays"}, do_values=dv)


