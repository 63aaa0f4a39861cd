"""Terrain geometry in metres: pixel sizes for projected and geographic rasters, and hillshading."""

import math

import numpy as np

METRES_PER_DEGREE = 111_320.0


def pixel_size_metres(pixel_size: tuple, geographic: bool, latitude: float = 0.0) -> tuple:
    """(x, y) pixel size in metres; in a geographic CRS, degrees are converted at the given latitude."""
    x, y = abs(pixel_size[0]), abs(pixel_size[1])
    if not geographic:
        return x, y
    return x * METRES_PER_DEGREE * math.cos(math.radians(latitude)), y * METRES_PER_DEGREE


def hillshade(elevation: np.ndarray, pixel_x: float, pixel_y: float, azimuth: float = 315.0,
              altitude: float = 45.0) -> np.ndarray:
    """Shaded relief in [0, 1] (Horn-like central differences), elevation and pixel sizes in metres."""
    gradient_y, gradient_x = np.gradient(elevation.astype(np.float64), pixel_y, pixel_x)
    slope = np.arctan(np.hypot(gradient_x, gradient_y))
    aspect = np.arctan2(-gradient_x, gradient_y)
    azimuth_rad, zenith = math.radians(360.0 - azimuth + 90.0), math.radians(90.0 - altitude)
    shade = np.cos(zenith) * np.cos(slope) + np.sin(zenith) * np.sin(slope) * np.cos(azimuth_rad - aspect)
    return np.clip(shade, 0.0, 1.0)
