"""Realism benchmark (issue 3): how close is GeoGAN's terrain to real terrain it never saw, against fractal baselines?

The sample DEM is split: training uses the left two thirds only, the right third is held out. Every candidate's
64-pixel tiles are compared with the held-out tiles by the 1-Wasserstein distance of each descriptor
distribution (core.metrics, as `geogan:evaluate` computes them). Each distance is divided by the same
distance for real tiles of the training part (the real-vs-real floor), and the realism score is the mean of
those ratios over slope, curvature, relief and roughness: 1.0 means "as close to the held-out terrain as real
terrain next to it"; larger is worse. Candidates:

- GeoGAN: trained with the product's defaults (TrainSettings(), as `geogan:traingan`) on the training part,
  then several rasters generated with different seeds;
- fBm: spectral synthesis (core.metrics.fbm_surface) with the training tiles' spectral slope, scaled to
  their relief spread;
- GRASS r.surf.fractal through QGIS's GRASS Processing provider (when GRASS is installed), a few fractal
  dimensions, scaled to the same relief spread (its output has arbitrary units).

    python bench/realism.py [--quick | --iterations N] [--model model.pt] [--no-grass]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

import common  # noqa: F401  (puts the repository on sys.path)
import numpy as np
from osgeo import gdal

from core import metrics
from core.raster_io import read_band
from core.terrain import grid_pixel_metres

gdal.UseExceptions()

SCORED = ("SLOPE", "CURVATURE", "RELIEF", "ROUGHNESS")
DISTANCE_COLUMNS = (("RELIEF_W1", "relief m"), ("SLOPE_W1", "slope deg"), ("CURVATURE_W1", "curvature 1/m"),
                    ("ROUGHNESS_W1", "roughness m"), ("HYPSOMETRY_W1", "hypsometry"), ("SPECTRUM_DISTANCE", "spectrum"))
QUICK_ITERATIONS = 100
CAVEAT = ("A score below 1 is not 'more real than real': on the sample DEM the held-out third is gentler than the "
          "training part (compare the relief spreads), so a candidate whose relief falls between the two scores "
          "below 1. Compare candidates with each other, and check each one's relief spread against the training "
          "part's.")
TRAIN_FRACTION = 2 / 3


@dataclass
class Candidate:
    name: str
    rasters: list  # 2-D elevation arrays
    note: str = ""
    seconds: float = 0.0  # time to make the rasters (training included for GeoGAN)
    distances: dict = field(default_factory=dict)
    per_raster_scores: list = field(default_factory=list)
    settings: str = ""  # training settings (GeoGAN)


# ---------------------------------------------------------------------------------------------- data
def split_dem(source: str, work_dir: str) -> tuple:
    """Write the training part (left columns) and the held-out part (the rest) as GeoTIFFs."""
    dataset = gdal.Open(source)
    width, height = dataset.RasterXSize, dataset.RasterYSize
    split = int(round(width * TRAIN_FRACTION))
    train_path = os.path.join(work_dir, "realism_train.tif")
    heldout_path = os.path.join(work_dir, "realism_heldout.tif")
    gdal.Translate(train_path, dataset, srcWin=[0, 0, split, height])
    gdal.Translate(heldout_path, dataset, srcWin=[split, 0, width - split, height])
    dataset = None
    return train_path, heldout_path, split, width, height


def tiles_of(values: np.ndarray, size: int, stride: int) -> list:
    """Tiles without nodata at every `stride` pixels (stride = size: non-overlapping)."""
    rows, cols = values.shape
    return [values[top:top + size, left:left + size]
            for top in range(0, rows - size + 1, stride) for left in range(0, cols - size + 1, stride)
            if np.isfinite(values[top:top + size, left:left + size]).all()]


def relief_spread(tiles: list) -> float:
    """Root mean square of elevation minus the tile mean, over all tiles: the per-tile relief spread."""
    return float(np.sqrt(np.mean([np.var(tile.astype(np.float64)) for tile in tiles])))


def mean_slope(tiles: list, pixel: tuple) -> float:
    return float(np.mean([metrics.slope_degrees(tile, *pixel).mean() for tile in tiles]))


def rescaled(rasters: list, target_spread: float, target_mean: float, tile_size: int) -> list:
    """Scale surfaces of arbitrary units (one factor for the set) so their tiles have the target relief spread."""
    spread = relief_spread([tile for raster in rasters for tile in tiles_of(raster, tile_size, tile_size)])
    return [((raster - raster.mean()) * (target_spread / spread) + target_mean).astype(np.float32)
            for raster in rasters]


# ---------------------------------------------------------------------------------------------- candidates
def geogan_candidate(args, train_path: str, seeds: list) -> Candidate:
    from core.generate import generate_to_geotiff, load_model
    from core.progress import Reporter
    from core.settings import TrainSettings
    from core.train import train

    if args.model:
        model_path, wall = args.model, 0.0
        print(f"Scoring the existing model {model_path} (no training).", flush=True)
    else:
        settings = TrainSettings()
        if args.iterations:
            settings.iterations = args.iterations
        model_path = os.path.join(args.work_dir, "realism_model.pt")
        print(f"Training GeoGAN on {os.path.basename(train_path)}: {settings.iterations} iterations, tile "
              f"{settings.tile_size}, batch {settings.batch_size} (TrainSettings defaults otherwise) ...", flush=True)
        started = time.perf_counter()
        train([train_path], model_path, settings, Reporter(log=lambda message: print("  " + message, flush=True)))
        wall = time.perf_counter() - started
    model = load_model(model_path, "cpu")
    checkpoint, settings = model.checkpoint, model.settings
    sources = checkpoint.get("sources", [])
    if sources != [os.path.basename(train_path)]:
        print(f"Warning: the model was trained on {', '.join(sources) or 'unknown rasters'}, not on the training part "
              f"alone; if that includes the held-out area its score is flattered.", flush=True)
    if not np.allclose(model.grid.pixel_size, read_band(train_path).grid.pixel_size, rtol=0.02):
        print("Warning: the model was trained on rasters of another pixel size; its distances mean little here.",
              flush=True)
    loop = float(checkpoint.get("training_seconds", 0.0))
    iterations = checkpoint.get("iterations_done", settings.iterations)
    note = (f"{iterations} iterations, tile {settings.tile_size}, batch {settings.batch_size}, seed {settings.seed}; "
            f"training loop {loop:.0f} s" + (f", train() {wall:.0f} s in all (with the realism critic)" if wall else "")
            + ("" if not args.model else f"; model {os.path.abspath(model_path)}"))
    rasters, started = [], time.perf_counter()
    for seed in seeds:
        path = os.path.join(args.work_dir, f"realism_geogan_seed{seed}.tif")
        generate_to_geotiff(model_path, path, seed, args.size, args.size, device="cpu")
        rasters.append(read_band(path).values)
    generation = time.perf_counter() - started
    candidate = Candidate("GeoGAN", rasters, note + f"; {len(seeds)} rasters generated in {generation:.1f} s",
                          seconds=wall or loop)
    candidate.settings = json.dumps(settings.to_dict(), separators=(",", ":"))
    return candidate


def fbm_candidate(args, beta: float, spread: float, mean: float, seeds: list) -> Candidate:
    started = time.perf_counter()
    surfaces = [metrics.fbm_surface(args.size, beta, seed=seed) for seed in seeds]
    rasters = rescaled(surfaces, spread, mean, args.tile_size)
    return Candidate("fBm", rasters, f"spectral synthesis, beta {beta:.2f} (the training tiles' spectral slope), "
                     f"scaled to their relief spread {spread:.1f} m", seconds=time.perf_counter() - started)


def qgis_process_command() -> str:
    return shutil.which("qgis_process.bin") or ("/usr/lib/qgis/qgis_process.bin" if os.path.exists(
        "/usr/lib/qgis/qgis_process.bin") else None) or shutil.which("qgis_process")


def grass_fractal_candidates(args, spread: float, mean: float) -> tuple:
    """r.surf.fractal rasters per fractal dimension through qgis_process, or ([], reason it could not run)."""
    executable = qgis_process_command()
    if not executable:
        return [], "qgis_process not found (Debian package qgis)"
    profile = os.path.join(args.work_dir, "qgis_profile")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QGIS_CUSTOM_CONFIG_PATH": profile}

    def qgis_process(*arguments, timeout=300):
        return subprocess.run([executable, *arguments], capture_output=True, text=True, env=env, timeout=timeout)

    # QGIS 3.22 ships the GRASS provider as the core plugin 'grassprovider', off until enabled.
    qgis_process("plugins", "enable", "grassprovider")
    listing = qgis_process("list").stdout
    found = re.search(r"^\s*(grass\d*:r\.surf\.fractal)\b", listing, re.MULTILINE)
    if not found:
        why = "GRASS GIS is not installed (Debian package grass-core)" if not shutil.which("grass") else \
            "QGIS's GRASS provider does not list r.surf.fractal"
        return [], why
    algorithm = found.group(1)
    candidates = []
    for dimension in args.dimensions:
        surfaces, started = [], time.perf_counter()
        for number in range(args.rasters):
            path = os.path.join(args.work_dir, f"realism_fractal_{dimension:g}_{number}.tif")
            if os.path.exists(path):
                os.remove(path)
            done = qgis_process("--json", "run", algorithm, "--", f"dimension={dimension}", "number=0",
                                f"GRASS_REGION_PARAMETER=0,{args.size},0,{args.size} [EPSG:3857]",
                                "GRASS_REGION_CELLSIZE_PARAMETER=1", f"output={path}")
            if done.returncode != 0 or not os.path.exists(path):
                raise RuntimeError(f"{algorithm} failed (exit {done.returncode}): "
                                   f"{done.stdout[-1500:]} {done.stderr[-1500:]}")
            output = json.loads(done.stdout[done.stdout.index("{"):])["results"]["output"]
            surfaces.append(read_band(output).values.astype(np.float64))
        seconds = (time.perf_counter() - started) / args.rasters
        shapes = {surface.shape for surface in surfaces}
        candidates.append(Candidate(
            f"r.surf.fractal D={dimension:g}", rescaled(surfaces, spread, mean, args.tile_size),
            f"{algorithm}, {' '.join(f'{w}x{h}' for h, w in shapes)} px, {seconds:.1f} s per raster through "
            f"qgis_process, not seeded (GRASS picks its own seed), scaled to relief spread {spread:.1f} m",
            seconds=seconds))
    return candidates, ""


# ---------------------------------------------------------------------------------------------- scoring
def score_of(distances: dict, floor: dict) -> float:
    return float(np.mean([distances[f"{name}_W1"] / floor[f"{name}_W1"] for name in SCORED]))


def evaluate(candidate: Candidate, heldout: list, floor: dict, pixel: tuple, tile_size: int) -> None:
    per_raster = [tiles_of(raster, tile_size, tile_size) for raster in candidate.rasters]
    candidate.distances = metrics.compare(heldout, [tile for tiles in per_raster for tile in tiles], *pixel)
    if len(per_raster) > 1:
        candidate.per_raster_scores = [score_of(metrics.compare(heldout, tiles, *pixel), floor) for tiles in per_raster]


def number(value: float) -> str:
    return f"{value:.3g}" if abs(value) >= 0.01 else f"{value:.2e}"


def tables(floor: dict, floor_name: str, candidates: list) -> tuple:
    """(header, rows) of the distances, and (header, rows) of the ratios and scores."""
    distance_header = ["candidate", *[label for _, label in DISTANCE_COLUMNS], "tiles", "its relief spread m"]
    distance_rows = [[floor_name, *[number(floor[key]) for key, _ in DISTANCE_COLUMNS], floor["tiles"],
                      f"{floor['spread']:.1f}"]]
    ratio_header = ["candidate", *[name.lower() for name in SCORED], "SCORE", "per-raster scores", "spectrum"]
    ratio_rows = [[floor_name, *["1.00"] * len(SCORED), "1.00", "", number(floor["SPECTRUM_DISTANCE"])]]
    for candidate in candidates:
        d = candidate.distances
        distance_rows.append([candidate.name, *[number(d[key]) for key, _ in DISTANCE_COLUMNS], d["tiles"],
                              f"{d['spread']:.1f}"])
        spread = (f"{min(candidate.per_raster_scores):.2f} to {max(candidate.per_raster_scores):.2f}"
                  if candidate.per_raster_scores else "")
        ratio_rows.append([candidate.name, *[f"{d[f'{name}_W1'] / floor[f'{name}_W1']:.2f}" for name in SCORED],
                           f"{score_of(d, floor):.2f}", spread, number(d["SPECTRUM_DISTANCE"])])
    return (distance_header, distance_rows), (ratio_header, ratio_rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/realism.py", parents=[common.common_options()],
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--rasters", type=int, default=4, help="rasters (seeds) per candidate (default 4)")
    parser.add_argument("--size", type=int, default=512, help="side of each candidate raster in pixels (default 512)")
    parser.add_argument("--tile-size", type=int, default=64, help="tile side for the descriptors (default 64)")
    parser.add_argument("--stride", type=int, default=16,
                        help="spacing of the real tiles in pixels (default 16: overlapping, for enough tiles)")
    parser.add_argument("--dimensions", type=float, nargs="+", default=[2.05, 2.15, 2.3],
                        help="fractal dimensions for r.surf.fractal (default 2.05 2.15 2.3)")
    parser.add_argument("--no-grass", action="store_true", help="leave out r.surf.fractal")
    parser.add_argument("--dem", default=common.SAMPLE_DEM, help="the DEM to split (default: the sample DEM)")
    args = parser.parse_args(argv)
    if args.quick and not args.iterations:
        args.iterations = QUICK_ITERATIONS
    os.makedirs(args.work_dir, exist_ok=True)
    started = time.perf_counter()
    load_before = common.load_average()

    train_path, heldout_path, split, width, height = split_dem(args.dem, args.work_dir)
    train_raster, heldout_raster = read_band(train_path), read_band(heldout_path)
    pixel = grid_pixel_metres(train_raster.grid)
    train_tiles = tiles_of(train_raster.values, args.tile_size, args.stride)
    heldout_tiles = tiles_of(heldout_raster.values, args.tile_size, args.stride)
    beta = -metrics.mean_spectrum(train_tiles, float(np.sqrt(pixel[0] * pixel[1]))).slope
    spread, mean = relief_spread(train_tiles), float(np.nanmean(train_raster.values))
    setup = (f"{os.path.basename(args.dem)} ({width} x {height} px, pixels {pixel[0]:.1f} x {pixel[1]:.1f} m): "
             f"training part columns 0-{split - 1} ({len(train_tiles)} tiles), held out columns {split}-{width - 1} "
             f"({len(heldout_tiles)} tiles); real tiles {args.tile_size} px every {args.stride} px, candidates "
             f"{args.rasters} rasters of {args.size} x {args.size} px each cut into non-overlapping tiles. "
             f"Training tiles: spectral slope {-beta:.2f}, relief spread {spread:.1f} m, mean slope "
             f"{mean_slope(train_tiles, pixel):.1f} deg; held-out tiles: relief spread "
             f"{relief_spread(heldout_tiles):.1f} m, "
             f"mean slope {mean_slope(heldout_tiles, pixel):.1f} deg.")
    print(setup, flush=True)

    floor = metrics.compare(heldout_tiles, train_tiles, *pixel)
    floor["tiles"], floor["spread"] = len(train_tiles), spread
    seeds = list(range(1, args.rasters + 1))
    candidates = [geogan_candidate(args, train_path, seeds), fbm_candidate(args, beta, spread, mean, seeds)]
    grass_note = "--no-grass"
    if not args.no_grass:
        fractals, why = grass_fractal_candidates(args, spread, mean)
        candidates += fractals
        grass_note = why or ""
        if why:
            print(f"r.surf.fractal left out: {why}.", flush=True)
    for candidate in candidates:
        evaluate(candidate, heldout_tiles, floor, pixel, args.tile_size)
        candidate_tiles = [tile for r in candidate.rasters for tile in tiles_of(r, args.tile_size, args.tile_size)]
        candidate.distances["tiles"] = len(candidate_tiles)
        candidate.distances["spread"] = relief_spread(candidate_tiles)

    floor_name = "real (training part)"
    (distance_header, distance_rows), (ratio_header, ratio_rows) = tables(floor, floor_name, candidates)
    fractals = [c for c in candidates if c.name.startswith("r.surf.fractal")]
    best_fractal = min(fractals, key=lambda c: score_of(c.distances, floor)) if fractals else None
    geogan = candidates[0]
    print("\nDistances to the held-out tiles (1-Wasserstein per descriptor; "
          "spectrum: mean |difference of log10 power|)")
    print(common.text_table(distance_header, distance_rows))
    print("\nRatios to the real-vs-real floor; SCORE = mean of the four ratios (1.0 = as close as real terrain; "
          "lower is better)")
    print(common.text_table(ratio_header, ratio_rows))
    summary = (f"Realism score: GeoGAN {score_of(geogan.distances, floor):.2f}, fBm "
               f"{score_of(candidates[1].distances, floor):.2f}"
               + (f", r.surf.fractal {score_of(best_fractal.distances, floor):.2f} "
                  f"(best: D={best_fractal.name.split('=')[1]})"
                  if best_fractal else f", r.surf.fractal not run ({grass_note})"))
    if len(fractals) > 1:
        summary += " (the best fractal dimension is picked on the held-out tiles, which flatters it a little)"
    print("\n" + summary)
    print(CAVEAT)
    for candidate in candidates:
        print(f"  {candidate.name}: {candidate.note}")
    total = time.perf_counter() - started
    print(f"Benchmark took {total:.0f} s.")

    default_settings = not args.quick and not args.iterations and not args.model
    if common.should_record(args, default_settings):
        import torch

        notes = "\n".join(f"- {c.name}: {c.note}" + (f"; settings `{c.settings}`" if c.settings else "")
                          for c in candidates)
        if not fractals:
            notes += f"\n- r.surf.fractal: not run ({grass_note})"
        shared = ("" if default_settings else
                  " Not the product's default training settings (quick check or a given model).")
        common.append_results(f"""## Realism (issue 3), {common.now_utc()}

`{common.command_line()}` on {common.machine_line()}; torch {torch.__version__} with {torch.get_num_threads()} \
threads, code {common.code_version()}. Load average before {load_before}, after {common.load_average()} \
(a load near or above the core count means other work shared the CPU and the training time is inflated).{shared}

{setup}

**{summary}.** {CAVEAT} GeoGAN training time: {geogan.seconds:.0f} s. Whole benchmark: {total:.0f} s.

Distances to the held-out tiles (1-Wasserstein; spectrum: mean absolute difference of log10 power):

{common.markdown_table(distance_header, distance_rows)}

Ratios to the real-vs-real floor (score = mean of the four; 1.0 = as close as real terrain, lower is better):

{common.markdown_table(ratio_header, ratio_rows)}

{notes}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
