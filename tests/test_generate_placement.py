"""geogan:generatedem placed by EXTENT or REFERENCE_LAYER: on the model's grid, or exactly on a reference grid."""

import os

import numpy as np
import processing
import pytest
from osgeo import gdal, osr
from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsProcessingException,
    QgsProject,
    QgsRectangle,
)

from rasters import write_raster

SEED = 7


def _generate(model, output, **placement):
    processing.run("geogan:generatedem", {"MODEL": model, "SEED": SEED, "DEVICE": 1, "OUTPUT": str(output),
                                          **placement})
    dataset = gdal.Open(str(output))
    return dataset, dataset.ReadAsArray()


@pytest.fixture(scope="module")
def model_grid(sample_dem):
    """The training data's grid: origin, pixel width and (negative) pixel height."""
    x0, pixel_w, _, y0, _, pixel_h = gdal.Open(sample_dem).GetGeoTransform()
    return x0, y0, pixel_w, pixel_h


def _extent(model_grid, col_a, col_b, row_a, row_b, crs="EPSG:4326"):
    """'xmin,xmax,ymin,ymax [crs]' between fractional model-grid columns and rows."""
    x0, y0, pixel_w, pixel_h = model_grid
    xmin, xmax, ymin, ymax = x0 + col_a * pixel_w, x0 + col_b * pixel_w, y0 + row_b * pixel_h, y0 + row_a * pixel_h
    return f"{xmin!r},{xmax!r},{ymin!r},{ymax!r} [{crs}]"


def _pixel_offset(dataset, model_grid):
    """(row, col) of the dataset's top-left pixel in the model's grid, checked to be whole pixels."""
    x0, y0, pixel_w, pixel_h = model_grid
    gx, _, _, gy, _, _ = dataset.GetGeoTransform()
    col, row = (gx - x0) / pixel_w, (gy - y0) / pixel_h
    assert col == pytest.approx(round(col), abs=1e-6) and row == pytest.approx(round(row), abs=1e-6)
    return round(row), round(col)


def _same_crs(dataset, epsg):
    srs = osr.SpatialReference(wkt=dataset.GetProjection())
    expected = osr.SpatialReference()
    expected.ImportFromEPSG(epsg)
    return bool(srs.IsSame(expected))


def test_extent_is_covered_on_the_model_grid_at_its_pixel_size(trained_model, model_grid, tmp_path):
    # fractional columns and rows, partly above and left of the training data's origin
    dataset, values = _generate(trained_model, tmp_path / "extent.tif",
                                EXTENT=_extent(model_grid, -10.4, 37.2, -3.7, 20.5))
    assert _same_crs(dataset, 4326)
    _, pixel_w, _, _, _, pixel_h = dataset.GetGeoTransform()
    assert (pixel_w, pixel_h) == pytest.approx(model_grid[2:])
    assert _pixel_offset(dataset, model_grid) == (-4, -11)  # snapped outward
    assert (dataset.RasterXSize, dataset.RasterYSize) == (49, 25)
    assert values.dtype == np.float32 and np.isfinite(values).all() and (values != -9999).all()
    assert dataset.GetMetadata()["GEOGAN_SYNTHETIC"] == "YES"


def test_extent_in_another_crs_is_transformed_to_the_model_crs(trained_model, model_grid, tmp_path):
    x0, y0, pixel_w, pixel_h = model_grid
    wanted = QgsRectangle(x0 + 5 * pixel_w, y0 + 60 * pixel_h, x0 + 45.5 * pixel_w, y0 + 20.5 * pixel_h)
    to_mercator = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"),
                                         QgsCoordinateReferenceSystem("EPSG:3857"), QgsProject.instance())
    box = to_mercator.transformBoundingBox(wanted)
    extent = f"{box.xMinimum()!r},{box.xMaximum()!r},{box.yMinimum()!r},{box.yMaximum()!r} [EPSG:3857]"
    dataset, values = _generate(trained_model, tmp_path / "mercator.tif", EXTENT=extent)
    assert _same_crs(dataset, 4326)  # the model's CRS, not the extent's
    assert dataset.GetGeoTransform()[1] == pytest.approx(pixel_w)
    # Mercator maps longitude/latitude boxes to boxes, so the area comes back to the same model pixels
    assert _pixel_offset(dataset, model_grid) == (20, 5)
    assert (dataset.RasterXSize, dataset.RasterYSize) == (41, 40)
    assert np.isfinite(values).all()


