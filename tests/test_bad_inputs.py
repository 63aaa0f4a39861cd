"""Every bad input ends in a QgsProcessingException that says what to do, and leaves no output behind."""

import os
import pickle

import numpy as np
import processing
import pytest
import torch
from qgis.core import QgsProcessingException

from hostile_files import RunsCode
from rasters import hills, write_raster


def _train(tmp_path, layers, **extra):
    parameters = {"INPUT_LAYERS": layers, "TILE_SIZE": 32, "ITERATIONS": 2, "BATCH_SIZE": 2, "DEVICE": 1,
                  "OUTPUT_MODEL": str(tmp_path / "model.pt"), **extra}
    return processing.run("geogan:traingan", parameters)


def _refused(tmp_path, call, message, output_name):
    with pytest.raises(QgsProcessingException, match=message) as refused:
        call()
    assert "Traceback" not in str(refused.value)
    assert not (tmp_path / output_name).exists()
    assert not [name for name in os.listdir(tmp_path) if ".part" in name]


@pytest.fixture
def geojson(tmp_path):
    path = tmp_path / "points.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                    '"geometry":{"type":"Point","coordinates":[1,2]}}]}')
    return str(path)


@pytest.mark.parametrize("case, message", [
    ("no layers", "No input raster"),
    ("vector layer", "points is not a raster layer; choose elevation raster layers"),
    ("small raster", "smaller than the 32-pixel tile"),
    ("small raster for the cascade", "100 x 100 pixels; training needs rasters of at least 128 x 128 pixels"),
    ("all nodata", "only nodata"),
    ("all NaN", "only nodata"),
    ("missing band", "band 2 does not exist"),
    ("zero iterations", "Iterations must be at least 1"),
])
def test_training_refuses(geogan_plugin, tmp_path, geojson, sample_dem, case, message):
    layers, extra = [sample_dem], {}
    if case == "no layers":
        layers = []
    elif case == "vector layer":
        layers = [geojson]
    elif case == "small raster":
        layers = [write_raster(tmp_path / "small.tif", hills(20))]
    elif case == "small raster for the cascade":
        layers, extra = [write_raster(tmp_path / "small.tif", hills(100))], {"CASCADE": True}
    elif case == "all nodata":
        layers = [write_raster(tmp_path / "nodata.tif", np.full((128, 128), -9999.0), nodata=-9999.0)]
    elif case == "all NaN":
        layers = [write_raster(tmp_path / "nan.tif", np.full((128, 128), np.nan))]
    elif case == "missing band":
        extra = {"BAND": 2}
    elif case == "zero iterations":
        extra = {"ITERATIONS": 0}
    _refused(tmp_path, lambda: _train(tmp_path, layers, **extra), message, "model.pt")


def test_cuda_without_a_gpu_is_refused_and_auto_falls_back(geogan_plugin, tmp_path, sample_dem):
    if torch.cuda.is_available():
        assert _train(tmp_path, [sample_dem], DEVICE=2)["OUTPUT_MODEL"]
    else:
        _refused(tmp_path, lambda: _train(tmp_path, [sample_dem], DEVICE=2), "no usable CUDA GPU", "model.pt")
    assert os.path.exists(_train(tmp_path, [sample_dem], DEVICE=0)["OUTPUT_MODEL"])


def _bad_model(tmp_path, case, trained_model):
    path = tmp_path / "bad.pt"
    if case == "missing":
        return str(tmp_path / "nowhere.pt")
    if case == "truncated":
        path.write_bytes(open(trained_model, "rb").read()[:4000])
    elif case == "foreign":
        torch.save({"state_dict": {"w": torch.zeros(2)}}, str(path))
    elif case == "text":
        path.write_text("hello")
    elif case == "code-running pickle":
        torch.save({"x": RunsCode(str(tmp_path / "pwned"))}, str(path))
    elif case == "plain pickle":
        path.write_bytes(pickle.dumps([1, 2, 3]))
    return str(path)


@pytest.mark.parametrize("case, message", [
    ("missing", "does not exist"),
    ("truncated", "truncated"),
    ("foreign", "not a GeoGAN model"),
    ("text", "not a GeoGAN model"),
    ("code-running pickle", "could run code"),
    ("plain pickle", "not a GeoGAN model"),
])
def test_bad_model_files_are_refused(trained_model, tmp_path, case, message):
    model = _bad_model(tmp_path, case, trained_model)
    output = tmp_path / "out.tif"
    _refused(tmp_path, lambda: processing.run("geogan:generatedem", {"MODEL": model, "OUTPUT": str(output)}),
             message, "out.tif")
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("size, message", [(0, "between 1 and 65536"), (70000, "between 1 and 65536")])
def test_bad_output_sizes_are_refused(trained_model, tmp_path, size, message):
    _refused(tmp_path, lambda: processing.run("geogan:generatedem", {
        "MODEL": trained_model, "WIDTH": size, "HEIGHT": 32, "OUTPUT": str(tmp_path / "out.tif")}), message, "out.tif")
