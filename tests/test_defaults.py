"""Every parameter that has a default or is optional can be left out (issue 12); qgis_process: test_qgis_process.py."""

import os

import processing
import pytest
from qgis.core import Qgis, QgsApplication, QgsProcessingContext, QgsProcessingParameterDefinition

from core.settings import TrainSettings

OPTIONAL_FLAG = getattr(getattr(Qgis, "ProcessingParameterFlag", None), "Optional", None) \
    or QgsProcessingParameterDefinition.Flag.FlagOptional  # QGIS 3.36+ / 3.22

# What a user must give; every other parameter has a default or is optional.
REQUIRED = {
    "geogan:traingan": ["INPUT_LAYERS", "OUTPUT_MODEL"],
    "geogan:generatedem": ["OUTPUT"],  # MODEL: the sample model shipped with the plugin
    "geogan:evaluate": ["REAL_LAYERS", "SYNTHETIC_LAYERS", "OUTPUT_REPORT"],
    "geogan:realismmap": ["INPUT", "OUTPUT"],
    "geogan:exportheightmap": ["INPUT", "OUTPUT"],
    "geogan:trainfill": ["INPUT_LAYERS", "OUTPUT_MODEL"],
    "geogan:fillvoids": ["MODEL", "INPUT", "OUTPUT"],  # no shipped void-filling model; INPUT must have voids
    "geogan:trainsuperres": ["INPUT_LAYERS", "OUTPUT_MODEL"],
    "geogan:superresolve": ["MODEL", "INPUT", "OUTPUT"],  # no shipped super-resolution model
}
# Training with only the required parameters takes minutes; its defaults are checked without training. fillvoids
# and superresolve need models of their own kind: test_incomplete_data.py runs them with only these parameters.
QUICK_TO_RUN = ["geogan:generatedem", "geogan:evaluate", "geogan:realismmap", "geogan:exportheightmap"]


def algorithm(algorithm_id):
    return QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)


def required_parameters(algorithm_id) -> list:
    instance = algorithm(algorithm_id)  # kept: its parameter definitions die with it
    return [d.name() for d in instance.parameterDefinitions()
            if not d.flags() & OPTIONAL_FLAG and d.defaultValue() is None]


def only_required(algorithm_id, model, dem, folder) -> dict:
    """Values for the required parameters only; outputs go to `folder`."""
    values = {"INPUT_LAYERS": [dem], "OUTPUT_MODEL": os.path.join(folder, "model.pt"), "MODEL": model,
              "OUTPUT": os.path.join(folder, "output.tif"), "REAL_LAYERS": [dem], "SYNTHETIC_LAYERS": [dem],
              "OUTPUT_REPORT": os.path.join(folder, "report.html"), "INPUT": dem}
    if algorithm_id == "geogan:exportheightmap":  # a heightmap is a PNG or RAW file
        values["OUTPUT"] = os.path.join(folder, "output.png")
    return {key: values[key] for key in REQUIRED[algorithm_id]}


def test_only_these_parameters_are_required(geogan_plugin):
    assert {name: required_parameters(name) for name in REQUIRED} == REQUIRED


@pytest.mark.parametrize("algorithm_id", QUICK_TO_RUN)
def test_runs_with_only_its_required_parameters(trained_model, sample_corner, tmp_path, algorithm_id):
    parameters = only_required(algorithm_id, trained_model, sample_corner, str(tmp_path))
    results = processing.run(algorithm_id, parameters)
    outputs = [key for key in parameters if key.startswith("OUTPUT")]
    assert outputs and all(results[key] == parameters[key] and os.path.isfile(results[key]) for key in outputs)


def test_training_defaults_are_train_settings(geogan_plugin, sample_dem, tmp_path):
    """With only its required parameters, training is accepted and gets exactly TrainSettings()'s defaults."""
    train = algorithm("geogan:traingan")
    parameters = only_required("geogan:traingan", "", sample_dem, str(tmp_path))
    context = QgsProcessingContext()
    accepted, message = train.checkParameterValues(parameters, context)
    assert accepted, message
    assert train.training_settings(parameters, context).to_dict() == TrainSettings().to_dict()
