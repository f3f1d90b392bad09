"""The encoder's training loop: prediction in representation space (JEPA), a collapse guard, and
alignment of named latents to the values the agent set. No pixel is ever reconstructed.

Per step: the context encoder sees frame 0 of each episode and a masked copy of frame ``k``;
the EMA target encoder sees frame ``k`` (and, with ``counterfactual``, frame ``k`` of the same
episode replayed under another intervention). The predictor maps context latents plus the
intervention to the target latents: of the masked view, of the later frame, of the replay. The
variance-covariance guard keeps the latents from collapsing to a constant (the trivial way to
predict anything). A named latent is regressed on the standardised value its variable was set
to, on the episodes that set it, and on those alone. A variable that is set but not drawn gets a
latent of its own and a small head that reads it alone to tell the value set, on the episodes
that set it: that latent comes to carry what the
variable changes in the frames.

The loop is one function; a checkpoint (weights, EMA weights, predictor, optimiser, step and
log) is written atomically through :mod:`causalworld.store` every ``checkpoint_every`` steps, and
since every batch is a function of ``(seed, step)`` a resumed run ends with the same weights as
an uninterrupted one. On the CPU (one eager process) each step runs in fixed shards on one
intra-op thread each (:class:`~causalworld.encoders.shards.Shards`), so that holds at any thread
count; on a GPU, under ``torchrun`` and compiled, at the same thread count.
"""

from __future__ import annotations

import contextlib
import copy
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from tqdm.auto import tqdm

from causalworld.encoders.backbone import VIEWS, ConvEncoder, EffectHeads, Predictor
from causalworld.encoders.batches import Batch, step_generator
from causalworld.encoders.shards import Shards
from causalworld.errors import ModelFileError
from causalworld.store import load_folder, save_folder

__all__ = ["TrainSettings", "Nets", "train", "distributed", "variance_covariance", "frames_to_float", "CHECKPOINT"]

CHECKPOINT = "checkpoint.json"
_FORMAT = "causalworld.encoder-checkpoint"
_VERSION = 1


@dataclass(frozen=True)
class TrainSettings:
    """What the loop reads, once, above the loop.

    Examples
    --------
    >>> s = TrainSettings(steps=2, lr=1e-3, ema=0.99, guard=1.0, align=1.0, mask_ratio=0.25, image_size=16,
    ...                   seed=0, checkpoint_every=100, progress=False)
    >>> s.steps, s.image_size
    (2, 16)
    """

    steps: int  # optimiser steps in all (a resumed run counts the ones already done)
    lr: float  # Adam's learning rate
    ema: float  # target encoder = ema * target + (1 - ema) * context encoder, after every step
    guard: float  # weight of the variance-covariance collapse guard (0 turns it off)
    align: float  # weight of the alignment of named latents to the values set
    mask_ratio: float  # fraction of the 4x4 grid of cells blanked in the masked view
    image_size: int  # frames are resized to this
    seed: int  # every batch and every mask is a function of (seed, step)
    checkpoint_every: int  # steps between checkpoints
    progress: bool  # a tqdm bar
    # how the batches are drawn: the loop does not read these, a checkpoint records them so that
    # a resumed run is refused unless it draws the same batches
    p_set: float = 1.0  # the probability that an episode sets each variable
    narrow: float = 0.0  # the fraction of crowded episodes
    counterfactual: bool = False  # each batch also replayed under another intervention
    effects: int = 0  # latents tied to variables set but not drawn (their heads are in the predictor)
    # how the arithmetic runs (a checkpoint records them: a resumed run is refused unless they match)
    bf16: bool = False  # the forward passes under bfloat16 autocast (CUDA; the CPU has no fast bf16)
    compiled: bool = False  # the networks' forward passes through torch.compile
    regions: bool = False  # the effect latents read only the pixels their variable changes (their masks are in the encoder)
    shards: int = 0  # on the CPU (one process, eager): the batch in this many shards, one thread each, one intra-op thread (0: whole)


COMPILE_BACKEND = "inductor"
"""``torch.compile``'s backend with ``compiled=True`` (inductor generates the kernels; the tests trace
the same graphs through ``"aot_eager"``, which skips the code generation's minutes on a small CPU)."""


