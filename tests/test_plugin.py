"""The plugin loads the way QGIS loads it, straight from the repository (no build step), registers its provider,
needs no torch to load, and its zip holds exactly what the repository's plugin folder holds."""

import os
import subprocess
import sys
import zipfile

from qgis.core import QgsApplication

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_provider_and_algorithms_are_registered(geogan_plugin):
    provider = QgsApplication.processingRegistry().providerById("geogan")
    assert provider is not None and provider.name() == "GeoGAN"
    algorithms = {a.id(): a for a in provider.algorithms()}
    assert set(algorithms) == {"geogan:traingan", "geogan:generatedem", "geogan:evaluate", "geogan:realismmap",
                               "geogan:exportheightmap", "geogan:trainfill", "geogan:fillvoids", "geogan:trainsuperres",
                               "geogan:superresolve", "geogan:Synthetic terrain from a DEM (example model)"}
    for algorithm in algorithms.values():
        assert len(algorithm.shortHelpString()) > 100 and not algorithm.icon().isNull()
    train = algorithms["geogan:traingan"]
    assert [p.name() for p in train.parameterDefinitions()] == [
        "INPUT_LAYERS", "BAND", "TILE_SIZE", "ITERATIONS", "BATCH_SIZE", "DEVICE", "SEED", "CASCADE", "RESUME_MODEL",
        "OUTPUT_MODEL", "OUTPUT_REPORT"]
    assert train.parameterDefinition("DEVICE").options() == ["auto", "cpu", "cuda", "mps"]
    assert {o.name() for o in train.outputDefinitions()} >= {"OUTPUT_MODEL", "GENERATOR_LOSS", "DISCRIMINATOR_LOSS"}
    generate = algorithms["geogan:generatedem"]
    assert [p.name() for p in generate.parameterDefinitions()] == [
        "MODEL", "WIDTH", "HEIGHT", "EXTENT", "REFERENCE_LAYER", "SEED", "DEVICE", "CLOUD_OPTIMISED", "OUTPUT"]
    realism_map = algorithms["geogan:realismmap"]
    assert [p.name() for p in realism_map.parameterDefinitions()] == [
        "MODEL", "INPUT", "BAND", "DEVICE", "CLOUD_OPTIMISED", "OUTPUT"]
    heightmap = algorithms["geogan:exportheightmap"]
    assert [p.name() for p in heightmap.parameterDefinitions()] == ["INPUT", "BAND", "SIZE", "OUTPUT"]
    assert {o.name() for o in heightmap.outputDefinitions()} == {"OUTPUT", "SCALING", "MIN_ELEVATION", "MAX_ELEVATION"}


LINKS = {"core": "../core", "resources": "../resources", "metadata.txt": "../metadata.txt",
         "README.md": "../README.md", "LICENSE": "../LICENSE"}


