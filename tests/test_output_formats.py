"""Outputs in the formats users take terrain to (issue 9): GeoTIFF, cloud-optimised GeoTIFF, other GDAL formats
chosen by the extension, and 16-bit PNG / RAW heightmaps with their scaling in a JSON beside them."""

import json
import os

import numpy as np
import processing
import pytest
from osgeo import gdal
from qgis.core import QgsProcessingException

from rasters import hills, write_raster


def opened(path) -> gdal.Dataset:
    dataset = gdal.Open(str(path))
    assert dataset is not None, path
    return dataset


@pytest.mark.parametrize("name, driver", [("synthetic.img", "HFA"), ("synthetic.asc", "AAIGrid")])
def test_generated_dem_in_another_gdal_format_keeps_grid_tags_and_style(trained_model, tmp_path, name, driver):
    reference = tmp_path / "reference.tif"
    processing.run("geogan:generatedem", {"MODEL": trained_model, "WIDTH": 40, "HEIGHT": 24, "SEED": 5, "DEVICE": 1,
                                          "OUTPUT": str(reference)})
    output = tmp_path / name
    results = processing.run("geogan:generatedem", {"MODEL": trained_model, "WIDTH": 40, "HEIGHT": 24, "SEED": 5,
                                                    "DEVICE": 1, "OUTPUT": str(output)})
    assert results["OUTPUT"] == str(output)
    written, expected = opened(output), opened(reference)
    assert written.GetDriver().ShortName == driver
    assert (written.RasterXSize, written.RasterYSize) == (40, 24)
    assert np.allclose(written.GetGeoTransform(), expected.GetGeoTransform())
    crs, expected_crs = written.GetSpatialRef(), expected.GetSpatialRef()  # kept: IsSameGeogCS needs both alive
    assert crs.IsGeographic() and crs.IsSameGeogCS(expected_crs)  # WGS 84 (an ESRI .prj gives no axis order)
    assert written.GetMetadataItem("GEOGAN_SYNTHETIC") == "YES"  # in the file, or in its .aux.xml
    assert np.allclose(written.ReadAsArray(), expected.ReadAsArray(), atol=1e-3)
    assert (tmp_path / f"{os.path.splitext(name)[0]}.qml").is_file()
    assert not [leftover for leftover in os.listdir(tmp_path) if leftover.startswith(".")]  # no scratch files


def test_cloud_optimised_geotiff_on_request(trained_model, tmp_path):
    output = tmp_path / "synthetic_cog.tif"
    processing.run("geogan:generatedem", {"MODEL": trained_model, "WIDTH": 600, "HEIGHT": 520, "DEVICE": 1,
                                          "CLOUD_OPTIMISED": True, "OUTPUT": str(output)})
    dataset = opened(output)
    assert dataset.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG"
    assert dataset.GetRasterBand(1).GetOverviewCount() >= 1 and dataset.GetMetadataItem("GEOGAN_SYNTHETIC") == "YES"
    assert "Layout: COG" in gdal.Info(str(output)) or "LAYOUT=COG" in gdal.Info(str(output))
    plain = tmp_path / "plain.tif"
    processing.run("geogan:generatedem", {"MODEL": trained_model, "DEVICE": 1, "OUTPUT": str(plain)})
    assert opened(plain).GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") is None  # off by default
    with pytest.raises(QgsProcessingException, match="cloud-optimised GeoTIFF is a GeoTIFF"):
        processing.run("geogan:generatedem", {"MODEL": trained_model, "DEVICE": 1, "CLOUD_OPTIMISED": True,
                                              "OUTPUT": str(tmp_path / "cog.img")})


@pytest.mark.parametrize("name, sentence", [
    ("synthetic.png", r"does not write float32 elevations as Portable Network Graphics .*Export heightmap"),
    ("synthetic.foo", r"no raster format whose files end in \.foo.*\.tif, \.tiff, \.asc"),
])
def test_names_no_float_format_fits_are_refused_and_nothing_is_written(trained_model, tmp_path, name, sentence):
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(QgsProcessingException, match=sentence):
        processing.run("geogan:generatedem", {"MODEL": trained_model, "DEVICE": 1, "OUTPUT": str(folder / name)})
    assert os.listdir(folder) == []


def test_realism_map_in_another_format(trained_model, sample_corner, tmp_path):
    output = tmp_path / "realism.img"
    processing.run("geogan:realismmap", {"MODEL": trained_model, "INPUT": sample_corner, "DEVICE": 1,
                                         "OUTPUT": str(output)})
    dataset = opened(output)
    assert dataset.GetDriver().ShortName == "HFA" and (dataset.RasterXSize, dataset.RasterYSize) == (96, 96)
    assert (tmp_path / "realism.qml").is_file()


def dem(tmp_path, size=(60, 80)):
    """A projected DEM (UTM 16N, 30 m pixels) of hills with a nodata corner; returns (path, values with NaN)."""
    values = hills(max(size))[:size[0], :size[1]].astype(np.float32) * 3.0 + 250.0
    values[:3, :3] = -9999.0
    path = write_raster(tmp_path / "dem.tif", values, nodata=-9999.0)
    values[:3, :3] = np.nan
    return path, values


