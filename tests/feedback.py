"""Processing feedback that keeps the log lines and warnings, for tests that check what an algorithm told the user."""

from qgis.core import QgsProcessingFeedback


class LogFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.lines = []
        self.warnings = []  # pushWarning, or a non-fatal reportError (how warnings came before QGIS 3.16)

    def pushInfo(self, info):  # noqa: N802
        self.lines.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning):  # noqa: N802
        self.warnings.append(warning)
        super().pushWarning(warning)

    def reportError(self, error, fatalError=False):  # noqa: N802, N803
        self.warnings.append(error)
        super().reportError(error, fatalError)
