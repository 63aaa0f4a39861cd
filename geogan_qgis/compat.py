"""What moved between QGIS 3.22 and QGIS 3.36+/4 (enums, layer properties): looked up once, here."""

from qgis.core import (
    Qgis,
    QgsProcessing,
    QgsProcessingParameterDefinition,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
)

try:  # Qt 6 (QGIS 4) moved QAction to QtGui; Qt 5 has it in QtWidgets
    from qgis.PyQt.QtGui import QAction  # noqa: F401 (for plugin.py)
except ImportError:
    from qgis.PyQt.QtWidgets import QAction  # noqa: F401


def _pick(new_scope: str, new_name: str, old_owner, old_name: str):
    """The scoped enum value of newer QGIS when present, else the old class attribute."""
    scope = getattr(Qgis, new_scope, None)
    if scope is not None and hasattr(scope, new_name):
        return getattr(scope, new_name)
    return getattr(old_owner, old_name)


RASTER_LAYER = _pick("ProcessingSourceType", "Raster", QgsProcessing, "TypeRaster")
INTEGER_NUMBER = _pick("ProcessingNumberParameterType", "Integer", QgsProcessingParameterNumber, "Integer")
FILE_BEHAVIOUR = _pick("ProcessingFileParameterBehavior", "File", QgsProcessingParameterFile, "File")
ADVANCED_FLAG = _pick("ProcessingParameterFlag", "Advanced", QgsProcessingParameterDefinition, "FlagAdvanced")


def mark_advanced(parameter: QgsProcessingParameterDefinition) -> QgsProcessingParameterDefinition:
    parameter.setFlags(parameter.flags() | ADVANCED_FLAG)
    return parameter


def set_layer_abstract(layer, text: str) -> None:
    """QGIS 3.38 moved a layer's abstract into serverProperties() and deprecated QgsMapLayer.setAbstract."""
    properties = layer.serverProperties() if hasattr(layer, "serverProperties") else None
    if properties is not None and hasattr(properties, "setAbstract"):
        properties.setAbstract(text)
    else:
        layer.setAbstract(text)


def layer_abstract(layer) -> str:
    properties = layer.serverProperties() if hasattr(layer, "serverProperties") else None
    if properties is not None and hasattr(properties, "abstract"):
        return properties.abstract()
    return layer.abstract()


def push_warning(feedback, text: str) -> None:
    """A warning in the Processing log: pushWarning (QGIS 3.16 and later), else a non-fatal error line."""
    if hasattr(feedback, "pushWarning"):
        feedback.pushWarning(text)
    else:
        feedback.reportError(text, False)
