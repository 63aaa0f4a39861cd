"""Comparing real and synthetic rasters: tiles, realism distances and a self-contained HTML report."""

import numpy as np

from . import metrics
from .progress import Reporter
from .raster_io import read_band
from .terrain import pixel_size_metres

MAX_TILES_PER_SET = 256


def raster_tiles(paths: list, band: int, tile_size: int, seed: int = 0) -> tuple:
    """Non-overlapping tiles without nodata from each raster, and the pixel size in metres of the first."""
    tiles, pixel = [], None
    for path in paths:
        raster = read_band(path, band)
        grid = raster.grid
        latitude = grid.origin[1] - grid.pixel_size[1] * grid.height / 2
        size = pixel_size_metres(grid.pixel_size, grid.is_geographic(), latitude)
        if pixel is None:
            pixel = size
        elif not np.allclose(size, pixel, rtol=0.02):
            raise ValueError(f"{raster.name} has {size[0]:.1f} m pixels where the first raster has {pixel[0]:.1f} m; "
                             f"compare rasters of the same resolution.")
        rows, cols = raster.values.shape
        for top in range(0, rows - tile_size + 1, tile_size):
            for left in range(0, cols - tile_size + 1, tile_size):
                tile = raster.values[top:top + tile_size, left:left + tile_size]
                if np.isfinite(tile).all():
                    tiles.append(tile)
    if not tiles:
        raise ValueError(f"No {tile_size} x {tile_size} pixel tile without nodata was found in "
                         f"{', '.join(paths)}; choose a smaller tile size.")
    if len(tiles) > MAX_TILES_PER_SET:
        keep = np.random.default_rng(seed).choice(len(tiles), MAX_TILES_PER_SET, replace=False)
        tiles = [tiles[i] for i in sorted(keep)]
    return tiles, pixel


def evaluate(real_paths: list, synthetic_paths: list, band: int = 1, tile_size: int = 64,
             report_path: str = None, reporter: Reporter = None) -> dict:
    """Realism distances between two sets of rasters (0 means alike), and optionally an HTML report."""
    reporter = reporter or Reporter()
    if not real_paths or not synthetic_paths:
        raise ValueError("Choose at least one real and one synthetic raster to compare.")
    if tile_size < 8:
        raise ValueError(f"The tile size must be at least 8 pixels (got {tile_size}).")
    real_tiles, pixel = raster_tiles(real_paths, band, tile_size)
    reporter.progress(20)
    synthetic_tiles, synthetic_pixel = raster_tiles(synthetic_paths, band, tile_size)
    if not np.allclose(pixel, synthetic_pixel, rtol=0.02):
        raise ValueError(f"Real rasters have {pixel[0]:.1f} m pixels but synthetic ones {synthetic_pixel[0]:.1f} m; "
                         f"compare rasters of the same resolution.")
    reporter.check_cancelled()
    reporter.progress(40)
    distances = metrics.compare(real_tiles, synthetic_tiles, *pixel)
    reporter.log(f"Compared {len(real_tiles)} real and {len(synthetic_tiles)} synthetic tiles of {tile_size} px.")
    reporter.progress(70)
    if report_path:
        from .report import write_comparison_report

        reporter.check_cancelled()
        write_comparison_report(report_path, real_tiles, synthetic_tiles, pixel, distances)
    reporter.progress(100)
    return distances
