"""The video encoder's networks: a small conv net from a frame to latents, and the predictor.

Chosen for the 2-core CPU: four convolutions, three of stride 2 (32x32 -> 4x4), with coordinate channels
(positions are what most world variables are, and a conv net without them has to learn where
it is), then two linear layers. One frame at a time: a video is a batch of frames, and time
enters through the predictor, which maps the latents of one view plus the intervention applied
to the latents of another view (a later frame, a masked frame, the same episode under another
intervention). About 0.2 M parameters at width 32; roughly 3,000 frames/s of training on the
2-core CPU at 32x32.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["BackboneConfig", "ConvEncoder", "RegionReader", "Predictor", "EffectHeads", "VIEWS"]

VIEWS = ("masked", "later", "counterfactual")
"""The kinds of second view the predictor is asked about, one-hot in its input."""


@dataclass(frozen=True)
class BackboneConfig:
    """Shapes of the networks (saved with the encoder; everything else is a training setting).

    Examples
    --------
    >>> cfg = BackboneConfig(channels=3, image_size=32, latent_dim=8, actions=2)
    >>> cfg.width, cfg.hidden
    (32, 256)
    """

    channels: int  # C of the frames
    image_size: int  # H = W the frames are resized to
    latent_dim: int  # d, the latents per frame
    actions: int  # m, the variables an intervention can set (the predictor reads mask and value of each)
    width: int = 32  # channels of the first convolution; doubled twice on the way down
    hidden: int = 256  # width of the linear layers
    effects: int = 0  # latents of their own for variables set but not drawn (after the named ones)
    regions: bool = False  # those latents read only the pixels their variable changes (a RegionReader)
    moving: int = 0  # with regions: latents for depicted variables nobody sets that move, each on its own pixels
    effect_at: int = 0  # the column of the first region latent (the named latents come before)

    @property
    def region_latents(self) -> int:
        """How many latents a :class:`RegionReader` gives (the effects', then the moving ones')."""
        return self.effects + self.moving if self.regions else 0

    def to_dict(self) -> dict[str, int]:
        """The fields as a plain dict (what a saved encoder's JSON holds).

        Examples
        --------
        >>> cfg = BackboneConfig(channels=3, image_size=32, latent_dim=8, actions=2)
        >>> BackboneConfig(**cfg.to_dict()) == cfg, cfg.to_dict()["latent_dim"]
        (True, 8)
        """
        return asdict(self)


class ConvEncoder(nn.Module):
    """Frames ``float [N, C, S, S]`` in [0, 1] to latents ``[N, d]``.

    Examples
    --------
    >>> net = ConvEncoder(BackboneConfig(channels=3, image_size=32, latent_dim=8, actions=2))
    >>> net(torch.rand(5, 3, 32, 32)).shape
    torch.Size([5, 8])
    """

    def __init__(self, cfg: BackboneConfig) -> None:
        super().__init__()
        if cfg.image_size % 8 or cfg.image_size < 16:
            raise ValueError(f"image_size must be a multiple of 8 (>= 16), got {cfg.image_size}")
        w = cfg.width
        self.convs = nn.ModuleList([
            nn.Conv2d(cfg.channels + 2, w, 3, stride=2, padding=1),  # (N, w, S/2, S/2)
            nn.Conv2d(w, 2 * w, 3, stride=2, padding=1),  # (N, 2w, S/4, S/4)
            nn.Conv2d(2 * w, 2 * w, 3, stride=2, padding=1),  # (N, 2w, S/8, S/8)
            nn.Conv2d(2 * w, 4 * w, 3, stride=1, padding=1),  # (N, 4w, S/8, S/8)
        ])
        side = cfg.image_size // 8  # 4x4 cells at 32 px: where things are survives to the linear layers
        self.head = nn.Sequential(
            nn.Flatten(),  # (N, 4w * S/8 * S/8)
            nn.Linear(4 * w * side * side, cfg.hidden),
            nn.ReLU(),
            nn.Linear(cfg.hidden, cfg.latent_dim - cfg.region_latents),
        )
        self.region = RegionReader(cfg) if cfg.region_latents else None
        self.effect_at = cfg.effect_at
        # per-channel pixel mean and std of the training frames (set once, before training, by
        # set_pixel_stats): dark simulated frames would otherwise start the net near a constant
        self.register_buffer("pixel_mean", torch.zeros(cfg.channels))
        self.register_buffer("pixel_std", torch.ones(cfg.channels))
        ramp = torch.linspace(-1.0, 1.0, cfg.image_size)
        coords = torch.stack(torch.meshgrid(ramp, ramp, indexing="ij"))  # (2, S, S): y, x
        self.register_buffer("coords", coords, persistent=False)
        for layer in [*self.convs, self.head[1], self.head[3]]:  # He init: activations keep their scale
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            nn.init.zeros_(layer.bias)

    @torch.no_grad()
    def set_regions(self, masks: Tensor) -> None:
        """The masks ``[E, S, S]`` of the region latents (see :class:`RegionReader`); needs ``cfg.regions``."""
        if self.region is None:
            raise ValueError("this encoder has no region latents (BackboneConfig.regions is False, or no effects or moving)")
        self.region.set_regions(masks)

    @torch.no_grad()
    def set_pixel_stats(self, x: Tensor) -> None:
        """Standardise inputs with the per-channel mean and std of ``x`` ``[N, C, S, S]`` from now on.

        Examples
        --------
        >>> net = ConvEncoder(BackboneConfig(channels=3, image_size=16, latent_dim=4, actions=1, width=8))
        >>> net.set_pixel_stats(0.5 + 0.1 * torch.randn(64, 3, 16, 16))
        >>> [round(float(m), 1) for m in net.pixel_mean], [round(float(s), 1) for s in net.pixel_std]
        ([0.5, 0.5, 0.5], [0.1, 0.1, 0.1])
        """
        self.pixel_mean.copy_(x.mean((0, 2, 3)))
        self.pixel_std.copy_(x.std((0, 2, 3)).clamp_min(1e-3))

    def forward(self, x: Tensor) -> Tensor:
        n = x.shape[0]
        x = (x - self.pixel_mean[:, None, None]) / self.pixel_std[:, None, None]
        h = torch.cat([x, self.coords.expand(n, -1, -1, -1)], dim=1)  # (N, C + 2, S, S)
        for conv in self.convs:
            h = F.relu(conv(h))
        z = self.head(h)  # (N, d), or (N, d - E) with a region reader
        if self.region is None:
            return z
        at = self.effect_at  # the region latents take their columns among the others
        return torch.cat([z[:, :at], self.region(x), z[:, at:]], dim=1)


class RegionReader(nn.Module):
    """One latent per region of the frame, read from its pixels alone: for each variable that is
    set but not drawn, the pixels it changes; for each depicted variable nobody sets that moves,
    the pixels that move apart from the named variables'.

    ``set_regions`` gives each latent a mask ``[S, S]`` (found from the data:
    :func:`~causalworld.encoders.regions.effect_regions`,
    :func:`~causalworld.encoders.regions.moving_regions`); each latent is a
    small conv net (two grouped convolutions, one group per variable) over the standardised frame
    with everything outside its mask blanked, averaged over the frame. A latent that sees only
    the lamp a dimmer drives reads the lamp as drawn, the ambient light's dimming included,
    where a latent that sees the whole frame, asked to tell the dimmer, divides that dimming out.
    Input ``[N, C, S, S]`` (standardised), output ``[N, E]``.

    Examples
    --------
    >>> cfg = BackboneConfig(channels=3, image_size=16, latent_dim=4, actions=2, effects=2, regions=True)
    >>> reader = RegionReader(cfg)
    >>> reader.set_regions(torch.ones(2, 16, 16))
    >>> reader(torch.zeros(5, 3, 16, 16)).shape
    torch.Size([5, 2])
    """

    def __init__(self, cfg: BackboneConfig, width: int = 8) -> None:
        super().__init__()
        E, C = cfg.region_latents, cfg.channels
        self.register_buffer("masks", torch.zeros(E, cfg.image_size, cfg.image_size))
        self.convs = nn.ModuleList([
            nn.Conv2d(E * C, E * width, 3, stride=2, padding=1, groups=E),  # (N, E w, S/2, S/2)
            nn.Conv2d(E * width, E * width, 3, stride=2, padding=1, groups=E),  # (N, E w, S/4, S/4)
        ])
        self.out_w = nn.Parameter(torch.randn(E, width) / width**0.5)
        self.out_b = nn.Parameter(torch.zeros(E))
        self.E, self.width = E, width
        for conv in self.convs:
            nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
            nn.init.zeros_(conv.bias)

    @torch.no_grad()
    def set_regions(self, masks: Tensor) -> None:
        """Each variable's mask ``[E, S, S]`` in [0, 1] (1 where its latent reads)."""
        self.masks.copy_(masks)

    def forward(self, x: Tensor) -> Tensor:
        n, C = x.shape[:2]
        h = (x[:, None] * self.masks[None, :, None]).reshape(n, self.E * C, *x.shape[2:])  # (N, E C, S, S)
        for conv in self.convs:
            h = F.relu(conv(h))
        h = h.mean((2, 3)).reshape(n, self.E, self.width)  # (N, E, w)
        return (h * self.out_w).sum(-1) + self.out_b  # (N, E)


class EffectHeads(nn.Module):
    """One small MLP per variable that is set but not drawn: from one latent of its own to the
    standardised value the variable was set to.

    A variable the renderer does not draw (``lights``' dimmers) shows in the frames only through
    what it causes (the lamps' brightness). Asking a latent of its own to tell what it was set to
    makes that latent carry the part of the frames its effect adds, which nothing else asks any
    latent to carry. The head reads that latent alone: given the other latents too, it could
    decode a latent that mixes several effects (which lamp is on is in the switches' latents), and
    on ``lights`` each lamp's latent then also tracked the other lamps' switches (held-out R² of
    the lamps 0.65-0.82 over two seeds, against 0.83-0.91 from the latent alone).
    Input ``[E, N, 1]``, output ``[N, E]``.

    Examples
    --------
    >>> heads = EffectHeads(effects=3)
    >>> heads(EffectHeads.inputs(torch.zeros(5, 3))).shape
    torch.Size([5, 3])
    """

    def __init__(self, effects: int, hidden: int = 32) -> None:
        super().__init__()
        self.w1 = nn.Parameter(torch.randn(effects, 1, hidden) * 2.0**0.5)
        self.b1 = nn.Parameter(torch.zeros(effects, 1, hidden))
        self.w2 = nn.Parameter(torch.randn(effects, hidden, 1) / hidden**0.5)
        self.b2 = nn.Parameter(torch.zeros(effects, 1, 1))

    @staticmethod
    def inputs(own: Tensor) -> Tensor:
        """The heads' input ``[E, N, 1]`` from each head's own latent ``[N, E]``.

        Examples
        --------
        >>> EffectHeads.inputs(torch.ones(5, 3)).shape
        torch.Size([3, 5, 1])
        """
        return own.T[:, :, None]

    def forward(self, x: Tensor) -> Tensor:
        h = F.relu(torch.bmm(x, self.w1) + self.b1)  # (E, N, hidden)
        return (torch.bmm(h, self.w2) + self.b2)[:, :, 0].T  # (N, E)


class Predictor(nn.Module):
    """Context latents, the intervention applied and the view asked about to the target's latents.

    Input per row: latents ``[d]``; the intervention as a mask ``[m]`` and the values set
    (standardised, 0 where nothing was set) ``[m]``; the view as a one-hot over :data:`VIEWS`
    ``[3]``; the time step between the two views as a fraction of the video ``[1]``. With
    ``cfg.effects`` it holds the :class:`EffectHeads` too, and given ``effect_in`` it also
    returns their predictions (one forward pass, so DistributedDataParallel sees every weight).

    Examples
    --------
    >>> cfg = BackboneConfig(channels=3, image_size=32, latent_dim=8, actions=2)
    >>> pred = Predictor(cfg)
    >>> pred(torch.zeros(4, 8), torch.zeros(4, 2), torch.zeros(4, 2), torch.zeros(4, 3), torch.zeros(4, 1)).shape
    torch.Size([4, 8])
    """

    def __init__(self, cfg: BackboneConfig) -> None:
        super().__init__()
        d, m = cfg.latent_dim, cfg.actions
        self.net = nn.Sequential(
            nn.Linear(d + 2 * m + len(VIEWS) + 1, cfg.hidden),
            nn.ReLU(),
            nn.Linear(cfg.hidden, cfg.hidden),
            nn.ReLU(),
            nn.Linear(cfg.hidden, d),
        )
        if cfg.effects:  # trained beside the predictor, in the same pass (one module for DDP)
            self.effects = EffectHeads(cfg.effects)

    def forward(self, z: Tensor, mask: Tensor, values: Tensor, view: Tensor, dt: Tensor,
                effect_in: Tensor | None = None) -> Tensor | tuple[Tensor, Tensor]:
        # a residual: most of a latent carries over from one view to the other
        out = z + self.net(torch.cat([z, mask, values, view, dt], dim=1))  # (N, d)
        if effect_in is None:
            return out
        return out, self.effects(effect_in)  # and the effect heads' predictions (N', E)