@dataclass
class Nets:
    """The trained parts: context encoder, EMA target encoder, predictor and their optimiser.

    Examples
    --------
    >>> from causalworld.encoders.backbone import BackboneConfig, ConvEncoder, Predictor
    >>> cfg = BackboneConfig(channels=3, image_size=16, latent_dim=4, actions=1, width=8, hidden=16)
    >>> nets = Nets.build(ConvEncoder(cfg), Predictor(cfg), lr=1e-3)
    >>> type(nets.optimizer).__name__, any(p.requires_grad for p in nets.target.parameters())
    ('Adam', False)
    """

    encoder: ConvEncoder
    target: ConvEncoder
    predictor: Predictor
    optimizer: torch.optim.Optimizer

    @classmethod
    def build(cls, encoder: ConvEncoder, predictor: Predictor, lr: float) -> "Nets":
        """The nets of a fresh run: the target starts as a frozen copy of ``encoder``, and one
        Adam optimiser at ``lr`` trains the encoder and the predictor.

        Examples
        --------
        >>> from causalworld.encoders.backbone import BackboneConfig, ConvEncoder, Predictor
        >>> cfg = BackboneConfig(channels=3, image_size=16, latent_dim=4, actions=1, width=8, hidden=16)
        >>> nets = Nets.build(ConvEncoder(cfg), Predictor(cfg), lr=1e-3)
        >>> x = torch.rand(2, 3, 16, 16)
        >>> bool(torch.equal(nets.target(x), nets.encoder(x))), nets.target is nets.encoder
        (True, False)
        """
        target = copy.deepcopy(encoder).requires_grad_(False)
        opt = torch.optim.Adam([*encoder.parameters(), *predictor.parameters()], lr=lr)
        return cls(encoder, target, predictor, opt)


def frames_to_float(frames: Tensor, size: int, device: torch.device) -> Tensor:
    """``uint8 [N, C, H, W]`` to ``float [N, C, size, size]`` in [0, 1] on ``device``.

    Examples
    --------
    >>> x = frames_to_float(torch.full((2, 3, 32, 32), 255, dtype=torch.uint8), 16, torch.device("cpu"))
    >>> x.shape, x.dtype, float(x.max())
    (torch.Size([2, 3, 16, 16]), torch.float32, 1.0)
    """
    x = frames.to(device, non_blocking=True).to(torch.float32).div_(255.0)
    if x.shape[-1] != size or x.shape[-2] != size:
        mode = "area" if x.shape[-1] > size else "bilinear"
        x = F.interpolate(x, size=(size, size), mode=mode, **({"align_corners": False} if mode == "bilinear" else {}))
    return x


def variance_covariance(z: Tensor) -> tuple[Tensor, Tensor]:
    """VICReg's guard over a batch ``[N, d]``: ``(mean hinge of each latent's std below 1,
    mean squared off-diagonal covariance)``. Both are 0 for whitened latents.

    Examples
    --------
    >>> var, cov = variance_covariance(torch.zeros(8, 3))  # collapsed latents: the hinge is near 1
    >>> round(float(var), 2), float(cov)
    (0.99, 0.0)
    >>> var, cov = variance_covariance(torch.randn(4096, 3, generator=torch.Generator().manual_seed(0)))
    >>> float(var) < 0.05, float(cov) < 0.01
    (True, True)
    """
    zc = z - z.mean(0)
    std = torch.sqrt(zc.var(0) + 1e-4)
    cov = (zc.T @ zc) / max(1, z.shape[0] - 1)
    off = cov - torch.diag(torch.diagonal(cov))
    return F.relu(1.0 - std).mean(), (off**2).sum() / z.shape[1]


def _keep(n: int, ratio: float, g: torch.Generator) -> Tensor:
    """Which cells of a 4x4 grid each of ``n`` frames keeps (I-JEPA's context masking)."""
    return (torch.rand(n, 1, 4, 4, generator=g) >= ratio).to(torch.float32)


def _masked(x: Tensor, keep: Tensor) -> Tensor:
    """Blank the cells ``keep`` drops in each frame."""
    return x * F.interpolate(keep.to(x.dtype).to(x.device), size=x.shape[-2:], mode="nearest")


def _view(n: int, kind: str, device: torch.device) -> Tensor:
    one = torch.zeros(n, len(VIEWS), device=device)
    one[:, VIEWS.index(kind)] = 1.0
    return one


