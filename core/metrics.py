"""Terrain realism metrics (numpy only): descriptors in metres and distances between sets of rasters.

Descriptors follow common geomorphometry: relief (elevation minus the tile mean), slope in degrees,
curvature as the Laplacian (1/m), the terrain ruggedness index (mean absolute difference to the 8
neighbours, m), the hypsometric integral per tile, and the radially averaged power spectrum with its
log-log slope. Distances: 1-Wasserstein per descriptor distribution, and the mean absolute difference
of log10 power over the frequency band both sets share.
"""

from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .terrain import slope_radians, surface_gradients

DESCRIPTORS = ("relief", "slope", "curvature", "roughness")


@dataclass
class Spectrum:
    frequency: np.ndarray  # cycles per metre, log-spaced bin centres
    power: np.ndarray  # mean power per bin
    slope: float  # log-log slope of power against frequency (about -beta)


def slope_degrees(elevation: np.ndarray, pixel_x: float, pixel_y: float) -> np.ndarray:
    return np.degrees(slope_radians(*surface_gradients(elevation, pixel_x, pixel_y)))


def curvature(elevation: np.ndarray, pixel_x: float, pixel_y: float) -> np.ndarray:
    """Laplacian of elevation (1/m) on the interior pixels."""
    e = elevation.astype(np.float64)
    return ((e[1:-1, 2:] - 2 * e[1:-1, 1:-1] + e[1:-1, :-2]) / pixel_x ** 2
            + (e[2:, 1:-1] - 2 * e[1:-1, 1:-1] + e[:-2, 1:-1]) / pixel_y ** 2)


