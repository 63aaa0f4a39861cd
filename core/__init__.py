"""GeoGAN core: terrain GAN training and generation with numpy, torch and GDAL only (no QGIS).

Torch is imported by the submodules that need it, never here, so that the QGIS plugin can
load (and explain what to install) on a Python that has no torch.
"""

__version__ = "0.1.0"
