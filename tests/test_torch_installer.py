"""GeoGAN's PyTorch installer, for real: Debian's /usr/bin/python3 (which has no torch) installs torch from local
wheels into a throwaway QGIS profile; a fresh QGIS process then loads the plugin, trains through processing.run,
and still imports QGIS's own numpy. Also the installer's decisions, its dialog, the install hints and Diagnostics."""

# Every test takes geogan_plugin first: geogan_qgis is the plugin as qgis.utils loads it from the repository
# (conftest's plugin_parent_dir), with its linked-in core.

import glob
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import ROOT

SYSTEM_PYTHON = "/usr/bin/python3"  # the Python QGIS embeds on Debian
WHEELHOUSE = os.path.join(ROOT, "build", "test-wheelhouse")  # kept between runs: offline after the first


def _installer(plugin_parent_dir) -> str:
    return os.path.join(plugin_parent_dir, "geogan_qgis", "torch_installer.py")


def _system_python(*args, **kwargs):
    # Nothing of the test's venv may leak into Debian's Python.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(kwargs.pop("env", {}))
    return subprocess.run([SYSTEM_PYTHON, *args], capture_output=True, text=True, env=env, **kwargs)


def _offline_pip_env() -> dict:
    """No pip configuration at all: the install sees only the wheels the test names."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    return {**env, "PIP_CONFIG_FILE": os.devnull}


@pytest.fixture(scope="session")
def system_python_numpy() -> tuple:
    done = _system_python("-c", "import numpy, sys; print(numpy.__file__, numpy.__version__, "
                                "'%d.%d' % sys.version_info[:2])", check=True)
    numpy_file, numpy_version, python_version = done.stdout.split()
    assert _system_python("-c", "import torch").returncode != 0, "Debian's Python must not have torch of its own"
    return numpy_file, numpy_version, tuple(int(p) for p in python_version.split("."))


@pytest.fixture(scope="session")
def wheelhouse(geogan_plugin, plugin_parent_dir) -> str:
    """torch (the venv's version, CPU build) and its dependencies as wheels, resolved under the constraints the
    installer writes for Debian's Python; downloaded once through pip's own configuration, then reused."""
    if _system_python("-c", "import torch").returncode == 0:
        pytest.skip("Debian's Python has PyTorch of its own here (python3-torch, Debian 13 and later): QGIS imports "
                    "that one, and the installer, for a QGIS without PyTorch, is tested where it has none (Debian 12)")
    import torch

    version = torch.__version__.split("+")[0]
    if not glob.glob(os.path.join(WHEELHOUSE, f"torch-{version}*.whl")):
        os.makedirs(WHEELHOUSE, exist_ok=True)
        constraints = os.path.join(WHEELHOUSE, "constraints.txt")
        done = _system_python(_installer(plugin_parent_dir), "constraints", check=True)
        with open(constraints, "w") as handle:
            handle.write(done.stdout)
        from geogan_qgis.torch_installer import torch_index_url

        done = _system_python("-m", "pip", "download", "--dest", WHEELHOUSE, "--only-binary", ":all:",
                              "--constraint", constraints, "--extra-index-url", torch_index_url(None, "linux"),
                              f"torch=={version}", "filelock", timeout=1800)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return WHEELHOUSE


@pytest.fixture(scope="session")
def torch_installed_profile(geogan_plugin, tmp_path_factory, plugin_parent_dir, wheelhouse, system_python_numpy):
    """A QGIS profile root (as QGIS_CUSTOM_CONFIG_PATH) whose GeoGAN folder got torch through the installer's
    command line, exactly as the install hint prints it, run with Debian's Python; plus how long it took."""
    from geogan_qgis.torch_installer import command_line, packages_folder

    profile = str(tmp_path_factory.mktemp("qgis_profile"))
    folder = packages_folder(os.path.join(profile, "profiles", "default"), system_python_numpy[2])
    command = command_line(SYSTEM_PYTHON, folder)
    command[1] = _installer(plugin_parent_dir)  # the plugin's copy, as QGIS's plugin path finds it
    started = time.monotonic()
    done = subprocess.run([*command, "--", "--no-index", "--find-links", wheelhouse], capture_output=True, text=True,
                          env=_offline_pip_env(), timeout=900)
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return profile, folder, done.stdout, seconds


def test_installer_puts_torch_into_the_profile_with_debians_python(torch_installed_profile, system_python_numpy):
    profile, folder, log, seconds = torch_installed_profile
    print(f"installing torch from local wheels took {seconds:.0f} s")
    assert os.path.isfile(os.path.join(folder, "torch", "__init__.py"))
    assert not os.path.exists(folder + ".partial")
    assert "PyTorch build: the CPU build" in log or "CUDA build" in log
    assert "torch" in log and "imports from " + folder in log
    # numpy is not something torch needs: pip put no numpy beside it, and QGIS's numpy stays pinned.
    assert not glob.glob(os.path.join(folder, "numpy*"))
    with open(os.path.join(os.path.dirname(folder), f"constraints-{os.path.basename(folder)}.txt")) as handle:
        pins = [line for line in handle.read().splitlines() if line and not line.startswith("#")]
    assert pins[0] == f"numpy=={system_python_numpy[1]}"
    # Only what torch cannot use in this Python's version comes from the folder first, named in the log.
    from geogan_qgis.torch_installer import read_overrides

    overrides = read_overrides(folder)
    assert not overrides & {"numpy", "jinja2", "markupsafe", "osgeo", "setuptools", "pkg_resources"}, overrides
    assert all(f"in front of this Python's own copy: {module} " in log for module in overrides)


def test_a_fresh_qgis_process_trains_with_the_installed_torch(torch_installed_profile, system_python_numpy,
                                                               plugin_parent_dir, sample_dem, tmp_path):
    profile, folder, _, _ = torch_installed_profile
    model = str(tmp_path / "fresh.pt")
    started = time.monotonic()
    done = _system_python(os.path.join(ROOT, "tests", "installed_torch_check.py"), plugin_parent_dir, sample_dem,
                          model, env={"QGIS_CUSTOM_CONFIG_PATH": profile, "QT_QPA_PLATFORM": "offscreen"},
                          timeout=300)
    print(f"fresh QGIS process: {time.monotonic() - started:.0f} s")
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(lines[0][len("RESULT "):])
    assert found["torch_file"].startswith(folder + os.sep)
    assert folder in found["added_paths"]  # the plugin added it at load
    assert os.path.isfile(model) and found["model"] == model
    assert any("training on cpu" in line for line in found["log"]), found["log"]
    # QGIS's numpy: the same file and version before the plugin loaded, after training, and as without GeoGAN.
    assert found["numpy_before"] == found["numpy_after"] == list(system_python_numpy[:2])


def test_the_installed_folder_comes_after_every_folder_of_qgis(torch_installed_profile, plugin_parent_dir):
    """Appended, not prepended: a package QGIS has (jinja2, sympy...) is always QGIS's own copy."""
    profile, folder, _, _ = torch_installed_profile
    code = ("import sys; from qgis.core import QgsApplication; app = QgsApplication([], False); app.initQgis(); "
            "sys.path.append(sys.argv[1]); import geogan_qgis, jinja2; print(sys.path.index(sys.argv[2]), "
            "len(sys.path), jinja2.__file__)")
    done = _system_python("-c", code, plugin_parent_dir, folder,
                          env={"QGIS_CUSTOM_CONFIG_PATH": profile, "QT_QPA_PLATFORM": "offscreen"}, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    index, length, jinja2_file = done.stdout.split()
    assert int(index) == int(length) - 1
    assert not jinja2_file.startswith(folder)


def test_packages_folder_is_per_python_version_inside_the_profile(geogan_plugin, tmp_path):
    from geogan_qgis.torch_installer import add_packages_folder_to_path, packages_folder

    assert packages_folder("/p/profiles/default", (3, 12)) == os.path.join(
        "/p/profiles/default", "python", "geogan-packages", "py312")
    folder = str(tmp_path / "py3")
    assert not add_packages_folder_to_path(folder) and folder not in sys.path  # absent: nothing added
    os.makedirs(folder)
    try:
        assert add_packages_folder_to_path(folder) and sys.path[-1] == folder
        assert add_packages_folder_to_path(folder) and sys.path.count(folder) == 1
    finally:
        sys.path.remove(folder)


def test_pip_runs_with_qgis_own_python_not_the_first_python_on_path(geogan_plugin, monkeypatch):
    from geogan_qgis.torch_installer import qgis_python_executable

    # Embedded in qgis_process, sys.executable can be the PATH's python3 (here a pyenv shim): not QGIS's Python.
    monkeypatch.setattr(sys, "executable", "/root/.pyenv/shims/python3")
    found = qgis_python_executable()
    assert found.startswith(sys.exec_prefix) and os.access(found, os.X_OK)


def test_constraints_pin_numpy_first_and_everything_built_on_it(geogan_plugin):
    import numpy

    from geogan_qgis.torch_installer import constraints_text, installed_distributions

    distributions = installed_distributions()
    lines = [line for line in constraints_text(distributions).splitlines() if line and not line.startswith("#")]
    assert lines[0] == f"numpy=={numpy.__version__}"
    pins = dict(line.replace("==", " == ").replace(">=", " >= ").split(" ", 1) for line in lines)
    assert pins["gdal"].startswith("== ")  # QGIS's GDAL bindings are built on numpy
    for key, (_, _, uses_numpy) in distributions.items():
        if key in pins:
            assert pins[key].startswith("== ") == (key == "numpy" or uses_numpy), key
    assert set(pins) <= set(distributions)


def test_cuda_build_follows_the_nvidia_driver(geogan_plugin):
    from geogan_qgis.torch_installer import cuda_build_for_driver, nvidia_driver_version, torch_index_url

    assert cuda_build_for_driver("580.95.05", "linux") == "cu130"
    assert cuda_build_for_driver("570.133.20", "linux") == "cu128"
    assert cuda_build_for_driver("565.57.01", "linux") == "cu126"
    assert cuda_build_for_driver("535.183.01", "linux") == "cu118"
    assert cuda_build_for_driver("570.26", "win32") == "cu126" and cuda_build_for_driver("570.65", "win32") == "cu128"
    assert cuda_build_for_driver("470.256.02", "linux") is None
    assert torch_index_url("470.256.02", "linux") == "https://download.pytorch.org/whl/cpu"
    assert torch_index_url(None, "win32") == "https://download.pytorch.org/whl/cpu"
    assert torch_index_url("570.133.20", "linux") == "https://download.pytorch.org/whl/cu128"
    assert torch_index_url("570.133.20", "linux", force_cpu=True).endswith("/cpu")
    assert torch_index_url(None, "darwin") is None  # PyPI's macOS torch has MPS
    # This machine: the driver nvidia-smi reports, or none.
    driver = nvidia_driver_version()
    smi = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"], capture_output=True,
                         text=True) if _has("nvidia-smi") else None
    assert driver == (smi.stdout.split()[0] if smi and smi.returncode == 0 and smi.stdout.strip() else None)


def _has(program: str) -> bool:
    import shutil

    return shutil.which(program) is not None


def test_install_hints_work_on_this_platform(geogan_plugin, tmp_path):
    from geogan_qgis.dependencies import install_hint, installer_command, optional_package_hint
    from geogan_qgis.torch_installer import is_externally_managed

    hint = install_hint(str(tmp_path))
    assert "--user" not in hint and installer_command(str(tmp_path)) in hint and "Install PyTorch" in hint
    scipy_hint = optional_package_hint("scipy", "drainage measures", str(tmp_path))
    assert "--user" not in scipy_hint
    if is_externally_managed():  # Debian 12: apt's scipy, built on Debian's numpy
        assert "sudo apt install python3-scipy" in scipy_hint
    # The printed command runs: its --help, with the interpreter and script the hint names.
    command = installer_command(str(tmp_path)).split()
    done = subprocess.run([*command[:2], "install", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--target" in done.stdout


def test_device_choices_live_in_core_and_keep_their_order(geogan_plugin):
    from qgis.core import QgsApplication

    from geogan_qgis.algorithm_support import DEVICE_OPTIONS
    from geogan_qgis.core.devices import DEVICE_CHOICES, resolve_device
    from geogan_qgis.core.errors import InputError

    assert DEVICE_CHOICES[:4] == ("auto", "cpu", "cuda", "mps") and DEVICE_OPTIONS == list(DEVICE_CHOICES)
    for name in ("traingan", "generatedem", "realismmap", "trainfill", "fillvoids", "trainsuperres", "superresolve"):
        algorithm = QgsApplication.processingRegistry().algorithmById(f"geogan:{name}")
        assert algorithm.parameterDefinition("DEVICE").options() == list(DEVICE_CHOICES)
    import torch

    if torch.backends.mps.is_available():
        assert resolve_device("mps").type == "mps"
    else:
        with pytest.raises(InputError, match="sees no Apple GPU"):
            resolve_device("mps")


def test_diagnostics_name_every_version_and_path(geogan_plugin, qgis_app):
    import numpy
    import torch
    from osgeo import gdal

    from geogan_qgis.diagnostics import DiagnosticsDialog, diagnostics_text

    text = diagnostics_text()
    for expected in (sys.version.split()[0], numpy.__version__, numpy.__file__, torch.__version__, torch.__file__,
                     gdal.__version__, "QGIS", "CUDA available", "MPS available", "GeoGAN packages folder",
                     os.path.join(geogan_plugin.__module__.split(".")[0])):
        assert expected in text, expected
    assert ("CUDA available            : yes" in text) == torch.cuda.is_available()
    dialog = DiagnosticsDialog(text)
    dialog.copy()
    from qgis.PyQt.QtGui import QGuiApplication

    assert QGuiApplication.clipboard().text() == text and dialog.text.isReadOnly()


def _wait_for(dialog, seconds: float) -> None:
    from qgis.PyQt.QtCore import QCoreApplication

    deadline = time.monotonic() + seconds
    while dialog.is_running() and time.monotonic() < deadline:
        QCoreApplication.processEvents()
        time.sleep(0.02)


def test_installer_dialog_shows_pips_log_and_installs(geogan_plugin, qgis_app, wheelhouse, tmp_path):
    from geogan_qgis.installer_dialog import TorchInstallerDialog

    folder = str(tmp_path / "python" / "geogan-packages" / "py3")
    dialog = TorchInstallerDialog(folder, ask_restart=False, python=SYSTEM_PYTHON, requirements=["filelock"],
                                  extra_pip_args=("--no-index", "--find-links", wheelhouse), driver_version=None)
    outcomes = []
    dialog.finished_install.connect(outcomes.append)
    dialog.start()
    assert dialog.is_running()  # pip runs in its own process; the GUI thread is free
    _wait_for(dialog, 120)
    assert outcomes == [True], dialog.log.toPlainText()
    assert "Successfully installed filelock" in dialog.log.toPlainText()
    assert glob.glob(os.path.join(folder, "filelock", "__init__.py"))
    assert folder in sys.path
    sys.path.remove(folder)


def test_cancelling_the_installer_changes_nothing(geogan_plugin, qgis_app, wheelhouse, tmp_path):
    from geogan_qgis.installer_dialog import TorchInstallerDialog

    folder = str(tmp_path / "py3")
    dialog = TorchInstallerDialog(folder, ask_restart=False, python=SYSTEM_PYTHON,
                                  extra_pip_args=("--no-index", "--find-links", wheelhouse), driver_version=None)
    outcomes = []
    dialog.finished_install.connect(outcomes.append)
    dialog.start()
    assert dialog.is_running()
    dialog.cancel()
    assert outcomes == [False] and not dialog.is_running()
    assert "Cancelled; nothing was changed." in dialog.log.toPlainText()
    assert not os.path.exists(folder) and not os.path.exists(folder + ".partial")
