"""Checks that PyTorch and scipy are importable, and says how to install them in a way that works here.

Every hint points at GeoGAN's installer (the menu entry, or the same installer run from a terminal), which puts
packages into a folder of the QGIS profile under constraints that keep QGIS's own packages as they are. None
suggests `pip install --user`: an "externally managed" Python (Debian 12, Ubuntu 23.04+) refuses it, and
elsewhere it can put a numpy 2 in front of the numpy QGIS's GDAL was built with.
"""

import os
import re
import shutil
import subprocess
import sys

from qgis.core import QgsProcessingException

from .torch_installer import (  # noqa: F401
    TORCH_REQUIREMENT,
    command_line,
    is_externally_managed,
    packages_folder,
    qgis_python_executable,
)

INSTALLER_MENU = "Raster > GeoGAN > Install PyTorch…"
# Debian/Ubuntu packages built against the system's numpy, the safest source there.
DEBIAN_PACKAGES = {"scipy": "python3-scipy", "matplotlib": "python3-matplotlib"}


def _settings_dir() -> str:
    from qgis.core import QgsApplication

    return QgsApplication.qgisSettingsDirPath()


def installer_command(settings_dir: str = None) -> str:
    """The terminal command that runs GeoGAN's installer with QGIS's Python into the plugin's folder."""
    arguments = command_line(qgis_python_executable(), packages_folder(settings_dir or _settings_dir()))
    return subprocess.list2cmdline(arguments) if os.name == "nt" else " ".join(_quote(a) for a in arguments)


def _quote(argument: str) -> str:
    import shlex

    return shlex.quote(argument)


def install_hint(settings_dir: str = None) -> str:
    python = qgis_python_executable()
    return (f"GeoGAN needs PyTorch ({TORCH_REQUIREMENT}), which the Python of QGIS ({python}, version "
            f"{sys.version.split()[0]}) cannot import. In QGIS choose {INSTALLER_MENU}, or run in a terminal:  "
            f"{installer_command(settings_dir)}  (it installs into the QGIS profile and changes none of QGIS's "
            f"packages), then restart QGIS.")


def optional_package_hint(module: str, purpose: str, settings_dir: str = None) -> str:
    """How to get scipy or matplotlib: the distribution's package on Debian-like systems, else the installer
    (which adds the optional packages QGIS's Python lacks, under the same constraints)."""
    python = qgis_python_executable()
    text = f"GeoGAN's {purpose} need {module}, which the Python of QGIS ({python}) cannot import. "
    if (module in DEBIAN_PACKAGES and (is_externally_managed() or shutil.which("apt"))
            and sys.platform.startswith("linux")):
        text += f"On Debian/Ubuntu install it with:  sudo apt install {DEBIAN_PACKAGES[module]}  ; otherwise c"
    else:
        text += "C"
    return text + (f"hoose {INSTALLER_MENU} (it adds {module} too), or run in a terminal:  "
                   f"{installer_command(settings_dir)}  then restart QGIS.")


# The oldest PyTorch GeoGAN supports (README, metadata.txt). Debian 12's python3-torch, 1.13.1, is older: its
# weights-only loader and numpy-1-only builds are not what GeoGAN is tested with (2.6, 2.13 and 2.14 are).
MINIMUM_TORCH = (2, 1)


def _installed_torch_version() -> str:
    import torch

    return f"{torch.__version__} (in {os.path.dirname(os.path.dirname(torch.__file__))})"


def require_torch(installed_version=_installed_torch_version) -> None:
    """PyTorch importable and new enough; `installed_version` (a function, for tests) gives its version."""
    try:
        version = installed_version()
    except ImportError as error:
        raise QgsProcessingException(install_hint()) from error
    numbers = tuple(int(number) for number in re.findall(r"\d+", version.split("+")[0])[:2])
    if numbers < MINIMUM_TORCH:
        minimum = ".".join(map(str, MINIMUM_TORCH))
        raise QgsProcessingException(
            f"GeoGAN needs PyTorch {minimum} or newer, but the Python of QGIS imports PyTorch {version}. Remove "
            f"that one (Debian 12's python3-torch is 1.13.1: sudo apt remove python3-torch), install PyTorch "
            f"{minimum} or newer for QGIS's Python, then restart QGIS.")


def require_scipy() -> None:
    """scipy (the drainage measures' spanning tree) ships with QGIS on Windows and macOS, not always on Linux."""
    try:
        import scipy.sparse.csgraph  # noqa: F401
    except ImportError as error:
        raise QgsProcessingException(optional_package_hint("scipy", "drainage measures")) from error


def require_matplotlib() -> None:
    """matplotlib draws the HTML reports; call before writing one."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise QgsProcessingException(optional_package_hint("matplotlib", "HTML reports")) from error
