"""Terrain geometry in metres: pixel sizes for projected and geographic rasters, and hillshading."""

import math

import numpy as np

# A degree of latitude on the sphere, and of longitude at the equator; along a parallel it shrinks with the cosine
# of the latitude, which is floored so that a raster touching a pole does not get pixels of no width.
METRES_PER_DEGREE = 111_320.0
MIN_COSINE = 0.01


def pixel_size_metres(pixel_size: tuple, geographic: bool, latitude: float = 0.0) -> tuple:
    """(x, y) pixel size (or any x and y length in CRS units) in metres; in a geographic CRS, degrees are
    converted at the given latitude. Projected units are taken as metres."""
    x, y = abs(pixel_size[0]), abs(pixel_size[1])
    if not geographic:
        return x, y
    return x * METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), MIN_COSINE), y * METRES_PER_DEGREE


def row_latitude(grid, row: float = None) -> float:
    """The y coordinate of a grid's row (fractional rows allowed; default: its middle), the latitude where the
    grid is geographic."""
    return grid.geotransform[3] + grid.geotransform[5] * (grid.height / 2 if row is None else row)


def grid_pixel_metres(grid, row: float = None) -> tuple:
    """(x, y) pixel size in metres of a core.raster_io.Grid, in a geographic CRS at the latitude of `row`
    (default: the middle row)."""
    return pixel_size_metres(grid.pixel_size, grid.is_geographic(), row_latitude(grid, row))


def surface_gradients(elevation: np.ndarray, pixel_x: float, pixel_y: float) -> tuple:
    """(x gradient, y gradient) of elevation per unit of ground (central differences, one-sided at the edges),
    as float64; rows run down, so the y gradient is along the rows' order."""
    gradient_y, gradient_x = np.gradient(elevation.astype(np.float64), pixel_y, pixel_x)
    return gradient_x, gradient_y


def slope_radians(gradient_x: np.ndarray, gradient_y: np.ndarray) -> np.ndarray:
    """Slope angle from surface_gradients."""
    return np.arctan(np.hypot(gradient_x, gradient_y))


def hillshade(elevation: np.ndarray, pixel_x: float, pixel_y: float, azimuth: float = 315.0,
              altitude: float = 45.0) -> np.ndarray:
    """Shaded relief in [0, 1] (Horn-like central differences), elevation and pixel sizes in metres."""
    gradient_x, gradient_y = surface_gradients(elevation, pixel_x, pixel_y)
    slope = slope_radians(gradient_x, gradient_y)
    aspect = np.arctan2(-gradient_x, gradient_y)
    azimuth_rad, zenith = math.radians(360.0 - azimuth + 90.0), math.radians(90.0 - altitude)
    shade = np.cos(zenith) * np.cos(slope) + np.sin(zenith) * np.sin(slope) * np.cos(azimuth_rad - aspect)
    return np.clip(shade, 0.0, 1.0)
