"""What the GeoGAN algorithms share: the device choice, progress/cancel wiring and error translation."""

import contextlib
import os

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException, QgsProcessingFeedback
from qgis.PyQt.QtGui import QIcon


DEVICE_OPTIONS = ["auto", "cpu", "cuda"]  # the enum's order is public: 0 auto, 1 cpu, 2 cuda
PLUGIN_DIR = os.path.dirname(__file__)
RESOURCES_DIR = os.path.join(PLUGIN_DIR, "resources")


def plugin_icon() -> QIcon:
    return QIcon(os.path.join(RESOURCES_DIR, "geogan.svg"))


def reporter_for(feedback: QgsProcessingFeedback):
    """A core Reporter that forwards progress, cancel and log lines to Processing's feedback."""
    from .core.progress import Reporter

    return Reporter(progress=feedback.setProgress, is_cancelled=feedback.isCanceled, log=feedback.pushInfo)


@contextlib.contextmanager
def core_errors(cancel_message: str):
    """Turn the core's ValueErrors and cancellation into QgsProcessingException sentences."""
    from .core.progress import Cancelled

    try:
        yield
    except Cancelled as error:
        raise QgsProcessingException(cancel_message) from error
    except ValueError as error:
        raise QgsProcessingException(str(error)) from error


class GeoGanAlgorithm(QgsProcessingAlgorithm):
    """Base class: the group, icon and instance creation shared by every GeoGAN algorithm."""

    def group(self) -> str:
        return "Terrain GAN"

    def groupId(self) -> str:  # noqa: N802
        return "terraingan"

    def icon(self) -> QIcon:
        return plugin_icon()

    def createInstance(self):  # noqa: N802
        return type(self)()
