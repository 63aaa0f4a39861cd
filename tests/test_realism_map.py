"""geogan:realismmap through processing.run: real terrain scores above fractal noise, on the input's own grid."""

import os

import numpy as np
import processing
import pytest
import torch
from osgeo import gdal
from qgis.core import QgsProcessingException

from core.metrics import fbm_surface, radial_power_spectrum

from feedback import LogFeedback
from rasters import hills, write_raster

SEAM = 201  # the sample DEM is 403 pixels wide


@pytest.fixture(scope="module")
def model(geogan_plugin) -> str:
    """The sample model shipped in the plugin: fully trained on the sample DEM, critic included (no training here)."""
    from geogan_qgis.paths import SAMPLE_MODEL

    return SAMPLE_MODEL


TILE = torch.load(os.path.join(os.path.dirname(__file__), os.pardir, "resources", "sample_model", "jacksboro_gan.pt"),
                  weights_only=True)["settings"]["tile_size"]


def window_spread(values: np.ndarray) -> float:
    """Mean standard deviation over tile-sized windows: relief as the critic sees it."""
    rows, cols = values.shape
    return float(np.mean([values[r:r + TILE, c:c + TILE].std()
                          for r in range(0, rows - TILE + 1, TILE) for c in range(0, cols - TILE + 1, TILE)]))


@pytest.fixture(scope="module")
def half_fbm(sample_dem, tmp_path_factory) -> str:
    """The sample DEM on its own grid: left half as measured, right half fBm with its spectral exponent and relief."""
    dataset = gdal.Open(sample_dem)
    real = dataset.ReadAsArray().astype(np.float64)
    height, width = real.shape
    left = real[:, :SEAM]
    beta = -radial_power_spectrum(left, pixel_size=1.0).slope
    noise = fbm_surface(2 * max(height, width), beta, seed=7)[:height, :width - SEAM]
    noise = (noise - noise.mean()) * window_spread(left) / window_spread(noise) + left.mean()
    path = str(tmp_path_factory.mktemp("half_fbm") / "half_fbm.tif")
    out = gdal.GetDriverByName("GTiff").Create(path, width, height, 1, gdal.GDT_Float32)
    out.SetGeoTransform(dataset.GetGeoTransform())
    out.SetProjection(dataset.GetProjection())
    out.GetRasterBand(1).WriteArray(np.concatenate([left, noise], axis=1))
    out = None
    return path


