"""Training tiles: random square crops of elevation rasters, normalised so that relief is kept.

A tile is turned into relief (elevation minus the tile's mean) divided by one global relief scale,
so steep and gentle tiles keep their true proportions. The scale and the mean elevation are saved
in the checkpoint to map generator output back to elevation units.

Rasters are scanned once in strips of rows to find where tiles fit (and to measure elevation
statistics); afterwards only the drawn tiles are read, so any raster size trains in bounded memory.
"""

import math
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .raster_io import RasterSource

# At most this many candidate tile corners are kept per raster (8 bytes each); on larger rasters the
# corners lie on a grid every few pixels, which still gives millions of distinct tiles.
MAX_CORNERS = 4_000_000
# Pixels read at a time while scanning a raster (16 MB as float32; the scan needs about six times that).
SCAN_PIXELS = 4_000_000


@dataclass
class Normalisation:
    relief_scale: float  # elevation units per unit of normalised relief
    elevation_mean: float  # where generated relief is centred, in elevation units
    elevation_min: float
    elevation_max: float

    def to_dict(self) -> dict:
        return {k: float(v) for k, v in self.__dict__.items()}


def tile_relief(tile: np.ndarray) -> np.ndarray:
    """A tile's relief: elevation minus the tile's mean, its few nodata pixels flat (0) rather than spikes."""
    return np.nan_to_num(tile - np.nanmean(tile), nan=0.0)


def normalised_relief(tile: np.ndarray, relief_scale: float) -> np.ndarray:
    """What the networks see of a tile of elevations: its relief in units of the relief scale. Training tiles and
    the windows a realism map scores both go through here, so scoring cannot drift from training."""
    return tile_relief(tile) / relief_scale


