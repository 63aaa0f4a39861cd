"""What the GeoGAN algorithms share: the device choice, progress/cancel wiring and error translation."""

import contextlib
import os

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsProcessingParameterEnum,
    QgsRasterLayer,
)
from qgis.PyQt.QtGui import QIcon

from .compat import mark_advanced
from .core.devices import DEVICE_CHOICES
from .icons_and_help import algorithm_icon, help_url
from .paths import RESOURCES_DIR
from .translation import translate

DEVICE_OPTIONS = list(DEVICE_CHOICES)  # the enum's order is public: 0 auto, 1 cpu, 2 cuda, 3 mps


def plugin_icon() -> QIcon:
    return QIcon(os.path.join(RESOURCES_DIR, "geogan.svg"))


def reporter_for(feedback: QgsProcessingFeedback):
    """A core Reporter that forwards progress, cancel and log lines to Processing's feedback."""
    from .core.progress import Reporter

    return Reporter(progress=feedback.setProgress, is_cancelled=feedback.isCanceled, log=feedback.pushInfo)


def _gdal_file_of(layer: QgsRasterLayer) -> str:
    """The file a raster layer reads, refusing layers GDAL cannot open (GeoGAN reads files through GDAL)."""
    if layer.providerType() != "gdal":
        raise QgsProcessingException(
            f"{layer.name()} is a {layer.providerType()} layer; GeoGAN reads files through GDAL, "
            f"so save it as a GeoTIFF first (Export > Save As).")
    return layer.source()


def raster_layer_path(algorithm, parameters, key, context) -> str:
    """The file path of the raster layer given for a single-layer parameter, refusing anything else."""
    layer = algorithm.parameterAsRasterLayer(parameters, key, context)
    if not isinstance(layer, QgsRasterLayer):
        raise QgsProcessingException("The input could not be opened as a raster layer; choose an elevation raster.")
    return _gdal_file_of(layer)


def optional_raster_layer_path(algorithm, parameters, key, context) -> str:
    """The file path of the raster layer given for an optional single-layer parameter, or "" when none was given."""
    if parameters.get(key) in (None, ""):
        return ""
    return raster_layer_path(algorithm, parameters, key, context)


def raster_layer_paths(algorithm, parameters, key, context) -> list:
    """File paths of the raster layers given for a multiple-layer parameter, refusing anything else."""
    layers = algorithm.parameterAsLayerList(parameters, key, context)
    if not layers:
        raise QgsProcessingException(f"No input raster was chosen for {key}; choose at least one raster layer.")
    given = parameters.get(key)
    if isinstance(given, (list, tuple)) and len(layers) < len(given):
        raise QgsProcessingException(
            f"Some {key} inputs could not be opened as raster layers; choose raster layers (such as GeoTIFF DEMs).")
    paths = []
    for layer in layers:
        if not isinstance(layer, QgsRasterLayer):
            raise QgsProcessingException(f"{layer.name()} is not a raster layer; choose elevation raster layers.")
        paths.append(_gdal_file_of(layer))
    return paths


def _file_of(source: str) -> str:
    """A comparable form of a file path or GDAL layer source (options after "|" dropped, links resolved)."""
    return os.path.normcase(os.path.realpath(source.split("|")[0])) if source else ""


def refuse_output_over_inputs(outputs: dict, inputs: dict) -> None:
    """Refuse an output that is one of the inputs, or another output: it would be overwritten while in use.

    outputs: {parameter name: path}; inputs: {parameter name: path or list of paths}; empty paths are ignored."""
    taken = [(key, _file_of(path)) for key, given in inputs.items()
             for path in (given if isinstance(given, (list, tuple)) else [given]) if path]
    for key, path in outputs.items():
        target = _file_of(path)
        clash = next((other for other, used in taken if target and used == target), None)
        if clash is not None:
            raise QgsProcessingException(
                f"{key} is the same file as {clash} ({path}); GeoGAN never writes over a file it reads or writes "
                f"in the same run. Choose another file for {key}.")
        taken.append((key, target))


@contextlib.contextmanager
def core_errors(cancel_message: str):
    """Turn the core's InputErrors and cancellation into QgsProcessingException sentences.

    Any other exception is a bug: it goes on, and Processing logs it with its traceback."""
    from .core.errors import InputError
    from .core.progress import Cancelled

    try:
        yield
    except Cancelled as error:
        raise QgsProcessingException(cancel_message) from error
    except InputError as error:
        raise QgsProcessingException(str(error)) from error


class GeoGanAlgorithm(QgsProcessingAlgorithm):
    """Base class: the group, icon, help page, translation and instance creation shared by every algorithm."""

    DEVICE = "DEVICE"  # the parameter of add_device_parameter

    def group(self) -> str:
        return translate("GeoGanAlgorithm", "Terrain GAN")

    def groupId(self) -> str:  # noqa: N802
        return "terraingan"

    def icon(self) -> QIcon:
        return algorithm_icon(self.name())

    def helpUrl(self) -> str:  # noqa: N802
        return help_url()

    def tr(self, text: str) -> str:  # noqa: N802 (Qt's name; the class name is the context, as pylupdate expects)
        return translate(type(self).__name__, text)

    def add_device_parameter(self) -> None:
        """DEVICE (advanced): the one device choice of every algorithm that runs a network, default auto."""
        from .core.settings import TrainSettings

        self.addParameter(mark_advanced(QgsProcessingParameterEnum(
            self.DEVICE, "Device", options=DEVICE_OPTIONS, defaultValue=DEVICE_OPTIONS.index(TrainSettings().device))))

    def device_choice(self, parameters, context) -> str:
        """The DEVICE parameter's choice as core.devices names it (auto, cpu, cuda, mps)."""
        return DEVICE_OPTIONS[self.parameterAsEnum(parameters, self.DEVICE, context)]

    def addParameter(self, parameter, createOutput=True):  # noqa: N802,N803 (QGIS's names)
        # Every parameter's label goes through tr(), so the algorithm modules need not wrap each one.
        parameter.setDescription(self.tr(parameter.description()))
        return super().addParameter(parameter, createOutput)

    def addOutput(self, output):  # noqa: N802
        output.setDescription(self.tr(output.description()))
        return super().addOutput(output)

    def createInstance(self):  # noqa: N802
        return type(self)()
