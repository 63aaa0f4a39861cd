"""Training tiles: random square crops of elevation rasters, normalised so that relief is kept.

A tile is turned into relief (elevation minus the tile's mean) divided by one global relief scale,
so steep and gentle tiles keep their true proportions. The scale and the mean elevation are saved
in the checkpoint to map generator output back to elevation units.
"""

from dataclasses import dataclass

import numpy as np

from .raster_io import ElevationRaster


@dataclass
class Normalisation:
    relief_scale: float  # elevation units per unit of normalised relief
    elevation_mean: float  # where generated relief is centred, in elevation units
    elevation_min: float
    elevation_max: float

    def to_dict(self) -> dict:
        return {k: float(v) for k, v in self.__dict__.items()}


def _nodata_counts(valid: np.ndarray, tile_size: int) -> np.ndarray:
    """Number of nodata pixels in every tile_size window, indexed by the window's top-left corner."""
    invalid = np.pad((~valid).astype(np.int32), ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    t = tile_size
    return invalid[t:, t:] - invalid[:-t, t:] - invalid[t:, :-t] + invalid[:-t, :-t]


class TileSampler:
    """Draws random, augmented, normalised tiles from one or more rasters."""

    def __init__(self, rasters: list, tile_size: int, max_nodata_fraction: float = 0.01, seed: int = 0):
        if not rasters:
            raise ValueError("No input raster was given; choose at least one elevation raster to train on.")
        self.tile_size = tile_size
        self.rasters = []
        self.corners = []  # per raster: (rows, cols) of the top-left corners of usable tiles
        for raster in rasters:
            self._add(raster, max_nodata_fraction)
        counts = np.array([len(rows) for rows, _ in self.corners], dtype=np.float64)
        self._raster_weights = counts / counts.sum()
        self._rng = np.random.default_rng(seed)
        self.normalisation = self._measure_normalisation()

    def _add(self, raster: ElevationRaster, max_nodata_fraction: float) -> None:
        values, t = raster.values, self.tile_size
        height, width = values.shape
        if height < t or width < t:
            raise ValueError(
                f"{raster.name} is {width} x {height} pixels, smaller than the {t}-pixel tile; "
                f"choose a smaller tile size or a larger raster."
            )
        valid = np.isfinite(values)
        if not valid.any():
            raise ValueError(f"{raster.name} holds only nodata (or NaN) in this band; choose a raster with elevations.")
        allowed = int(max_nodata_fraction * t * t)
        rows, cols = np.nonzero(_nodata_counts(valid, t) <= allowed)
        if len(rows) == 0:
            raise ValueError(
                f"{raster.name} has no {t} x {t} pixel area with less than {max_nodata_fraction:.0%} nodata; "
                f"choose a smaller tile size or a raster with fewer gaps."
            )
        self.rasters.append(raster)
        self.corners.append((rows.astype(np.int32), cols.astype(np.int32)))

    @property
    def usable_tiles(self) -> int:
        """Number of distinct (overlapping) tile positions that can be drawn."""
        return int(sum(len(rows) for rows, _ in self.corners))

    def _crop(self) -> np.ndarray:
        raster_index = self._rng.choice(len(self.rasters), p=self._raster_weights)
        rows, cols = self.corners[raster_index]
        k = self._rng.integers(len(rows))
        t = self.tile_size
        tile = self.rasters[raster_index].values[rows[k]:rows[k] + t, cols[k]:cols[k] + t]
        relief = tile - np.nanmean(tile)
        # The few nodata pixels allowed in a tile become flat relief rather than spikes.
        return np.nan_to_num(relief, nan=0.0)

    def _measure_normalisation(self, samples: int = 512) -> Normalisation:
        reliefs = np.stack([self._crop() for _ in range(samples)])
        scale = float(reliefs.std())
        if not scale > 0:
            raise ValueError("The training rasters are perfectly flat; there is no relief to learn.")
        all_values = np.concatenate([r.values[np.isfinite(r.values)] for r in self.rasters])
        return Normalisation(scale, float(all_values.mean()), float(all_values.min()), float(all_values.max()))

    def sample(self, batch_size: int) -> np.ndarray:
        """A float32 batch (batch, 1, tile, tile) of normalised relief with random flips and quarter turns."""
        batch = np.empty((batch_size, 1, self.tile_size, self.tile_size), dtype=np.float32)
        for i in range(batch_size):
            relief = self._crop()
            # Flips and quarter turns keep every terrain statistic (slope, curvature, spectrum).
            relief = np.rot90(relief, k=int(self._rng.integers(4)))
            if self._rng.integers(2):
                relief = relief[:, ::-1]
            batch[i, 0] = relief
        batch /= self.normalisation.relief_scale
        return batch