def _nodata_counts(valid: np.ndarray, tile_size: int) -> np.ndarray:
    """Number of nodata pixels in every tile_size window, indexed by the window's top-left corner."""
    invalid = np.pad((~valid).astype(np.int32), ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    t = tile_size
    return invalid[t:, t:] - invalid[:-t, t:] - invalid[t:, :-t] + invalid[:-t, :-t]


class _ElevationStats:
    """Running count, sum, minimum and maximum of valid elevations, fed strip by strip."""

    def __init__(self):
        self.count, self.total, self.minimum, self.maximum = 0, 0.0, math.inf, -math.inf

    def add(self, values: np.ndarray) -> None:
        valid = values[np.isfinite(values)]
        if valid.size:
            self.count += valid.size
            self.total += float(valid.sum(dtype=np.float64))
            self.minimum = min(self.minimum, float(valid.min()))
            self.maximum = max(self.maximum, float(valid.max()))


def corner_stride(height: int, width: int, tile_size: int) -> int:
    """Spacing of candidate tile corners: 1 (every pixel) unless that would exceed MAX_CORNERS."""
    positions = max(0, height - tile_size + 1) * max(0, width - tile_size + 1)
    return max(1, math.ceil(math.sqrt(positions / MAX_CORNERS)))


def usable_corners(source: RasterSource, tile_size: int, max_nodata_fraction: float, stats: _ElevationStats):
    """(rows, cols, stride): top-left corners of tiles with at most max_nodata_fraction nodata."""
    height, width = source.shape
    t = tile_size
    stride = corner_stride(height, width, t)
    allowed = int(max_nodata_fraction * t * t)
    strip = max(stride, SCAN_PIXELS // width // stride * stride)  # corner rows per strip, a multiple of stride
    found_rows, found_cols = [], []
    last_corner_row = height - t
    for top in range(0, last_corner_row + 1, strip):
        bottom = min(top + strip, last_corner_row + 1)  # corner rows [top, bottom) in this strip
        values = source.read(top, 0, bottom - top + t - 1, width)
        # Each strip owns its corner rows; the last one also owns the rows below the last corner.
        stats.add(values if bottom > last_corner_row else values[:bottom - top])
        counts = _nodata_counts(np.isfinite(values), t)[::stride, ::stride]
        rows, cols = np.nonzero(counts <= allowed)
        found_rows.append((rows * stride + top).astype(np.int32))
        found_cols.append((cols * stride).astype(np.int32))
        source.release_cache()
    return np.concatenate(found_rows), np.concatenate(found_cols), stride


class TileSampler:
    """Draws random, augmented, normalised tiles from one or more rasters (RasterSource)."""

    def __init__(self, sources: list, tile_size: int, max_nodata_fraction: float = 0.01, seed: int = 0,
                 stream: int = 0):
        """`stream` > 0 gives another sequence of tiles (one per training process) with the same normalisation."""
        if not sources:
            raise InputError("No input raster was given; choose at least one elevation raster to train on.")
        self.tile_size = tile_size
        self.sources = []
        self.corners = []  # per raster: (rows, cols) of the top-left corners of usable tiles
        self.strides = []
        stats = _ElevationStats()
        for source in sources:
            self._add(source, max_nodata_fraction, stats)
        counts = np.array([len(rows) for rows, _ in self.corners], dtype=np.float64)
        self._raster_weights = counts / counts.sum()
        self._rng = np.random.default_rng(seed)
        self.normalisation = self._measure_normalisation(stats)
        if stream:
            self._rng = np.random.default_rng([seed, stream])

    def _add(self, source: RasterSource, max_nodata_fraction: float, stats: _ElevationStats) -> None:
        t = self.tile_size
        height, width = source.shape
        if height < t or width < t:
            raise InputError(
                f"{source.name} is {width} x {height} pixels, smaller than the {t}-pixel tile; "
                f"choose a smaller tile size or a larger raster."
            )
        count_before = stats.count
        rows, cols, stride = usable_corners(source, t, max_nodata_fraction, stats)
        if stats.count == count_before:
            raise InputError(f"{source.name} holds only nodata (or NaN) in this band; choose a raster with elevations.")
        if len(rows) == 0:
            raise InputError(
                f"{source.name} has no {t} x {t} pixel area with less than {max_nodata_fraction:.0%} nodata; "
                f"choose a smaller tile size or a raster with fewer gaps."
            )
        self.sources.append(source)
        self.corners.append((rows, cols))
        self.strides.append(stride)

    @property
    def usable_tiles(self) -> int:
        """Number of distinct (overlapping) tile positions that can be drawn."""
        return int(sum(len(rows) for rows, _ in self.corners))

    def _crop(self) -> np.ndarray:
        """A random tile's elevations (a view the caller must not modify)."""
        raster_index = self._rng.choice(len(self.sources), p=self._raster_weights)
        rows, cols = self.corners[raster_index]
        k = self._rng.integers(len(rows))
        t = self.tile_size
        return self.sources[raster_index].read(int(rows[k]), int(cols[k]), t, t)

    def _measure_normalisation(self, stats: _ElevationStats, samples: int = 512) -> Normalisation:
        reliefs = np.stack([tile_relief(self._crop()) for _ in range(samples)])
        scale = float(reliefs.std())
        if not scale > 0:
            raise InputError("The training rasters are perfectly flat; there is no relief to learn.")
        return Normalisation(scale, stats.total / stats.count, stats.minimum, stats.maximum)

    def sample(self, batch_size: int) -> np.ndarray:
        """A float32 batch (batch, 1, tile, tile) of normalised relief with random flips and quarter turns."""
        batch = np.empty((batch_size, 1, self.tile_size, self.tile_size), dtype=np.float32)
        for i in range(batch_size):
            relief = normalised_relief(self._crop(), self.normalisation.relief_scale)
            # Flips and quarter turns keep every terrain statistic (slope, curvature, spectrum).
            relief = np.rot90(relief, k=int(self._rng.integers(4)))
            if self._rng.integers(2):
                relief = relief[:, ::-1]
            batch[i, 0] = relief
        for source in self.sources:
            source.release_cache()
        return batch
