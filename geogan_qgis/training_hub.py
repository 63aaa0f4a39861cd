"""Where running trainings tell the desktop how they are doing: a QObject hub with Qt signals.

The plugin creates the hub on the main thread when the desktop GUI starts (install_training_hub). A training
runs in a QgsTask's worker thread and emits the hub's signals from there; Qt queues signals emitted in another
thread than the receiver's, so the monitor dock's slots always run on the main thread. Without a hub
(qgis_process, PyQGIS scripts, tests that install none) trainings emit nothing.
"""

import contextlib
import itertools
import threading
from dataclasses import dataclass, field, replace

import numpy as np
from qgis.PyQt.QtCore import QObject, pyqtSignal
from qgis.PyQt.QtGui import QImage

_hub = None  # the plugin's TrainingHub while the desktop GUI is loaded
_run_ids = itertools.count(1)
_run_ids_lock = threading.Lock()


@dataclass
class SampleSnapshot:
    """Generated tiles taken during a training: hillshades as QImages (built in the worker; QImage is thread-safe)."""

    step: int
    images: list
    relief: object  # the tiles in elevation units, (n, tile, tile) float32


@dataclass
class TrainingRun:
    """One training as the hub saw it; the lists grow on the main thread, from the hub's own slots."""

    run_id: int
    model_path: str
    device: str
    feedback: object  # the run's QgsProcessingFeedback: cancel() stops it (thread-safe); None once finished
    statuses: list = field(default_factory=list)  # core.progress.TrainingStatus, oldest first
    snapshot: SampleSnapshot = None  # the latest
    # "" while running, then "completed", "cancelled" (the model so far kept), "stopped" (cancelled, nothing
    # written: before the first step, or a two-stage training) or "failed"
    outcome: str = ""

    @property
    def running(self) -> bool:
        return not self.outcome

    def cancel(self) -> bool:
        """Ask the training to stop; False when it has already finished."""
        if self.feedback is None:
            return False
        try:
            self.feedback.cancel()
        except RuntimeError:  # the feedback's C++ object went with its finished task
            return False
        return True


class TrainingHub(QObject):
    """Signals of every training started while the desktop GUI is loaded; remembers the latest run."""

    started = pyqtSignal(object)  # TrainingRun
    status = pyqtSignal(int, object)  # run id, core.progress.TrainingStatus
    samples = pyqtSignal(int, object)  # run id, SampleSnapshot
    finished = pyqtSignal(int, str)  # run id, outcome

    def __init__(self, parent=None):
        super().__init__(parent)
        self.runs = {}  # run id: TrainingRun, those started since the hub was made
        self.latest = None  # the most recently started TrainingRun
        # Connected first, so a run's record is up to date before any other slot (the dock's) sees the signal.
        self.started.connect(self._record_start)
        self.status.connect(self._record_status)
        self.samples.connect(self._record_samples)
        self.finished.connect(self._record_finish)

    def _record_start(self, run: TrainingRun) -> None:
        self.runs[run.run_id] = self.latest = run

    def _record_status(self, run_id: int, status) -> None:
        if run_id in self.runs:
            self.runs[run_id].statuses.append(status)

    def _record_samples(self, run_id: int, snapshot: SampleSnapshot) -> None:
        if run_id in self.runs:
            self.runs[run_id].snapshot = snapshot

    def _record_finish(self, run_id: int, outcome: str) -> None:
        if run_id in self.runs:
            run = self.runs[run_id]
            run.outcome, run.feedback = outcome, None


def install_training_hub() -> TrainingHub:
    """Create the hub (call on the main thread: its signals are delivered there)."""
    global _hub
    _hub = TrainingHub()
    return _hub


def remove_training_hub() -> None:
    """Trainings started from now on emit nothing; the hub object is deleted."""
    global _hub
    hub, _hub = _hub, None
    if hub is not None:
        hub.deleteLater()


def current_training_hub():
    return _hub


def hillshade_images(relief: np.ndarray, pixel_metres: tuple) -> list:
    """Grey QImages of (n, tile, tile) elevation tiles, shaded with core's hillshade (values 0 to 1)."""
    from .core.terrain import hillshade

    images = []
    for tile in relief:
        tile = np.where(np.isfinite(tile), tile, np.nanmean(tile) if np.isfinite(tile).any() else 0.0)
        shade = np.ascontiguousarray((hillshade(tile, *pixel_metres) * 255).round().astype(np.uint8))
        height, width = shade.shape
        # copy(): the QImage must own its pixels, not borrow the numpy buffer that goes away here.
        images.append(QImage(shade.tobytes(), width, height, width, QImage.Format.Format_Grayscale8).copy())
    return images


def ground_pixel_metres(raster_path: str) -> tuple:
    """The (x, y) pixel size in metres of the raster a training learns from: to shade its samples true to scale."""
    from .core.raster_io import grid_of, open_raster
    from .core.terrain import grid_pixel_metres

    return grid_pixel_metres(grid_of(open_raster(raster_path)))


def _device_name(requested: str) -> str:
    """The torch device a training asked for `requested` (auto, cpu, cuda) runs on."""
    from .core.devices import resolve_device

    try:
        return str(resolve_device(requested))
    except Exception:  # noqa: BLE001 (the training itself refuses it with the full sentence)
        return requested


@contextlib.contextmanager
def monitored_training(reporter, feedback, model_path: str, device: str, first_raster: str):
    """Yield `reporter` extended to emit the hub's signals for this training; unchanged when there is no hub.

    Runs in the algorithm's thread. On exit the hub hears the run's outcome (see TrainingRun.outcome): a training
    the user cancelled that still returns has kept its model; one that raises has not."""
    hub = current_training_hub()
    if hub is None:
        yield reporter
        return
    try:
        pixel = ground_pixel_metres(first_raster)
    except Exception:  # noqa: BLE001 (a raster the training cannot read is refused by the training itself)
        pixel = (1.0, 1.0)
    with _run_ids_lock:
        run_id = next(_run_ids)

    def emit(signal, *arguments) -> None:
        try:
            signal.emit(*arguments)
        except RuntimeError:  # the plugin was unloaded mid-training: nobody is listening any more
            pass

    def on_status(status) -> None:
        reporter.status(status)
        emit(hub.status, run_id, status)

    def on_samples(step: int, relief) -> None:
        reporter.samples(step, relief)
        emit(hub.samples, run_id, SampleSnapshot(step, hillshade_images(relief, pixel), np.array(relief)))

    emit(hub.started, TrainingRun(run_id, model_path, _device_name(device), feedback))
    returned = False
    try:
        yield replace(reporter, status=on_status, samples=on_samples)
        returned = True
    finally:
        cancelled = feedback.isCanceled()
        outcome = ("cancelled" if cancelled else "completed") if returned else ("stopped" if cancelled else "failed")
        emit(hub.finished, run_id, outcome)
