"""Core training, checkpoints and generation, without QGIS."""

import json
import os
import pickle

import numpy as np
import pytest
import torch
from osgeo import gdal

from core.checkpoint import CheckpointError, load_checkpoint
from core.generate import WINDOW_PIXELS, generate, generate_to_geotiff, load_model
from core.models import Generator
from core.noise import spatial_noise
from core.progress import Cancelled, Reporter
from core.settings import ModelConfig, TrainSettings
from core.train import LatentNoise, train

from hostile_files import RunsCode
from rasters import hills, write_raster

QUICK = dict(tile_size=32, iterations=4, batch_size=4, seed=1, device="cpu")
# The depression loss is off by default; on here so that its path through both stages keeps being run.
CASCADE = dict(QUICK, cascade=True, depression_weight=50.0)


@pytest.fixture(scope="module")
def checkpoint_path(tmp_path_factory, sample_dem):
    path = str(tmp_path_factory.mktemp("core") / "model.pt")
    seen = []
    result = train([sample_dem], path, TrainSettings(**CASCADE), Reporter(progress=seen.append))
    assert seen == sorted(seen) and seen[-1] == 100.0
    assert np.isfinite([result.generator_loss, result.discriminator_loss]).all()
    return path


NETWORKS = ("generator", "discriminator", "critic")


def test_checkpoint_is_tensors_and_plain_metadata(checkpoint_path, sample_dem):
    raw = torch.load(checkpoint_path, weights_only=True)
    metadata = {k: v for k, v in raw.items() if k not in NETWORKS + ("coarse",)}
    metadata["coarse"] = {k: v for k, v in raw["coarse"].items() if k not in NETWORKS}
    json.dumps(metadata)  # plain data only
    assert raw["format_version"] == 2 and raw["architecture"] == "coarse-to-fine cascade"
    assert raw["iterations_done"] == 4 and raw["seed"] == 1
    assert raw["coarse"]["normalisation"]["relief_scale"] > raw["normalisation"]["relief_scale"] > 0
    assert all(isinstance(v, torch.Tensor) for v in raw["coarse"]["generator"].values())
    assert raw["settings"]["tile_size"] == 32 and raw["sources"] == [os.path.basename(sample_dem)]
    assert "WGS 84" in raw["grid"]["crs_wkt"] and raw["grid"]["pixel_size"][0] == pytest.approx(1 / 1200)
    assert raw["normalisation"]["relief_scale"] > 0 and set(raw["versions"]) >= {"torch", "numpy", "gdal"}
    assert all(isinstance(v, torch.Tensor) for v in raw["generator"].values())
    assert len(raw["loss_history"]["generator"]) == 4


def test_same_seed_same_dem_other_seed_other_dem(checkpoint_path):
    model = load_model(checkpoint_path)
    a = generate(model, seed=5, width=48, height=40)
    assert a.shape == (40, 48) and a.dtype == np.float32 and np.isfinite(a).all()
    assert np.array_equal(a, generate(model, seed=5, width=48, height=40))
    assert not np.allclose(a, generate(model, seed=6, width=48, height=40))


def test_result_does_not_depend_on_window_size(checkpoint_path):
    model = load_model(checkpoint_path)
    whole = generate(model, seed=2, width=200, height=136, window=512)
    windowed = generate(model, seed=2, width=200, height=136, window=48)
    assert np.abs(whole - windowed).max() < 1e-3 * model.relief_scale
    # a sub-area regenerated alone matches the big raster there (windows start on latent cells)
    assert np.allclose(generate(model, seed=2, width=96, height=64), whole[:64, :96], atol=1e-3 * model.relief_scale)


def test_geotiff_is_georeferenced_and_tagged_synthetic(checkpoint_path, tmp_path, sample_dem):
    output = str(tmp_path / "synthetic.tif")
    generate_to_geotiff(checkpoint_path, output, seed=9, width=70, height=50)
    dataset, source = gdal.Open(output), gdal.Open(sample_dem)
    assert (dataset.RasterXSize, dataset.RasterYSize) == (70, 50)
    assert dataset.GetGeoTransform() == pytest.approx(source.GetGeoTransform())
    band = dataset.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Float32 and band.GetNoDataValue() == -9999
    assert dataset.GetMetadata()["GEOGAN_SYNTHETIC"] == "YES" and dataset.GetMetadata()["GEOGAN_SEED"] == "9"
    assert dataset.GetMetadata("IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
    assert band.GetBlockSize() == [256, 256]


def test_cancelled_generation_leaves_no_file(checkpoint_path, tmp_path):
    output = tmp_path / "cancelled.tif"
    calls = []
    reporter = Reporter(progress=calls.append, is_cancelled=lambda: len(calls) >= 1)
    with pytest.raises(Cancelled):
        generate_to_geotiff(checkpoint_path, str(output), seed=1, width=WINDOW_PIXELS + 100, height=64,
                            reporter=reporter)  # two windows: cancelled after the first
    assert os.listdir(tmp_path) == []


def test_cancelled_cascade_training_writes_no_model(tmp_path, sample_dem):
    # A cascade cancelled in its coarse stage has no refinement to generate with (single GANs keep what
    # they learned: test_core_resume.py).
    steps = []
    reporter = Reporter(progress=steps.append, is_cancelled=lambda: len(steps) >= 2)
    with pytest.raises(Cancelled):
        train([sample_dem], str(tmp_path / "m.pt"), TrainSettings(**{**CASCADE, "iterations": 50}), reporter)
    assert len(steps) == 2 and os.listdir(tmp_path) == []


def test_pickle_that_runs_code_is_refused_without_running(tmp_path):
    marker, path = tmp_path / "pwned", tmp_path / "evil.pt"
    torch.save({"format": "geogan-terrain-gan", "payload": RunsCode(str(marker))}, str(path))
    with pytest.raises(CheckpointError, match="could run code"):
        load_checkpoint(str(path))
    assert not marker.exists()


@pytest.mark.parametrize("content, message", [
    (b"not a model at all", "not a GeoGAN model"),
    (pickle.dumps({"a": 1}), "not a GeoGAN model"),
])
def test_foreign_files_are_refused(tmp_path, content, message):
    path = tmp_path / "foreign.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(str(path))


def test_truncated_and_other_torch_files_are_refused(checkpoint_path, tmp_path):
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(open(checkpoint_path, "rb").read()[:5000])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(str(truncated))
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, str(other))
    with pytest.raises(CheckpointError, match="not a GeoGAN model"):
        load_checkpoint(str(other))


