"""Train then generate through processing.run, as a PyQGIS script or the Graphical Modeler would."""

import math

import numpy as np
import processing
import pytest
from osgeo import gdal
from qgis.core import QgsCoordinateReferenceSystem, QgsRasterLayer


def _generate(model, path, **extra):
    return processing.run("geogan:generatedem", {"MODEL": model, "SEED": 11, "DEVICE": 1, "OUTPUT": str(path), **extra})


def test_training_writes_the_model_with_its_settings_and_loss_history(trained_model):
    import torch

    checkpoint = torch.load(trained_model, weights_only=True)
    assert checkpoint["iterations_done"] == 6 and checkpoint["settings"]["tile_size"] == 32
    assert all(math.isfinite(v) for v in checkpoint["loss_history"]["generator"])


def test_losses_are_outputs(geogan_plugin, sample_dem, tmp_path):
    results = processing.run("geogan:traingan", {"INPUT_LAYERS": [sample_dem], "TILE_SIZE": 32, "ITERATIONS": 2,
                                                  "BATCH_SIZE": 2, "DEVICE": 0, "OUTPUT_MODEL": str(tmp_path / "m.pt")})
    import torch

    history = torch.load(str(tmp_path / "m.pt"), weights_only=True)["loss_history"]
    # The outputs are the losses of the last steps, as the model's history records them.
    assert results["GENERATOR_LOSS"] == pytest.approx(history["generator"][-1])
    assert results["DISCRIMINATOR_LOSS"] == pytest.approx(history["discriminator"][-1])
    assert math.isfinite(results["GENERATOR_LOSS"]) and math.isfinite(results["DISCRIMINATOR_LOSS"])


def test_the_shipped_sample_model_generates_terrain_without_training(geogan_plugin, tmp_path):
    output = tmp_path / "first.tif"
    processing.run("geogan:generatedem", {"WIDTH": 256, "HEIGHT": 256, "OUTPUT": str(output)})  # MODEL left out
    dataset = gdal.Open(str(output))
    assert dataset.GetMetadataItem("GEOGAN_MODEL") == "jacksboro_gan.pt"
    assert int(dataset.GetMetadataItem("GEOGAN_ITERATIONS")) >= 1000  # a trained model, not a placeholder
    relief = dataset.ReadAsArray()
    assert np.isfinite(relief).all() and np.ptp(relief) > 20  # metres of relief, as in the sample DEM


def test_training_continues_a_model_given_as_resume_model(trained_model, sample_dem, tmp_path):
    import torch

    path = str(tmp_path / "continued.pt")
    processing.run("geogan:traingan", {"INPUT_LAYERS": [sample_dem], "ITERATIONS": 3, "DEVICE": 1,
                                       "RESUME_MODEL": trained_model, "OUTPUT_MODEL": path})
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["iterations_done"] == 6 + 3 and checkpoint["settings"]["tile_size"] == 32  # the model's own
    assert checkpoint["loss_history"]["step"][-1] == 9


def test_cascade_models_are_refused_as_resume_model(geogan_plugin, sample_dem, tmp_path):
    from qgis.core import QgsProcessingException

    cascade = str(tmp_path / "cascade.pt")
    processing.run("geogan:traingan", {"INPUT_LAYERS": [sample_dem], "TILE_SIZE": 32, "ITERATIONS": 1,
                                       "BATCH_SIZE": 2, "DEVICE": 1, "CASCADE": True, "OUTPUT_MODEL": cascade})
    with pytest.raises(QgsProcessingException, match="continuing a cascade's training is not supported"):
        processing.run("geogan:traingan", {"INPUT_LAYERS": [sample_dem], "ITERATIONS": 2, "DEVICE": 1,
                                           "RESUME_MODEL": cascade, "OUTPUT_MODEL": str(tmp_path / "more.pt")})
    assert not (tmp_path / "more.pt").exists()


def test_two_stage_training_writes_a_cascade_that_generates(geogan_plugin, sample_dem, tmp_path):
    import torch

    path = str(tmp_path / "cascade.pt")
    processing.run("geogan:traingan", {"INPUT_LAYERS": [sample_dem], "TILE_SIZE": 32, "ITERATIONS": 3,
                                       "BATCH_SIZE": 4, "DEVICE": 1, "CASCADE": True, "OUTPUT_MODEL": path})
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint["architecture"] == "coarse-to-fine cascade"
    assert len(checkpoint["coarse"]["loss_history"]["step"]) == 3
    values = gdal.Open(_generate(path, tmp_path / "s.tif", WIDTH=96, HEIGHT=80)["OUTPUT"]).ReadAsArray()
    assert values.shape == (80, 96) and np.isfinite(values).all() and values.std() > 0


