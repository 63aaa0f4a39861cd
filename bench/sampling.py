"""Tile sampling benchmark (issue 4): tiles per second and extra memory when training from a huge raster.

The input is a 20000 x 20000 pixel GeoTIFF made by mirror-tiling the sample DEM (Int16, tiled, DEFLATE,
like a national mosaic); it is made once in the work folder. A fresh process measures its resident memory
after imports, then opens the raster the way training does (core.train.open_sources + TileSampler: one
scan in strips to find where tiles fit), draws batches of 16 tiles of 64 px, and reports the time and
its peak memory (VmHWM) minus the memory after imports. Goal: under 1 GB of extra memory.

    python bench/sampling.py [--side 20000] [--batches 300] [--quick]
"""

import argparse
import json
import os
import subprocess
import sys
import time

import common
import numpy as np

SIDE, QUICK_SIDE = 20000, 4000
BATCHES, QUICK_BATCHES = 300, 50
BATCH, TILE = 16, 64
GOAL_EXTRA_MB = 1024.0


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def make_mosaic(path: str, side: int) -> None:
    """A side x side Int16 GeoTIFF of the sample DEM mirrored back and forth, written strip by strip."""
    from osgeo import gdal

    gdal.UseExceptions()
    sample = gdal.Open(common.SAMPLE_DEM)
    values = sample.GetRasterBand(1).ReadAsArray()
    block = np.block([[values, values[:, ::-1]], [values[::-1], values[::-1, ::-1]]])  # seamless when repeated
    row_of_blocks = np.tile(block, (1, side // block.shape[1] + 1))[:, :side]
    temporary = path + ".part.tif"
    dataset = gdal.GetDriverByName("GTiff").Create(temporary, side, side, 1, gdal.GDT_Int16, [
        "TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=2", "BIGTIFF=YES"])
    x0, pixel_w, _, y0, _, pixel_h = sample.GetGeoTransform()
    dataset.SetGeoTransform((x0, pixel_w, 0.0, y0, 0.0, pixel_h))
    dataset.SetProjection(sample.GetProjection())
    band = dataset.GetRasterBand(1)
    band.SetNoDataValue(sample.GetRasterBand(1).GetNoDataValue())
    for top in range(0, side, block.shape[0]):
        rows = min(block.shape[0], side - top)
        band.WriteArray(row_of_blocks[:rows], 0, top)
    band, dataset = None, None
    os.replace(temporary, path)


def child(path: str, batches: int) -> None:
    """Run in a fresh process: open and scan the raster as training does, draw batches, print JSON measurements."""
    import torch  # noqa: F401  (counted in the baseline, as in a training process)

    from core.progress import Reporter
    from core.tiles import TileSampler
    from core.train import open_sources

    baseline = _status_mb("VmRSS")
    started = time.perf_counter()
    sampler = TileSampler(open_sources([path], 1, Reporter()), TILE)
    scan_seconds = time.perf_counter() - started
    sampler.sample(BATCH)  # first touch of the file's blocks, as the loader's first batch would
    started = time.perf_counter()
    for _ in range(batches):
        sampler.sample(BATCH)
    seconds = time.perf_counter() - started
    print(json.dumps({"baseline_mb": baseline, "peak_mb": _status_mb("VmHWM"), "scan_seconds": scan_seconds,
                      "tiles_per_second": batches * BATCH / seconds, "tile_positions": sampler.usable_tiles,
                      "stride": max(sampler.strides)}))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/sampling.py", parents=[common.common_options()],
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--side", type=int, default=None, help=f"raster side in pixels (default {SIDE})")
    parser.add_argument("--batches", type=int, default=None, help=f"batches of {BATCH} tiles to draw")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.batches)
        return 0

    side = args.side or (QUICK_SIDE if args.quick else SIDE)
    batches = args.batches or (QUICK_BATCHES if args.quick else BATCHES)
    os.makedirs(args.work_dir, exist_ok=True)
    path = os.path.join(args.work_dir, f"mosaic_{side}.tif")
    if not os.path.exists(path):
        print(f"Making a {side} x {side} px mosaic of the sample DEM (once) ...", flush=True)
        started = time.perf_counter()
        make_mosaic(path, side)
        print(f"  written in {time.perf_counter() - started:.0f} s, {os.path.getsize(path) / 2 ** 20:.0f} MB",
              flush=True)
    load_before = common.load_average()
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", path, "--batches", str(batches)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:], file=sys.stderr)
        return 1
    m = json.loads(done.stdout.strip().splitlines()[-1])
    extra = m["peak_mb"] - m["baseline_mb"]
    header = ["raster", "scan s", "tile positions", "corner grid px", "tiles/s", "extra MB", "goal MB"]
    rows = [[f"{side} x {side} Int16", f"{m['scan_seconds']:.1f}", f"{m['tile_positions']:,}", m["stride"],
             f"{m['tiles_per_second']:.0f}", f"{extra:.0f}", f"{GOAL_EXTRA_MB:.0f}"]]
    verdict = f"Extra memory goal (under {GOAL_EXTRA_MB:.0f} MB): {'met' if extra < GOAL_EXTRA_MB else 'MISSED'}."
    print(f"\nTile sampling ({BATCH} tiles of {TILE} px per batch, {batches} batches, one process, no prefetch thread)")
    print(common.text_table(header, rows))
    print(verdict)
    default_settings = not args.quick and args.side is None and args.batches is None
    if common.should_record(args, default_settings):
        common.append_results(f"""## Tile sampling from a huge raster (issue 4), {common.now_utc()}

`{common.command_line()}` on {common.machine_line()}; code {common.code_version()}. Load average before \
{load_before}, after {common.load_average()}.

{common.markdown_table(header, rows)}

{verdict} Scan: opening the raster and finding every usable tile position (one pass in strips). Extra MB: peak \
resident memory (VmHWM) minus resident memory after importing torch and GDAL; it includes GDAL's block cache \
(GDAL_CACHEMAX, by default 5 % of RAM). Tiles/s: random {TILE} px tiles read through GDAL, augmented and normalised.
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
