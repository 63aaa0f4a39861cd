"""The plugin's own entry point runs algorithms in a QgsTask: progress, cancel, and layers added on completion."""

import os

from pytest_qgis.utils import wait_until
from qgis.core import QgsApplication, QgsHillshadeRenderer, QgsProcessingFeedback, QgsProject, QgsTask

from conftest import QUICK_TRAINING


def _wait_for(condition, seconds=60):
    """Pump Qt events (task results arrive on the main thread) until condition() holds."""
    assert wait_until(condition, timeout_milliseconds=seconds * 1000), "timed out waiting for the task"


def _run(algorithm_id, parameters, feedback=None):
    from geogan_qgis.tasks import run_algorithm_in_task

    outcome = {}
    task = run_algorithm_in_task(algorithm_id, parameters, on_finished=lambda ok, results: outcome.update(
        ok=ok, results=results), feedback=feedback)
    return task, outcome


def test_generation_task_adds_a_styled_layer_when_done(trained_model, tmp_path, qgis_new_project):
    output = str(tmp_path / "task.tif")
    progress = []
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(progress.append)
    task, outcome = _run("geogan:generatedem", {"MODEL": trained_model, "WIDTH": 600, "HEIGHT": 300, "SEED": 2,
                                                "OUTPUT": output}, feedback)
    _wait_for(lambda: "ok" in outcome)
    assert outcome["ok"] and os.path.exists(output)
    assert progress and max(progress) == 100
    layers = QgsProject.instance().mapLayersByName("Synthetic DEM (seed 2)")
    assert len(layers) == 1 and layers[0].source() == output
    renderer = layers[0].renderer()
    assert isinstance(renderer, QgsHillshadeRenderer)
    assert renderer.zFactor() < 1e-4  # geographic CRS: metres of height scaled to degrees of ground


def test_training_task_reports_progress_and_honours_cancel(geogan_plugin, sample_dem, tmp_path):
    output = tmp_path / "cancelled.pt"
    progress = []
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(progress.append)
    parameters = {"INPUT_LAYERS": [sample_dem], **QUICK_TRAINING, "ITERATIONS": 5000, "OUTPUT_MODEL": str(output)}
    task, outcome = _run("geogan:traingan", parameters, feedback)
    _wait_for(lambda: len(progress) >= 3)  # the main thread stays free while it trains
    assert task.status() == QgsTask.TaskStatus.Running
    task.cancel()
    _wait_for(lambda: "ok" in outcome)
    # Processing reports a cancelled task as not successful, but what was learned is kept as a usable model.
    assert outcome["ok"] is False
    assert 0 < max(progress) < 50
    from geogan_qgis.core.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(str(output))
    assert 0 < checkpoint["iterations_done"] < 5000 and checkpoint["completed"] is False


def test_training_task_completes(geogan_plugin, sample_dem, tmp_path):
    output = str(tmp_path / "model.pt")
    task, outcome = _run("geogan:traingan", {"INPUT_LAYERS": [sample_dem], **QUICK_TRAINING, "OUTPUT_MODEL": output})
    _wait_for(lambda: "ok" in outcome)
    assert outcome["ok"] and outcome["results"]["OUTPUT_MODEL"] == output and os.path.exists(output)
    assert QgsApplication.taskManager().countActiveTasks() == 0
