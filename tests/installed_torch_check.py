"""Run by test_torch_installer.py with Debian's /usr/bin/python3 (no torch of its own), as a fresh QGIS process:
QGIS_CUSTOM_CONFIG_PATH names the profile GeoGAN's installer put torch into. Loads the plugin the way QGIS does
(from the folder given, the repository root), trains a few steps through processing.run and prints what it found
as JSON.

argv: plugin parent folder, sample DEM, model path to write."""

import json
import sys

import numpy  # QGIS's numpy, imported before the plugin touches sys.path

numpy_before = (numpy.__file__, numpy.__version__)
path_before = list(sys.path)

from qgis.core import QgsApplication  # noqa: E402

app = QgsApplication([], False)
app.initQgis()
import os  # noqa: E402

sys.path += [sys.argv[1], os.path.join(QgsApplication.pkgDataPath(), "python", "plugins")]
import qgis.utils  # noqa: E402

qgis.utils.plugin_paths.insert(0, sys.argv[1])
assert "torch" not in sys.modules
assert qgis.utils.loadPlugin("geogan_qgis") and qgis.utils.startProcessingPlugin("geogan_qgis")
from processing.core.Processing import Processing  # noqa: E402

Processing.initialize()
import processing  # noqa: E402
import torch  # noqa: E402

log = []




from qgis.core import QgsProcessingFeedback  # noqa: E402


class LogFeedback(QgsProcessingFeedback):
    def pushInfo(self, info):  # noqa: N802
        log.append(info)


results = processing.run("geogan:traingan", {
    "INPUT_LAYERS": [sys.argv[2]], "TILE_SIZE": 32, "ITERATIONS": 4, "BATCH_SIZE": 4, "SEED": 3, "DEVICE": 0,
    "OUTPUT_MODEL": sys.argv[3]}, feedback=LogFeedback())
import numpy as numpy_after  # noqa: E402

print("RESULT " + json.dumps({
    "numpy_before": numpy_before, "numpy_after": (numpy_after.__file__, numpy_after.__version__),
    "torch_file": torch.__file__, "torch_version": torch.__version__,
    "added_paths": [p for p in sys.path if p not in path_before], "last_path": sys.path[-1],
    "settings_dir": QgsApplication.qgisSettingsDirPath(), "model": results["OUTPUT_MODEL"], "log": log}))
app.exitQgis()
