"""The "Install PyTorch…" dialog: runs torch_installer's plan with QProcess (asynchronous, so the GUI thread never
waits), shows pip's log as it comes, can be cancelled, and asks for a restart at the end."""

from qgis.PyQt.QtCore import QProcess, QProcessEnvironment, pyqtSignal
from qgis.PyQt.QtGui import QFontDatabase
from qgis.PyQt.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from .torch_installer import InstallPlan, add_packages_folder_to_path, is_externally_managed
from .translation import translate


def tr(text: str) -> str:
    return translate("TorchInstallerDialog", text)


class TorchInstallerDialog(QDialog):
    """Install into `folder` (the plugin's packages folder of the QGIS profile). The keyword arguments go to
    InstallPlan: tests point it at local wheels with extra_pip_args."""

    finished_install = pyqtSignal(bool)  # True when the new folder is in place

    def __init__(self, folder: str, parent=None, ask_restart: bool = True, **plan_options):
        super().__init__(parent)
        self.setWindowTitle(tr("Install PyTorch for GeoGAN"))
        self.resize(760, 480)
        self.plan = InstallPlan(folder, **plan_options)
        self.ask_restart = ask_restart
        self.process = None
        self.steps = []
        self.succeeded = False

        self.summary = QLabel(self.plan.summary())
        self.summary.setWordWrap(True)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        self.log.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.log.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # pip gives no overall progress: a busy indicator while it runs
        self.busy.hide()
        self.buttons = QDialogButtonBox()
        self.install_button = QPushButton(tr("Install"))
        self.cancel_button = QPushButton(tr("Cancel installation"))
        self.cancel_button.setEnabled(False)
        self.buttons.addButton(self.install_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.install_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        for widget in (self.summary, self.log, self.busy, self.buttons):
            layout.addWidget(widget)

    def append(self, text: str) -> None:
        self.log.appendPlainText(text.rstrip("\n"))

    def is_running(self) -> bool:
        return self.process is not None

    def start(self) -> None:
        self.install_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.busy.show()
        try:
            self.plan.prepare()
        except OSError as error:
            self._done(False, tr("Could not prepare {folder}: {error}").format(folder=self.plan.staging, error=error))
            return
        self.steps = self.plan.steps()
        self._run_next()

    def _run_next(self) -> None:
        command = self.steps.pop(0)
        self.append("$ " + " ".join(command))
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        environment.insert("PYTHONUNBUFFERED", "1")  # pip's lines as they are written, not at exit
        environment.insert("PYTHONIOENCODING", "utf-8")
        process.setProcessEnvironment(environment)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        process.readyReadStandardOutput.connect(self._read_output)
        process.finished.connect(self._step_finished)
        process.errorOccurred.connect(self._failed_to_start)
        self.process = process
        process.start(command[0], command[1:])

    def _read_output(self) -> None:
        if self.process is not None:
            self.append(bytes(self.process.readAllStandardOutput()).decode("utf-8", "replace"))

    def _failed_to_start(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart and self.process is not None:
            self.process = None
            self._done(False, tr("Could not start {python}.").format(python=self.plan.python))

    def _step_finished(self, exit_code: int, exit_status) -> None:
        if self.process is None:
            return  # cancelled
        self._read_output()
        self.process.deleteLater()
        self.process = None
        if exit_status != QProcess.ExitStatus.NormalExit or exit_code != 0:
            self._done(False, self._failure_advice())
        elif self.steps:
            self._run_next()
        else:
            try:
                self.plan.finish()
            except OSError as error:
                self._done(False, tr("The new packages are in {staging}, but {folder} could not be replaced ({error}): "
                                     "restart QGIS and install again.").format(
                                         staging=self.plan.staging, folder=self.plan.folder, error=error))
                return
            add_packages_folder_to_path(self.plan.folder)
            self._done(True, tr("Installed into {folder}.").format(folder=self.plan.folder))

    def _failure_advice(self) -> str:
        text = tr("The installation failed; nothing was changed.")
        if "No module named pip" in self.log.toPlainText():
            text += " " + (tr("This Python has no pip: on Debian/Ubuntu install it with  sudo apt install python3-pip")
                           if is_externally_managed() else tr("Install pip for {python} first.").format(
                               python=self.plan.python))
        return text

    def cancel(self) -> None:
        process, self.process = self.process, None
        if process is not None:
            process.kill()
            process.waitForFinished(5000)
        self.steps = []
        self._done(False, tr("Cancelled; nothing was changed."))

    def _done(self, ok: bool, message: str) -> None:
        if not ok:
            self.plan.abandon()
        self.succeeded = ok
        self.append(message)
        self.busy.hide()
        self.cancel_button.setEnabled(False)
        self.install_button.setEnabled(not ok)
        self.finished_install.emit(ok)
        if ok and self.ask_restart:
            QMessageBox.information(self, tr("Restart QGIS"), tr(
                "PyTorch is installed. Restart QGIS so that GeoGAN and Processing use it."))

    def reject(self) -> None:
        if self.is_running():
            self.cancel()
        super().reject()


def open_installer(iface=None) -> TorchInstallerDialog:
    from qgis.core import QgsApplication

    from .torch_installer import packages_folder

    parent = iface.mainWindow() if iface is not None else None
    dialog = TorchInstallerDialog(packages_folder(QgsApplication.qgisSettingsDirPath()), parent)
    dialog.show()
    return dialog


def torch_missing() -> bool:
    import importlib.util

    return importlib.util.find_spec("torch") is None


def show_missing_torch_message(iface, open_installer_callback) -> None:
    """A message bar entry (with a button to the installer) when QGIS's Python has no torch."""
    if not torch_missing():
        return
    from qgis.core import Qgis

    bar = iface.messageBar()
    from .torch_installer import qgis_python_executable

    message = bar.createMessage("GeoGAN", tr("PyTorch is missing from the Python of QGIS ({python}); GeoGAN's "
                                             "algorithms need it.").format(python=qgis_python_executable()))
    button = QPushButton(tr("Install PyTorch…"), message)
    button.clicked.connect(open_installer_callback)
    message.layout().addWidget(button)
    bar.pushWidget(message, Qgis.MessageLevel.Warning)  # scoped: QGIS 3.22 to 4 (Qt 6)
