"""Core data pipeline: reading bands with nodata, choosing tiles, normalising relief."""

import numpy as np
import pytest

from core.raster_io import RasterSource, read_band
from core.tiles import TileSampler

from rasters import hills, write_raster


def test_read_band_turns_nodata_and_nan_into_nan(tmp_path):
    values = hills(40)
    values[0, :5] = -32768
    values[1, 0] = np.nan
    raster = read_band(write_raster(tmp_path / "dem.tif", values, nodata=-32768))
    assert raster.values.dtype == np.float32
    assert np.isnan(raster.values[0, :5]).all() and np.isnan(raster.values[1, 0])
    assert np.isfinite(raster.values[2:]).all()
    assert raster.grid.pixel_size == (30.0, 30.0)


def test_sample_dem_reads_with_its_nodata(sample_dem):
    raster = read_band(sample_dem)
    assert raster.values.shape == (344, 403)
    assert raster.grid.is_geographic()
    assert np.nanmin(raster.values) > 0  # the -32768 nodata never shows as an elevation


def test_missing_band_is_named(tmp_path):
    path = write_raster(tmp_path / "dem.tif", hills(40))
    with pytest.raises(ValueError, match="band 2 does not exist"):
        read_band(path, 2)


def test_non_raster_file_is_refused(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x,y\n1,2\n")
    with pytest.raises(ValueError, match="not a raster"):
        read_band(str(path))


@pytest.mark.parametrize("fill, nodata", [(-9999.0, -9999.0), (np.nan, None)])
def test_all_nodata_raster_is_refused(tmp_path, fill, nodata):
    path = write_raster(tmp_path / "empty.tif", np.full((64, 64), fill, np.float32), nodata=nodata)
    with pytest.raises(ValueError, match="only nodata"):
        TileSampler([RasterSource(path)], 32)


def test_raster_smaller_than_tile_is_refused(tmp_path):
    path = write_raster(tmp_path / "small.tif", hills(20))
    with pytest.raises(ValueError, match="smaller than the 32-pixel tile"):
        TileSampler([RasterSource(path)], 32)


def test_tiles_with_too_much_nodata_are_never_drawn(tmp_path):
    values = hills(96)
    values[:, 40:44] = np.nan  # a gap that spoils every tile crossing it
    sampler = TileSampler([RasterSource(write_raster(tmp_path / "gap.tif", values))], 32)
    rows, cols = sampler.corners[0]
    assert len(cols) > 0
    assert ((cols + 32 <= 40) | (cols >= 44)).all()


def test_samples_are_the_true_relief_under_a_flip_or_turn(tmp_path):
    values = hills(32, seed=4)
    sampler = TileSampler([RasterSource(write_raster(tmp_path / "one.tif", values))], 32)
    relief = values - values.mean()
    transforms = [np.rot90(relief, k) for k in range(4)] + [np.rot90(relief, k)[:, ::-1] for k in range(4)]
    batch = sampler.sample(8) * sampler.normalisation.relief_scale
    assert batch.shape == (8, 1, 32, 32) and batch.dtype == np.float32
    for tile in batch[:, 0]:
        assert min(np.abs(tile - t).max() for t in transforms) < 1e-3


def test_normalisation_keeps_relief_proportions(tmp_path):
    gentle = hills(64, seed=1)
    steep = (gentle - 300) * 5 + 300
    sampler = TileSampler([RasterSource(write_raster(tmp_path / "g.tif", gentle)),
                           RasterSource(write_raster(tmp_path / "s.tif", steep))], 32, seed=0)
    spreads = sorted(tile.std() for tile in sampler.sample(200)[:, 0])
    assert spreads[-1] / spreads[0] > 3  # a single global scale: steep tiles stay steeper
    assert sampler.normalisation.elevation_min < 300 < sampler.normalisation.elevation_max
