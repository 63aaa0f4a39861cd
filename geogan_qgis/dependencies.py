"""Checks that PyTorch and scipy are importable, and says exactly how to install them when they are not."""

import os
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


def require_torch() -> None:
    try:
        import torch  # noqa: F401
    except ImportError as error:
        raise QgsProcessingException(install_hint()) from error


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
