"""qgis_process, QGIS's command line, finds the plugin's provider and runs its algorithms."""

import json
import os
import shutil
import site
import subprocess

import pytest
from osgeo import gdal

from conftest import QUICK_TRAINING

QGIS_PROCESS = shutil.which("qgis_process.bin") or "/usr/lib/qgis/qgis_process.bin"


def _qgis_process(plugin_parent_dir, *args, timeout=300):
    env = {**os.environ, "QGIS_PLUGINPATH": plugin_parent_dir, "QT_QPA_PLATFORM": "offscreen",
           # a profile of its own, so enabling the plugin never touches the user's QGIS settings
           "QGIS_CUSTOM_CONFIG_PATH": os.path.join(os.path.dirname(plugin_parent_dir), "qgis_profile"),
           # QGIS's embedded Python sees only the system site-packages: show it the venv's torch.
           "PYTHONPATH": os.pathsep.join(site.getsitepackages())}
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def qgis_process_ready(plugin_parent_dir):
    assert os.path.exists(QGIS_PROCESS), "qgis_process.bin is part of Debian's qgis package"
    done = _qgis_process(plugin_parent_dir, "plugins", "enable", "geogan_qgis")
    assert done.returncode == 0, done.stdout + done.stderr
    return plugin_parent_dir


def test_qgis_process_lists_the_algorithms(qgis_process_ready):
    done = _qgis_process(qgis_process_ready, "list")
    assert "geogan:traingan" in done.stdout and "geogan:generatedem" in done.stdout, done.stdout[-2000:]


def test_qgis_process_trains_and_generates(qgis_process_ready, sample_dem, tmp_path):
    model, dem = str(tmp_path / "cli.pt"), str(tmp_path / "cli.tif")
    train_args = [f"{key}={value}" for key, value in QUICK_TRAINING.items()]
    done = _qgis_process(qgis_process_ready, "--json", "run", "geogan:traingan", "--",
                         f"INPUT_LAYERS={sample_dem}", *train_args, f"OUTPUT_MODEL={model}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert json.loads(done.stdout)["results"]["OUTPUT_MODEL"] == model
    done = _qgis_process(qgis_process_ready, "--json", "run", "geogan:generatedem", "--",
                         f"MODEL={model}", "WIDTH=80", "HEIGHT=60", "SEED=1", f"OUTPUT={dem}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert gdal.Open(dem).GetMetadata()["GEOGAN_SYNTHETIC"] == "YES"
