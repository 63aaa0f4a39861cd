"""The plugin object QGIS loads: registers the provider and, in the desktop, a GeoGAN menu and toolbar."""

import os

from qgis.core import QgsApplication

from .algorithm_support import plugin_icon
from .compat import QAction
from .icons_and_help import algorithm_icon
from .provider import GeoGanProvider
from .translation import install_translator, remove_translator, translate

# The submenu of Raster, and the toolbar's object name (QGIS saves toolbar positions under it).
MENU = "&GeoGAN"
TOOLBAR_OBJECT_NAME = "GeoGanToolbar"
# Every algorithm of the provider, in menu order; each gets a menu entry and a toolbar button.
MENU_ALGORITHMS = ("traingan", "generatedem", "evaluate", "realismmap", "exportheightmap", "trainfill", "fillvoids",
                   "trainsuperres", "superresolve")


class GeoGanPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.toolbar = None
        self.actions = []  # every QAction this plugin added, removed again by unload()
        self.translator = install_translator(os.path.join(os.path.dirname(__file__), "i18n"))
        self.training_hub = None  # trainings report to it while the desktop GUI is loaded
        self.monitor_dock = None  # the training monitor, made when first shown

    @staticmethod
    def tr(text: str) -> str:  # noqa: N802
        return translate("GeoGanPlugin", text)

    def initProcessing(self):  # noqa: N802 (called alone by qgis_process)
        if self.provider is None:
            provider = GeoGanProvider()
            if provider.register():
                self.provider = provider

    def initGui(self):  # noqa: N802
        self.initProcessing()
        from .training_hub import install_training_hub

        self.training_hub = install_training_hub()
        self.training_hub.started.connect(lambda _run: self.show_training_monitor())  # every desktop training
        self.toolbar = self.iface.addToolBar(self.tr("GeoGAN"))
        self.toolbar.setObjectName(TOOLBAR_OBJECT_NAME)
        for algorithm_name in MENU_ALGORITHMS:
            self.add_action(self.algorithm_label(algorithm_name), algorithm_icon(algorithm_name),
                            lambda _checked=False, name=algorithm_name: self.open_dialog(name), on_toolbar=True)
        for label, callback in self.extra_actions():
            self.add_action(label, plugin_icon(), callback)
        from .installer_dialog import show_missing_torch_message

        show_missing_torch_message(self.iface, self.open_installer)

    def extra_actions(self) -> list:
        """(label, callback) of menu entries after the algorithms' (tools such as an installer or diagnostics)."""
        return [(self.tr("Training monitor"), lambda _checked=False: self.show_training_monitor()),
                (self.tr("Install PyTorch…"), self.open_installer), (self.tr("Diagnostics…"), self.open_diagnostics)]

    def open_installer(self, _checked=False):
        from .installer_dialog import open_installer

        self.installer_dialog = open_installer(self.iface)  # kept: a dialog without a reference is deleted

    def open_diagnostics(self, _checked=False):
        from .diagnostics import open_diagnostics

        self.diagnostics_dialog = open_diagnostics(self.iface)

    def add_action(self, label: str, icon, callback, on_toolbar: bool = False) -> QAction:
        """Add a menu entry (and, if asked, a toolbar button) that unload() removes again."""
        action = QAction(icon, label, self.iface.mainWindow())
        action.triggered.connect(callback)
        self.iface.addPluginToRasterMenu(MENU, action)
        if on_toolbar and self.toolbar is not None:
            self.toolbar.addAction(action)
        self.actions.append(action)
        return action

    def algorithm_label(self, algorithm_name: str) -> str:
        # The algorithm's own (translated) display name, so menu, toolbar and toolbox always agree.
        algorithm = QgsApplication.processingRegistry().algorithmById(f"geogan:{algorithm_name}")
        name = algorithm.displayName() if algorithm is not None else algorithm_name
        return self.tr("{name}…").format(name=name)

    @staticmethod
    def open_dialog(algorithm_name: str) -> None:
        # Processing's dialog runs the algorithm in a QgsTask and loads the styled result when done.
        import processing

        processing.execAlgorithmDialog(f"geogan:{algorithm_name}")

    def show_training_monitor(self) -> None:
        """Show the training monitor dock, following the latest training."""
        from qgis.PyQt.QtCore import Qt

        from .monitor_dock import TrainingMonitorDock

        if self.monitor_dock is None:
            self.monitor_dock = TrainingMonitorDock(self.training_hub, self.iface.mainWindow())
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.monitor_dock)
        self.monitor_dock.show()
        self.monitor_dock.raise_()

    def unload(self):
        remove_translator(self.translator)
        self.translator = None
        if self.monitor_dock is not None:
            self.iface.removeDockWidget(self.monitor_dock)
            self.monitor_dock.deleteLater()
            self.monitor_dock = None
        if self.training_hub is not None:
            from .training_hub import remove_training_hub

            remove_training_hub()
            self.training_hub = None
        for action in self.actions:
            self.iface.removePluginRasterMenu(MENU, action)
            action.deleteLater()
        self.actions = []
        if self.toolbar is not None:
            self.toolbar.deleteLater()  # QGIS has no removeToolBar for plugins; deleting the widget removes it
            self.toolbar = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
