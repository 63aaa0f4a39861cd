"""Faults met inside the core library: each is an InputError with a sentence, and GDAL's mode is left alone."""

import os

import pytest
import torch
from osgeo import gdal

from core import raster_io, tiles
from core.errors import InputError
from core.loader import PrefetchingLoader
from core.output_files import write_atomically
from core.raster_io import RasterSource
from core.tiles import TileSampler

from faults import full_disk
from rasters import hills, write_raster


def test_the_tile_loader_thread_names_an_input_that_changed_while_training(tmp_path, monkeypatch):
    monkeypatch.setattr(raster_io, "IN_MEMORY_PIXELS", 0)  # tiles are read by the loader's thread, window by window
    monkeypatch.setattr(tiles, "SCAN_PIXELS", 96 * 7)
    path = write_raster(tmp_path / "dem.tif", hills(96))
    source = RasterSource(path)
    sampler = TileSampler([source], 16)
    found = gdal.GetUseExceptions()
    os.truncate(path, 2048)  # another program overwrites the file
    source.release_cache()
    with pytest.raises(InputError, match="Reading dem.tif failed .* changed, moved or deleted"):
        with PrefetchingLoader(sampler, 4, torch.device("cpu")) as batches:
            for _ in range(20):
                next(batches)
    assert gdal.GetUseExceptions() == found


@pytest.mark.parametrize("data", [b"\0" * 100_000, "<html>" + "x" * 100_000])
def test_a_full_disk_leaves_no_model_or_report_behind(tmp_path, data):
    disk = tmp_path / "disk"
    with full_disk(disk) as real_disk:
        with pytest.raises(InputError, match="nothing was written") as refused:
            write_atomically(str(disk / "out"), data)
        assert os.listdir(disk) == []
    assert not real_disk or f"The disk holding {disk} is full" in str(refused.value)
