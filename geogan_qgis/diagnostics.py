"""The "Diagnostics" entry: versions and paths of everything GeoGAN depends on, as text for a bug report."""

import os
import platform
import sys

from qgis.PyQt.QtGui import QFontDatabase, QGuiApplication
from qgis.PyQt.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QPushButton, QVBoxLayout

from .paths import PLUGIN_DIR
from .torch_installer import is_externally_managed, nvidia_driver_version, packages_folder, qgis_python_executable
from .translation import translate


def _plugin_version() -> str:
    try:
        with open(os.path.join(PLUGIN_DIR, "metadata.txt"), encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("version="):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _module_line(label: str, import_name: str) -> tuple:
    """(label, "version (file)") or (label, "not importable: why"), importing the module for real."""
    import importlib

    try:
        module = importlib.import_module(import_name)
    except Exception as error:  # noqa: BLE001 (a broken install raises anything; diagnostics must go on)
        return label, f"not importable ({type(error).__name__}: {error})"
    return label, f"{getattr(module, '__version__', 'unknown version')} ({getattr(module, '__file__', '?')})"


def _torch_lines() -> list:
    try:
        import torch
    except Exception as error:  # noqa: BLE001
        return [("torch", f"not importable ({type(error).__name__}: {error})")]
    from .core.devices import available_devices

    devices = available_devices()
    return [("torch", f"{torch.__version__} ({torch.__file__})"),
            ("torch CUDA build", torch.version.cuda or "none (CPU or macOS build)"),
            ("CUDA available", f"yes: {devices['cuda']}" if devices["cuda"] else "no"),
            ("MPS available", f"yes: {devices['mps']}" if devices["mps"] else "no"),
            ("torch CPU threads", str(torch.get_num_threads()))]


def diagnostics_lines(settings_dir: str = None) -> list:
    """(label, value) pairs; settings_dir is the QGIS profile folder (QgsApplication.qgisSettingsDirPath())."""
    from qgis.core import Qgis, QgsApplication
    from qgis.PyQt.QtCore import QT_VERSION_STR

    settings_dir = settings_dir or QgsApplication.qgisSettingsDirPath()
    folder = packages_folder(settings_dir)
    lines = [("GeoGAN", f"{_plugin_version()} ({PLUGIN_DIR})"),
             ("QGIS", f"{Qgis.QGIS_VERSION} (Qt {QT_VERSION_STR})"),
             ("QGIS profile", settings_dir),
             ("Operating system", f"{platform.platform()} ({platform.machine()})"),
             ("Python", f"{sys.version.split()[0]} ({sys.executable})"),
             ("Python for pip", qgis_python_executable()),
             ("Externally managed Python", "yes (pip install --user refused)" if is_externally_managed() else "no"),
             ("GeoGAN packages folder", f"{folder} ({'present' if os.path.isdir(folder) else 'absent'}, "
                                        f"{'on' if folder in sys.path else 'not on'} sys.path)")]
    for label, name in (("GDAL", "osgeo.gdal"), ("numpy", "numpy"), ("scipy", "scipy"), ("matplotlib", "matplotlib")):
        lines.append(_module_line(label, name))
    lines += _torch_lines()
    lines.append(("NVIDIA driver", nvidia_driver_version() or "none found (nvidia-smi absent or silent)"))
    return lines


def diagnostics_text(settings_dir: str = None) -> str:
    lines = diagnostics_lines(settings_dir)
    width = max(len(label) for label, _ in lines)
    return "GeoGAN diagnostics\n" + "\n".join(f"{label.ljust(width)} : {value}" for label, value in lines) + "\n"


class DiagnosticsDialog(QDialog):
    """Read-only text with a Copy button, for pasting into a bug report."""

    def __init__(self, text: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(translate("DiagnosticsDialog", "GeoGAN diagnostics"))
        self.resize(820, 420)
        self.text = QPlainTextEdit(text)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(translate("DiagnosticsDialog", "Copy"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())


def open_diagnostics(iface=None) -> DiagnosticsDialog:
    dialog = DiagnosticsDialog(diagnostics_text(), iface.mainWindow() if iface is not None else None)
    dialog.show()
    return dialog