def roc_auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half): Mann-Whitney U."""
    scores = np.concatenate([positives, negatives])
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    # Tied scores share their mean rank.
    _, first, counts = np.unique(scores[order], return_index=True, return_counts=True)
    for start, count in zip(first[counts > 1], counts[counts > 1]):
        ranks[order[start:start + count]] = ranks[order[start:start + count]].mean()
    n_pos, n_neg = len(positives), len(negatives)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def test_roc_auc_on_known_cases():
    assert roc_auc(np.array([3.0, 4.0]), np.array([1.0, 2.0])) == 1.0
    assert roc_auc(np.array([1.0, 2.0]), np.array([3.0, 4.0])) == 0.0
    assert roc_auc(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.5


def run_map(model, raster, output, feedback=None, **extra):
    parameters = {"MODEL": model, "INPUT": raster, "BAND": 1, "DEVICE": 1, "OUTPUT": str(output), **extra}
    return processing.run("geogan:realismmap", parameters, feedback=feedback)


def halves_auc(output) -> float:
    """ROC AUC of real against fBm pixels, away from the seam, where windows see only one kind of terrain."""
    result = gdal.Open(str(output))
    scores = result.GetRasterBand(1).ReadAsArray()
    real, fake = scores[:, :SEAM - TILE].ravel(), scores[:, SEAM + TILE:].ravel()
    auc = roc_auc(real, fake)
    print(f"{os.path.basename(str(output))}: AUC real vs fBm {auc:.3f} (mean {real.mean():.3f} vs {fake.mean():.3f})")
    return auc


def test_real_terrain_scores_above_fbm_on_the_input_grid(model, half_fbm, tmp_path):
    output = tmp_path / "realism.tif"
    assert run_map(model, half_fbm, output)["OUTPUT"] == str(output)
    source, result = gdal.Open(half_fbm), gdal.Open(str(output))
    assert (result.RasterXSize, result.RasterYSize) == (source.RasterXSize, source.RasterYSize)
    assert result.GetGeoTransform() == source.GetGeoTransform()
    assert result.GetSpatialRef().IsSame(source.GetSpatialRef())
    band = result.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Float32
    assert band.GetDescription() == "realism: likeness to the training data (0 = unlike, 1 = alike)"
    scores = band.ReadAsArray()
    assert np.isfinite(scores).all() and scores.min() >= 0.0 and scores.max() <= 1.0
    assert halves_auc(output) >= 0.9


def test_nodata_and_other_grids(model, tmp_path):
    """A raster at another resolution is scored with a warning; its nodata stays nodata."""
    values = hills(3 * TILE, seed=2)
    hole = slice(3 * TILE // 2 - 5, 3 * TILE // 2 + 5)  # in the middle, at least one tile from every edge
    values[hole, hole] = -9999.0
    raster = write_raster(tmp_path / "utm.tif", values, nodata=-9999.0)
    feedback = LogFeedback()
    run_map(model, raster, tmp_path / "map.tif", feedback)
    assert any("differs from the training data's" in line for line in feedback.lines)
    result = gdal.Open(str(tmp_path / "map.tif"))  # kept referenced: a band is invalid once its dataset is freed
    band = result.GetRasterBand(1)
    scores = band.ReadAsArray()
    nodata = scores == band.GetNoDataValue()
    assert nodata[hole, hole].all()
    # Pixels away from the hole are scored (by windows that miss it), and every score is a probability.
    assert not nodata[:8].any() and (scores[~nodata] >= 0).all() and (scores[~nodata] <= 1).all()


def test_model_without_critic_uses_its_discriminator(model, half_fbm, tmp_path):
    checkpoint = torch.load(model, weights_only=True)
    del checkpoint["critic"]
    old = str(tmp_path / "old.pt")
    torch.save(checkpoint, old)
    feedback = LogFeedback()
    run_map(old, half_fbm, tmp_path / "old.tif", feedback)
    assert any("before GeoGAN had a realism critic" in line for line in feedback.lines)
    assert gdal.Open(str(tmp_path / "old.tif")).GetMetadataItem("GEOGAN_SCORER") == "discriminator"


def test_model_saved_before_the_end_says_why_it_has_no_critic(model, half_fbm, tmp_path):
    checkpoint = torch.load(model, weights_only=True)
    del checkpoint["critic"]
    checkpoint["completed"] = False  # as written when a training is cancelled
    stopped = str(tmp_path / "stopped.pt")
    torch.save(checkpoint, stopped)
    feedback = LogFeedback()
    run_map(stopped, half_fbm, tmp_path / "stopped.tif", feedback)
    assert any("training was stopped before the end" in line for line in feedback.lines)


def _not_a_model(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_bytes(b"not a model at all")
    return str(path)


@pytest.mark.parametrize("case, message", [
    ("band", "band 2 does not exist"),
    ("small", f"smaller than the model's {TILE}-pixel tile"),
    ("nodata", "holds only nodata"),
    ("model", "not a GeoGAN model"),
])
def test_bad_inputs_are_refused_and_write_nothing(model, sample_dem, tmp_path, case, message):
    raster, model_path, extra = sample_dem, model, {}
    if case == "band":
        extra = {"BAND": 2}
    elif case == "small":
        raster = write_raster(tmp_path / "small.tif", hills(16))
    elif case == "nodata":
        raster = write_raster(tmp_path / "empty.tif", np.full((64, 64), -9999.0), nodata=-9999.0)
    else:
        model_path = _not_a_model(tmp_path)
    output = tmp_path / "out" / "map.tif"
    output.parent.mkdir()
    with pytest.raises(QgsProcessingException, match=message):
        run_map(model_path, raster, output, **extra)
    assert os.listdir(output.parent) == []