def test_bad_settings_are_explained():
    with pytest.raises(ValueError, match="at least 1"):
        TrainSettings(iterations=0).validate()
    with pytest.raises(ValueError, match="multiple of 16"):
        TrainSettings(tile_size=40).validate()
    with pytest.raises(ValueError, match="coarse factor must be 2, 4 or 8"):
        TrainSettings(cascade=True, coarse_factor=3).validate()
    with pytest.raises(ValueError, match="coarse tile size must be a multiple of 16"):
        TrainSettings(cascade=True, coarse_tile_size=24).validate()
    with pytest.raises(ValueError, match="training margin must be 0 or more"):
        TrainSettings(margin_cells=-1).validate()


def test_raster_too_small_for_the_coarse_stage_says_how_large(tmp_path):
    path = write_raster(tmp_path / "small.tif", hills(120))
    with pytest.raises(ValueError, match=r"120 x 120 pixels; training needs rasters of at least 128 x 128"):
        train([path], str(tmp_path / "m.pt"), TrainSettings(**CASCADE))
    assert os.listdir(tmp_path) == ["small.tif"]


def test_default_training_is_one_gan_and_generates(tmp_path, sample_dem):
    path = str(tmp_path / "single.pt")
    train([sample_dem], path, TrainSettings(**QUICK))
    raw = torch.load(path, weights_only=True)
    assert raw["architecture"] == "single GAN" and "coarse" not in raw and "generator_offset" in raw["normalisation"]
    model = load_model(path)
    assert model.coarse is None
    whole = generate(model, seed=2, width=120, height=80)
    assert np.allclose(generate(model, seed=2, width=40, height=24, row=16, col=48), whole[16:40, 48:88],
                       atol=1e-3 * model.relief_scale)


def test_training_tiles_come_from_the_middle_of_a_wider_canvas():
    """As generated rasters do: the generator cannot lean on the zero padding at a training tile's edge."""
    config = ModelConfig()
    noise = LatentNoise(config, 64, seed=0, device=torch.device("cpu"), margin_cells=2)(2)
    assert noise.shape == (2, config.latent_channels, 12, 12)
    generator = Generator(config).eval()
    with torch.no_grad():
        whole, tile = generator(noise), generator(noise, 2)
    assert tile.shape == (2, 1, 64, 64) and torch.equal(tile, whole[..., 16:80, 16:80])


def test_model_of_format_1_still_generates(tmp_path, sample_dem):
    """A single-GAN model file written before the cascade: noise straight to relief, offset in its normalisation."""
    settings = TrainSettings(tile_size=32)
    generator = Generator(settings.model)
    grid = gdal.Open(sample_dem)
    path = str(tmp_path / "old.pt")
    torch.save({"format": "geogan-terrain-gan", "format_version": 1, "settings": settings.to_dict(),
                "normalisation": {"relief_scale": 50.0, "elevation_mean": 400.0, "elevation_min": 200.0,
                                  "elevation_max": 600.0, "generator_offset": 0.25},
                "grid": {"crs_wkt": grid.GetProjection(), "geotransform": list(grid.GetGeoTransform()),
                         "pixel_size": [grid.GetGeoTransform()[1], -grid.GetGeoTransform()[5]]},
                "sources": ["old.tif"], "iterations_done": 10, "generator": generator.state_dict(),
                "discriminator": {}}, path)
    model = load_model(path)
    assert model.coarse is None
    elevations = generate(model, seed=1, width=40, height=24)
    with torch.no_grad():
        expected = generator(torch.from_numpy(spatial_noise(1, -6, -6, 3 + 12, 5 + 12, 32))[None])[0, 0].numpy()
    assert np.allclose(elevations, (expected[48:72, 48:88] - 0.25) * 50.0 + 400.0, atol=1e-3)


def test_cuda_without_gpu_is_refused_and_auto_falls_back(checkpoint_path):
    from core.devices import resolve_device

    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if torch.cuda.is_available():
        assert resolve_device("cuda").type == "cuda"
    else:
        with pytest.raises(ValueError, match="no usable CUDA GPU"):
            resolve_device("cuda")


def test_window_borders_leave_no_seams(checkpoint_path):
    model = load_model(checkpoint_path)
    elevations = generate(model, seed=8, width=384, height=384, window=64)
    steps_across = np.abs(np.diff(elevations, axis=1))  # step from column c to c + 1
    at_borders = steps_across[:, 63::64][:, :5]
    inside = np.delete(steps_across, np.s_[63::64], axis=1)
    assert 0.8 < at_borders.mean() / inside.mean() < 1.25
    assert at_borders.max() <= inside.max()
