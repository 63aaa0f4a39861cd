"""Behaviour that differs between the stacks `make test-matrix` covers (issue 13): Debian 12 (QGIS 3.22, GDAL 3.6,
numpy 1.24), Debian 13 (QGIS 3.40, GDAL 3.10, numpy 2.2, python3-torch 2.6) and unstable (QGIS 3.44, GDAL 3.13,
numpy 2.4). Each test holds on all of them."""

import os

import pytest

from core import raster_io
from core.errors import InputError
from core.gdal_errors import gdal_message
from core.raster_io import RasterSource

from rasters import hills, write_raster


def test_gdal_messages_become_one_line():
    # GDAL 3.10+ appends the errors behind a failure on lines of their own.
    error = RuntimeError("IReadBlock failed at X offset 0, Y offset 2: TIFFReadEncodedStrip() failed.\n"
                         "May be caused by: TIFFReadEncodedStrip:Read error at scanline 4294967295")
    assert gdal_message(error) == ("IReadBlock failed at X offset 0, Y offset 2: TIFFReadEncodedStrip() failed. "
                                   "May be caused by: TIFFReadEncodedStrip:Read error at scanline 4294967295")


def test_a_failed_read_is_one_sentence_with_this_gdal(tmp_path, monkeypatch):
    monkeypatch.setattr(raster_io, "IN_MEMORY_PIXELS", 0)  # read from the file, window by window
    path = write_raster(tmp_path / "dem.tif", hills(96))
    source = RasterSource(path)
    os.truncate(path, 2048)
    source.release_cache()
    with pytest.raises(InputError) as refused:
        source.read(0, 0, 96, 96)
    message = str(refused.value)
    assert "\n" not in message and message.startswith("Reading dem.tif failed (")
    assert message.endswith("Check the file and run again.")