def test_heightmap_png_is_16_bit_and_its_json_inverts_it(geogan_plugin, tmp_path):
    path, values = dem(tmp_path)
    output = tmp_path / "terrain.png"
    results = processing.run("geogan:exportheightmap", {"INPUT": path, "OUTPUT": str(output)})
    assert results["OUTPUT"] == str(output) and results["SCALING"] == str(tmp_path / "terrain.json")
    png = opened(output)
    assert png.GetDriver().ShortName == "PNG" and png.GetRasterBand(1).DataType == gdal.GDT_UInt16
    assert (png.RasterXSize, png.RasterYSize) == (80, 60)
    levels = png.ReadAsArray()
    assert levels.min() == 0 and levels.max() == 65535
    scaling = json.loads((tmp_path / "terrain.json").read_text())
    low, high = np.nanmin(values), np.nanmax(values)
    assert results["MIN_ELEVATION"] == pytest.approx(low) and results["MAX_ELEVATION"] == pytest.approx(high)
    assert scaling["min_elevation"] == pytest.approx(low) and scaling["max_elevation"] == pytest.approx(high)
    assert scaling["metres_per_unit"] == pytest.approx((high - low) / 65535)
    elevations = scaling["min_elevation"] + levels * scaling["metres_per_unit"]
    valid = np.isfinite(values)
    assert np.abs(elevations[valid] - values[valid]).max() <= scaling["metres_per_unit"] / 2 + 1e-4
    assert (levels[~valid] == 0).all() and scaling["nodata_pixels"] == 9
    assert scaling["pixel_size_m"] == {"x": pytest.approx(30.0), "y": pytest.approx(30.0)}
    assert scaling["terrain_size_m"] == {"x": pytest.approx(2400.0), "y": pytest.approx(1800.0)}
    assert scaling["source"]["crs"] == "EPSG:32616"
    assert scaling["source"]["extent"] == {"xmin": 500000.0, "ymin": 4000000.0 - 1800.0, "xmax": 502400.0,
                                           "ymax": 4000000.0}
    assert scaling["unity"]["terrain_size"]["y"] == pytest.approx(high - low)
    assert scaling["unreal"]["scale"]["z"] == pytest.approx((high - low) / 512 * 100)
    assert scaling["unreal"]["scale"]["x"] == pytest.approx(3000.0)


def test_heightmap_raw_resampled_to_an_engine_size(geogan_plugin, tmp_path):
    from geogan_qgis.core.heightmap import SIZES, read_heightmap

    path, values = dem(tmp_path)
    output = tmp_path / "terrain.r16"
    processing.run("geogan:exportheightmap", {"INPUT": path, "SIZE": SIZES.index(257), "OUTPUT": str(output)})
    assert output.stat().st_size == 257 * 257 * 2
    scaling = json.loads((tmp_path / "terrain.json").read_text())
    assert (scaling["width"], scaling["height"], scaling["format"]) == (257, 257, "raw-16-bit-little-endian")
    assert scaling["resampling"] == "bilinear" and scaling["unity"]["accepted"] and not scaling["unreal"]["accepted"]
    assert scaling["terrain_size_m"] == {"x": pytest.approx(2400.0), "y": pytest.approx(1800.0)}
    assert scaling["pixel_size_m"]["x"] == pytest.approx(2400.0 / 257)
    levels = np.fromfile(output, dtype="<u2").reshape(257, 257)
    assert levels.max() == 65535
    elevations = read_heightmap(str(output))
    relief = np.nanmax(values) - np.nanmin(values)
    assert np.nanmax(values) - 0.01 * relief <= elevations.max() <= np.nanmax(values) + 1e-3
    # Bilinear growth keeps the terrain where it was: the first and last rows match the DEM's edge rows on average.
    assert abs(elevations[-1, 130:].mean() - np.nanmean(values[-1, 40:])) < 0.05 * relief


def test_heightmap_names_and_sizes_that_do_not_fit_are_refused(geogan_plugin, tmp_path):
    path, _ = dem(tmp_path)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(QgsProcessingException, match=r"16-bit PNG \(\.png\) or RAW file"):
        processing.run("geogan:exportheightmap", {"INPUT": path, "OUTPUT": str(folder / "terrain.tif")})
    with pytest.raises(QgsProcessingException, match="OUTPUT is the same file as INPUT|same file"):
        processing.run("geogan:exportheightmap", {"INPUT": path, "OUTPUT": str(path)})
    assert os.listdir(folder) == []


def test_heightmap_command_line(tmp_path):
    from core.heightmap import main

    path, _ = dem(tmp_path)
    assert main([str(path), "--output", str(tmp_path / "cli.raw"), "--size", "505"]) == 0
    assert (tmp_path / "cli.raw").stat().st_size == 505 * 505 * 2
    assert json.loads((tmp_path / "cli.json").read_text())["unreal"]["accepted"]
