"""Graphical Modeler models shipped in resources/models/, offered in the toolbox under GeoGAN."""

import glob
import os

from qgis.core import QgsProcessingModelAlgorithm

from .paths import MODELS_DIR


def load_example_models() -> list:
    """Each readable .model3 file of MODELS_DIR as a model algorithm; a broken file is left out, not fatal."""
    models = []
    for path in sorted(glob.glob(os.path.join(MODELS_DIR, "*.model3"))):
        # Loaded into the plugin's own provider rather than copied into the user's models folder: works the
        # same on QGIS 3.22 and newer, and the model goes away with the plugin.
        model = QgsProcessingModelAlgorithm()
        if model.fromFile(path):
            model.setSourceFilePath(path)
            models.append(model)
    return models
