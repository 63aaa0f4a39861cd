"""tr(): user-visible strings go through Qt's translation lookup, the QGIS plugin convention.

The context is the class name, as pylupdate expects for `self.tr("...")` calls inside a class.
"""

from qgis.PyQt.QtCore import QCoreApplication


def translate(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


class Translatable:
    """Mixin giving a class `self.tr(text)` with the class name as translation context."""

    def tr(self, text: str) -> str:  # noqa: N802 (Qt's name)
        return translate(type(self).__name__, text)
