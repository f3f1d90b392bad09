"""Where a variable set but not drawn changes the frames, against the pixels its drawn effect
covers in the world's own renderer."""

import torch

import causalworld as cw
from causalworld.encoders.backbone import BackboneConfig, ConvEncoder
from causalworld.encoders.batches import WorldBatches
from causalworld.encoders.regions import effect_regions
from causalworld.encoders.train import frames_to_float


def _lamp_pixels(world, lamp: str) -> torch.Tensor:
    """The pixels the renderer changes when only ``lamp`` changes, from off to full: ``[S, S]``."""
    eps = world.rollout(1, seed=0)
    on = {v: x.clone() for v, x in eps.values.items()}
    off = {v: x.clone() for v, x in eps.values.items()}
    on[lamp][:] = 1.0
    off[lamp][:] = 0.0
    diff = (world.render(on).float() - world.render(off).float()).abs()[0, 0].sum(0)  # (S, S)
    return diff > 0


def test_each_dimmer_s_region_is_its_lamp():
    world = cw.make("lights", image_size=32, frames=1)
    actions = tuple(world.intervenable)
    batches = WorldBatches(world, actions, batch_size=64, seed=0, p_set=1.0, counterfactual=False, narrow=0.0)
    probe = [batches(s) for s in range(8)]
    frames = torch.cat([frames_to_float(b.frames[:, 0], 32, torch.device("cpu")) for b in probe])
    dimmers = [f"dimmer_{c}" for c in ("red", "green", "blue")]
    regions = effect_regions(frames, torch.cat([b.mask for b in probe]), torch.cat([b.values for b in probe]),
                             [actions.index(v) for v in dimmers])
    lamps = {c: _lamp_pixels(world, f"lamp_{c}") for c in ("red", "green", "blue")}
    for region, colour in zip(regions.bool(), ("red", "green", "blue")):
        own = lamps[colour]
        # most of the region is the lamp's own disc, and it covers most of that disc
        assert (region & own).sum() >= 0.8 * region.sum(), colour
        assert (region & own).sum() >= 0.6 * own.sum(), colour
        for other, pixels in lamps.items():  # and nothing of another lamp
            if other != colour:
                assert not (region & pixels).any(), (colour, other)


def test_a_region_latent_sees_nothing_outside_its_region():
    cfg = BackboneConfig(channels=3, image_size=16, latent_dim=6, actions=2, width=8, effects=1, regions=True, effect_at=2)
    net = ConvEncoder(cfg)
    masks = torch.zeros(1, 16, 16)
    masks[0, :4, :4] = 1.0
    net.set_regions(masks)
    x = torch.rand(3, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    y = x.clone()
    y[:, :, 8:, 8:] = torch.rand(3, 3, 8, 8)  # outside the region: only the other latents move
    zx, zy = net(x), net(y)
    assert zx.shape == (3, 6)
    assert torch.equal(zx[:, 2], zy[:, 2])
    assert not torch.equal(zx[:, [0, 1, 3, 4, 5]], zy[:, [0, 1, 3, 4, 5]])
    y[:, :, :2, :2] = 0.0  # inside it: the region latent moves
    assert not torch.equal(net(y)[:, 2], zx[:, 2])
