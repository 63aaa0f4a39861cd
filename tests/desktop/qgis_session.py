"""Runs inside the real QGIS desktop (`qgis --code`): opens every GeoGAN dialog, takes screenshots, checks the
widgets and the menu, writes what it saw to $GEOGAN_DESKTOP_RESULT (JSON) and quits QGIS.

Started by tests/test_desktop.py; never imported by pytest.
"""

import json
import os
import traceback

from qgis.core import QgsApplication
from qgis.PyQt.QtCore import QPoint, QTimer
from qgis.PyQt.QtWidgets import QApplication, QToolBar
from qgis.utils import iface, plugins

RESULT_PATH = os.environ["GEOGAN_DESKTOP_RESULT"]
SCREENSHOTS = os.environ["GEOGAN_SCREENSHOTS"]
WATCHDOG_MS = int(os.environ.get("GEOGAN_DESKTOP_WATCHDOG_MS", "45000"))


def settle(rounds: int = 5) -> None:
    for _ in range(rounds):
        QApplication.processEvents()


def save(widget, name: str) -> str:
    path = os.path.join(SCREENSHOTS, f"{name}.png")
    if not widget.grab().save(path):
        raise RuntimeError(f"could not save {path}")
    return path


def wrapped_widget(wrapper):
    # C++ wrappers (QgsAbstractProcessingParameterWidgetWrapper) and Processing's Python WidgetWrapper differ.
    if hasattr(wrapper, "wrappedWidget"):
        return wrapper.wrappedWidget()
    return getattr(wrapper, "widget", None)


def screenshot_name(algorithm) -> str:
    return algorithm.name() if " " not in algorithm.id() else "example_model"


def inspect_dialog(algorithm) -> dict:
    """Open the algorithm's Processing dialog as the menu does, screenshot it, list parameters without a widget."""
    import processing

    dialog = processing.createAlgorithmDialog(algorithm.id())
    dialog.resize(960, 720)
    dialog.show()
    settle()
    panel = dialog.mainWidget()
    missing = []
    for parameter in algorithm.parameterDefinitions():
        wrapper = getattr(panel, "wrappers", {}).get(parameter.name())
        widget = wrapped_widget(wrapper) if wrapper is not None else None
        if widget is None:
            missing.append(parameter.name())
    shot = save(dialog, screenshot_name(algorithm))
    seen = {"title": dialog.windowTitle(), "parameters": [p.name() for p in algorithm.parameterDefinitions()],
            "missing_widgets": missing, "screenshot": shot, "help_url": algorithm.helpUrl()}
    dialog.close()
    dialog.deleteLater()
    settle()
    return seen


def geogan_menu_entries() -> list:
    for action in iface.rasterMenu().actions():
        if action.menu() is not None and action.text().replace("&", "") == "GeoGAN":
            return [entry.text() for entry in action.menu().actions() if not entry.isSeparator()]
    return []


def screenshot_main_window_with_menu() -> str:
    """The main window with Raster > GeoGAN open (menus are separate windows, so grab the screen)."""
    window = iface.mainWindow()
    raster_menu = iface.rasterMenu()
    geogan = next(a for a in raster_menu.actions() if a.menu() is not None and a.text().replace("&", "") == "GeoGAN")
    raster_menu.popup(window.mapToGlobal(QPoint(420, 28)))
    settle()
    raster_menu.setActiveAction(geogan)
    geogan.menu().popup(raster_menu.mapToGlobal(raster_menu.actionGeometry(geogan).topRight()))
    settle(10)
    area = window.frameGeometry()
    pixmap = QApplication.primaryScreen().grabWindow(0, area.x(), area.y(), area.width(), area.height())
    path = os.path.join(SCREENSHOTS, "menu_and_toolbar.png")
    pixmap.save(path)
    geogan.menu().close()
    raster_menu.close()
    settle()
    return path


def screenshot_toolbox() -> str:
    """The Processing toolbox filtered to GeoGAN's algorithms and example model."""
    toolbox = plugins["processing"].toolbox
    toolbox.show()
    toolbox.setFloating(True)  # docked, it is as narrow as the window leaves it
    toolbox.resize(440, 330)
    toolbox.searchBox.setText("geogan")
    settle(10)
    return save(toolbox, "processing_toolbox")


def screenshot_monitor_dock():
    """Open the training monitor as its menu entry does; None where this plugin version has no monitor."""
    plugin = plugins["geogan_qgis"]
    if not hasattr(plugin, "show_training_monitor"):
        return None
    plugin.show_training_monitor()
    dock = plugin.monitor_dock
    dock.setFloating(True)
    dock.resize(520, 480)
    settle(10)
    return {"visible": dock.isVisible(), "screenshot": save(dock, "monitor_dock_in_qgis")}


def run() -> None:
    result = {"plugin_loaded": "geogan_qgis" in plugins}
    try:
        window = iface.mainWindow()
        window.resize(1200, 800)
        settle()
        provider = QgsApplication.processingRegistry().providerById("geogan")
        result["algorithms"] = sorted(a.id() for a in provider.algorithms())
        result["display_names"] = {a.id(): a.displayName() for a in provider.algorithms()}
        result["menu"] = geogan_menu_entries()
        toolbar = window.findChild(QToolBar, "GeoGanToolbar")
        result["toolbar"] = [a.text() for a in toolbar.actions()] if toolbar is not None else None
        result["dialogs"] = {a.id(): inspect_dialog(a) for a in provider.algorithms()}
        result["menu_screenshot"] = screenshot_main_window_with_menu()
        result["toolbox_screenshot"] = screenshot_toolbox()
        result["monitor_dock"] = screenshot_monitor_dock()
    except Exception:  # noqa: BLE001 (the test reads the traceback from the result)
        result["error"] = traceback.format_exc()
    with open(RESULT_PATH, "w", encoding="utf-8") as out:
        json.dump(result, out, indent=1)
    iface.actionExit().trigger()


# Never hang the test: quit hard if QGIS has not finished by then (a modal dialog nobody closes, say).
QTimer.singleShot(WATCHDOG_MS, lambda: os._exit(3))
QTimer.singleShot(500, run)
