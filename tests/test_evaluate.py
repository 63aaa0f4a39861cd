"""geogan:evaluate through processing.run: distances and drainage descriptors as outputs, and an HTML report."""

import math
import sys

import numpy as np
import processing
import pytest
from qgis.core import QgsProcessingException

from core.raster_io import read_band

from feedback import LogFeedback
from rasters import write_raster

DISTANCES = ("SLOPE_W1", "RELIEF_W1", "CURVATURE_W1", "ROUGHNESS_W1", "HYPSOMETRY_W1", "SPECTRUM_DISTANCE")
DRAINAGE = ("DEPRESSION_FRACTION", "MINIMA_PER_1000", "DRAINAGE_EXPONENT", "DRAINAGE_DENSITY", "HACK_EXPONENT")
# The sample DEM's grid: 3 arc-second pixels in WGS 84, so rasters written here have its resolution in metres.
SAMPLE_GRID = {"epsg": 4326, "origin": (-84.41375, 36.73291666666667), "pixel": 1 / 1200}


@pytest.fixture(scope="module")
def synthetic_dem(trained_model, tmp_path_factory):
    path = str(tmp_path_factory.mktemp("evaluate") / "synthetic.tif")
    processing.run("geogan:generatedem", {"MODEL": trained_model, "WIDTH": 256, "HEIGHT": 256, "OUTPUT": path})
    return path


def test_report_and_distances(sample_dem, synthetic_dem, tmp_path):
    report = tmp_path / "realism.html"
    results = processing.run("geogan:evaluate", {"REAL_LAYERS": [sample_dem], "SYNTHETIC_LAYERS": [synthetic_dem],
                                                 "TILE_SIZE": 64, "OUTPUT_REPORT": str(report)})
    assert all(math.isfinite(results[key]) and results[key] > 0 for key in DISTANCES)
    # A 256-pixel raster is just large enough for drainage; the depression fraction and minima always exist.
    for key in ("DEPRESSION_FRACTION", "MINIMA_PER_1000", "DRAINAGE_DENSITY"):
        assert math.isfinite(results[key]) and math.isfinite(results["REAL_" + key])
    assert 0.0 <= results["DEPRESSION_FRACTION"] <= 1.0
    assert results["OUTPUT_REPORT"] == str(report)
    page = report.read_text()
    # Hillshades, histograms, spectra and the flow accumulation maps.
    assert page.count("data:image/png;base64,") == 4 and "SPECTRUM_DISTANCE" in page
    assert "DEPRESSION_FRACTION" in page and "at least <b>100 cells</b>" in page


def test_a_raster_is_at_distance_zero_from_itself(geogan_plugin, sample_dem, tmp_path):
    results = processing.run("geogan:evaluate", {"REAL_LAYERS": [sample_dem], "SYNTHETIC_LAYERS": [sample_dem],
                                                 "TILE_SIZE": 64, "OUTPUT_REPORT": str(tmp_path / "same.html")})
    assert all(results[key] == pytest.approx(0.0, abs=1e-9) for key in DISTANCES)
    for key in DRAINAGE:
        assert math.isfinite(results[key]) and results[key] == results["REAL_" + key]
    assert 0.35 <= results["REAL_DRAINAGE_EXPONENT"] <= 0.6
    assert 0.0 < results["REAL_DEPRESSION_FRACTION"] < 0.06


def test_noise_has_more_closed_depressions_than_real_terrain(geogan_plugin, sample_dem, tmp_path):
    # Random-walk noise with the sample's relief, on the sample's grid.
    rng = np.random.default_rng(7)
    walk = np.cumsum(rng.normal(size=(300, 300)), axis=0) + np.cumsum(rng.normal(size=(300, 300)), axis=1)
    noise = write_raster(tmp_path / "noise.tif", 250 + 800 * (walk - walk.min()) / np.ptp(walk), **SAMPLE_GRID)
    feedback = LogFeedback()
    results = processing.run("geogan:evaluate", {"REAL_LAYERS": [sample_dem], "SYNTHETIC_LAYERS": [noise],
                                                 "OUTPUT_REPORT": str(tmp_path / "noise.html")}, feedback=feedback)
    assert results["DEPRESSION_FRACTION"] > 5 * results["REAL_DEPRESSION_FRACTION"] > 0
    assert results["MINIMA_PER_1000"] > 5 * results["REAL_MINIMA_PER_1000"] > 0
    line = next(line for line in feedback.lines if line.startswith("Share of cells in closed depressions"))
    assert f"real {results['REAL_DEPRESSION_FRACTION']:.4g}, synthetic {results['DEPRESSION_FRACTION']:.4g}" in line


def test_rasters_too_small_for_drainage_give_nan_and_say_why(geogan_plugin, sample_dem, tmp_path):
    small = write_raster(tmp_path / "small.tif", read_band(sample_dem).values[:200, :200], **SAMPLE_GRID)
    feedback = LogFeedback()
    results = processing.run("geogan:evaluate", {"REAL_LAYERS": [sample_dem], "SYNTHETIC_LAYERS": [small],
                                                 "OUTPUT_REPORT": str(tmp_path / "small.html")}, feedback=feedback)
    assert all(math.isfinite(results[key]) for key in DISTANCES)  # the tiles are still compared
    assert all(math.isnan(results[key]) and math.isfinite(results["REAL_" + key]) for key in DRAINAGE)
    assert any("small.tif left out, as drainage needs at least 256 x 256 pixels" in line for line in feedback.lines)
    assert "not measured" in (tmp_path / "small.html").read_text()


def test_without_scipy_the_install_command_is_given(geogan_plugin, sample_dem, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.sparse.csgraph", None)  # import fails as if scipy were missing
    with pytest.raises(QgsProcessingException, match="apt install python3-scipy"):
        processing.run("geogan:evaluate", {"REAL_LAYERS": [sample_dem], "SYNTHETIC_LAYERS": [sample_dem],
                                           "OUTPUT_REPORT": str(tmp_path / "r.html")})
    assert not (tmp_path / "r.html").exists()


def test_rasters_of_other_resolution_are_refused(geogan_plugin, sample_dem, tmp_path):
    other = write_raster(tmp_path / "utm.tif", np.random.default_rng(0).normal(300, 20, (128, 128)), pixel=10.0)
    with pytest.raises(QgsProcessingException, match="same resolution"):
        processing.run("geogan:evaluate", {"REAL_LAYERS": [sample_dem], "SYNTHETIC_LAYERS": [other],
                                           "OUTPUT_REPORT": str(tmp_path / "r.html")})
    assert not (tmp_path / "r.html").exists()
