"""``VideoEncoder``: frames to latent variables, learned by prediction in representation space and
named after the variables an agent set.

It sits between the worlds and the learners: ``fit`` on a World (it draws its own episodes and
interventions) or on recorded ``Episodes``; ``latents(episodes)`` hands the learners one row per
episode, one column per latent, named by the variable it stands for where the interventions
identify one and ``z0, z1, ...`` otherwise, in the world's units where values were set.
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from causalworld.encoders.backbone import VIEWS, BackboneConfig, ConvEncoder, Predictor
from causalworld.encoders.batches import EpisodeBatches, WorldBatches, standardised, step_generator
from causalworld.encoders.identify import explain_unseen, explained_by, reasons_table, set_apart
from causalworld.encoders.regions import coefficient_maps, effect_regions, moving_regions
from causalworld.encoders.train import (CHECKPOINT, Nets, TrainSettings, distributed, frames_to_float, load_checkpoint,
                                       train)
from causalworld.episodes import Episodes
from causalworld.errors import (
    ArgumentError,
    DTypeError,
    ModelFileError,
    NotFittedError,
    OutOfRangeError,
    ShapeError,
)
from causalworld.scm.devices import as_device
from causalworld.scm.seeding import check_seed
from causalworld.store import load_folder, save_folder

__all__ = ["VideoEncoder"]

_FORMAT = "causalworld.video-encoder"
_VERSION = 2  # 2: the effect heads read their own latent alone
_MANIFEST = "encoder.json"
_REGION_BATCHES = 8  # batches whose first frames map where each variable set but not drawn acts
_VALIDATION = 1024  # held-out episodes drawn from a World to check each named latent
_REDUNDANT = 0.9  # held-out R² from the named latents above which an unnamed latent is only a copy of them


def _join_process_group(dev: torch.device) -> torch.device:
    """Under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment), join its process group (gloo on
    the CPU, NCCL on CUDA, each rank on its own GPU) unless the caller already did; the device to train on."""
    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or not dist.is_available():
        return dev
    if dev.type == "cuda":
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return dev


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < low:
        raise OutOfRangeError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _check_fraction(name: str, value: Any, low: float, high: float, *, open_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise OutOfRangeError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    v = float(value)
    if not (low < v if open_low else low <= v) or v > high:
        raise OutOfRangeError(f"{name} must be in {'(' if open_low else '['}{low}, {high}], got {value!r}")
    return v


class VideoEncoder:
    """A video encoder trained by prediction in representation space (JEPA), its latents named
    after the variables an agent set.

    Training (no pixel is reconstructed): a context encoder, an EMA target encoder and a
    predictor that maps context latents plus the intervention applied (mask and set values) to
    the target encoder's latents of another view: a masked copy of a frame, a later frame of the
    same episode, and, with ``counterfactual=True`` (a simulator's privilege), the same episode
    replayed under another intervention. A variance-covariance guard keeps the latents from
    collapsing. Alignment: the first latents are each tied to one identified variable by
    regressing them on the values that variable was set to, in the episodes that set it; the
    values of variables that were not set are never used. Named latents come back in the
    world's units; the rest are unnamed factors ``z0, z1, ...`` the learners still use.

    Parameters
    ----------
    latent_dim : int, default=16
        Latents per frame; at least the number of variables the data identify.
    image_size : int, optional
        Side the frames are resized to (a multiple of 8, >= 16); default: the source's (32 on the CPU
        is the sweet spot: about 3,000 training frames/s on 2 cores against 700 at 64).
    steps : int, default=2000
        Optimiser steps.
    batch_size : int, default=64
        Episodes per step (per process under ``torchrun``: K processes train on K * batch_size).
    lr : float, default=1e-3
        Adam's learning rate.
    ema : float, default=0.99
        Momentum of the target encoder.
    guard : float, default=1.0
        Weight of the variance-covariance collapse guard (0 turns it off).
    align : float, default=5.0
        Weight of the alignment to set values (on 2 objects of ``sprites``, 5 reached in 300 steps
        the held-out R² that 1 reached in 400).
    mask_ratio : float, default=0.5
        Fraction of a 4x4 grid of cells blanked in the masked view.
    p_set : float, default=1.0
        From a World: the probability that each episode sets each intervenable variable (each
        to its own uniform draw, so the variables are still set apart). 1.0 gives every named
        latent a value to align with in every episode and never lets the world's correlations
        into training: on ``sprites`` (3 objects, 1,400 steps) held-out ``diag`` 0.87 against
        0.76 at 0.5. Lower it to keep some of the world's own behaviour in the videos.
    narrow : float, default=0.5
        From a World: the fraction of episodes whose continuous set values are drawn near the
        middle of their ranges (an interval 0.2 to 1 times the range wide, the same fraction for
        every variable of the episode). The world's own episodes crowd its variables near their
        typical values (on ``sprites``, objects overlapping near the middle of the screen); these
        episodes train the encoder to read such scenes. On 3-object ``sprites`` (4,135 steps) the
        counterfactual error over observational episodes fell from 0.28 to 0.24 std at 0.5.
    counterfactual : bool, default=False
        From a World: also predict the same episodes replayed under another intervention.
    effects : bool, default=True
        From a World: give each variable that is set apart but not drawn, and acts on the frames
        through one drawn variable that does not change over the video (``lights``' dimmers,
        through the lamps), an unnamed latent of its own, trained with a small head to tell the
        value set from that latent alone. That latent then carries the drawn effect, which no
        named latent stands for; see ``effects_`` and ``regions``. They need
        ``latent_dim`` >= named + such variables; with less room, none is given, and
        ``identifiability_`` says so.
    regions : bool, default=True
        Latents that read one region of the frame alone, each through a small conv net of its
        own over the frame with everything outside its mask blanked; the masks are found before
        training from the first batches (:mod:`causalworld.encoders.regions`):

        - with ``effects``, each such latent reads only the pixels that setting its variable
          changes (every pixel of the first frames regressed on the values set), so it shows the
          drawn variable as drawn. On ``lights`` each lamp's latent reads the lamp with held-out
          R² 0.99-1.00, its other cause (the ambient light's dimming) included, and the learners
          find the ambient → lamp edges. Without regions the latent is a column of the
          whole-frame encoder, and the head's objective makes it the lamp as switch and dimmer set
          it, the dimming divided out (R² 0.78-0.80 from the lamp as drawn);
        - from a World with one depicted variable that nobody sets and that moves over the video
          (``lights``' sensor), a latent reads the pixels that change within episodes apart
          from the named moving variables' own (``moving_``).
    min_episodes : int, default=20
        Episodes a variable must be set (apart) in to be named.
    min_r2 : float, default=0.5
        Held-out R² from single frames a named latent must reach on its set values.
    width : int, default=32
        Channels of the first convolution.
    checkpoint_every : int, default=200
        Steps between checkpoints when ``fit`` is given a folder.
    device : str, default="cpu"
    precision : {"auto", "fp32", "bf16"}, default="auto"
        The arithmetic of training: ``"bf16"`` runs the networks' forward passes under bfloat16
        autocast (the weights, the optimiser and every loss stay float32); ``"auto"`` is
        ``"bf16"`` on a GPU with bf16 arithmetic of its own (compute capability 8 and up) and
        ``"fp32"`` otherwise, and on a GPU it resumes a checkpoint in the arithmetic the
        checkpoint was written in. The CPU is refused ``"bf16"``:
        it runs it about a hundred times slower than float32. :meth:`encode` reads in float32
        either way, so the calibrated latents do not carry bf16's rounding. ``precision_`` says
        what a fit used.
    compile : bool, default=False
        Train through ``torch.compile`` (the same modules and weights underneath; the steps agree
        with eager ones to float rounding). On the 2-core CPU (``benchmarks/encoder_arithmetic.py``),
        after about 30 s of compiling, a step of 64 one-frame ``sprites`` episodes took 31.7 ms
        against 45.7 eager; on eight-frame ``lights`` 32.6 against 32.2, as the later-frame view's
        row count changes every step and the compiled graphs are dynamic. Not measured on a GPU yet.
    shards : int, default=2
        On the CPU: each step's frames go through the encoders in this many shards, one worker
        thread each, with every torch operation on one intra-op thread, and the shards' gradients
        are summed in shard order. The weights then depend on ``shards`` and not on the thread
        count: runs at 1 and 2 threads, and a run resumed at another thread count, end bitwise
        equal (``min(shards, torch.get_num_threads())`` threads run the shards). On the 2-core CPU
        two shards train as fast as the whole batch on two intra-op threads on ``lights`` and
        3-object ``sprites``, 10-40 % slower on one-object ``sprites``. ``0``: the whole batch at
        once, on torch's intra-op threads (the weights then depend on the thread count; a
        checkpoint written before shards existed continues this way). Not read on a GPU, under
        ``torchrun`` or with ``compile=True``, where the whole batch goes through at once and the
        thread count is part of the run.
    seed : int, optional
        Every batch, mask and initial weight (``None``: 0).
    progress : bool, default=True
        A tqdm bar.

    Attributes
    ----------
    variables_ : list of str
        The identified variables, one per named latent (the first ``len(variables_)`` columns).
    columns_ : list of str
        Names of all ``latent_dim`` columns: ``variables_`` then ``z0, z1, ...``.
    assignment_ : dict of str to str or None
        ``{column: variable it stands for, or None}``.
    reader_ : str
        ``"target"`` or ``"context"``: the encoder that reads in :meth:`encode` and :meth:`latents`
        (the one whose named latents recover the set values better on held-out episodes).
    redundant_ : dict of str to float
        Unnamed columns that are only a copy of what the named ones say: their held-out R² from
        the named latents (a small MLP on validation episodes,
        :func:`~causalworld.encoders.identify.explained_by`) is at least 0.9. :meth:`latents`
        leaves them out, so a learner does not take a blurred copy of a variable for a variable
        of its own.
    effects_ : dict of str to str
        ``{unnamed column: the variable set but not drawn that it was trained to tell}`` (see
        ``effects``): the column stands for the drawn variable it acts through (``lights``'
        ``lamp_red``, through ``dimmer_red``; with ``regions=False``, for the part of it
        that the variable sets), and ``identifiability_`` says so for both.
    moving_ : dict of str to str
        ``{unnamed column: the depicted variable nobody sets that it reads}`` (see ``regions``;
        ``lights``' sensor): not calibrated to the variable's units.
    identifiability_ : dict of str to str
        For every variable the source knows of: "identified: named latent", or why not, in words.
    time_varying_ : list of str
        Columns with one value per frame in :meth:`latents` (the rest are pooled over frames).
    discrete_ : dict of str to list of int
        Named discrete variables and their codes (their latents are rounded to a code).
    history_ : pandas.DataFrame
        One row per step: the losses and the latents' mean standard deviation.
    calibration_r2_ : dict of str to float
        Held-out R² of each named latent against its set values (checked on validation episodes).
    precision_ : str
        ``"bf16"`` or ``"fp32"``: the arithmetic the fit trained in (see ``precision``).

    Examples
    --------
    >>> import causalworld as cw
    >>> world = cw.make("sprites", image_size=32, n_objects=1, seed=0)
    >>> enc = VideoEncoder(6, steps=5, batch_size=8, progress=False, seed=0).fit(world)
    >>> enc.encode(world.rollout(2, seed=1).frames).shape
    torch.Size([2, 1, 6])
    >>> enc.identifiability_["hue0"]  # five steps are too few to name it
    'depicted, but its latent recovers the values set with held-out R² ... train longer (steps) or on more episodes'
    >>> enc.columns_  # the named latents (none yet), then the unnamed ones
    ['z0', 'z1', 'z2', 'z3', 'z4', 'z5']
    """

    def __init__(self, latent_dim: int = 16, *, image_size: int | None = None, steps: int = 2000, batch_size: int = 64,
                 lr: float = 1e-3, ema: float = 0.99, guard: float = 1.0, align: float = 5.0, mask_ratio: float = 0.5,
                 p_set: float = 1.0, narrow: float = 0.5, counterfactual: bool = False, effects: bool = True,
                 regions: bool = True,
                 min_episodes: int = 20, min_r2: float = 0.5,
                 width: int = 32, checkpoint_every: int = 200, device: str | torch.device = "cpu",
                 precision: str = "auto", compile: bool = False, shards: int = 2, seed: int | None = None,
                 progress: bool = True) -> None:
        self.latent_dim = latent_dim
        self.image_size = image_size
        self.steps = steps
        self.batch_size = batch_size
        self.lr = lr
        self.ema = ema
        self.guard = guard
        self.align = align
        self.mask_ratio = mask_ratio
        self.p_set = p_set
        self.narrow = narrow
        self.counterfactual = counterfactual
        self.effects = effects
        self.regions = regions
        self.min_episodes = min_episodes
        self.min_r2 = min_r2
        self.width = width
        self.checkpoint_every = checkpoint_every
        self.device = device
        self.precision = precision
        self.compile = compile
        self.shards = shards
        self.seed = seed
        self.progress = progress

    # ------------------------------------------------------------------ settings
    def _check_settings(self) -> None:
        _check_int("latent_dim", self.latent_dim, 1)
        if self.image_size is not None:
            size = _check_int("image_size", self.image_size, 16)
            if size % 8:
                raise OutOfRangeError(f"image_size must be a multiple of 8, got {size}")
        _check_int("steps", self.steps, 1)
        _check_int("batch_size", self.batch_size, 2)
        _check_fraction("lr", self.lr, 0.0, 10.0, open_low=True)
        _check_fraction("ema", self.ema, 0.0, 1.0)
        _check_fraction("guard", self.guard, 0.0, 1e6)
        _check_fraction("align", self.align, 0.0, 1e6)
        _check_fraction("mask_ratio", self.mask_ratio, 0.0, 0.95)
        _check_fraction("p_set", self.p_set, 0.0, 1.0)
        _check_fraction("narrow", self.narrow, 0.0, 1.0)
        _check_fraction("min_r2", self.min_r2, -1e9, 1.0)
        _check_int("min_episodes", self.min_episodes, 1)
        _check_int("width", self.width, 1)
        _check_int("checkpoint_every", self.checkpoint_every, 1)
        _check_int("shards", self.shards, 0)
        if not all(isinstance(x, bool) for x in (self.counterfactual, self.effects, self.regions, self.progress,
                                                 self.compile)):
            raise DTypeError("counterfactual, effects, regions, compile and progress must be True or False")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise OutOfRangeError(f"precision must be 'auto', 'fp32' or 'bf16', got {self.precision!r}")
        check_seed(self.seed)
        dev = as_device(self.device)
        if self.precision == "bf16" and dev.type != "cuda":
            raise ArgumentError(
                f"precision='bf16' autocasts training to bfloat16, which the CPU runs about a hundred times slower than "
                f"float32 (device={str(dev)!r}); use precision='fp32' or 'auto' on the CPU, or device='cuda'"
            )

    def _bf16(self, dev: torch.device) -> bool:
        """Whether training autocasts to bfloat16: ``precision='bf16'``, or ``'auto'`` on a GPU with
        bf16 arithmetic of its own (compute capability 8 and up: Ampere, Hopper; older ones only
        emulate it, slowly)."""
        if self.precision == "auto":
            return dev.type == "cuda" and torch.cuda.get_device_capability(dev)[0] >= 8
        return self.precision == "bf16"

    def _settings(self, image_size: int, effects: int = 0, bf16: bool = False, regions: bool = False) -> TrainSettings:
        return TrainSettings(steps=int(self.steps), lr=float(self.lr), ema=float(self.ema), guard=float(self.guard),
                             align=float(self.align), mask_ratio=float(self.mask_ratio), image_size=image_size,
                             seed=int(self.seed or 0), checkpoint_every=int(self.checkpoint_every),
                             progress=bool(self.progress), p_set=float(self.p_set), narrow=float(self.narrow),
                             counterfactual=bool(self.counterfactual), effects=int(effects), bf16=bool(bf16),
                             compiled=bool(self.compile), shards=int(self.shards), regions=bool(regions))

    # ------------------------------------------------------------------ fit
    def fit(self, source: Any, *, checkpoint: str | os.PathLike | None = None) -> "VideoEncoder":
        """Train on a World (fresh episodes at every step) or on recorded ``Episodes``.

        Parameters
        ----------
        source : World or Episodes
            A World: the encoder sets each intervenable variable with probability ``p_set`` in
            every episode and draws new episodes at every step. Episodes: their frames and what
            they set (``targets`` and :meth:`Episodes.set_values`); a tenth of them (at least
            50 episodes) is held out to check the named latents.
        checkpoint : path, optional
            A folder: a checkpoint is written there atomically every ``checkpoint_every`` steps,
            and a ``fit`` called again with the same folder (after a kill) continues from it,
            ending with bitwise the same weights as an uninterrupted run (at any thread count on
            the CPU; see ``shards``).

        Returns
        -------
        VideoEncoder
            ``self``, fitted.

        Raises
        ------
        DTypeError
            ``source`` is neither a World nor Episodes.
        ArgumentError
            More identified variables than ``latent_dim``; a checkpoint of other settings.
        OutOfRangeError, DeviceError
            A setting out of range.

        Examples
        --------
        One step on tiny networks (far too few to name a variable; see the class example):

        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> enc = VideoEncoder(6, steps=1, batch_size=4, width=8, progress=False, seed=0)
        >>> enc.fit(world) is enc, len(enc.history_), enc.variables_
        (True, 1, [])
        """
        from causalworld.envs.world import World

        self._check_settings()
        dev = as_device(self.device)
        seed = int(self.seed or 0)
        dev = _join_process_group(dev)
        if isinstance(source, World):
            prep = self._from_world(source, seed)
        elif isinstance(source, Episodes):
            prep = self._from_episodes(source, seed)
        else:
            raise DTypeError(f"fit takes a World or Episodes, got {type(source).__name__}; "
                             "wrap your own frames with Episodes.from_arrays")
        actions, batches, reasons, meta = prep["actions"], prep["batches"], prep["reasons"], prep["meta"]
        named = [v for v in actions if reasons.get(v) is None]
        if len(named) > int(self.latent_dim):
            raise ArgumentError(
                f"the data identify {len(named)} variables ({', '.join(named)}) but latent_dim is {self.latent_dim}; "
                f"give latent_dim >= {len(named)} (a few more for factors nobody set)"
            )
        effects = dict(prep.get("effects", {})) if self.effects else {}
        if len(named) + len(effects) > int(self.latent_dim):  # no room: said in identifiability_, not raised
            for v in effects:
                reasons[v] = (f"{reasons[v]}; no latent of its own carries it: latent_dim {self.latent_dim} leaves "
                              f"{int(self.latent_dim) - len(named)} after the {len(named)} named, and "
                              f"{len(effects)} variables are set but not drawn; give latent_dim >= {len(named) + len(effects)}")
            effects = {}
        size = int(self.image_size or meta["frame_shape"][-1])
        if size % 8 or size < 16:
            raise OutOfRangeError(f"the frames are {size} pixels wide; give image_size, a multiple of 8 (such as 32)")
        masks, moving = self._regions(prep, named, effects, size, reasons) if self.regions else (None, {})
        regions = masks is not None
        cfg = BackboneConfig(channels=int(meta["frame_shape"][1]), image_size=size, latent_dim=int(self.latent_dim),
                             actions=len(actions), width=int(self.width), effects=len(effects), regions=regions,
                             moving=len(moving), effect_at=len(named) if regions else 0)
        torch.manual_seed(seed)  # the initial weights
        encoder = ConvEncoder(cfg)
        encoder.set_pixel_stats(frames_to_float(batches(0).frames[:, 0], size, torch.device("cpu")))
        if regions:
            encoder.set_regions(masks)
        nets = Nets.build(encoder.to(dev), Predictor(cfg).to(dev), float(self.lr))
        settings = self._settings(size, len(effects), bf16=self._bf16(dev), regions=regions)
        start, history = 0, []
        folder = None if checkpoint is None else Path(checkpoint)
        if folder is not None and (folder / CHECKPOINT).is_file():

            def same_settings(saved: dict[str, Any]) -> None:
                nonlocal settings
                # a checkpoint from before these were recorded: its draws were uniform over whole
                # ranges, it had no effect latents, it trained in float32 and eagerly, and its p_set
                # and counterfactual are unknown (taken as given)
                saved = {"p_set": settings.p_set, "counterfactual": settings.counterfactual, "narrow": 0.0, "effects": 0,
                         "bf16": False, "compiled": False, "shards": 0, "regions": False,
                         **saved}
                if self.precision == "auto" and dev.type == "cuda":  # on a GPU, "auto" continues in the run's own arithmetic
                    settings = replace(settings, bf16=bool(saved["bf16"]))
                mine = vars(settings) | {"steps": saved.get("steps"), "progress": saved.get("progress")}
                if saved != mine:
                    names = {"bf16": "precision", "compiled": "compile"}  # their names in __init__
                    changed = sorted(names.get(k, k) for k in mine if saved.get(k) != mine[k])
                    raise ArgumentError(
                        f"{folder} holds a checkpoint of a run with other settings ({', '.join(changed)}); "
                        "resume with the same settings, or give another folder"
                    )

            start, history, _ = load_checkpoint(folder, nets, check=same_settings)
        pairs = [(i, actions.index(v)) for i, v in enumerate(named)]
        effect_pairs = [(len(named) + e, actions.index(v)) for e, v in enumerate(effects)]
        own = list(range(cfg.effect_at, cfg.effect_at + cfg.region_latents))
        history = train(nets, batches, pairs, settings, device=dev, checkpoint=folder, start=start, history=history,
                        effects=effect_pairs, own_pixels=own)

        self.config_ = cfg
        self.nets_ = nets
        self.precision_ = "bf16" if settings.bf16 else "fp32"
        self.actions_ = list(actions)
        self.calibration_ = {"mean": batches.mean.tolist(), "std": batches.std.tolist()}
        self.history_ = pd.DataFrame(history)
        self.source_ = meta
        self._finish(named, reasons, prep, effects, moving)
        return self

    def _regions(self, prep: dict[str, Any], named: list[str], effects: dict[str, str], size: int,
                 reasons: dict[str, str | None]) -> tuple[Tensor | None, dict[str, Tensor]]:
        """The masks of the region latents (``None`` without any) and ``{moving variable: mask}``:
        for each variable set but not drawn, where setting it changes the first frame; for the one
        depicted variable nobody sets that moves, the pixels that move apart from the named
        moving variables' own. Both from the first batches' frames and what they set."""
        batches, actions = prep["batches"], prep["actions"]
        candidates = list(prep.get("moving", []))
        room = int(self.latent_dim) - len(named) - len(effects)
        if len(candidates) > room:
            for v in candidates:
                reasons[v] = (f"{reasons[v]}; no latent of its own reads it: latent_dim {self.latent_dim} leaves {room} "
                              f"after the named and effect latents; give latent_dim >= {len(named) + len(effects) + len(candidates)}")
            candidates = []
        if not effects and not candidates:
            return None, {}
        probe = [batches(s) for s in range(_REGION_BATCHES)]
        cpu = torch.device("cpu")
        first = torch.cat([frames_to_float(b.frames[:, 0], size, cpu) for b in probe])
        sets = torch.cat([b.mask for b in probe]), torch.cat([b.values for b in probe]).cpu()
        masks = [effect_regions(first, *sets, [actions.index(v) for v in effects])] if effects else []
        moving: dict[str, Tensor] = {}
        if len(candidates) == 1:
            own = [v for v in named if v in prep["meta"]["time_varying"]]
            maps = coefficient_maps(first, *sets)
            frames = torch.cat([frames_to_float(b.frames.flatten(0, 1), size, cpu).reshape(*b.frames.shape[:2], -1, size, size)
                                for b in probe])
            blobs = moving_regions(frames, [maps[actions.index(v)] for v in own])
            if blobs:
                moving[candidates[0]] = blobs[0]
        for v in candidates:
            if v not in moving:
                reasons[v] = (f"{reasons[v]}; "
                              + ("no pixels move in the video apart from the named variables'" if len(candidates) == 1 else
                                 f"{len(candidates)} depicted variables nobody sets move over the video, and the pixels "
                                 "that move do not say which is which"))
        if moving:
            masks.append(torch.stack(list(moving.values())))
        return (torch.cat(masks) if masks else None), moving

    def _from_world(self, world: Any, seed: int) -> dict[str, Any]:
        actions = tuple(world.intervenable)
        batches = WorldBatches(world, actions, batch_size=int(self.batch_size) * distributed()[1], seed=seed, p_set=float(self.p_set),
                               counterfactual=bool(self.counterfactual), narrow=float(self.narrow))
        _, probe = batches.draw_do(step_generator(seed, 0, stream=3), 1024)
        reasons = set_apart(probe, actions, min_episodes=int(self.min_episodes))
        effects: dict[str, str] = {}  # set apart, not drawn -> the one drawn static variable it acts through
        for v in actions:  # the renderer says what it draws: a variable it does not draw is seen through others
            if reasons[v] is None and v not in world.depicted:
                reasons[v] = explain_unseen(v, world.graph, world.depicted, world.time_varying)
                shown = [w for w in world.graph.successors(v) if w in world.depicted]
                if len(shown) == 1 and shown[0] not in world.time_varying and shown[0] not in world.intervenable:
                    effects[v] = shown[0]
        for v in world.variables:
            if v not in actions:
                reasons[v] = ("depicted but never set (not intervenable), and no variable set apart acts on the frames "
                              "through it alone, so no latent is tied to it: an unnamed latent may carry it, but training "
                              "asks none to (measure it with causalworld.metrics.latent_r2 where its values are known)"
                              if v in world.depicted else "neither set nor depicted")
        validation = world.rollout(_VALIDATION, do=batches.draw_do(step_generator(seed, 0, stream=4), _VALIDATION)[0],
                                   seed=int(torch.randint(0, 2**62, (1,), generator=step_generator(seed, 0, stream=5))))
        meta = {"world": world.id, "frame_shape": list(world.frame_shape), "time_varying": list(world.time_varying),
                "discrete": {v: [r.start, r.stop - 1] for v, r in world.intervenable.items() if isinstance(r, range)}}
        return {"actions": actions, "batches": batches, "reasons": reasons, "meta": meta, "validation": validation,
                "graph": world.graph, "depicted": tuple(world.depicted), "effects": effects,
                "moving": [v for v in world.depicted if v not in actions and v in world.time_varying]}

    def _from_episodes(self, eps: Episodes, seed: int) -> dict[str, Any]:
        n = len(eps)
        sv = eps.set_values().cpu()
        actions = tuple(v for j, v in enumerate(eps.names) if bool((~torch.isnan(sv[:, j])).any()))
        reasons = set_apart(sv[:, [eps.names.index(v) for v in actions]], actions, min_episodes=int(self.min_episodes))
        for v in eps.names:
            reasons.setdefault(v, "never set by an intervention, so no latent can be tied to it")
        hold = max(50, n // 10) if n >= 200 else 0  # too few episodes: check on the training episodes
        perm = torch.randperm(n, generator=step_generator(seed, 0, stream=6))
        rows, held = (perm[hold:], perm[:hold]) if hold else (perm, perm)
        batches = EpisodeBatches(eps, actions, rows, batch_size=min(int(self.batch_size) * distributed()[1], len(rows)), seed=seed)
        tv = list(eps.meta.get("time_varying", [v for v, t in eps.values.items() if t.dim() == 2]))
        discrete = {}
        for j, v in enumerate(actions):
            col = batches.set_values[:, j]
            col = col[~torch.isnan(col)]
            if len(col) and bool((col == col.round()).all()) and len(torch.unique(col)) <= 10:
                discrete[v] = [int(col.min()), int(col.max())]
        meta = {"world": eps.meta.get("world"), "frame_shape": list(eps.frames.shape[1:]), "time_varying": tv,
                "discrete": discrete}
        return {"actions": actions, "batches": batches, "reasons": reasons, "meta": meta,
                "validation": eps[held.to(eps.device)], "graph": None, "depicted": ()}

    def _finish(self, named: list[str], reasons: dict[str, str | None], prep: dict[str, Any],
                effects: dict[str, str] | None = None, moving: dict[str, Tensor] | None = None) -> None:
        """Check each named latent on held-out episodes; name the columns; say what is identified."""
        val: Episodes = prep["validation"]
        sv = val.set_values()[:, [val.names.index(v) for v in self.actions_]].cpu()
        mask, target = standardised(sv, torch.tensor(self.calibration_["mean"]), torch.tensor(self.calibration_["std"]))

        def held_out_r2(z0: Tensor) -> dict[str, float]:
            out = {}
            for i, v in enumerate(named):
                j = self.actions_.index(v)
                rows = mask[:, j]
                if int(rows.sum()) < 3:
                    out[v] = float("nan")
                    continue
                t, z = target[rows, j], z0[rows, i].cpu()
                out[v] = float(1.0 - ((z - t) ** 2).sum() / ((t - t.mean()) ** 2).sum().clamp_min(1e-12))
            return out

        # which of the two encoders reads: the EMA target once it has averaged enough steps (it is
        # the more accurate after long training, and lags the context encoder after short training)
        scores = {}
        for reader in ("target", "context"):
            self.reader_ = reader
            z0 = self.encode(val.frames[:, :1])[:, 0]  # (n, d): frame 0 shows what was set
            r2 = held_out_r2(z0)
            finite = [x for x in r2.values() if math.isfinite(x)]
            scores[reader] = (float(np.mean(finite)) if finite else float("-inf"), z0, r2)
        self.reader_ = "target" if scores["target"][0] > scores["context"][0] else "context"
        _, z0, self.calibration_r2_ = scores[self.reader_]
        kept: list[str] = []
        for v in named:
            r2 = self.calibration_r2_[v]
            if r2 >= float(self.min_r2):
                kept.append(v)
            elif v in prep["depicted"]:
                reasons[v] = (f"depicted, but its latent recovers the values set with held-out R² {r2:.2f} < min_r2 "
                              f"{float(self.min_r2):g} from single frames: train longer (steps) or on more episodes")
            else:
                reasons[v] = explain_unseen(v, prep["graph"], prep["depicted"], self.source_["time_varying"], r2)
        # a latent whose variable was dropped stays where it is, unnamed
        self._named_index = {v: named.index(v) for v in kept}
        self.variables_ = kept
        cols: list[str] = [""] * int(self.latent_dim)
        for v, i in self._named_index.items():
            cols[i] = v
        free = iter(range(int(self.latent_dim)))
        for i in range(len(cols)):
            if not cols[i]:
                cols[i] = f"z{next(free)}"
        self.columns_ = cols
        self.assignment_ = {c: (c if c in kept else None) for c in cols}
        self.effects_ = self._effect_columns(named, effects or {}, z0, mask, target, reasons)
        self.moving_ = {}
        for u, v in enumerate(moving or {}):
            col = cols[len(named) + len(effects or {}) + u]
            self.moving_[col] = v
            reasons[v] = (f"depicted but never set (not intervenable): unnamed latent {col} reads it from the pixels that "
                          "move over the video apart from the named variables' own; it is not calibrated to its units")
        # latents that read a region of their own are not copies of the named ones
        free = [i for i, c in enumerate(cols) if c not in kept and c not in self.moving_
                and not (self.config_.regions and c in self.effects_)]
        r2_free = explained_by(z0[:, [self._named_index[v] for v in kept]], z0[:, free], seed=int(self.seed or 0))
        self.redundant_ = {cols[i]: round(float(r), 4) for i, r in zip(free, r2_free.tolist()) if r >= _REDUNDANT}
        self.identifiability_ = reasons_table(reasons, kept)
        self.discrete_ = {v: list(range(lo, hi + 1)) for v, (lo, hi) in self.source_["discrete"].items() if v in kept}
        self.time_varying_ = self._time_varying_columns(val)

    def _effect_columns(self, named: list[str], effects: dict[str, str], z0: Tensor, mask: Tensor, target: Tensor,
                        reasons: dict[str, str | None]) -> dict[str, str]:
        """``{column: variable set but not drawn}`` for the latents the effect heads read; says in
        ``reasons`` how well each head tells the values set on the validation episodes."""
        if not effects:
            return {}
        heads = self.nets_.predictor.effects
        k, E = len(named), len(effects)
        with torch.no_grad():
            zc = z0.to(heads.w1.device)
            guess = heads(heads.inputs(zc[:, k:k + E])).cpu()
        out = {}
        for e, (v, shown) in enumerate(effects.items()):
            col = self.columns_[k + e]
            j = self.actions_.index(v)
            rows = mask[:, j]
            t, g = target[rows, j], guess[rows, e]
            r2 = float(1.0 - ((g - t) ** 2).sum() / ((t - t.mean()) ** 2).sum().clamp_min(1e-12)) if int(rows.sum()) >= 3 else math.nan
            out[col] = v
            reasons[v] = (f"{reasons[v]}; latent {col} carries it there (told from {col} alone, its set values "
                          f"reach held-out R² {r2:.2f})")
            if self.config_.regions:
                reasons[shown] = (f"depicted but never set (not intervenable): unnamed latent {col} stands for it, read "
                                  f"from the pixels that setting {v!r} changes alone and told through the values set for "
                                  f"{v!r}")
            else:
                reasons[shown] = (f"depicted but never set (not intervenable): unnamed latent {col} stands for the part of it "
                                  f"that {v!r} sets, told through the values set for {v!r}; what its other causes add can be "
                                  f"taken out of {col}, so their edges into {shown!r} need not show in a graph learned on it")
        return out

    def _time_varying_columns(self, val: Episodes) -> list[str]:
        known = set(self.source_["time_varying"])
        T = val.frames.shape[1]
        if T == 1:
            return []
        z = self.encode(val.frames[:128])  # (n, T, d)
        within = z.var(1).mean(0)
        total = z.reshape(-1, z.shape[-1]).var(0).clamp_min(1e-12)
        out = []
        for i, c in enumerate(self.columns_):
            if c in self._named_index:
                if c in known:
                    out.append(c)
            elif float(within[i] / total[i]) > 0.1:  # an unnamed factor that moves within an episode
                out.append(c)
        return out

    # ------------------------------------------------------------------ use
    def _check_fitted(self) -> None:
        if not hasattr(self, "nets_"):
            raise NotFittedError("this VideoEncoder is not fitted yet; call fit(world or episodes) first")

    def _check_frames(self, frames: Any) -> Tensor:
        if isinstance(frames, Episodes):
            frames = frames.frames
        if isinstance(frames, np.ndarray):
            frames = torch.from_numpy(frames)
        if not isinstance(frames, Tensor):
            raise DTypeError(f"frames must be a uint8 tensor [B, T, C, H, W], got {type(frames).__name__}")
        if frames.dtype != torch.uint8:
            raise DTypeError(f"frames must be uint8 [B, T, C, H, W], got {frames.dtype}; "
                             "convert floats in [0, 1] with (x * 255).round().clamp(0, 255).to(torch.uint8)")
        if frames.dim() != 5:
            raise ShapeError(f"frames must be [B, T, C, H, W], got shape {tuple(frames.shape)}")
        if frames.shape[2] != self.config_.channels:
            raise ShapeError(f"frames have {frames.shape[2]} channels; this encoder was trained on {self.config_.channels}")
        return frames

    @torch.no_grad()
    def encode(self, frames: Any, *, batch: int = 1024, target: bool | None = None) -> Tensor:
        """Latents of every frame: ``uint8 [B, T, C, H, W]`` to ``float [B, T, latent_dim]`` (on the CPU).

        Named columns are standardised (``latents`` puts them in the world's units). ``target``:
        ``True`` reads with the EMA target encoder, ``False`` with the context encoder (whose
        latents the predictor reads), ``None`` with ``reader_``, the one of the two that recovered
        the set values better on held-out episodes after training. After long training that is
        the target encoder, which averages the context encoder's recent weights (on one-object
        ``sprites`` after 2,200 steps, the mean absolute error of ``x0`` on observational episodes
        is 0.036 of its std against 0.069); after a short one, the context encoder, which the
        average still lags.

        Raises
        ------
        NotFittedError, DTypeError, ShapeError

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> enc = VideoEncoder(6, steps=1, batch_size=4, width=8, progress=False, seed=0).fit(world)
        >>> frames = world.rollout(3, seed=1).frames
        >>> enc.encode(frames).shape, enc.encode(frames, target=False).shape
        (torch.Size([3, 2, 6]), torch.Size([3, 2, 6]))
        """
        self._check_fitted()
        frames = self._check_frames(frames)
        B, T = frames.shape[:2]
        flat = frames.reshape(B * T, *frames.shape[2:])
        if target is None:
            target = getattr(self, "reader_", "context") == "target"
        net = self.nets_.target if target else self.nets_.encoder
        dev = next(net.parameters()).device
        net.eval()
        out = torch.cat([net(frames_to_float(flat[i:i + batch], self.config_.image_size, dev)).cpu()
                         for i in range(0, B * T, batch)]) if B * T else torch.zeros(0, self.config_.latent_dim)
        net.train()
        return out.reshape(B, T, -1)

    def latents(self, episodes: Any) -> pd.DataFrame | dict[str, Tensor]:
        """The bridge to the learners: one row per episode, one column per latent.

        Named columns are in the world's units (discrete ones as integer codes); unnamed ones are
        ``z0, z1, ...``, less those in ``redundant_`` (copies of the named). Static columns are
        pooled over the frames (a DataFrame when every column is static); time-varying ones are
        ``[n, T]`` in a ``{name: Tensor}`` dict, as the learners read them with ``lags=1``.

        Raises
        ------
        NotFittedError, DTypeError, ShapeError

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> enc = VideoEncoder(6, steps=1, batch_size=4, width=8, progress=False, seed=0).fit(world)
        >>> z = enc.latents(world.rollout(3, seed=1))  # lights has time-varying variables: a dict
        >>> kept = [c for c in enc.columns_ if c not in enc.redundant_]
        >>> list(z) == kept  # named columns, then the unnamed ones that are not copies
        True
        >>> all(tuple(z[c].shape) == ((3, 2) if c in enc.time_varying_ else (3,)) for c in kept)  # [n, T] or [n]
        True
        """
        z = self.encode(episodes)  # (n, T, d)
        mean, std = self.calibration_["mean"], self.calibration_["std"]
        out: dict[str, Tensor] = {}
        for i, c in enumerate(self.columns_):
            if c in self.redundant_:
                continue
            col = z[:, :, i]
            if c in self._named_index:
                j = self.actions_.index(c)
                col = col * std[j] + mean[j]
                if c in self.discrete_:
                    codes = self.discrete_[c]
                    col = col.round().clamp(codes[0], codes[-1]).to(torch.int64)
            if c in self.time_varying_:
                out[c] = col
            else:
                out[c] = col.float().mean(1).round().to(torch.int64) if col.dtype == torch.int64 else col.mean(1)
        if all(t.dim() == 1 for t in out.values()):
            return pd.DataFrame({c: t.numpy() for c, t in out.items()})
        return out

    def targets(self, episodes: Episodes) -> list[set[str]]:
        """The episodes' intervention targets restricted to the named columns, as the learners take
        them beside :meth:`latents` (``learner.fit(enc.latents(eps), targets=enc.targets(eps))``).

        Raises
        ------
        NotFittedError, DTypeError

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> enc = VideoEncoder(6, steps=1, batch_size=4, width=8, progress=False, seed=0).fit(world)
        >>> eps = world.rollout(3, seed=1, do=[{"ambient": 0.5}, {}, {"switch_red": 1}])
        >>> eps.target_sets()
        [{'ambient'}, set(), {'switch_red'}]
        >>> enc.targets(eps) == [s & set(enc.variables_) for s in eps.target_sets()]  # nothing named yet
        True
        """
        self._check_fitted()
        if not isinstance(episodes, Episodes):
            raise DTypeError(f"targets takes Episodes, got {type(episodes).__name__}")
        named = set(self.variables_)
        return [s & named for s in episodes.target_sets()]

    @torch.no_grad()
    def surprise(self, frames: Any, *, window: int | None = None) -> Tensor:
        """Violation of expectation, ``float [B, T]``: a window slides over the video; at each frame
        ``t`` the predictor expects frame ``t``'s latents from those of frame ``t - window`` (from
        frame 0 for ``t < window``), and the surprise is the mean squared distance of that
        expectation from the target encoder's latents of frame ``t`` (0 at frame 0).

        Parameters
        ----------
        frames
            ``uint8 [B, T, C, H, W]``.
        window
            Frames between the context and the frame it predicts (default ``None``: half the
            video, ``max(1, T // 2)``). Only an event that spans more than a window's frames
            surprises: an object that vanishes behind an occluder is noticed only by a window
            that reaches back to before it was hidden. ``T - 1`` (or more) predicts every frame
            from the first.

        Raises
        ------
        NotFittedError, DTypeError, ShapeError
        OutOfRangeError
            ``window`` is not a positive int.

        Examples
        --------
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> enc = VideoEncoder(6, steps=1, batch_size=4, width=8, progress=False, seed=0).fit(world)
        >>> s = enc.surprise(world.rollout(3, seed=1).frames)
        >>> s.shape, s[:, 0].tolist(), bool((s[:, 1] > 0).all())
        (torch.Size([3, 2]), [0.0, 0.0, 0.0], True)
        """
        frames = self._check_frames(frames)
        B, T = frames.shape[:2]
        if window is None:
            window = max(1, T // 2)
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise OutOfRangeError(f"window must be a positive int (frames between context and prediction), got {window!r}")
        ctx = self.encode(frames, target=False)  # (B, T, d): what the predictor was trained to read
        tgt = self.encode(frames, target=True)  # (B, T, d)
        pred = self.nets_.predictor
        dev = next(pred.parameters()).device
        out = torch.zeros(B, T)
        if T == 1:
            return out
        # every predicted frame t in one pass: context frame max(t - window, 0), t - context frames ahead
        t = torch.arange(1, T)
        src = (t - window).clamp_min(0)
        n = B * (T - 1)
        z = ctx[:, src].reshape(n, -1).to(dev)
        dt = ((t - src).float() / (T - 1)).repeat(B)[:, None].to(dev)
        view = torch.zeros(n, len(VIEWS), device=dev)
        view[:, VIEWS.index("later")] = 1.0
        zeros = torch.zeros(n, self.config_.actions, device=dev)
        p = pred(z, zeros, zeros, view, dt).cpu().reshape(B, T - 1, -1)
        out[:, 1:] = ((p - tgt[:, 1:]) ** 2).mean(2)
        return out

    # ------------------------------------------------------------------ files
    def save(self, folder: str | os.PathLike) -> Path:
        """Save the fitted encoder to ``folder``: ``encoder.json`` + safetensors, no pickle.

        Raises
        ------
        NotFittedError

        Examples
        --------
        >>> import tempfile
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> enc = VideoEncoder(6, steps=1, batch_size=4, width=8, progress=False, seed=0).fit(world)
        >>> with tempfile.TemporaryDirectory() as d:
        ...     folder = enc.save(d)
        ...     sorted(p.suffix for p in folder.iterdir())
        ['.json', '.safetensors']
        """
        self._check_fitted()
        tensors = {f"{part}/{k}": t for part in ("encoder", "target", "predictor")
                   for k, t in getattr(self.nets_, part).state_dict().items()}
        doc = {"format": _FORMAT, "format_version": _VERSION, "settings": self.get_params(),
               "backbone": self.config_.to_dict(), "actions": self.actions_, "calibration": self.calibration_,
               "named_index": self._named_index, "columns": self.columns_, "redundant": self.redundant_, "effects": self.effects_, "moving": self.moving_,
               "reader": self.reader_, "identifiability": self.identifiability_,
               "time_varying": self.time_varying_, "discrete": self.discrete_, "source": self.source_,
               "calibration_r2": {k: (v if math.isfinite(v) else None) for k, v in self.calibration_r2_.items()},
               "history": self.history_.to_dict("list"), "precision": self.precision_}
        return save_folder(folder, manifest=_MANIFEST, doc=doc, tensors=tensors)

    @classmethod
    def load(cls, folder: str | os.PathLike, *, device: str | torch.device | None = None) -> "VideoEncoder":
        """Load an encoder saved by :meth:`save`.

        Raises
        ------
        ModelFileError
            A missing, damaged or foreign folder.

        Examples
        --------
        >>> import tempfile
        >>> import causalworld as cw
        >>> world = cw.make("lights", image_size=16, frames=2)
        >>> enc = VideoEncoder(6, steps=1, batch_size=4, width=8, progress=False, seed=0).fit(world)
        >>> frames = world.rollout(2, seed=1).frames
        >>> with tempfile.TemporaryDirectory() as d:
        ...     back = VideoEncoder.load(enc.save(d))
        >>> bool(torch.equal(back.encode(frames), enc.encode(frames))), back.columns_ == enc.columns_
        (True, True)
        """
        doc, tensors = load_folder(folder, manifest=_MANIFEST, format=_FORMAT, max_version=_VERSION,
                                   what="saved causalworld VideoEncoder", fix="save the encoder again with enc.save(folder)")
        if int(doc.get("format_version", 1)) < 2 and doc.get("effects"):
            raise ModelFileError(f"{folder} holds an encoder whose effect latents were trained with heads that also read "
                                 "the named latents (format 1); fit the encoder again with this version and save it")
        try:
            settings = dict(doc["settings"])
            if device is not None:
                settings["device"] = str(device)
            enc = cls(**settings)
            # format 1 also recorded how many latents the effect heads read ("named"), which they no longer do
            cfg = BackboneConfig(**{k: v for k, v in doc["backbone"].items() if k != "named"})
            dev = as_device(enc.device)
            nets = Nets.build(ConvEncoder(cfg), Predictor(cfg), float(enc.lr))
            for part in ("encoder", "target", "predictor"):
                prefix = f"{part}/"
                getattr(nets, part).load_state_dict({k[len(prefix):]: t for k, t in tensors.items() if k.startswith(prefix)})
                getattr(nets, part).to(dev)
            enc.config_, enc.nets_ = cfg, nets
            enc.actions_ = list(doc["actions"])
            enc.calibration_ = dict(doc["calibration"])
            enc._named_index = {str(k): int(v) for k, v in doc["named_index"].items()}
            enc.variables_ = list(enc._named_index)
            enc.columns_ = list(doc["columns"])
            enc.assignment_ = {c: (c if c in enc._named_index else None) for c in enc.columns_}
            enc.redundant_ = {str(k): float(v) for k, v in doc.get("redundant", {}).items()}
            enc.effects_ = {str(k): str(v) for k, v in doc.get("effects", {}).items()}
            enc.moving_ = {str(k): str(v) for k, v in doc.get("moving", {}).items()}
            enc.reader_ = str(doc.get("reader", "context"))
            enc.identifiability_ = dict(doc["identifiability"])
            enc.time_varying_ = list(doc["time_varying"])
            enc.discrete_ = {k: list(v) for k, v in doc["discrete"].items()}
            enc.source_ = dict(doc["source"])
            enc.calibration_r2_ = {k: (float("nan") if v is None else float(v)) for k, v in doc["calibration_r2"].items()}
            enc.history_ = pd.DataFrame(doc["history"])
            enc.precision_ = str(doc.get("precision", "fp32"))  # saved before bf16 existed: float32
        except (KeyError, TypeError, ValueError, RuntimeError) as e:
            raise ModelFileError(f"{folder} holds an inconsistent encoder ({type(e).__name__}: {e}); "
                                 "save the encoder again with enc.save(folder)") from None
        return enc

    def get_params(self) -> dict[str, Any]:
        """The settings given to ``__init__``.

        Examples
        --------
        >>> params = VideoEncoder(6, steps=100, progress=False).get_params()
        >>> params["latent_dim"], params["steps"], VideoEncoder(**params).get_params() == params
        (6, 100, True)
        """
        keys = ("latent_dim", "image_size", "steps", "batch_size", "lr", "ema", "guard", "align", "mask_ratio", "p_set", "narrow",
                "counterfactual", "effects", "regions", "min_episodes", "min_r2", "width", "checkpoint_every", "device", "precision",
                "compile", "shards", "seed", "progress")
        return {k: (str(getattr(self, k)) if k == "device" else getattr(self, k)) for k in keys}

    def __repr__(self) -> str:
        fitted = f", named={self.variables_}" if hasattr(self, "variables_") else ""
        return f"VideoEncoder(latent_dim={self.latent_dim}, steps={self.steps}{fitted})"
