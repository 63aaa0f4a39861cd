"""qgis_process, QGIS's command line, finds the plugin's provider and runs its algorithms."""

import json
import os
import shutil
import site
import subprocess

import pytest
from osgeo import gdal

from conftest import QUICK_TRAINING
from test_defaults import QUICK_TO_RUN, only_required

QGIS_PROCESS = shutil.which("qgis_process.bin") or "/usr/lib/qgis/qgis_process.bin"


def _qgis_process(ready, *args, timeout=300):
    """ready: (the plugin path, the profile folder) from qgis_process_ready."""
    plugin_parent_dir, profile = ready
    env = {**os.environ, "QGIS_PLUGINPATH": plugin_parent_dir, "QT_QPA_PLATFORM": "offscreen",
           # a profile of its own, so enabling the plugin never touches the user's QGIS settings
           "QGIS_CUSTOM_CONFIG_PATH": profile,
           # QGIS's embedded Python sees only the system site-packages: show it the venv's torch.
           "PYTHONPATH": os.pathsep.join(site.getsitepackages())}
    return subprocess.run([QGIS_PROCESS, *args], capture_output=True, text=True, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def qgis_process_ready(plugin_parent_dir, tmp_path_factory):
    """QGIS_PLUGINPATH is the repository itself (conftest's plugin_parent_dir): no build step."""
    assert os.path.exists(QGIS_PROCESS), "qgis_process.bin is part of Debian's qgis package"
    ready = (plugin_parent_dir, str(tmp_path_factory.mktemp("qgis_process_profile")))
    done = _qgis_process(ready, "plugins", "enable", "geogan_qgis")
    assert done.returncode == 0, done.stdout + done.stderr
    return ready


def test_qgis_process_lists_the_algorithms(qgis_process_ready):
    done = _qgis_process(qgis_process_ready, "list")
    for algorithm_id in ("geogan:traingan", "geogan:generatedem", "geogan:trainfill", "geogan:fillvoids",
                         "geogan:trainsuperres", "geogan:superresolve"):
        assert algorithm_id in done.stdout, done.stdout[-2000:]


def test_qgis_process_trains_and_generates(qgis_process_ready, sample_dem, tmp_path):
    model, dem = str(tmp_path / "cli.pt"), str(tmp_path / "cli.tif")
    # Only what keeps it short: BAND, DEVICE, SEED, CASCADE and OUTPUT_REPORT are left to their defaults.
    train_args = [f"{key}={QUICK_TRAINING[key]}" for key in ("TILE_SIZE", "ITERATIONS", "BATCH_SIZE")]
    done = _qgis_process(qgis_process_ready, "--json", "run", "geogan:traingan", "--",
                         f"INPUT_LAYERS={sample_dem}", *train_args, f"OUTPUT_MODEL={model}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert json.loads(done.stdout)["results"]["OUTPUT_MODEL"] == model
    done = _qgis_process(qgis_process_ready, "--json", "run", "geogan:generatedem", "--",
                         f"MODEL={model}", "WIDTH=80", "HEIGHT=60", "SEED=1", f"OUTPUT={dem}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert gdal.Open(dem).GetMetadata()["GEOGAN_SYNTHETIC"] == "YES"


@pytest.mark.parametrize("algorithm_id", QUICK_TO_RUN)
def test_qgis_process_runs_with_only_required_parameters(qgis_process_ready, trained_model, sample_corner, tmp_path,
                                                         algorithm_id):
    parameters = only_required(algorithm_id, trained_model, sample_corner, str(tmp_path))
    arguments = [f"{key}={value}" for key, values in parameters.items()
                 for value in (values if isinstance(values, list) else [values])]  # a list: the key repeated
    done = _qgis_process(qgis_process_ready, "--json", "run", algorithm_id, "--", *arguments)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    outputs = [key for key in parameters if key.startswith("OUTPUT")]
    assert all(os.path.isfile(json.loads(done.stdout)["results"][key]) for key in outputs)
