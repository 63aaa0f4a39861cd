"""Spatial noise that is a pure function of (seed, row, column, channel).

Because every latent cell's value depends only on its global position and the seed, a raster can
be generated in windows of any size, or a sub-area regenerated alone, and still give the same terrain.
"""

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: a fast, well-spread 64-bit hash (uint64 arithmetic wraps on purpose)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _uniform(key: np.ndarray) -> np.ndarray:
    """Map hashes to floats in (0, 1), never exactly 0 so the logarithm below stays finite."""
    return ((_mix(key) >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def spatial_noise(seed: int, row: int, col: int, rows: int, cols: int, channels: int) -> np.ndarray:
    """Standard normal noise of shape (channels, rows, cols) for the latent cells starting at (row, col)."""
    with np.errstate(over="ignore"):
        r = np.arange(row, row + rows, dtype=np.int64).astype(np.uint64)[None, :, None]
        c = np.arange(col, col + cols, dtype=np.int64).astype(np.uint64)[None, None, :]
        k = np.arange(channels, dtype=np.uint64)[:, None, None]
        base = _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * _GOLDEN + np.uint64(1))
        key = _mix(base ^ (r * np.uint64(0xD1B54A32D192ED03))) ^ _mix(c * np.uint64(0xABC98388FB8FAC03) + k)
        u1 = _uniform(key)
        u2 = _uniform(key ^ _GOLDEN)
    # Box-Muller transform from two uniforms to one normal value.
    return (np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)).astype(np.float32)