def ruggedness(elevation: np.ndarray) -> np.ndarray:
    """Terrain ruggedness index: mean absolute elevation difference to the 8 neighbours (interior pixels)."""
    e = elevation.astype(np.float64)
    centre = e[1:-1, 1:-1]
    rows, cols = e.shape
    differences = [np.abs(e[1 + dy:rows - 1 + dy, 1 + dx:cols - 1 + dx] - centre)
                   for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
    return np.mean(differences, axis=0)


def hypsometric_integral(elevation: np.ndarray) -> float:
    low, high = float(elevation.min()), float(elevation.max())
    return (float(elevation.mean()) - low) / (high - low) if high > low else 0.5


def detrend_plane(elevation: np.ndarray) -> np.ndarray:
    rows, cols = elevation.shape
    y, x = np.mgrid[0:rows, 0:cols]
    design = np.column_stack([x.ravel(), y.ravel(), np.ones(x.size)])
    coefficients, *_ = np.linalg.lstsq(design, elevation.ravel().astype(np.float64), rcond=None)
    return elevation - (design @ coefficients).reshape(rows, cols)


def radial_power_spectrum(elevation: np.ndarray, pixel_size: float, bins: int = 16) -> Spectrum:
    """Radially averaged power spectrum after planar detrending and a Hann window, in log-spaced bins."""
    rows, cols = elevation.shape
    window = np.outer(np.hanning(rows), np.hanning(cols))
    power = np.abs(np.fft.fft2(detrend_plane(elevation) * window)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(rows, pixel_size), np.fft.fftfreq(cols, pixel_size), indexing="ij")
    radius = np.hypot(fx, fy).ravel()
    lowest, highest = 1.0 / (min(rows, cols) * pixel_size), 0.5 / pixel_size
    edges = np.logspace(np.log10(lowest), np.log10(highest), bins + 1)
    index = np.digitize(radius, edges) - 1
    inside = (index >= 0) & (index < bins)
    counts = np.bincount(index[inside], minlength=bins)
    sums = np.bincount(index[inside], weights=power.ravel()[inside], minlength=bins)
    # Each bin sits at the mean frequency of the samples it holds, not at its nominal centre.
    frequency_sums = np.bincount(index[inside], weights=radius[inside], minlength=bins)
    kept = counts > 0
    frequency = frequency_sums[kept] / counts[kept]
    mean_power = sums[kept] / counts[kept]
    return Spectrum(frequency, mean_power, _fitted_slope(frequency, mean_power, lowest))


def _fitted_slope(frequency: np.ndarray, power: np.ndarray, lowest: float) -> float:
    """Log-log slope, leaving out wavelengths longer than a quarter of the tile (flattened by window and detrend)."""
    fitted = frequency >= 4 * lowest
    if fitted.sum() < 3:
        fitted = np.ones_like(frequency, dtype=bool)
    return float(np.polyfit(np.log10(frequency[fitted]), np.log10(power[fitted]), 1)[0])


def tile_descriptors(tiles: list, pixel_x: float, pixel_y: float) -> dict:
    """Pooled descriptor values over a list of elevation tiles (2-D arrays in metres)."""
    pooled = {name: [] for name in DESCRIPTORS}
    pooled["hypsometry"] = []
    for tile in tiles:
        tile = tile.astype(np.float64)
        pooled["relief"].append((tile - tile.mean()).ravel())
        pooled["slope"].append(slope_degrees(tile, pixel_x, pixel_y).ravel())
        pooled["curvature"].append(curvature(tile, pixel_x, pixel_y).ravel())
        pooled["roughness"].append(ruggedness(tile).ravel())
        pooled["hypsometry"].append(np.array([hypsometric_integral(tile)]))
    return {name: np.concatenate(values) for name, values in pooled.items()}


def wasserstein_1d(a: np.ndarray, b: np.ndarray, quantiles: int = 1000) -> float:
    """1-Wasserstein distance between two samples: the mean gap between their quantile functions."""
    q = (np.arange(quantiles) + 0.5) / quantiles
    return float(np.mean(np.abs(np.quantile(a, q) - np.quantile(b, q))))


def mean_spectrum(tiles: list, pixel_size: float, bins: int = 16) -> Spectrum:
    spectra = [radial_power_spectrum(tile, pixel_size, bins) for tile in tiles]
    frequency = spectra[0].frequency
    power = np.exp(np.mean([np.log(s.power) for s in spectra if len(s.power) == len(frequency)], axis=0))
    lowest = 1.0 / (min(tiles[0].shape) * pixel_size)
    return Spectrum(frequency, power, _fitted_slope(frequency, power, lowest))


def spectral_distance(a: Spectrum, b: Spectrum) -> float:
    """Mean absolute difference of log10 power over the frequencies both spectra cover."""
    low, high = max(a.frequency.min(), b.frequency.min()), min(a.frequency.max(), b.frequency.max())
    if low >= high:
        raise InputError("The two sets share no frequency band; compare rasters of similar pixel size and tile size.")
    grid = np.logspace(np.log10(low), np.log10(high), 32)
    log_a = np.interp(np.log10(grid), np.log10(a.frequency), np.log10(a.power))
    log_b = np.interp(np.log10(grid), np.log10(b.frequency), np.log10(b.power))
    return float(np.mean(np.abs(log_a - log_b)))


def compare(real_tiles: list, synthetic_tiles: list, pixel_x: float, pixel_y: float) -> dict:
    """Distances between two sets of tiles: <DESCRIPTOR>_W1 per descriptor and SPECTRUM_DISTANCE."""
    real = tile_descriptors(real_tiles, pixel_x, pixel_y)
    synthetic = tile_descriptors(synthetic_tiles, pixel_x, pixel_y)
    distances = {f"{name.upper()}_W1": wasserstein_1d(real[name], synthetic[name]) for name in real}
    pixel = float(np.sqrt(pixel_x * pixel_y))
    distances["SPECTRUM_DISTANCE"] = spectral_distance(mean_spectrum(real_tiles, pixel),
                                                       mean_spectrum(synthetic_tiles, pixel))
    return distances


def fbm_surface(size: int, beta: float, seed: int = 0) -> np.ndarray:
    """Fractional Brownian surface by spectral synthesis: radially averaged power falls as frequency^-beta."""
    rng = np.random.default_rng(seed)
    fy, fx = np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij")
    radius = np.hypot(fx, fy)
    radius[0, 0] = np.inf  # no mean component
    spectrum = radius ** (-beta / 2) * (rng.normal(size=(size, size)) + 1j * rng.normal(size=(size, size)))
    surface = np.fft.ifft2(spectrum).real
    return (surface - surface.mean()) / surface.std()
