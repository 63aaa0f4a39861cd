"""GeoGAN leaves GDAL's error mode (exceptions or return codes), which every plugin in QGIS shares, as it found it."""

import os
import subprocess
import sys

import processing
import pytest
from osgeo import gdal, osr

from conftest import ROOT
from feedback import LogFeedback

MODULES = (gdal, osr)


@pytest.fixture(params=[False, True], ids=["off", "on"])
def found_mode(request):
    """GDAL's error mode as another plugin might have set it, put back afterwards."""
    before = [module.GetUseExceptions() for module in MODULES]
    for module in MODULES:  # on in order, off in reverse: GDAL < 3.7 chains the modules' error handlers
        if request.param:
            module.UseExceptions()
    for module in reversed(MODULES):
        if not request.param:
            module.DontUseExceptions()
    yield int(request.param)
    for module, was in reversed(list(zip(MODULES, before))):
        if not was:
            module.DontUseExceptions()
    for module, was in zip(MODULES, before):
        if was:
            module.UseExceptions()


def _modes():
    return [module.GetUseExceptions() for module in MODULES]


class ModeAtEveryProgress(LogFeedback):
    """Records GDAL's mode each time the algorithm reports progress, between its GDAL calls."""

    def __init__(self):
        super().__init__()
        self.modes = []

    def setProgress(self, progress):  # noqa: N802
        self.modes.append(tuple(_modes()))
        super().setProgress(progress)


IMPORT_EVERYTHING = """
import importlib, pkgutil
from osgeo import gdal, osr
if {mode}:
    gdal.UseExceptions(); osr.UseExceptions()
import core, geogan_qgis.core, geogan_qgis.provider  # the provider imports every algorithm module
for package in (core, geogan_qgis.core):  # one file under both names: the command lines' and the plugin's
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(package.__name__ + "." + module.name)
print(gdal.GetUseExceptions(), osr.GetUseExceptions())
"""


@pytest.mark.parametrize("mode", [0, 1])
def test_importing_core_and_the_plugin_leaves_the_mode_alone(plugin_parent_dir, mode):
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([plugin_parent_dir, ROOT])}
    result = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING.format(mode=mode)], env=environment,
                            cwd=plugin_parent_dir, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(mode), str(mode)]


def test_running_the_algorithms_leaves_the_mode_as_found(trained_model, sample_dem, tmp_path, found_mode):
    feedback = ModeAtEveryProgress()
    generated = processing.run("geogan:generatedem", {
        "MODEL": trained_model, "WIDTH": 64, "HEIGHT": 64, "OUTPUT": str(tmp_path / "dem.tif")}, feedback=feedback)
    assert _modes() == [found_mode] * 2
    processing.run("geogan:realismmap", {"MODEL": trained_model, "INPUT": generated["OUTPUT"], "DEVICE": 1,
                                         "OUTPUT": str(tmp_path / "realism.tif")}, feedback=feedback)
    assert _modes() == [found_mode] * 2
    # Between its own GDAL calls too: GeoGAN never holds the mode for a whole run.
    assert feedback.modes and set(feedback.modes) == {(found_mode, found_mode)}


def test_a_failing_run_leaves_the_mode_as_found(trained_model, tmp_path, found_mode):
    reference = str(tmp_path / "no_crs.tif")
    dataset = gdal.GetDriverByName("GTiff").Create(reference, 8, 8, 1, gdal.GDT_Float32)
    dataset.SetGeoTransform((0.0, 30.0, 0.0, 0.0, 0.0, -30.0))
    dataset = None
    with pytest.raises(Exception, match="has no CRS"):  # refused inside GeoGAN's GDAL calls
        processing.run("geogan:generatedem", {
            "MODEL": trained_model, "REFERENCE_LAYER": reference, "OUTPUT": str(tmp_path / "dem.tif")})
    assert _modes() == [found_mode] * 2
