"""Where a variable set but not drawn changes the frames, and where a depicted variable nobody
sets moves, against the pixels the world's own renderer changes for them."""

import torch

import causalworld as cw
from causalworld.encoders.backbone import BackboneConfig, ConvEncoder
from causalworld.encoders.batches import WorldBatches
from causalworld.encoders import VideoEncoder
from causalworld.encoders.regions import coefficient_maps, effect_regions, moving_regions
from causalworld.encoders.train import frames_to_float


def _pixels_of(world, variable: str, levels=(0.0, 0.5, 1.0)) -> torch.Tensor:
    """The pixels the renderer changes when only ``variable`` changes, between successive
    ``levels``: ``[S, S]``."""
    eps = world.rollout(1, seed=0)
    diff = torch.zeros(world.frame_shape[-2:])
    for low, high in zip(levels[:-1], levels[1:]):
        a = {v: x.clone() for v, x in eps.values.items()}
        b = {v: x.clone() for v, x in eps.values.items()}
        a[variable][:] = low
        b[variable][:] = high
        diff += (world.render(a).float() - world.render(b).float()).abs()[0, 0].sum(0)
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
    lamps = {c: _pixels_of(world, f"lamp_{c}") for c in ("red", "green", "blue")}
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


def test_the_moving_region_left_by_the_named_variables_is_the_sensor_s_meter():
    world = cw.make("lights", image_size=32, frames=8)
    actions = tuple(world.intervenable)
    batches = WorldBatches(world, actions, batch_size=64, seed=0, p_set=1.0, counterfactual=False, narrow=0.0)
    probe = [batches(s) for s in range(4)]
    cpu = torch.device("cpu")
    first = torch.cat([frames_to_float(b.frames[:, 0], 32, cpu) for b in probe])
    frames = torch.cat([frames_to_float(b.frames.flatten(0, 1), 32, cpu).reshape(64, 8, 3, 32, 32) for b in probe])
    maps = coefficient_maps(first, torch.cat([b.mask for b in probe]), torch.cat([b.values for b in probe]))
    # the angle is named and moves: its blob (the polarizer) is its own; the sensor's meter is left
    blobs = moving_regions(frames, [maps[actions.index("angle")]])
    assert len(blobs) == 1
    meter, region = _pixels_of(world, "sensor"), blobs[0].bool()
    # all of it is the meter's, over the heights the bar takes within episodes (the meter spans
    # readings 0 to 1; measured: 30 of its 70 pixels)
    assert (region & meter).sum() == region.sum() and region.sum() >= 0.3 * meter.sum()
    # without the angle's map, its polarizer is a moving blob too (the larger)
    assert len(moving_regions(frames, [])) == 2


def test_a_fitted_encoder_gives_the_sensor_a_latent_of_its_own():
    world = cw.make("lights", image_size=16, frames=4, seed=0)
    enc = VideoEncoder(12, steps=2, batch_size=8, width=8, progress=False, seed=0).fit(world)
    (col, var), = enc.moving_.items()
    assert var == "sensor" and col.startswith("z") and f"latent {col}" in enc.identifiability_["sensor"]
    assert col not in enc.effects_ and col not in enc.redundant_
    masks = enc.nets_.encoder.region.masks
    assert masks.shape == (4, 16, 16)  # three dimmers' lamps, then the meter
    without = VideoEncoder(12, steps=2, batch_size=8, width=8, regions=False, progress=False, seed=0).fit(world)
    assert without.moving_ == {} and without.nets_.encoder.region is None
