"""The training monitor dock: live loss curves, the latest hillshaded samples, the status, Cancel, and the loss
history of a finished model.

It listens to the plugin's TrainingHub, whose signals arrive on the main thread, and follows the most recently
started training.
"""

import math
import os

from qgis.gui import QgsDockWidget
from qgis.PyQt.QtCore import QPointF, QRectF, Qt
from qgis.PyQt.QtGui import QColor, QPainter, QPen, QPixmap, QPolygonF
from qgis.PyQt.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from .translation import translate

SAMPLE_SIDE = 80  # pixels of each sample tile on screen
# (key, legend, colour) of each curve; the keys are those of a model's loss_history.
LOSS_SERIES = (("discriminator", "discriminator", QColor(200, 60, 40)), ("generator", "generator", QColor(40, 90, 200)))


class LossCurves(QWidget):
    """Loss against training step, one line per series, drawn with QPainter on axes that fit the data."""

    MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 10, 18, 22

    def tr(self, text: str) -> str:  # noqa: N802 (Qt's name)
        return translate(type(self).__name__, text)  # the class name is the context, as pylupdate expects

    def __init__(self, parent=None):
        super().__init__(parent)
        self.points = {key: [] for key, _legend, _colour in LOSS_SERIES}  # key: [(step, loss)], in step order
        self.setMinimumSize(240, 150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def clear(self) -> None:
        for series in self.points.values():
            series.clear()
        self.update()

    def add_point(self, key: str, step: float, loss: float) -> None:
        if math.isfinite(loss):  # a diverged step would flatten every other point to a line
            self.points[key].append((float(step), float(loss)))
            self.update()

    def set_history(self, history: dict) -> None:
        """A model's loss_history: {"step": [...], "discriminator": [...], "generator": [...]}."""
        self.clear()
        steps = history.get("step", [])
        for key in self.points:
            for step, loss in zip(steps, history.get(key, [])):
                self.add_point(key, step, loss)

    def _ranges(self):
        everything = [point for series in self.points.values() for point in series]
        if not everything:
            return None
        steps, losses = [p[0] for p in everything], [p[1] for p in everything]
        low, high = min(losses), max(losses)
        pad = (high - low) * 0.05 or max(abs(high) * 0.05, 0.05)
        return min(steps), max(max(steps), min(steps) + 1), low - pad, high + pad

    def paintEvent(self, _event):  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.palette().base())
        ranges = self._ranges()
        metrics = painter.fontMetrics()
        # Room on the left for the loss labels, whatever their length.
        left = 8 + max((metrics.horizontalAdvance(f"{value:.3g}") for value in ranges[2:]), default=0) if ranges else 8
        plot = QRectF(left, self.MARGIN_TOP, self.width() - left - self.MARGIN_RIGHT,
                      self.height() - self.MARGIN_TOP - self.MARGIN_BOTTOM)
        text_colour = self.palette().text().color()
        painter.setPen(QPen(text_colour.lighter(250) if text_colour.lightness() < 128 else text_colour.darker(250)))
        painter.drawRect(plot)
        painter.setPen(text_colour)
        if ranges is None:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.tr("No losses yet"))
            return
        first, last, low, high = ranges

        def at(step: float, loss: float) -> QPointF:
            return QPointF(plot.left() + (step - first) / (last - first) * plot.width(),
                           plot.bottom() - (loss - low) / (high - low) * plot.height())

        # Axis labels: the loss range on the left, the step range below.
        painter.drawText(QRectF(0, plot.top() - 8, left - 4, 16),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{high:.3g}")
        painter.drawText(QRectF(0, plot.bottom() - 8, left - 4, 16),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{low:.3g}")
        below = QRectF(plot.left(), plot.bottom() + 2, plot.width(), metrics.height())
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft, f"{first:.0f}")
        painter.drawText(below, Qt.AlignmentFlag.AlignHCenter, self.tr("step"))
        painter.drawText(below, Qt.AlignmentFlag.AlignRight, f"{last:.0f}")
        legend_x = plot.left()
        for key, legend, colour in LOSS_SERIES:
            series = self.points[key]
            pen = QPen(colour)
            pen.setWidthF(1.5)
            painter.setPen(pen)
            if len(series) == 1:
                painter.drawEllipse(at(*series[0]), 2.5, 2.5)
            elif series:
                painter.drawPolyline(QPolygonF([at(step, loss) for step, loss in series]))
            label = self.tr(legend)
            painter.drawText(QRectF(legend_x, 0, metrics.horizontalAdvance(label) + 4, self.MARGIN_TOP),
                             Qt.AlignmentFlag.AlignVCenter, label)
            legend_x += metrics.horizontalAdvance(label) + 16
        painter.end()


class TrainingMonitorDock(QgsDockWidget):
    """Follows the latest training of a TrainingHub; can show the loss history of a model file instead."""

    def tr(self, text: str) -> str:  # noqa: N802 (Qt's name)
        return translate(type(self).__name__, text)  # the class name is the context, as pylupdate expects

    def __init__(self, hub, parent=None):
        super().__init__(parent)
        self.setObjectName("GeoGanTrainingMonitor")  # QGIS keeps a dock's place under its object name
        self.setWindowTitle(self.tr("GeoGAN training monitor"))
        self.hub = hub
        self.run = None  # the TrainingRun followed; Cancel stops it
        self.showing_model = ""  # path of the model whose history is shown instead of the run's
        self.stage = ""  # the cascade stage whose curves are shown ("" for a single GAN)

        body = QWidget()
        layout = QVBoxLayout(body)
        self.status_label = QLabel(self.tr("No training yet. Start one (Train terrain GAN), or open a model to see "
                                           "its loss history."))
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.curves = LossCurves()
        self.samples_label = QLabel(self.tr("Samples appear here as the training takes them."))
        self.samples_row = QHBoxLayout()
        self.samples_row.setSpacing(4)
        self.samples_row.addStretch(1)
        self.sample_labels = []
        self.cancel_button = QPushButton(self.tr("Cancel training"))
        self.cancel_button.setToolTip(self.tr("Stop the training; the model learned so far is kept."))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_training)
        self.open_button = QPushButton(self.tr("Open model…"))
        self.open_button.setToolTip(self.tr("Show the loss history of a model written by Train terrain GAN."))
        self.open_button.clicked.connect(lambda _checked=False: self.open_model())
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        layout.addWidget(self.status_label)
        layout.addWidget(self.curves, 1)
        layout.addWidget(self.samples_label)
        layout.addLayout(self.samples_row)
        layout.addLayout(buttons)
        self.setWidget(body)

        hub.started.connect(self.follow)
        hub.status.connect(self.on_status)
        hub.samples.connect(self.on_samples)
        hub.finished.connect(self.on_finished)
        if hub.latest is not None:
            self.follow(hub.latest)

    # --- a live training -------------------------------------------------------------------------------------

    def follow(self, run) -> None:
        """Show `run` (a TrainingRun), replaying what the hub already heard of it."""
        self.run, self.showing_model, self.stage = run, "", ""
        self.curves.clear()
        self.show_samples(None)
        self.cancel_button.setEnabled(run.running)
        self.status_label.setText(self.tr("Training {name} on {device}: starting…").format(
            name=os.path.basename(run.model_path), device=run.device))
        for status in run.statuses:
            self.show_status(status)
        if run.snapshot is not None:
            self.show_samples(run.snapshot)
        if not run.running:
            self.show_outcome(run)

    def _is_followed(self, run_id: int) -> bool:
        return self.run is not None and self.run.run_id == run_id and not self.showing_model

    def on_status(self, run_id: int, status) -> None:
        if self._is_followed(run_id):
            self.show_status(status)

    def on_samples(self, run_id: int, snapshot) -> None:
        if self._is_followed(run_id):
            self.show_samples(snapshot)

    def on_finished(self, run_id: int, _outcome: str) -> None:
        if self.run is not None and self.run.run_id == run_id:
            self.cancel_button.setEnabled(False)
            if not self.showing_model:
                self.show_outcome(self.run)

    def show_status(self, status) -> None:
        from .core.progress import duration_text

        if status.stage != self.stage:
            self.curves.clear()  # a cascade's stages are separate GANs, with losses of their own
            self.stage = status.stage
        self.curves.add_point("discriminator", status.step, status.discriminator_loss)
        self.curves.add_point("generator", status.step, status.generator_loss)
        stage = (self.tr("{stage} stage, step").format(stage=status.stage.capitalize()) if status.stage
                 else self.tr("Step"))
        self.status_label.setText(self.tr(
            "{stage} {step} / {last} on {device}\n"
            "Losses: discriminator {d:.3f}, generator {g:.3f}\n"
            "{speed:.0f} tiles/s, {elapsed} elapsed, about {left} left").format(
            stage=stage, step=status.step, last=status.last_step, d=status.discriminator_loss,
            g=status.generator_loss, speed=status.tiles_per_second, device=self.run.device,
            elapsed=duration_text(status.elapsed_seconds), left=duration_text(status.remaining_seconds)))

    def show_samples(self, snapshot) -> None:
        for label in self.sample_labels:
            self.samples_row.removeWidget(label)
            label.hide()  # at once: deleteLater waits for the event loop
            label.deleteLater()
        self.sample_labels = []
        if snapshot is None:
            self.samples_label.setText(self.tr("Samples appear here as the training takes them."))
            return
        self.samples_label.setText(self.tr("Generated samples at step {step} (hillshaded):").format(step=snapshot.step))
        for image in snapshot.images:
            label = QLabel()
            # QPixmap only here, on the main thread; the worker built thread-safe QImages.
            label.setPixmap(QPixmap.fromImage(image).scaled(
                SAMPLE_SIDE, SAMPLE_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation))
            self.samples_row.insertWidget(len(self.sample_labels), label)
            self.sample_labels.append(label)

    def show_outcome(self, run) -> None:
        name = os.path.basename(run.model_path)
        step = run.statuses[-1].step if run.statuses else 0
        text = {
            "completed": self.tr("Training finished at step {step}: model written to {name}."),
            "cancelled": self.tr("Training cancelled at step {step}: the model learned so far is kept in {name}; "
                                 "train again with it as the model to continue."),
            "stopped": self.tr("Training cancelled at step {step}; nothing was written (a training cancelled "
                               "before its first step, or a two-stage one, keeps no model)."),
        }.get(run.outcome, self.tr("Training failed at step {step}; the Processing log says why."))
        self.status_label.setText(text.format(step=step, name=name))

    def cancel_training(self) -> None:
        if self.run is not None and self.run.cancel():
            self.status_label.setText(self.tr("Cancelling: the training stops after its current step…"))
        self.cancel_button.setEnabled(False)

    # --- a finished model's history -------------------------------------------------------------------------

    def open_model(self, path: str = None) -> bool:
        """Show the loss history of a model file (asks for one when `path` is None); False if it cannot be read."""
        if path is None:
            path, _filter = QFileDialog.getOpenFileName(self, self.tr("Open a GeoGAN model"), "",
                                                        self.tr("GeoGAN model (*.pt)"))
            if not path:
                return False
        try:
            from .dependencies import require_torch

            require_torch()
            from .core.checkpoint import load_checkpoint

            checkpoint = load_checkpoint(path)
        except Exception as error:  # noqa: BLE001 (CheckpointError, or no torch: both say what to do)
            self.status_label.setText(str(error))
            return False
        from .core.progress import duration_text

        self.showing_model = path
        history = checkpoint.get("loss_history") or {}
        self.curves.set_history(history)
        self.show_samples(None)
        self.samples_label.setText(self.tr("A model file keeps no samples; generate a DEM to see its terrain."))
        steps = checkpoint.get("iterations_done", (history.get("step") or [0])[-1])
        state = (self.tr("cancelled (usable; can be continued)") if checkpoint.get("completed") is False
                 else self.tr("completed"))
        self.status_label.setText(self.tr("{name}: {steps} steps, {state}, trained for {time}.").format(
            name=os.path.basename(path), steps=steps, state=state,
            time=duration_text(checkpoint.get("training_seconds", 0.0))))
        return True
