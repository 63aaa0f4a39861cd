# SPDX-License-Identifier: GPL-2.0-or-later
"""GeoGAN QGIS plugin: a Processing provider that trains terrain GANs and generates synthetic DEMs."""


def _add_installed_packages_to_path():
    """Make what GeoGAN's installer put into the QGIS profile importable (appended: QGIS's own packages win)."""
    from qgis.core import QgsApplication

    from .torch_installer import add_packages_folder_to_path, packages_folder

    add_packages_folder_to_path(packages_folder(QgsApplication.qgisSettingsDirPath()))


_add_installed_packages_to_path()


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import GeoGanPlugin

    return GeoGanPlugin(iface)
