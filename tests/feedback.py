"""Processing feedback that keeps the log lines, for tests that check what an algorithm told the user."""

from qgis.core import QgsProcessingFeedback


class LogFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.lines = []

    def pushInfo(self, info):  # noqa: N802
        self.lines.append(info)
        super().pushInfo(info)
