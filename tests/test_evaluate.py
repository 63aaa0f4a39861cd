"""geogan:evaluate through processing.run: distances as outputs and a self-contained HTML report."""

import math

import processing
import pytest
from qgis.core import QgsProcessingException

from rasters import write_raster

DISTANCES = ("SLOPE_W1", "RELIEF_W1", "CURVATURE_W1", "ROUGHNESS_W1", "HYPSOMETRY_W1", "SPECTRUM_DISTANCE")


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
    assert results["OUTPUT_REPORT"] == str(report)
    page = report.read_text()
    assert page.count("data:image/png;base64,") == 3 and "SPECTRUM_DISTANCE" in page


def test_a_raster_is_at_distance_zero_from_itself(geogan_plugin, sample_dem, tmp_path):
    results = processing.run("geogan:evaluate", {"REAL_LAYERS": [sample_dem], "SYNTHETIC_LAYERS": [sample_dem],
                                                 "TILE_SIZE": 64, "OUTPUT_REPORT": str(tmp_path / "same.html")})
    assert all(results[key] == pytest.approx(0.0, abs=1e-9) for key in DISTANCES)


def test_rasters_of_other_resolution_are_refused(geogan_plugin, sample_dem, tmp_path):
    import numpy as np

    other = write_raster(tmp_path / "utm.tif", np.random.default_rng(0).normal(300, 20, (128, 128)), pixel=10.0)
    with pytest.raises(QgsProcessingException, match="same resolution"):
        processing.run("geogan:evaluate", {"REAL_LAYERS": [sample_dem], "SYNTHETIC_LAYERS": [other],
                                           "OUTPUT_REPORT": str(tmp_path / "r.html")})
    assert not (tmp_path / "r.html").exists()
