"""A realism map is read against the training data's own score, kept in the model (issue 12)."""

import json
import os

import processing
import torch
from qgis.core import QgsApplication

from feedback import LogFeedback


def run_map(model, raster, output):
    feedback = LogFeedback()
    processing.run("geogan:realismmap", {"MODEL": model, "INPUT": raster, "DEVICE": 1, "OUTPUT": str(output)},
                   feedback=feedback)
    return feedback.lines


def test_the_model_keeps_the_training_data_score_as_plain_data(trained_model):
    reference = torch.load(trained_model, weights_only=True)["realism_reference"]
    json.dumps(reference)
    assert 0.0 <= reference["training_data"] <= 1.0 and 0.0 <= reference["generated"] <= 1.0


def test_the_log_gives_the_training_data_score_as_the_reference_level(trained_model, sample_corner, tmp_path):
    training_data = torch.load(trained_model, weights_only=True)["realism_reference"]["training_data"]
    lines = run_map(trained_model, sample_corner, tmp_path / "map.tif")
    reference = [line for line in lines if line.startswith("Reference level:")]
    assert len(reference) == 1 and f"the training data scores {training_data:.2f}" in reference[0]
    assert "likeness to the model's training data, not whether terrain is real in general" in reference[0]


def test_older_models_say_the_reference_level_is_unknown(trained_model, sample_corner, tmp_path):
    checkpoint = torch.load(trained_model, weights_only=True)
    del checkpoint["realism_reference"]
    older = str(tmp_path / "older.pt")
    torch.save(checkpoint, older)
    lines = run_map(older, sample_corner, tmp_path / "map.tif")
    assert any(line.startswith("Reference level unknown") for line in lines)
    assert os.path.isfile(tmp_path / "map.tif")


def test_help_says_what_the_map_measures(geogan_plugin):
    realism_map = QgsApplication.processingRegistry().createAlgorithmById("geogan:realismmap")
    assert "likeness to the training data, not realness in general" in realism_map.shortHelpString().lower()
