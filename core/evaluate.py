"""Comparing real and synthetic rasters: tiles, realism distances, drainage structure and an HTML report."""

import os
from dataclasses import dataclass, field

import numpy as np

from . import drainage, metrics
from .errors import InputError
from .output_files import check_output_folders
from .progress import Reporter
from .raster_io import RasterSource, open_raster, read_band
from .terrain import grid_pixel_metres

MAX_TILES_PER_SET = 256
# Drainage is measured on whole rasters; larger ones are cut into non-overlapping windows of at most this side
# (near-equal windows that cover the raster, so none is a thin leftover strip), up to a number per set.
DRAINAGE_WINDOW = 1024
MIN_DRAINAGE_SIDE = 256
MAX_DRAINAGE_WINDOWS_PER_SET = 64
# Output key of each drainage descriptor for the synthetic set; the real set's carry a REAL_ prefix.
DRAINAGE_KEYS = {
    "depression_fraction": "DEPRESSION_FRACTION",
    "minima_per_1000": "MINIMA_PER_1000",
    "drainage_exponent": "DRAINAGE_EXPONENT",
    "drainage_density": "DRAINAGE_DENSITY",
    "hack_exponent": "HACK_EXPONENT",
}


@dataclass
class DrainageSummary:
    """Drainage descriptors of one set of rasters: means over windows weighted by their valid cells."""

    values: dict  # descriptor name -> mean, NaN where no window gave a value
    windows: int = 0  # windows measured
    available: int = 0  # windows the rasters hold (at most MAX_DRAINAGE_WINDOWS_PER_SET of them are measured)
    cells: int = 0  # valid cells in them
    too_small: list = field(default_factory=list)  # names of rasters under MIN_DRAINAGE_SIDE on a side
    example: tuple = None  # first window, for maps: (elevation, drainage area, (pixel_x, pixel_y), name, descriptors)


def raster_tiles(paths: list, band: int, tile_size: int, seed: int = 0) -> tuple:
    """Non-overlapping tiles without nodata from each raster, and the pixel size in metres of the first."""
    tiles, pixel = [], None
    for path in paths:
        raster = read_band(path, band)
        size = grid_pixel_metres(raster.grid)
        if pixel is None:
            pixel = size
        elif not np.allclose(size, pixel, rtol=0.02):
            raise InputError(f"{raster.name} has {size[0]:.1f} m pixels where the first raster has {pixel[0]:.1f} m; "
                             f"compare rasters of the same resolution.")
        rows, cols = raster.values.shape
        for top in range(0, rows - tile_size + 1, tile_size):
            for left in range(0, cols - tile_size + 1, tile_size):
                tile = raster.values[top:top + tile_size, left:left + tile_size]
                if np.isfinite(tile).all():
                    tiles.append(tile)
    if not tiles:
        raise InputError(f"No {tile_size} x {tile_size} pixel tile without nodata was found in "
                         f"{', '.join(paths)}; choose a smaller tile size.")
    if len(tiles) > MAX_TILES_PER_SET:
        keep = np.random.default_rng(seed).choice(len(tiles), MAX_TILES_PER_SET, replace=False)
        tiles = [tiles[i] for i in sorted(keep)]
    return tiles, pixel