def test_a_sub_area_generated_alone_matches_the_big_raster(trained_model, model_grid, tmp_path):
    big_set, big = _generate(trained_model, tmp_path / "big.tif", EXTENT=_extent(model_grid, -20, 100, -12, 70))
    big_row, big_col = _pixel_offset(big_set, model_grid)
    # not on the generator's 8-pixel cells, and reaching above/left of the origin
    small_set, small = _generate(trained_model, tmp_path / "small.tif", EXTENT=_extent(model_grid, -5.5, 61.2, -3, 43))
    row, col = _pixel_offset(small_set, model_grid)
    assert (row, col, small.shape) == (-3, -6, (46, 68))
    overlap = big[row - big_row:row - big_row + small.shape[0], col - big_col:col - big_col + small.shape[1]]
    assert np.allclose(small, overlap, rtol=0, atol=1e-3)  # metres
    assert small.std() > 0


def test_no_placement_keeps_the_training_origin(trained_model, model_grid, tmp_path):
    dataset, values = _generate(trained_model, tmp_path / "plain.tif", WIDTH=40, HEIGHT=24)
    _, extent = _generate(trained_model, tmp_path / "extent.tif", EXTENT=_extent(model_grid, 0, 40, 0, 24))
    assert _pixel_offset(dataset, model_grid) == (0, 0)
    assert np.array_equal(values, extent)


def test_reference_in_another_crs_and_pixel_size_sets_the_output_grid(trained_model, sample_dem, tmp_path):
    reference = str(tmp_path / "reference_utm.tif")
    gdal.Warp(reference, sample_dem, dstSRS="EPSG:32616", xRes=300, yRes=300, resampleAlg="bilinear")
    output = tmp_path / "out" / "matched.tif"
    output.parent.mkdir()
    dataset, values = _generate(trained_model, output, REFERENCE_LAYER=reference)
    expected = gdal.Open(reference)
    assert _same_crs(dataset, 32616)
    assert dataset.GetGeoTransform() == pytest.approx(expected.GetGeoTransform())
    assert (dataset.RasterXSize, dataset.RasterYSize) == (expected.RasterXSize, expected.RasterYSize)
    assert np.isfinite(values).all() and (values != -9999).all() and values.std() > 0
    band = dataset.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Float32 and band.GetNoDataValue() == -9999 and band.GetBlockSize() == [256, 256]
    assert dataset.GetMetadata("IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
    assert dataset.GetMetadata()["GEOGAN_SYNTHETIC"] == "YES"
    # No scratch file left: only the raster (and GDAL's .aux.xml) and its style beside it.
    assert all(name.startswith("matched.tif") or name == "matched.qml" for name in os.listdir(output.parent))


def test_reference_on_the_model_grid_is_generated_there_exactly(trained_model, model_grid, tmp_path):
    x0, y0, pixel_w, pixel_h = model_grid
    reference = write_raster(tmp_path / "aligned.tif", np.zeros((30, 50)), epsg=4326,
                             origin=(x0 + 13 * pixel_w, y0 + 5 * pixel_h), pixel=pixel_w)
    dataset, values = _generate(trained_model, tmp_path / "matched.tif", REFERENCE_LAYER=reference)
    assert dataset.GetGeoTransform() == gdal.Open(reference).GetGeoTransform() and values.shape == (30, 50)
    _, big = _generate(trained_model, tmp_path / "big.tif", EXTENT=_extent(model_grid, 0, 64, 0, 40))
    assert np.allclose(values, big[5:35, 13:63], rtol=0, atol=1e-3)


@pytest.mark.parametrize("case, message", [
    ("extent and reference", "not both"),
    ("extent and width", "leave width and height empty"),
    ("reference and height", "leave width and height empty"),
    ("zero-area extent", "has no area"),
    ("huge extent", "more than the 65536 pixels"),
])
def test_conflicting_or_impossible_placements_are_refused(trained_model, sample_dem, model_grid, tmp_path, case,
                                                          message):
    x0, y0, _, _ = model_grid
    placement = {
        "extent and reference": {"EXTENT": _extent(model_grid, 0, 10, 0, 10), "REFERENCE_LAYER": sample_dem},
        "extent and width": {"EXTENT": _extent(model_grid, 0, 10, 0, 10), "WIDTH": 10},
        "reference and height": {"REFERENCE_LAYER": sample_dem, "HEIGHT": 10},
        "zero-area extent": {"EXTENT": f"{x0!r},{x0!r},{y0 - 0.01!r},{y0!r} [EPSG:4326]"},
        "huge extent": {"EXTENT": "-170,170,-60,60 [EPSG:4326]"},
    }[case]
    output = tmp_path / "out" / "refused.tif"
    output.parent.mkdir()
    with pytest.raises(QgsProcessingException, match=message) as refused:
        processing.run("geogan:generatedem", {"MODEL": trained_model, "DEVICE": 1, "OUTPUT": str(output),
                                              **placement})
    assert "Traceback" not in str(refused.value)
    assert os.listdir(output.parent) == []
