"""Shared fixtures: the sample DEM, the plugin loaded from the repository the way QGIS loads it, and a small
trained model. Also makes `core.*` in the tests the plugin's own `geogan_qgis.core.*` modules (see below)."""

import gc
import importlib
import importlib.abc
import importlib.util
import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_DEM = os.path.join(ROOT, "resources", "jacksboro_dem.tif")
sys.path.insert(0, os.path.join(ROOT, "scripts"))


class CoreIsThePluginsCore(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import core.x` in a test gives the module object `geogan_qgis.core.x`, the one the plugin uses.

    geogan_qgis/core is a link to core/, so both names are one file; but Python imports a file once per name, and
    two module objects would mean two copies of every class (an `InputError` the plugin raises would not be the
    `core.errors.InputError` a test catches) and of every module-level setting a test patches. Only in this test
    process: `python -m core.train` and the other command lines that tests start keep their own `core`.
    """

    PREFIX = "geogan_qgis."

    def __init__(self):
        self.real_specs = {}

    def find_spec(self, name, path=None, target=None):
        if name != "core" and not name.startswith("core."):
            return None
        module = importlib.import_module(self.PREFIX + name)
        return importlib.util.spec_from_loader(name, self, is_package=hasattr(module, "__path__"))

    def create_module(self, spec):
        module = sys.modules[self.PREFIX + spec.name]
        self.real_specs[module.__name__] = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self.real_specs.pop(module.__name__)  # the import system set it to the alias's spec


sys.meta_path.insert(0, CoreIsThePluginsCore())

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
def plugin_parent_dir() -> str:
    """The folder that QGIS's plugin path names: the repository itself, whose geogan_qgis/ links core/ and
    resources/ in (no build step; test_plugin.py checks that the zip holds the same files)."""
    return ROOT


@pytest.fixture(scope="session")
def geogan_plugin(qgis_processing, plugin_parent_dir):
    """The plugin loaded through qgis.utils from the repository, as QGIS and qgis_process load it with the
    repository as their plugin path; yields the plugin object."""
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
