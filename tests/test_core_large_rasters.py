"""Training from rasters of any size: windowed reading, strip scanning, warping, prefetching."""

import threading

import numpy as np
import pytest
import torch
from osgeo import osr

from core import raster_io, tiles
from core.loader import PrefetchingLoader
from core.progress import Reporter
from core.raster_io import RasterSource
from core.tiles import TileSampler
from core.train import open_sources

from rasters import hills, write_raster


@pytest.fixture
def windowed(monkeypatch):
    """Make every raster 'large': nothing kept in memory, scanned in strips of a few rows."""
    monkeypatch.setattr(raster_io, "IN_MEMORY_PIXELS", 0)
    monkeypatch.setattr(tiles, "SCAN_PIXELS", 96 * 7)


def _gappy_raster(tmp_path):
    values = hills(96, seed=2)
    values[50:53, 10:30] = -9999.0
    values[:, 70] = np.nan
    return write_raster(tmp_path / "gappy.tif", values, nodata=-9999.0), values


def test_windowed_reads_equal_whole_band_reads(tmp_path, windowed):
    path, _ = _gappy_raster(tmp_path)
    whole = raster_io.read_band(path).values
    source = RasterSource(path)
    assert source._values is None  # really read window by window
    np.testing.assert_array_equal(source.read(45, 5, 20, 70), whole[45:65, 5:75])


def test_strip_scan_finds_the_same_tiles_and_statistics_as_one_pass(tmp_path, monkeypatch):
    path, values = _gappy_raster(tmp_path)
    in_memory = TileSampler([RasterSource(path)], 16)
    monkeypatch.setattr(raster_io, "IN_MEMORY_PIXELS", 0)
    monkeypatch.setattr(tiles, "SCAN_PIXELS", 96 * 7)  # 7 corner rows per strip: many strips
    scanned = TileSampler([RasterSource(path)], 16)
    for a, b in zip(in_memory.corners[0], scanned.corners[0]):
        np.testing.assert_array_equal(a, b)
    valid = values[np.isfinite(values) & (values != -9999.0)]
    assert scanned.normalisation.elevation_mean == pytest.approx(valid.mean(), rel=1e-6)
    assert scanned.normalisation.elevation_min == pytest.approx(valid.min())
    assert scanned.normalisation.elevation_max == pytest.approx(valid.max())


def test_corners_thin_to_a_grid_on_huge_rasters_and_still_avoid_gaps(tmp_path, monkeypatch, windowed):
    monkeypatch.setattr(tiles, "MAX_CORNERS", 500)
    path, _ = _gappy_raster(tmp_path)
    sampler = TileSampler([RasterSource(path)], 16)
    rows, cols = sampler.corners[0]
    stride = sampler.strides[0]
    assert stride > 1 and len(rows) <= 500
    assert (rows % stride == 0).all() and (cols % stride == 0).all()
    assert ((cols + 16 <= 70) | (cols > 70)).all()  # the NaN column spoils every tile across it
    tiles_drawn = sampler.sample(64)
    assert np.isfinite(tiles_drawn).all() and tiles_drawn.std() > 0


def test_layers_in_another_crs_are_warped_to_the_first(tmp_path):
    first = write_raster(tmp_path / "utm.tif", hills(96), epsg=32616, origin=(500000.0, 4000000.0), pixel=30.0)
    # The same area in geographic coordinates, about 0.0003 degrees (~30 m) per pixel.
    second = write_raster(tmp_path / "geo.tif", hills(96, seed=5), epsg=4326, origin=(-87.0, 36.14), pixel=0.0003)
    lines = []
    sources = open_sources([first, second], 1, Reporter(log=lines.append))
    warped = sources[1]
    assert warped.warped and not sources[0].warped
    assert warped.grid.pixel_size == pytest.approx((30.0, 30.0))
    utm, crs = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(32616)
    crs.ImportFromWkt(warped.grid.crs_wkt)
    assert crs.IsSame(utm)
    assert any("geo.tif" in line and "warped" in line for line in lines)
    middle = warped.read(warped.shape[0] // 2 - 8, warped.shape[1] // 2 - 8, 16, 16)
    assert np.isfinite(middle).all() and 250 < middle.mean() < 400  # elevations survive, nothing zero-filled
    corners = warped.read(0, 0, 1, 1)  # a warped (rotated) footprint leaves nodata, not zeros, outside
    assert np.isnan(corners).all() or corners.min() > 100


def test_each_training_process_draws_its_own_tiles_with_one_normalisation(tmp_path):
    path = write_raster(tmp_path / "dem.tif", hills(96))
    rank0 = TileSampler([RasterSource(path)], 32, seed=7, stream=0)
    rank1 = TileSampler([RasterSource(path)], 32, seed=7, stream=1)
    assert rank0.normalisation == rank1.normalisation
    assert not np.allclose(rank0.sample(4), rank1.sample(4))


def test_prefetching_loader_delivers_channels_last_batches_and_stops(tmp_path):
    sampler = TileSampler([RasterSource(write_raster(tmp_path / "dem.tif", hills(96)))], 32)
    with PrefetchingLoader(sampler, 5, torch.device("cpu")) as loader:
        batches = [next(loader) for _ in range(4)]
    assert all(b.shape == (5, 1, 32, 32) and b.is_contiguous(memory_format=torch.channels_last) for b in batches)
    assert not any(t.name == "geogan-tile-loader" for t in threading.enumerate())


def test_prefetching_loader_hands_read_errors_to_the_training_thread(tmp_path):
    sampler = TileSampler([RasterSource(write_raster(tmp_path / "dem.tif", hills(96)))], 32)
    sampler.sample = lambda batch_size: (_ for _ in ()).throw(OSError("disk gone"))
    with pytest.raises(OSError, match="disk gone"):
        with PrefetchingLoader(sampler, 5, torch.device("cpu")) as loader:
            next(loader)
