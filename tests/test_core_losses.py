"""The losses that teach drainage: exact fills with exact gradients, and the coarse consistency."""

import numpy as np
import pytest
import torch

from core.drainage import route_flow
from core.losses import consistency_loss, depression_depth, depression_fill, excess_depression_loss
from core.metrics import fbm_surface
from core.models import Discriminator, TerrainFeatures
from core.settings import TrainSettings
from core.train import train

from rasters import hills, write_raster


def test_fill_of_a_batch_is_the_exact_fill_of_each_tile():
    tiles = np.stack([fbm_surface(48, 3.0, seed=seed) for seed in range(3)])[:, None].astype(np.float32)
    filled = depression_fill(torch.from_numpy(tiles)).numpy()
    for tile, fill in zip(tiles, filled):
        assert np.array_equal(fill[0], route_flow(tile[0]).filled.astype(np.float32))


def test_gradient_raises_the_pit_and_lowers_its_sill():
    """A 7 x 7 plateau at 10 with a pit at 2 inside a ring at 12, whose lowest cell (the sill) is at 11."""
    relief = np.full((9, 9), 10.0, dtype=np.float32)
    relief[2:7, 2:7] = 12.0
    relief[3:6, 3:6] = 4.0
    relief[4, 4] = 2.0
    relief[2, 4] = 11.0  # the sill
    tile = torch.from_numpy(relief)[None, None].requires_grad_(True)
    depth = depression_depth(tile)
    # filled to 11 over the 3 x 3 hollow: 8 cells 7 deep and the pit 9 deep, over 81 cells
    assert depth.item() == pytest.approx((8 * 7 + 9) / 81)
    depth.sum().backward()
    gradient = tile.grad[0, 0].numpy() * 81
    assert gradient[2, 4] == pytest.approx(9.0)  # lowering the sill drains all 9 cells
    assert gradient[4, 4] == pytest.approx(-1.0) and gradient[3, 3] == pytest.approx(-1.0)
    assert np.count_nonzero(gradient) == 10


def test_excess_depression_loss_is_zero_for_terrain_that_drains_as_well_as_real():
    y, x = np.mgrid[0:32, 0:32]
    tilted = torch.from_numpy((x + 0.3 * y).astype(np.float32))[None, None].repeat(4, 1, 1, 1)
    assert excess_depression_loss(tilted, real_depth=0.0).item() == 0.0
    pitted = tilted.clone()
    pitted[:, :, 10:14, 10:14] -= 20.0
    assert excess_depression_loss(pitted, real_depth=0.0).item() > 0.0


def test_consistency_loss_is_zero_when_the_refined_relief_averages_to_the_coarse():
    refined = torch.randn(2, 1, 16, 16)
    coarse = torch.nn.functional.avg_pool2d(refined, 4)
    assert consistency_loss(refined, coarse, 4).item() == pytest.approx(0.0, abs=1e-7)
    assert consistency_loss(refined, coarse + 0.5, 4).item() == pytest.approx(0.25)


def test_discriminator_sees_how_deep_each_cell_lies_in_a_closed_depression():
    features = TerrainFeatures(depressions=True)
    y, x = np.mgrid[0:32, 0:32]
    tilted = torch.from_numpy((x + 0.3 * y).astype(np.float32))[None, None]
    assert features.raw(tilted).shape[1] == 5 and features.raw(tilted)[0, -1].abs().max().item() == 0.0
    pitted = tilted.clone()
    pitted[..., 10:14, 10:14] -= 20.0
    pitted.requires_grad_(True)
    depth = features.raw(pitted)[0, -1]
    assert (depth[10:14, 10:14] > 0).all() and np.count_nonzero(depth.detach().numpy()) == 16
    depth.sum().backward()  # the generator learns from it: raise the pit floor, lower the sill
    assert (pitted.grad[0, 0, 10:14, 10:14] < 0).all() and pitted.grad.sum().item() == pytest.approx(0.0)
    # the refinement's guides take the shape channels only
    assert features.shape_only(pitted).shape[1] == TerrainFeatures.SHAPE_CHANNELS


def test_discriminator_context_sees_a_valley_closed_beyond_the_tile():
    """A valley descends across a 32 px tile and rises again in the 8 px rim beyond its right edge: drained to the
    tile's edge it is open, filled over the whole canvas it is a closed trough, and the discriminator's context
    sees that."""
    context = 8
    y, x = np.mgrid[0:48, 0:48].astype(np.float32)
    floor = np.where(x <= 40, 0.1 * (40 - x), 0.3 * (x - 40))  # lowest just beyond the tile
    canvas = torch.from_numpy(0.5 * np.abs(y - 24) + floor)[None, None]
    tile = canvas[..., context:-context, context:-context]
    features = TerrainFeatures(depressions=True)
    assert features.raw(tile)[0, -1].abs().max().item() == 0.0  # the tile alone drains out of its edge
    depth = features.raw(canvas)[..., context:-context, context:-context][0, -1]
    assert depth[16, 16].item() > 0.0  # filled to the sill in the rim
    discriminator = Discriminator(TrainSettings().model)
    with torch.no_grad():
        assert discriminator.score_map(canvas, context).shape == discriminator.score_map(tile).shape
        assert not torch.equal(discriminator(canvas, context), discriminator(tile))


def test_training_with_context_needs_room_for_the_rim(tmp_path):
    settings = TrainSettings(tile_size=32, iterations=2, batch_size=2, device="cpu", discriminator_context=True)
    small = write_raster(tmp_path / "small.tif", hills(40))
    with pytest.raises(ValueError, match="40 x 40 pixels; training needs rasters of at least 64 x 64 pixels, because "
                                         "the discriminator judges 32-pixel tiles with 16 pixels around them"):
        train([small], str(tmp_path / "small.pt"), settings)
    assert not (tmp_path / "small.pt").exists()
    result = train([write_raster(tmp_path / "large.tif", hills(64))], str(tmp_path / "large.pt"), settings)
    assert result.iterations == 2 and (tmp_path / "large.pt").exists()


def test_models_saved_before_the_depression_channel_keep_their_discriminator():
    saved = TrainSettings().to_dict()
    del saved["model"]["discriminator_depressions"]
    del saved["discriminator_context"]
    old = TrainSettings.from_dict(saved)
    assert not old.model.discriminator_depressions and Discriminator(old.model).stem.in_channels == 4
    assert old.context_pixels == 0 and TrainSettings(discriminator_context=True).context_pixels == 16
    assert TrainSettings.from_dict(TrainSettings().to_dict()).model.discriminator_depressions
    assert Discriminator(TrainSettings().model).stem.in_channels == 5
