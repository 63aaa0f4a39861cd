# SPDX-License-Identifier: GPL-2.0-or-later
"""GeoGAN QGIS plugin: a Processing provider that trains terrain GANs and generates synthetic DEMs."""


def classFactory(iface):  # noqa: N802 (QGIS's name)
    from .plugin import GeoGanPlugin

    return GeoGanPlugin(iface)
