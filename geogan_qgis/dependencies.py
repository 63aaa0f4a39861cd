"""Checks that PyTorch and scipy are importable, and says exactly how to install them when they are not."""

import os
import re
import sys

from qgis.core import QgsProcessingException

TORCH_REQUIREMENT = "torch>=2.1"


def qgis_python_executable() -> str:
    """The Python that QGIS runs (sys.executable is the QGIS program itself on Windows and macOS)."""
    for candidate in (os.path.join(sys.exec_prefix, "bin", "python3"), os.path.join(sys.exec_prefix, "python.exe"),
                      os.path.join(sys.exec_prefix, "python3.exe")):
        if os.path.isfile(candidate):
            return candidate
    return sys.executable or "python3"


def install_hint() -> str:
    python = qgis_python_executable()
    return (
        f"GeoGAN needs PyTorch, which the Python of QGIS ({python}, version {sys.version.split()[0]}) cannot import. "
        f'Install it into that Python with:  "{python}" -m pip install --user "{TORCH_REQUIREMENT}"  '
        f"(on Windows, run it from the OSGeo4W Shell), then restart QGIS."
    )


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
        python = qgis_python_executable()
        raise QgsProcessingException(
            f"GeoGAN's drainage measures need scipy, which the Python of QGIS ({python}) cannot import. On "
            f"Debian/Ubuntu install it with:  sudo apt install python3-scipy  (elsewhere:  \"{python}\" -m pip "
            f"install --user scipy), then restart QGIS.") from error