def test_the_plugin_folder_links_the_top_level_core_and_resources_in():
    """Relative links, committed as links: the checkout is the plugin, with one copy of each file."""
    for name, target in LINKS.items():
        assert os.readlink(os.path.join(ROOT, "geogan_qgis", name)) == target, name
    if os.path.isdir(os.path.join(ROOT, ".git")):
        listed = subprocess.run(["git", "ls-files", "-s", "--", *(f"geogan_qgis/{name}" for name in LINKS)],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
        assert sorted(line.split()[0] for line in listed) == ["120000"] * len(LINKS), listed  # git's mode of a link


def test_core_lives_inside_the_plugin_package_and_the_tests_use_the_same_modules(geogan_plugin, plugin_parent_dir):
    import core.train
    import geogan_qgis.core.train

    assert plugin_parent_dir == ROOT
    assert geogan_qgis.core.train.__file__ == os.path.join(ROOT, "geogan_qgis", "core", "train.py")
    assert os.path.samefile(geogan_qgis.core.train.__file__, os.path.join(ROOT, "core", "train.py"))
    # conftest.py makes the tests' `core.*` the plugin's modules: one object, so one InputError class.
    assert core.train is geogan_qgis.core.train and core.train.__name__ == "geogan_qgis.core.train"
    from core.errors import InputError

    assert InputError is sys.modules["geogan_qgis.core.errors"].InputError


CORE_ALONE_SCRIPT = """
import importlib, pkgutil, sys
import core
for module in pkgutil.iter_modules(core.__path__):
    importlib.import_module("core." + module.name)
print(sorted({name.split(".")[0] for name in sys.modules} & {"qgis", "PyQt5", "PyQt6", "geogan_qgis"}))
"""


def test_core_under_its_own_name_imports_no_qgis():
    """In this process `core` is the plugin's (above); the command lines' `core`, in a fresh Python, needs no QGIS."""
    done = subprocess.run([sys.executable, "-c", CORE_ALONE_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split("\n")[-2] == "[]", done.stdout


# A fresh Python given only the repository root, as QGIS's plugin path: qgis.utils finds the plugins there (only
# geogan_qgis), loads it and its core, and lists its algorithms. Nothing is built.
FROM_THE_REPOSITORY_SCRIPT = r"""
import os, sys
from qgis.core import QgsApplication
app = QgsApplication([], False); app.initQgis()
root = sys.argv[1]
sys.path.insert(0, root)  # as QGIS puts each plugin path in front of sys.path
sys.path.append(os.path.join(QgsApplication.pkgDataPath(), "python", "plugins"))
import qgis.utils
qgis.utils.plugin_paths[:] = [root]
qgis.utils.updateAvailablePlugins()
print("FOUND", sorted(name for name, _ in qgis.utils.findPlugins(root)))
assert qgis.utils.loadPlugin("geogan_qgis") and qgis.utils.startProcessingPlugin("geogan_qgis")
import geogan_qgis.core.train
print("CORE", geogan_qgis.core.train.__file__)
print("BUILT", "build_plugin" in sys.modules)
print("ALGORITHMS", sorted(a.id() for a in QgsApplication.processingRegistry().providerById("geogan").algorithms()))
app.exitQgis()
"""


def test_qgis_loads_the_plugin_from_the_repository_root_without_a_build(tmp_path):
    script = tmp_path / "from_the_repository.py"
    script.write_text(FROM_THE_REPOSITORY_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(QT_QPA_PLATFORM="offscreen", QGIS_CUSTOM_CONFIG_PATH=str(tmp_path / "profile"))
    done = subprocess.run([sys.executable, str(script), ROOT], cwd=tmp_path, capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if line.startswith(
        ("FOUND ", "CORE ", "BUILT ", "ALGORITHMS ")))
    assert lines["FOUND"] == "['geogan_qgis']"  # core/ has no metadata.txt, so QGIS takes it for no plugin
    assert lines["CORE"] == os.path.join(ROOT, "geogan_qgis", "core", "train.py")
    assert lines["BUILT"] == "False"
    for algorithm_id in ("geogan:traingan", "geogan:generatedem", "geogan:evaluate", "geogan:realismmap",
                         "geogan:exportheightmap", "geogan:trainfill", "geogan:fillvoids", "geogan:trainsuperres",
                         "geogan:superresolve"):
        assert f"'{algorithm_id}'" in lines["ALGORITHMS"], lines["ALGORITHMS"]


def test_desktop_gui_adds_and_removes_menu_actions(geogan_plugin, qgis_iface):
    from geogan_qgis import classFactory

    registry = QgsApplication.processingRegistry()
    geogan_plugin.unload()
    assert registry.providerById("geogan") is None
    plugin = classFactory(qgis_iface)
    plugin.initGui()
    try:
        labels = [a.text() for a in plugin.actions]
        # Every algorithm, in menu order, then any tools (installer, diagnostics) the plugin adds after them.
        assert labels[:9] == ["Train terrain GAN…", "Generate synthetic DEM…", "Evaluate terrain realism…",
                              "Realism map…", "Export heightmap…", "Train void filling…", "Fill DEM voids…",
                              "Train DEM super-resolution…", "Sharpen coarse DEM…"]
        assert [a.text() for a in plugin.toolbar.actions()] == labels[:9]
        assert all(not a.icon().isNull() for a in plugin.actions)
        assert registry.providerById("geogan") is not None
    finally:
        plugin.unload()
        geogan_plugin.initProcessing()
    assert plugin.actions == [] and plugin.toolbar is None and registry.providerById("geogan") is not None


def test_every_algorithm_has_help_and_a_shipped_help_page(geogan_plugin):
    from qgis.PyQt.QtCore import QUrl

    algorithms = QgsApplication.processingRegistry().providerById("geogan").algorithms()
    for algorithm in algorithms:
        assert len(algorithm.shortHelpString()) > 100, algorithm.id()
        if " " not in algorithm.id():  # the Python algorithms; a Modeler model's id is its name
            url = QUrl(algorithm.helpUrl())
            assert url.isLocalFile() and os.path.exists(url.toLocalFile()), algorithm.helpUrl()


def test_zip_is_an_installable_plugin(tmp_path):
    subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "build_plugin.py"), "--build-dir",
                    str(tmp_path / "build"), "--zip", str(tmp_path / "geogan_qgis.zip")], check=True)
    names = zipfile.ZipFile(tmp_path / "geogan_qgis.zip").namelist()
    assert {n.split("/")[0] for n in names} == {"geogan_qgis"}
    # Exactly the files the repository's plugin folder holds through its links, and no link itself.
    checkout = set()
    for directory, folders, files in os.walk(os.path.join(ROOT, "geogan_qgis"), followlinks=True):
        folders[:] = [f for f in folders if f != "__pycache__"]
        checkout |= {os.path.relpath(os.path.join(directory, f), ROOT) for f in files
                     if not f.endswith((".pyc", ".aux.xml"))}
    assert set(names) == checkout, set(names) ^ checkout
    assert not any(os.path.islink(os.path.join(directory, f))
                   for directory, _, files in os.walk(tmp_path / "build") for f in files)
    for required in ("metadata.txt", "LICENSE", "README.md", "__init__.py", "core/train.py",
                     "resources/jacksboro_dem.tif", "resources/synthetic_dem.qml", "resources/geogan.svg",
                     "resources/icons/traingan.svg", "resources/models/synthetic_terrain_from_dem.model3",
                     "resources/sample_model/jacksboro_gan.pt"):
        assert f"geogan_qgis/{required}" in names
    metadata = zipfile.ZipFile(tmp_path / "geogan_qgis.zip").read("geogan_qgis/metadata.txt").decode()
    assert "hasProcessingProvider=yes" in metadata and "qgisMaximumVersion=4.99" in metadata


# Runs in a Python where `import torch` fails, as in a QGIS whose Python has no torch.
NO_TORCH_SCRIPT = r"""
import sys, importlib.abc
class NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("No module named 'torch'")
sys.meta_path.insert(0, NoTorch())
from qgis.core import QgsApplication, QgsProcessingException
app = QgsApplication([], False); app.initQgis()
import os
sys.path += [sys.argv[1], os.path.join(QgsApplication.pkgDataPath(), "python", "plugins")]
import qgis.utils
qgis.utils.plugin_paths.insert(0, sys.argv[1])
assert qgis.utils.loadPlugin("geogan_qgis") and qgis.utils.startProcessingPlugin("geogan_qgis")
assert "torch" not in sys.modules
from processing.core.Processing import Processing
Processing.initialize()
import processing
ids = sorted(a.id() for a in QgsApplication.processingRegistry().providerById("geogan").algorithms())
print("ALGORITHMS", ids)
try:
    processing.run("geogan:traingan", {"INPUT_LAYERS": [sys.argv[2]], "ITERATIONS": 1, "OUTPUT_MODEL": sys.argv[3]})
except QgsProcessingException as error:
    print("REFUSED", error)
"""


def test_plugin_loads_without_torch_and_says_how_to_install_it(plugin_parent_dir, sample_dem, tmp_path):
    script = tmp_path / "no_torch.py"
    script.write_text(NO_TORCH_SCRIPT)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, str(script), plugin_parent_dir, sample_dem, str(tmp_path / "m.pt")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert ("ALGORITHMS ['geogan:Synthetic terrain from a DEM (example model)', 'geogan:evaluate', "
            "'geogan:exportheightmap', 'geogan:fillvoids', 'geogan:generatedem', 'geogan:realismmap', "
            "'geogan:superresolve', 'geogan:trainfill', 'geogan:traingan', 'geogan:trainsuperres']"
            ) in done.stdout, done.stderr
    assert "REFUSED GeoGAN needs PyTorch" in done.stdout and "torch_installer.py install" in done.stdout, done.stdout
    assert not (tmp_path / "m.pt").exists()
