"""Shared fixtures: the sample DEM, the built plugin loaded the way QGIS loads it, and a small trained model."""

import gc
import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_DEM = os.path.join(ROOT, "resources", "jacksboro_dem.tif")
sys.path.insert(0, os.path.join(ROOT, "scripts"))

# Small enough for a 2-core CI machine: a few steps on 32-pixel tiles.
QUICK_TRAINING = {"TILE_SIZE": 32, "ITERATIONS": 6, "BATCH_SIZE": 4, "SEED": 3, "DEVICE": 1}


@pytest.fixture(scope="session", autouse=True)
def collect_processing_contexts_before_qgis_exits(qgis_app):
    """Processing contexts that Python frees only at exit would close their layers after GDAL is gone."""
    yield
    gc.collect()


@pytest.fixture(scope="session")
def sample_dem() -> str:
    return SAMPLE_DEM


@pytest.fixture(scope="session")
def sample_corner(tmp_path_factory) -> str:
    """The sample DEM's 96 x 96 pixel top-left corner, on its grid: quick to score or evaluate."""
    from osgeo import gdal

    path = str(tmp_path_factory.mktemp("corner") / "corner.tif")
    gdal.Translate(path, SAMPLE_DEM, srcWin=[0, 0, 96, 96])
    return path


@pytest.fixture(scope="session")
def plugin_parent_dir(tmp_path_factory) -> str:
    """A fresh build of the plugin folder, as `make package` zips it."""
    from build_plugin import build_plugin_folder

    parent = str(tmp_path_factory.mktemp("plugins"))
    build_plugin_folder(parent)
    return parent


@pytest.fixture(scope="session")
def geogan_plugin(qgis_processing, plugin_parent_dir):
    """The built plugin loaded through qgis.utils, as QGIS and qgis_process load it; yields the plugin object."""
    import qgis.utils

    sys.path.insert(0, plugin_parent_dir)
    qgis.utils.plugin_paths.insert(0, plugin_parent_dir)
    assert qgis.utils.loadPlugin("geogan_qgis")
    assert qgis.utils.startProcessingPlugin("geogan_qgis")
    plugin = qgis.utils.plugins["geogan_qgis"]
    yield plugin
    qgis.utils.unloadPlugin("geogan_qgis")
    sys.path.remove(plugin_parent_dir)


@pytest.fixture(scope="session")
def trained_model(geogan_plugin, tmp_path_factory, sample_dem) -> str:
    import processing

    path = str(tmp_path_factory.mktemp("model") / "quick.pt")
    results = processing.run("geogan:traingan", {"INPUT_LAYERS": [sample_dem], **QUICK_TRAINING, "OUTPUT_MODEL": path})
    assert results["OUTPUT_MODEL"] == path
    return path
