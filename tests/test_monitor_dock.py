"""The training monitor: a hub hears real trainings through Qt signals, the dock plots them, cancels them and
reopens a finished model's loss history; the plugin's menu opens it and a training opens it by itself."""

import contextlib
import os

import pytest
from pytest_qgis.utils import wait_until
from qgis.core import QgsApplication, QgsProcessingFeedback
from qgis.PyQt.QtCore import QThread

from conftest import QUICK_TRAINING, ROOT

SCREENSHOT = os.path.join(ROOT, "docs", "screenshots", "monitor_dock.png")


def _wait_for(condition, seconds=60):
    """Pump Qt events (signals from the task's thread are queued to the main thread) until condition() holds."""
    assert wait_until(condition, timeout_milliseconds=seconds * 1000), "timed out"


@pytest.fixture()
def hub(geogan_plugin):
    from geogan_qgis.training_hub import install_training_hub, remove_training_hub

    hub = install_training_hub()
    yield hub
    remove_training_hub()


@pytest.fixture()
def dock(hub):
    from geogan_qgis.monitor_dock import TrainingMonitorDock

    dock = TrainingMonitorDock(hub)
    dock.resize(460, 480)
    yield dock
    dock.deleteLater()


def test_hub_hears_a_training_and_the_dock_plots_it(hub, dock, sample_dem, tmp_path):
    import processing

    model = str(tmp_path / "watched.pt")
    processing.run("geogan:traingan", {"INPUT_LAYERS": [sample_dem], **QUICK_TRAINING, "ITERATIONS": 10,
                                       "OUTPUT_MODEL": model})
    run = hub.latest
    _wait_for(lambda: run.outcome == "completed")
    assert run.model_path == model and run.device == "cpu"
    # A status with every 5 % of the steps (here every step), the last one at the last step.
    assert [s.step for s in run.statuses] == list(range(1, 11)) and run.statuses[-1].last_step == 10
    assert run.snapshot.step == 10 and len(run.snapshot.images) == len(run.snapshot.relief) > 0
    assert run.snapshot.images[0].width() == 32 and not run.snapshot.images[0].isNull()
    # The dock plotted every status and shows the latest samples.
    assert dock.curves.points["generator"] == [(s.step, s.generator_loss) for s in run.statuses]
    assert len(dock.curves.points["discriminator"]) == 10
    assert len(dock.sample_labels) == len(run.snapshot.images)
    assert "finished at step 10" in dock.status_label.text() and not dock.cancel_button.isEnabled()
    dock.show()
    dock.show_status(run.statuses[-1])  # for the picture: the status line a running training shows
    QgsApplication.processEvents()  # lays the dock out for its new text
    # The README's picture, retaken only when asked (make screenshots), so a test run leaves docs/ as it was.
    screenshot = SCREENSHOT if os.environ.get("GEOGAN_UPDATE_SCREENSHOTS") else str(tmp_path / "monitor_dock.png")
    os.makedirs(os.path.dirname(screenshot), exist_ok=True)
    assert dock.grab().save(screenshot)


def test_cancel_button_stops_a_task_and_the_model_is_kept(hub, dock, sample_dem, tmp_path):
    from geogan_qgis.core.checkpoint import load_checkpoint
    from geogan_qgis.tasks import run_algorithm_in_task

    main_thread = QgsApplication.instance().thread()
    delivered_on = []
    hub.status.connect(lambda _run_id, _status: delivered_on.append(QThread.currentThread() == main_thread))
    model = str(tmp_path / "cancelled.pt")
    outcome = {}
    run_algorithm_in_task("geogan:traingan", {"INPUT_LAYERS": [sample_dem], **QUICK_TRAINING, "ITERATIONS": 200,
                                              "OUTPUT_MODEL": model},
                          on_finished=lambda ok, results: outcome.update(ok=ok), feedback=QgsProcessingFeedback())
    _wait_for(lambda: hub.latest is not None and hub.latest.statuses)  # a status every 10 steps
    run = hub.latest
    assert dock.run is run and dock.cancel_button.isEnabled()
    dock.cancel_button.click()
    _wait_for(lambda: "ok" in outcome and not run.running)
    assert run.outcome == "cancelled" and "cancelled at step" in dock.status_label.text()
    assert delivered_on and all(delivered_on)  # emitted in the task's thread, received on the main thread
    checkpoint = load_checkpoint(model)
    assert checkpoint["completed"] is False and 0 < checkpoint["iterations_done"] < 200


def test_each_way_a_training_ends_is_told_and_without_a_hub_nothing_is(geogan_plugin, sample_dem):
    from geogan_qgis.core.progress import Reporter
    from geogan_qgis.training_hub import install_training_hub, monitored_training, remove_training_hub

    reporter = Reporter()
    with monitored_training(reporter, QgsProcessingFeedback(), "/tmp/m.pt", "cpu", sample_dem) as given:
        assert given is reporter  # no hub (qgis_process, scripts): the reporter as it was
    hub = install_training_hub()
    try:
        outcomes = []
        hub.finished.connect(lambda _run_id, outcome: outcomes.append(outcome))
        for cancel, fail in ((False, False), (True, False), (True, True), (False, True)):
            feedback = QgsProcessingFeedback()
            with pytest.raises(RuntimeError) if fail else contextlib.nullcontext():
                with monitored_training(reporter, feedback, "/tmp/m.pt", "cpu", sample_dem):
                    if cancel:
                        feedback.cancel()
                    if fail:
                        raise RuntimeError("broken")
        assert outcomes == ["completed", "cancelled", "stopped", "failed"]
        assert hub.latest.feedback is None and not hub.latest.cancel()  # a finished run cannot be cancelled
    finally:
        remove_training_hub()


def test_dock_reopens_a_models_history(dock, trained_model, tmp_path):
    from geogan_qgis.core.checkpoint import load_checkpoint

    history = load_checkpoint(trained_model)["loss_history"]
    assert dock.open_model(trained_model)
    assert dock.curves.points["generator"] == [(float(s), float(g)) for s, g in zip(history["step"],
                                                                                    history["generator"])]
    assert "quick.pt" in dock.status_label.text() and "completed" in dock.status_label.text()
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a model")
    assert not dock.open_model(str(broken))
    assert "not a GeoGAN model" in dock.status_label.text()


def test_menu_opens_the_monitor_and_a_training_opens_it_by_itself(geogan_plugin, qgis_iface):
    from geogan_qgis import classFactory
    from geogan_qgis.training_hub import TrainingRun, current_training_hub

    geogan_plugin.unload()
    plugin = classFactory(qgis_iface)
    plugin.initGui()
    try:
        assert current_training_hub() is plugin.training_hub
        entry = next(a for a in plugin.actions if a.text() == "Training monitor")
        plugin.training_hub.started.emit(TrainingRun(7, "/tmp/m.pt", "cpu", None))
        assert plugin.monitor_dock is not None and plugin.monitor_dock.run.run_id == 7
        assert not plugin.monitor_dock.isHidden()
        plugin.monitor_dock.close()
        entry.trigger()
        assert not plugin.monitor_dock.isHidden()
    finally:
        plugin.unload()
        geogan_plugin.initProcessing()
    assert current_training_hub() is None and plugin.monitor_dock is None
