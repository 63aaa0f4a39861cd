"""The plugin object QGIS loads: registers the provider and, in the desktop, a GeoGAN menu."""

from qgis.core import QgsApplication
from qgis.PyQt.QtWidgets import QAction

from .algorithm_support import plugin_icon
from .provider import GeoGanProvider

MENU = "&GeoGAN"
MENU_ALGORITHMS = (("traingan", "Train terrain GAN…"), ("generatedem", "Generate synthetic DEM…"))


class GeoGanPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.actions = []

    def initProcessing(self):  # noqa: N802 (called alone by qgis_process)
        if self.provider is None:
            provider = GeoGanProvider()
            # The registry refuses (and deletes) a second provider with the same id.
            if QgsApplication.processingRegistry().addProvider(provider):
                self.provider = provider

    def initGui(self):  # noqa: N802
        self.initProcessing()
        for algorithm_name, label in MENU_ALGORITHMS:
            action = QAction(plugin_icon(), label, self.iface.mainWindow())
            action.triggered.connect(lambda _checked=False, name=algorithm_name: self.open_dialog(name))
            self.iface.addPluginToRasterMenu(MENU, action)
            self.actions.append(action)

    @staticmethod
    def open_dialog(algorithm_name: str) -> None:
        # Processing's dialog runs the algorithm in a QgsTask and loads the styled result when done.
        import processing

        processing.execAlgorithmDialog(f"geogan:{algorithm_name}")

    def unload(self):
        for action in self.actions:
            self.iface.removePluginRasterMenu(MENU, action)
        self.actions = []
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