def _spans(length: int, window: int = DRAINAGE_WINDOW) -> list:
    """(start, size) of near-equal, non-overlapping spans of at most `window` that cover 0..length."""
    bounds = np.linspace(0, length, -(-length // window) + 1).round().astype(int)
    return [(int(a), int(b - a)) for a, b in zip(bounds[:-1], bounds[1:])]


def drainage_of_rasters(paths: list, band: int = 1, channel_cells: int = drainage.CHANNEL_CELLS,
                        reporter: Reporter = None, progress_range: tuple = (0, 100), seed: int = 0) -> DrainageSummary:
    """Drainage descriptors of a set of rasters, measured on whole rasters or windows of DRAINAGE_WINDOW px.

    Rasters under MIN_DRAINAGE_SIDE pixels on a side are left out (listed in `too_small`): networks need room
    to form, and on a few hundred cells every catchment is cut by the edge. Descriptors are averaged over the
    windows weighted by their valid cells, each descriptor over the windows where it is defined (the
    drainage exponent needs a catchment of 1000 cells, Hack's exponent one of 10 x channel_cells).
    """
    reporter = reporter or Reporter()
    windows, too_small = [], []
    for path in paths:
        dataset = open_raster(path)
        width, height = dataset.RasterXSize, dataset.RasterYSize
        dataset = None
        if min(width, height) < MIN_DRAINAGE_SIDE:
            too_small.append(os.path.basename(path))
            continue
        windows += [(path, row, col, rows, cols) for row, rows in _spans(height) for col, cols in _spans(width)]
    available = len(windows)
    if len(windows) > MAX_DRAINAGE_WINDOWS_PER_SET:
        keep = np.random.default_rng(seed).choice(len(windows), MAX_DRAINAGE_WINDOWS_PER_SET, replace=False)
        windows = [windows[i] for i in sorted(keep)]
    sums = {name: 0.0 for name in DRAINAGE_KEYS}
    weights = {name: 0.0 for name in DRAINAGE_KEYS}
    summary = DrainageSummary(values={}, available=available, too_small=too_small)
    source, source_path = None, None
    start, span = progress_range[0], progress_range[1] - progress_range[0]
    for done, (path, row, col, rows, cols) in enumerate(windows):
        reporter.check_cancelled()
        if source is None or source_path != path:
            if source is not None:
                source.release_cache()
            source, source_path = RasterSource(path, band), path
        values = np.array(source.read(row, col, rows, cols), dtype=np.float64)
        valid = int(np.isfinite(values).sum())
        if valid < MIN_DRAINAGE_SIDE ** 2 // 4:
            continue  # (almost) all nodata: no network to measure
        pixel = grid_pixel_metres(source.grid, row + rows / 2)
        routing = drainage.route_flow(values)
        measured = drainage.routing_descriptors(routing, *pixel, channel_cells)
        for name, value in measured.items():
            if np.isfinite(value):
                sums[name] += valid * value
                weights[name] += valid
        if summary.example is None:
            summary.example = (values, routing.area, pixel, os.path.basename(path), measured)
        summary.windows += 1
        summary.cells += valid
        reporter.progress(start + span * (done + 1) / len(windows))
    if source is not None:
        source.release_cache()
    summary.values = {name: sums[name] / weights[name] if weights[name] else float("nan") for name in DRAINAGE_KEYS}
    return summary


def _log_drainage(reporter: Reporter, label: str, summary: DrainageSummary) -> None:
    if summary.too_small:
        reporter.log(f"Drainage of the {label} set: {', '.join(summary.too_small)} left out, as drainage needs at "
                     f"least {MIN_DRAINAGE_SIDE} x {MIN_DRAINAGE_SIDE} pixels.")
    if summary.windows:
        sampled = (f" (a random {MAX_DRAINAGE_WINDOWS_PER_SET} of {summary.available})"
                   if summary.available > MAX_DRAINAGE_WINDOWS_PER_SET else "")
        reporter.log(f"Drainage of the {label} set measured on {summary.windows} raster(s) or window(s) of up to "
                     f"{DRAINAGE_WINDOW} px{sampled}, {summary.cells} cells.")
    else:
        reporter.log(f"No {label} raster of at least {MIN_DRAINAGE_SIDE} x {MIN_DRAINAGE_SIDE} pixels with data: "
                     f"its drainage descriptors are NaN (not measured).")


def evaluate(real_paths: list, synthetic_paths: list, band: int = 1, tile_size: int = 64,
             report_path: str = None, reporter: Reporter = None, channel_cells: int = drainage.CHANNEL_CELLS) -> dict:
    """Realism distances between two sets of rasters (0 means alike), the drainage descriptors of each set
    (DRAINAGE_KEYS for the synthetic set, the same with a REAL_ prefix for the real set), and optionally an
    HTML report."""
    reporter = reporter or Reporter()
    if not real_paths or not synthetic_paths:
        raise InputError("Choose at least one real and one synthetic raster to compare.")
    if tile_size < 8:
        raise InputError(f"The tile size must be at least 8 pixels (got {tile_size}).")
    check_output_folders(report_path)  # refused now, not after the whole evaluation
    real_tiles, pixel = raster_tiles(real_paths, band, tile_size)
    reporter.progress(10)
    synthetic_tiles, synthetic_pixel = raster_tiles(synthetic_paths, band, tile_size)
    if not np.allclose(pixel, synthetic_pixel, rtol=0.02):
        raise InputError(f"Real rasters have {pixel[0]:.1f} m pixels but synthetic ones {synthetic_pixel[0]:.1f} m; "
                         f"compare rasters of the same resolution.")
    reporter.check_cancelled()
    reporter.progress(20)
    distances = metrics.compare(real_tiles, synthetic_tiles, *pixel)
    reporter.log(f"Compared {len(real_tiles)} real and {len(synthetic_tiles)} synthetic tiles of {tile_size} px.")
    reporter.progress(30)
    # Rasters too small for drainage get NaN descriptors and a log line rather than an error: the tile distances
    # above are still valid for them, and a GIS user comparing small clips should not lose those to one measure.
    real_drainage = drainage_of_rasters(real_paths, band, channel_cells, reporter, (30, 60))
    _log_drainage(reporter, "real", real_drainage)
    synthetic_drainage = drainage_of_rasters(synthetic_paths, band, channel_cells, reporter, (60, 90))
    _log_drainage(reporter, "synthetic", synthetic_drainage)
    results = dict(distances)
    results.update({key: synthetic_drainage.values[name] for name, key in DRAINAGE_KEYS.items()})
    results.update({f"REAL_{key}": real_drainage.values[name] for name, key in DRAINAGE_KEYS.items()})
    if report_path:
        from .report import write_comparison_report

        reporter.check_cancelled()
        write_comparison_report(report_path, real_tiles, synthetic_tiles, pixel, distances,
                                drainage=(real_drainage, synthetic_drainage), channel_cells=channel_cells)
    reporter.progress(100)
    return results