def test_generated_dem_is_georeferenced_like_the_training_data(trained_model, sample_dem, tmp_path):
    output = tmp_path / "synthetic.tif"
    results = _generate(trained_model, output, WIDTH=150, HEIGHT=90)
    assert str(results["OUTPUT"]) == str(output)
    layer = QgsRasterLayer(str(output), "synthetic")
    source = QgsRasterLayer(sample_dem, "real")
    assert layer.isValid() and (layer.width(), layer.height()) == (150, 90)
    assert layer.crs() == source.crs() == QgsCoordinateReferenceSystem("EPSG:4326")
    assert layer.rasterUnitsPerPixelX() == pytest.approx(source.rasterUnitsPerPixelX())
    assert layer.rasterUnitsPerPixelY() == pytest.approx(source.rasterUnitsPerPixelY())
    assert layer.extent().xMinimum() == pytest.approx(source.extent().xMinimum())
    assert layer.extent().yMaximum() == pytest.approx(source.extent().yMaximum())
    provider = layer.dataProvider()
    assert provider.sourceHasNoDataValue(1) and provider.sourceNoDataValue(1) == -9999


def test_generated_dem_is_float32_tiled_compressed_and_tagged_synthetic(trained_model, tmp_path):
    output = tmp_path / "synthetic.tif"
    _generate(trained_model, output)
    dataset = gdal.Open(str(output))
    assert (dataset.RasterXSize, dataset.RasterYSize) == (32, 32)  # the model's tile size by default
    band = dataset.GetRasterBand(1)
    assert band.DataType == gdal.GDT_Float32
    assert dataset.GetMetadata("IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
    assert band.GetBlockSize() == [256, 256]
    tags = dataset.GetMetadata()
    assert tags["GEOGAN_SYNTHETIC"] == "YES" and tags["GEOGAN_SEED"] == "11"
    assert tags["GEOGAN_MODEL"] == "quick.pt" and tags["GEOGAN_ITERATIONS"] == "6"
    assert "SYNTHETIC" in tags["TIFFTAG_IMAGEDESCRIPTION"]


def test_elevations_are_in_the_range_of_real_terrain_units(trained_model, sample_dem, tmp_path):
    output = tmp_path / "synthetic.tif"
    _generate(trained_model, output, WIDTH=96, HEIGHT=96)
    values = gdal.Open(str(output)).ReadAsArray()
    real = gdal.Open(sample_dem).ReadAsArray().astype(float)
    real = real[real > -1000]
    assert np.isfinite(values).all() and (values != -9999).all()
    assert abs(values.mean() - real.mean()) < real.std()  # centred on the training elevations, in metres


def test_same_seed_gives_the_same_dem(trained_model, tmp_path):
    arrays = []
    for name, seed in (("a.tif", 4), ("b.tif", 4), ("c.tif", 5)):
        processing.run("geogan:generatedem", {"MODEL": trained_model, "WIDTH": 64, "HEIGHT": 48, "SEED": seed,
                                              "OUTPUT": str(tmp_path / name)})
        arrays.append(gdal.Open(str(tmp_path / name)).ReadAsArray())
    assert np.array_equal(arrays[0], arrays[1])
    assert not np.allclose(arrays[0], arrays[2])


def test_larger_than_tile_output_has_terrain_everywhere(trained_model, tmp_path):
    output = tmp_path / "large.tif"
    _generate(trained_model, output, WIDTH=700, HEIGHT=520)
    values = gdal.Open(str(output)).ReadAsArray()
    assert values.shape == (520, 700) and np.isfinite(values).all()
    # every 64-pixel block varies: no flat or empty window
    blocks = values[:512, :640].reshape(8, 64, 10, 64).std(axis=(1, 3))
    assert (blocks > 0).all()


def test_training_report_shows_losses_samples_and_health(geogan_plugin, sample_dem, tmp_path):
    report = tmp_path / "training.html"
    results = processing.run("geogan:traingan", {
        "INPUT_LAYERS": [sample_dem], "TILE_SIZE": 32, "ITERATIONS": 12, "BATCH_SIZE": 4, "DEVICE": 1,
        "OUTPUT_MODEL": str(tmp_path / "m.pt"), "OUTPUT_REPORT": str(report)})
    assert results["OUTPUT_REPORT"] == str(report)
    page = report.read_text()
    assert page.count("data:image/png;base64,") == 2 and "Losses" in page
    # The health section holds the monitor's warnings or says there are none: which one a 12-step run gets is up to
    # the run; tests/test_core_monitor.py checks the judgement on made-up healthy, collapsed and diverged runs.
    assert "<h2>Health</h2>" in page
    assert ('class="warning"' in page) != ("No sign of collapse or divergence." in page)