def distributed() -> tuple[int, int]:
    """``(rank, world size)`` of the running process group, or ``(0, 1)`` without one.

    Examples
    --------
    >>> distributed()  # a plain process, not started by torchrun
    (0, 1)
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _gathered(z: Tensor, world: int) -> Tensor:
    """Every rank's rows of ``z`` in rank order, with gradients flowing back to each rank's own rows."""
    if world == 1:
        return z
    from torch.distributed.nn.functional import all_gather

    return torch.cat(all_gather(z))


def train(nets: Nets, batches: Callable[[int], Batch], named: list[tuple[int, int]], s: TrainSettings, *,
          device: torch.device, checkpoint: Path | None = None, start: int = 0,
          history: list[dict[str, float]] | None = None, effects: list[tuple[int, int]] = (),
          own_pixels: list[int] = ()) -> list[dict[str, float]]:
    """Run steps ``start .. s.steps - 1``; ``named`` pairs (latent column, action column) to align;
    ``effects`` pairs (latent column, action column) of variables set but not drawn, read by the
    predictor's effect heads (one per pair, in order). ``own_pixels``: the columns that read a region
    of the frame alone (:class:`~causalworld.encoders.backbone.RegionReader`); the collapse guard
    keeps them varying but does not ask them to be uncorrelated with the others (a lamp's latent
    follows its switch as the lamp does).

    Returns the log, one row per step (losses; ``seconds`` of training so far). Writes a checkpoint every ``s.checkpoint_every``
    steps and at the end when ``checkpoint`` is a folder.

    In a process group (``torchrun``), ``batches(step)`` is the global batch: every rank draws it
    from ``(seed, step)`` and trains on its own contiguous share of the rows, through
    DistributedDataParallel. Each loss term is normalised by its global count and the
    collapse guard is computed on the all-gathered latents, so K processes with batch B take the
    same steps as one process with batch K*B (to float rounding). Rank 0 writes the checkpoints.

    Examples
    --------
    Two steps on tiny networks, latent 0 aligned with the ambient light the agent sets:

    >>> import causalworld as cw
    >>> from causalworld.encoders.backbone import BackboneConfig, ConvEncoder, Predictor
    >>> from causalworld.encoders.batches import WorldBatches
    >>> cfg = BackboneConfig(channels=3, image_size=16, latent_dim=4, actions=1, width=8, hidden=16)
    >>> nets = Nets.build(ConvEncoder(cfg), Predictor(cfg), lr=1e-3)
    >>> world = cw.make("lights", image_size=16, frames=2)
    >>> batches = WorldBatches(world, ("ambient",), batch_size=4, seed=0, p_set=0.5, counterfactual=False)
    >>> s = TrainSettings(steps=2, lr=1e-3, ema=0.99, guard=1.0, align=1.0, mask_ratio=0.25, image_size=16,
    ...                   seed=0, checkpoint_every=100, progress=False)
    >>> log = train(nets, batches, [(0, 0)], s, device=torch.device("cpu"))
    >>> [row["step"] for row in log], sorted(log[0])
    ([0, 1], ['align', 'covariance', 'effect', 'jepa', 'latent_std', 'loss', 'seconds', 'step', 'variance'])
    """
    history = list(history or [])
    rank, world = distributed()
    enc_net, tgt, pred_net, opt = nets.encoder, nets.target, nets.predictor, nets.optimizer
    enc, pred = enc_net, pred_net
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        enc, pred = DDP(enc_net, device_ids=ids), DDP(pred_net, device_ids=ids)
    read_target = tgt
    if s.compiled:  # the same modules (and state dicts) underneath: only their forward passes are compiled
        enc, pred, read_target = (torch.compile(m, backend=COMPILE_BACKEND) for m in (enc, pred, tgt))
    autocast = partial(torch.autocast, device.type, dtype=torch.bfloat16, enabled=s.bf16)
    lat_cols = torch.tensor([a for a, _ in named], dtype=torch.long, device=device)
    act_cols = torch.tensor([b for _, b in named], dtype=torch.long, device=device)
    eff_lat = torch.tensor([a for a, _ in effects], dtype=torch.long, device=device)
    eff_act = torch.tensor([b for _, b in effects], dtype=torch.long, device=device)
    size, ratio, ema = s.image_size, s.mask_ratio, s.ema
    # on the CPU, in one eager process, the arithmetic is the same at every thread count (see Shards)
    shards = Shards(s.shards) if s.shards > 0 and world == 1 and device.type == "cpu" and not s.compiled else None
    enc_params = [p for p in enc_net.parameters() if p.requires_grad]
    d_all = enc_net.head[-1].out_features + (enc_net.region.E if enc_net.region is not None else 0)
    others = torch.tensor([i for i in range(d_all) if i not in set(own_pixels)], dtype=torch.long, device=device)
    began = time.perf_counter() - (history[-1]["seconds"] if history else 0.0)
    bar = tqdm(range(start, s.steps), initial=start, total=s.steps, desc="encoder", disable=not s.progress or rank != 0,
               leave=False)
    with shards or contextlib.nullcontext():
        for step in bar:
            # sample: the global batch and this step's masks and later frames, all from (seed, step);
            # then this rank's share of the rows
            full = batches(step)
            g = step_generator(s.seed, step, stream=2)
            Bg, T = full.frames.shape[:2]
            k_all = torch.randint(0, T, (Bg,), generator=g)
            keep_all = _keep(Bg, ratio, g)
            lo, hi = rank * Bg // world, (rank + 1) * Bg // world
            batch = Batch(*(None if t is None else t[lo:hi] for t in vars(full).values()))
            k, keep = k_all[lo:hi], keep_all[lo:hi]
            B = hi - lo
            rows = torch.arange(B)
            x0 = frames_to_float(batch.frames[:, 0], size, device)
            xk = frames_to_float(batch.frames[rows, k], size, device)
            mask, values = batch.mask.to(device).float(), batch.values.to(device)
            dt = (k.to(device, torch.float32) / max(1, T - 1))[:, None]

            # encode: context views through the encoder, targets through the EMA encoder (under bf16
            # autocast the networks' outputs come back to float32 before any loss is taken)
            with autocast():
                xin = torch.cat([x0, _masked(xk, keep)])
                z = (enc(xin) if shards is None else shards.forward(enc, xin)).float()
            z0, zm = z[:B], z[B:]
            d = z.shape[1]
            with torch.no_grad(), autocast():
                read = read_target if shards is None else partial(shards.no_grad, read_target)
                targets = read(xk).float()
                cf_targets = None
                if batch.cf_frames is not None:
                    cf_targets = read(frames_to_float(batch.cf_frames[rows, k], size, device)).float()

            # predict in representation space, every view in one pass: the masked frame k, frame k
            # from frame 0 (where k > 0), and frame k of the replay (with counterfactual); each term is
            # a mean over the global batch's rows that have it
            later = k > 0
            parts = [(zm, mask, values, _view(B, "masked", device), torch.zeros_like(dt), targets, Bg)]
            if T > 1 and bool((k_all > 0).any()):
                lt = later.to(device)
                n = int(lt.sum())
                parts.append((z0[lt], mask[lt], values[lt], _view(n, "later", device), dt[lt], targets[lt],
                              int((k_all > 0).sum())))
            if cf_targets is not None:
                cm, cv = batch.cf_mask.to(device).float(), batch.cf_values.to(device)
                parts.append((z0, cm, cv, _view(B, "counterfactual", device), dt, cf_targets, Bg))
            inputs = [torch.cat([part[i] for part in parts]) for i in range(5)]
            effect = torch.zeros((), device=device)
            if len(effects):
                # each effect head reads its own latent alone, and tells the value set where it was set
                with autocast():
                    p, guess = pred(*inputs, effect_in=EffectHeads.inputs(z0[:, eff_lat]))
                p, guess = p.float(), guess.float()
                m = mask[:, eff_act]
                err = (guess - values[:, eff_act]) ** 2 * m
                effect = err.sum() * world / full.mask[:, eff_act.cpu()].float().sum().clamp_min(1.0).to(device)
            else:
                with autocast():
                    p = pred(*inputs).float()
            jepa = torch.zeros((), device=device)
            at = 0
            for part in parts:
                n = part[0].shape[0]
                jepa = jepa + ((p[at:at + n] - part[5]) ** 2).sum() * (world / (part[6] * d))
                at += n

            # align named latents with the values set, where they were set
            align = torch.zeros((), device=device)
            if len(named):
                m = mask[:, act_cols]
                err = (z0[:, lat_cols] - values[:, act_cols]) ** 2 * m
                align = err.sum() * world / full.mask[:, act_cols.cpu()].float().sum().clamp_min(1.0).to(device)

            # guard against collapse, over the global batch
            zg = _gathered(z0, world)
            var, cov = variance_covariance(zg)
            if len(own_pixels):  # region latents vary, but need not be uncorrelated with the rest
                _, cov = variance_covariance(zg[:, others])
            loss = jepa + s.align * (align + effect) + s.guard * (var + 0.04 * cov * d)

            # update (gradients averaged over the ranks), then move the target encoder towards the context encoder
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if shards is not None:  # the encoder's share, through each shard's own graph
                shards.backward(enc_params)
            opt.step()
            with torch.no_grad():
                for pt, pe in zip(tgt.parameters(), enc_net.parameters()):
                    pt.mul_(ema).add_(pe.detach(), alpha=1.0 - ema)

            # log and checkpoint
            row = {"step": step, "loss": float(loss.detach()), "jepa": float(jepa.detach()), "align": float(align.detach()),
                   "effect": float(effect.detach()),
                   "variance": float(var.detach()), "covariance": float(cov.detach()), "latent_std": float(z0.detach().std(0).mean()),
                   "seconds": time.perf_counter() - began}
            history.append(row)
            bar.set_postfix(jepa=f"{row['jepa']:.3f}", align=f"{row['align']:.3f}", refresh=False)
            if checkpoint is not None and rank == 0 and ((step + 1) % s.checkpoint_every == 0 or step + 1 == s.steps):
                save_checkpoint(checkpoint, nets, step + 1, history, s)
    bar.close()
    return history


# -- checkpoints -----------------------------------------------------------------------------------
def _optimizer_tensors(opt: torch.optim.Optimizer) -> tuple[dict[str, Tensor], dict[str, Any]]:
    state = opt.state_dict()
    tensors = {f"optim/{i}/{name}": t for i, st in state["state"].items() for name, t in st.items()}
    return tensors, {"param_groups": state["param_groups"], "state": {str(i): sorted(st) for i, st in state["state"].items()}}


def save_checkpoint(folder: Path, nets: Nets, step: int, history: list[dict[str, float]], s: TrainSettings) -> None:
    """Everything a resumed run needs, written atomically (the previous checkpoint survives a kill)."""
    tensors: dict[str, Tensor] = {}
    for part in ("encoder", "target", "predictor"):
        for key, t in getattr(nets, part).state_dict().items():
            tensors[f"{part}/{key}"] = t
    opt_tensors, opt_doc = _optimizer_tensors(nets.optimizer)
    tensors.update(opt_tensors)
    doc = {"format": _FORMAT, "format_version": _VERSION, "step": step, "settings": asdict(s),
           "optimizer": opt_doc, "history": history, "threads": torch.get_num_threads(), "pid": os.getpid()}
    save_folder(folder, manifest=CHECKPOINT, doc=doc, tensors=tensors)


def load_checkpoint(folder: Path, nets: Nets, check: Callable[[dict[str, Any]], None] | None = None,
                    ) -> tuple[int, list[dict[str, float]], dict[str, Any]]:
    """Restore ``nets`` in place from ``folder``; returns ``(step, history, settings)``. ``check``
    sees the saved settings first (and may raise), before any weight is read."""
    doc, tensors = load_folder(folder, manifest=CHECKPOINT, format=_FORMAT, max_version=_VERSION,
                               what="encoder checkpoint", fix="delete the folder to start training afresh")
    if check is not None and isinstance(doc.get("settings"), dict):
        check(dict(doc["settings"]))
    try:
        for part in ("encoder", "target", "predictor"):
            module: nn.Module = getattr(nets, part)
            prefix = f"{part}/"
            module.load_state_dict({k[len(prefix):]: t for k, t in tensors.items() if k.startswith(prefix)})
        opt_doc = doc["optimizer"]
        state = {int(i): {name: tensors[f"optim/{i}/{name}"] for name in names} for i, names in opt_doc["state"].items()}
        nets.optimizer.load_state_dict({"state": state, "param_groups": opt_doc["param_groups"]})
        return int(doc["step"]), list(doc["history"]), dict(doc["settings"])
    except (KeyError, RuntimeError, ValueError, TypeError) as e:
        raise ModelFileError(
            f"{folder} holds a checkpoint of another encoder ({type(e).__name__}: {e}); give fit() an empty "
            "folder, or the one this encoder's own earlier run wrote"
        ) from None
