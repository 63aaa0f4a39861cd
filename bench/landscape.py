"""Landscape benchmark (issue 8): does GeoGAN make landscapes whose valleys join into drainage networks, or textures?

Protocol. The sample DEM is cut into a 2 x 2 checkerboard of blocks (about 200 x 170 px each). The north-west and
south-east blocks are the training part, the north-east and south-west blocks are held out, so both parts hold some of
the dissected plateau (west) and some of the linear ridges (east). Their relief spread, mean slope, spectral slope and
drainage descriptors agree; halves do not (top/bottom: relief spread 88 against 121 m). Every run prints these figures
for the chosen split and for the other splits it was picked from. Each block is larger than the 128 x 128 px contiguous
area that a coarse stage at 1/4 resolution needs. The training part is written as a GeoTIFF with the DEM's extent and
the held-out blocks as nodata (training skips tiles with nodata), and the held-out part likewise.

Candidates, each as several rasters of 512 x 512 px (one per seed, seeds 1, 2, ...):
- GeoGAN: trained with the product's defaults (TrainSettings(), as `geogan:traingan`) on the training part, or --model;
- baseline: a model made by the code before issue 8, trained on the same training part (--baseline-model; by default
  build/bench/baseline_model.pt when that file exists; otherwise the row says "not measured");
- fBm: spectral synthesis (core.metrics.fbm_surface) with the training tiles' spectral slope, scaled to their relief
  spread (as bench/realism.py);
- r.surf.fractal: GRASS through qgis_process (bench/realism.py's helper), scaled the same way;
- real held-out part: real terrain the model never saw, measured exactly as the candidates: the floor.

Measures:
1. Drainage descriptors (core.drainage) on whole rasters: area in closed depressions, local minima per 1000 cells,
   drainage-area exponent beta, drainage density (channels drain >= 100 cells) and Hack's exponent; beside them the
   real DEM's values (the whole sample DEM, and each part).
2. The old score of bench/realism.py (1-Wasserstein distances of the slope, curvature, relief and roughness of 64 px
   tiles, each divided by the real-vs-real floor, averaged), against the new held-out part; the floor is the training
   part's tiles against the held-out part's tiles, as there.
3. A classifier two-sample test: a small CNN (torch, CPU, 1 thread) learns to tell real windows from a candidate's
   windows; its balanced accuracy on held-out folds says how well they can be told apart (0.5: not at all). Input
   channels: relief (window minus its mean) divided by the real training windows' relief spread, and slope in degrees
   standardised by their slope mean and spread. Batches are half real, half candidate, with random flips and
   rotations; test windows are scored by the mean logit over their 8 flips and rotations. A candidate's windows are
   assigned to folds by raster (seed). Real windows: at 64 px (the tile the GAN trains on), those of the training
   part, in 4 spatial folds; every block is cut into 2 x 2 quadrants, every window lies wholly inside one (so no real
   window overlaps one of another fold), and each fold takes one quadrant of each block, so that every fold holds
   plateau and ridges alike (folds of one kind of terrain made the test measure that kind, not realism: fBm scored
   0.88 instead of 0.96 to 0.99). At 128 px (the largest window with two folds) no piece of a block holds a window,
   and folds of single blocks train on the plateau and test on the ridges (the real held-out part then scored 0.21,
   fBm 0.83), so the two folds are the training part and the held-out part, both holding every kind of terrain.
   Floors: the held-out part as the candidate at 64 px (real terrain against real terrain of other blocks; its
   quadrants are numbered as mirror images of their neighbours across block edges, so the two sides of an edge share
   a fold), and two random halves of the real windows.
4. Memorisation: for each candidate window, the RMSE of relief (the window minus its mean) to its nearest training
   window, over every position in the training part and all 8 flips and rotations (exact, by FFT); the same for
   windows of the held-out part. Ratio of the medians: about 1 means the candidate is no closer to the training
   terrain than new real terrain is; far below 1 means it copies its training data (or has less relief: hence also
   the median of each distance divided by the window's own relief RMS).

"Done when" of issue 8, printed as PASS or MISS for GeoGAN (and the baseline, for comparison): closed depressions at
most twice the sample DEM's fraction; beta within 0.08 of the sample DEM's; classifier accuracy at most 0.65 at 64 px
and at 128 px.

    python bench/landscape.py [--quick | --iterations N] [--model model.pt] [--baseline-model before.pt] [--no-grass]
"""

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

import common  # noqa: F401  (puts the repository on sys.path)
import numpy as np
import realism
import scipy.fft
from osgeo import gdal

from core import metrics
from core.drainage import drainage_descriptors
from core.raster_io import read_band
from core.terrain import grid_pixel_metres

gdal.UseExceptions()

QUICK_ITERATIONS = 100
TILE = 64  # tile of the old score (bench/realism.py)
TILE_STRIDE = 16  # spacing of the real tiles of the old score
DEPRESSION_FACTOR = 2.0  # Done when: closed depressions at most twice the real DEM's fraction
BETA_TOLERANCE = 0.08  # Done when: beta within 0.08 of the real DEM's
ACCURACY_GOAL = 0.65  # Done when: classifier accuracy at most 0.65
DESCRIPTORS = (("depression_fraction", "depressions %", lambda v: f"{100 * v:.2f}"),
               ("minima_per_1000", "minima /1000", lambda v: f"{v:.2f}"),
               ("drainage_exponent", "beta", lambda v: f"{v:.3f}"),
               ("drainage_density", "drainage density 1/km", lambda v: f"{v:.3f}"),
               ("hack_exponent", "Hack h", lambda v: f"{v:.3f}"))
BASELINE_HINT = ("make one with the code before issue 8: git worktree add /tmp/geogan-baseline dcf6029, then in it "
                 "python -m core.train build/bench/landscape_train.tif -o build/bench/baseline_model.pt")


@dataclass
class Rect:
    top: int
    left: int
    height: int
    width: int
    grid_row: int = 0  # the block's row and column in the checkerboard
    grid_col: int = 0

    def piece(self, rows: int, cols: int, row: int, col: int) -> "Rect":
        """Piece (row, col) of this block cut into rows x cols."""
        row_edges, col_edges = edges(self.height, rows), edges(self.width, cols)
        return Rect(self.top + row_edges[row], self.left + col_edges[col], row_edges[row + 1] - row_edges[row],
                    col_edges[col + 1] - col_edges[col], self.grid_row, self.grid_col)

    def __str__(self) -> str:
        return f"rows {self.top}-{self.top + self.height - 1}, cols {self.left}-{self.left + self.width - 1}"


@dataclass
class Entry:
    """One row of the benchmark: a candidate (or a real part) and everything measured on it."""

    name: str
    rasters: list = field(default_factory=list)  # 2-D elevation arrays in metres (NaN: nodata)
    pixel: tuple = (1.0, 1.0)  # pixel size in metres
    note: str = ""
    seconds: float = 0.0  # time to make the rasters (training included)
    missing: str = ""  # why it was not measured ("" when it was)
    settings: str = ""
    descriptors: list = field(default_factory=list)  # per raster
    old: object = None  # realism.Candidate with the old score's distances
    accuracy: dict = field(default_factory=dict)  # window -> list of per-fold balanced accuracies
    memorisation: dict = field(default_factory=dict)  # window -> array of nearest-training RMSEs (m)
    own_relief: dict = field(default_factory=dict)  # window -> array of each window's own relief RMS (m)


# ---------------------------------------------------------------------------------------------- split
def edges(length: int, parts: int) -> list:
    return [-(-k * length // parts) for k in range(parts + 1)]  # ceil(k * length / parts)


def block_grid(shape: tuple, rows: int, cols: int) -> tuple:
    """Blocks of a rows x cols checkerboard: (blocks with (row + col) even, blocks with (row + col) odd)."""
    row_edges, col_edges = edges(shape[0], rows), edges(shape[1], cols)
    even, odd = [], []
    for i in range(rows):
        for j in range(cols):
            rect = Rect(row_edges[i], col_edges[j], row_edges[i + 1] - row_edges[i],
                        col_edges[j + 1] - col_edges[j], i, j)
            (even if (i + j) % 2 == 0 else odd).append(rect)
    return even, odd


def masked(values: np.ndarray, blocks: list) -> np.ndarray:
    """The raster with everything outside the blocks set to NaN."""
    keep = np.zeros(values.shape, dtype=bool)
    for rect in blocks:
        keep[rect.top:rect.top + rect.height, rect.left:rect.left + rect.width] = True
    return np.where(keep, values, np.nan).astype(np.float32)


def write_like(source_path: str, values: np.ndarray, path: str) -> None:
    """A float32 GeoTIFF on the source's grid, NaN written as nodata -9999."""
    source = gdal.Open(source_path)
    out = gdal.GetDriverByName("GTiff").Create(path, values.shape[1], values.shape[0], 1, gdal.GDT_Float32,
                                               ["COMPRESS=DEFLATE", "TILED=YES"])
    out.SetGeoTransform(source.GetGeoTransform())
    out.SetProjection(source.GetProjection())
    band = out.GetRasterBand(1)
    band.SetNoDataValue(-9999.0)
    band.WriteArray(np.where(np.isfinite(values), values, -9999.0).astype(np.float32))
    band, out, source = None, None, None


def part_figures(values: np.ndarray, pixel: tuple) -> dict:
    """Relief spread, mean slope, spectral slope (64 px tiles every 16 px) and drainage descriptors of one part."""
    tiles = realism.tiles_of(values, TILE, TILE_STRIDE)
    figures = {"pixels": int(np.isfinite(values).sum()), "tiles": len(tiles),
               "spread": realism.relief_spread(tiles), "slope": realism.mean_slope(tiles, pixel),
               "spectral": metrics.mean_spectrum(tiles, float(np.sqrt(pixel[0] * pixel[1]))).slope}
    figures.update(drainage_descriptors(values, *pixel))
    return figures


SPLITS = (("top / bottom halves", 2, 1), ("left / right halves", 1, 2), ("checkerboard 2 x 2 blocks", 2, 2),
          ("checkerboard 2 x 3 blocks", 2, 3))
CHOSEN = "checkerboard 2 x 2 blocks"
PART_NAMES = {(2, 1): {"A": "A: top", "B": "B: bottom"}, (1, 2): {"A": "A: left", "B": "B: right"},
              (2, 2): {"A": "A: NW + SE", "B": "B: NE + SW"},
              (2, 3): {"A": "A: NW + NE + S centre", "B": "B: N centre + SW + SE"}}
PART_HEADER = ["split", "part", "pixels", "relief spread m", "mean slope deg", "spectral slope",
               *[label for _, label, _ in DESCRIPTORS]]


def part_row(split: str, part: str, figures: dict) -> list:
    return [split, part, figures["pixels"], f"{figures['spread']:.1f}", f"{figures['slope']:.2f}",
            f"{figures['spectral']:.2f}", *[fmt(figures[key]) for key, _, fmt in DESCRIPTORS]]


def compare_splits(values: np.ndarray, pixel: tuple) -> tuple:
    """(rows of the table of candidate splits, training blocks, held-out blocks) of the chosen split."""
    rows = [part_row("(none)", "whole DEM", part_figures(values, pixel))]
    chosen = None
    for name, n_rows, n_cols in SPLITS:
        even, odd = block_grid(values.shape, n_rows, n_cols)
        for part, blocks in (("A", even), ("B", odd)):
            figures = part_figures(masked(values, blocks), pixel)
            rows.append(part_row(name + (" (chosen: A trains)" if name == CHOSEN else ""),
                                 PART_NAMES.get((n_rows, n_cols), {}).get(part, part), figures))
        if name == CHOSEN:
            chosen = (even, odd)
    return rows, chosen[0], chosen[1]


# ---------------------------------------------------------------------------------------------- candidates
def checkpoint_facts(model_path: str) -> dict:
    """Plain metadata of a model file (sources, settings, iterations, training time), {} if unreadable."""
    try:
        from core.checkpoint import load_checkpoint

        checkpoint = load_checkpoint(model_path)
    except Exception as error:  # noqa: BLE001  (any failure only means: no metadata to show)
        return {"error": str(error)}
    return {key: checkpoint.get(key) for key in ("sources", "settings", "iterations_done", "training_seconds",
                                                 "architecture", "format_version", "grid")}


GENERATE_SCRIPT = ("import sys; sys.path.insert(0, '.'); from core.generate import generate_to_geotiff; "
                   "generate_to_geotiff(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), "
                   "int(sys.argv[4]), device='cpu')")


def generated_rasters(name: str, model_path: str, args, seeds: list, code: str = "") -> tuple:
    """(rasters, pixel size, seconds) from a model; with `code`, generated by that checkout's core/ in a subprocess."""
    rasters, pixel, started = [], None, time.perf_counter()
    for seed in seeds:
        path = os.path.join(args.work_dir, f"landscape_{name}_seed{seed}.tif")
        if code:
            done = subprocess.run([sys.executable, "-c", GENERATE_SCRIPT, os.path.abspath(model_path),
                                   os.path.abspath(path), str(seed), str(args.size)], cwd=code, capture_output=True,
                                  text=True)
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no message"])[-1]
                raise RuntimeError(f"generation with the code in {code} failed: {last}")
        else:
            from core.generate import generate_to_geotiff

            generate_to_geotiff(model_path, path, seed, args.size, args.size, device="cpu")
        raster = read_band(path)
        rasters.append(raster.values.astype(np.float64))
        pixel = grid_pixel_metres(raster.grid)
    return rasters, pixel, time.perf_counter() - started


def model_entry(name: str, model_path: str, args, train_path: str, seeds: list, wall: float = 0.0,
                code: str = "") -> Entry:
    facts = checkpoint_facts(model_path)
    entry = Entry(name)
    sources = facts.get("sources") or []
    if "error" not in facts and sources != [os.path.basename(train_path)]:
        print(f"Warning: {name} was trained on {', '.join(sources) or 'unknown rasters'}, not on the training part "
              f"{os.path.basename(train_path)} alone; if that includes the held-out blocks its figures are flattered.",
              flush=True)
    try:
        entry.rasters, entry.pixel, generation = generated_rasters(name.split()[0].lower(), model_path, args, seeds,
                                                                   code)
    except Exception as error:  # noqa: BLE001  (a model this code cannot run is reported, not fatal)
        entry.missing = "not measured (see notes)"
        entry.note = (f"{model_path} did not generate with this code ({error}); pass --baseline-code with a checkout "
                      f"of the commit that trained it")
        print(f"{name}: not measured: {entry.note}", flush=True)
        return entry
    settings = facts.get("settings") or {}
    loop = float(facts.get("training_seconds") or 0.0)
    iterations = facts.get("iterations_done") or settings.get("iterations")
    entry.note = (f"model {common.display_path(model_path)}"
                  + (f" ({facts['architecture']})" if facts.get("architecture") else "")
                  + f", trained on {', '.join(sources) or 'unknown rasters'}: {iterations} iterations, tile "
                  f"{settings.get('tile_size')}, batch {settings.get('batch_size')}, seed {settings.get('seed')}; "
                  f"training loop {loop:.0f} s" + (f", train() {wall:.0f} s in all" if wall else "")
                  + (f"; generated by the code in {code}" if code else "")
                  + f"; {len(seeds)} rasters of {args.size} px generated in {generation:.1f} s")
    entry.seconds = wall or loop
    entry.settings = json.dumps(settings, separators=(",", ":"))
    return entry


def geogan_entry(args, train_path: str, seeds: list) -> Entry:
    if args.model:
        print(f"Scoring the existing model {args.model} (no training).", flush=True)
        return model_entry("GeoGAN", args.model, args, train_path, seeds)
    from core.progress import Reporter
    from core.settings import TrainSettings
    from core.train import train

    settings = TrainSettings()
    if args.iterations:
        settings.iterations = args.iterations
    model_path = os.path.join(args.work_dir, "landscape_model.pt")
    print(f"Training GeoGAN on {os.path.basename(train_path)} with TrainSettings() defaults"
          + (f" but {settings.iterations} iterations" if args.iterations else "") + " ...", flush=True)
    started = time.perf_counter()
    train([train_path], model_path, settings, Reporter(log=lambda message: print("  " + message, flush=True)))
    return model_entry("GeoGAN", model_path, args, train_path, seeds, wall=time.perf_counter() - started)


def baseline_entry(args, train_path: str, seeds: list) -> tuple:
    """(entry, True when it is the model of the GeoGAN row: measured once, shown twice)."""
    name = "baseline (before issue 8)"
    default = os.path.join(args.work_dir, "baseline_model.pt")
    path = args.baseline_model
    if path is None:
        path = default if os.path.exists(default) else ""
    if not path:
        return Entry(name, missing="not measured (see notes)",
                     note=f"not measured: no --baseline-model, and no {common.display_path(default)}; "
                          f"{BASELINE_HINT}"), False
    if args.model and os.path.exists(args.model) and os.path.samefile(path, args.model):
        return Entry(name, note=f"the model of the GeoGAN row ({common.display_path(path)}), measured once"), True
    return model_entry(name, path, args, train_path, seeds, code=args.baseline_code or ""), False


def real_entry(name: str, values: np.ndarray, pixel: tuple, note: str) -> Entry:
    return Entry(name, [values.astype(np.float64)], pixel, note)


def fractal_entries(args, spread: float, mean: float, pixel: tuple, seeds: list) -> tuple:
    """fBm and r.surf.fractal entries (bench/realism.py's generators), and why GRASS did not run ('' if it did)."""
    fbm = realism.fbm_candidate(args, args.spectral_beta, spread, mean, seeds)
    entries = [Entry("fBm", [r.astype(np.float64) for r in fbm.rasters], pixel, fbm.note, fbm.seconds)]
    why = "--no-grass"
    if not args.no_grass:
        try:
            fractals, why = realism.grass_fractal_candidates(args, spread, mean)
        except (RuntimeError, OSError, subprocess.SubprocessError, ValueError) as error:
            fractals, why = [], f"r.surf.fractal failed: {error}"
        entries += [Entry(c.name, [r.astype(np.float64) for r in c.rasters], pixel, c.note, c.seconds)
                    for c in fractals]
    if why:
        entries.append(Entry("r.surf.fractal", missing="not measured (see notes)", note=f"not measured: {why}"))
        print(f"r.surf.fractal left out: {why}.", flush=True)
    return entries, why


# ---------------------------------------------------------------------------------------------- windows
def windows_in(values: np.ndarray, rect: Rect, size: int, stride: int) -> list:
    """Windows of `size` px lying wholly inside rect, every `stride` px, without nodata."""
    out = []
    for top in range(rect.top, rect.top + rect.height - size + 1, stride):
        for left in range(rect.left, rect.left + rect.width - size + 1, stride):
            window = values[top:top + size, left:left + size]
            if np.isfinite(window).all():
                out.append(window.astype(np.float64))
    return out


def fold_regions(blocks: list, size: int) -> tuple:
    """Spatial folds: ([(fold, Rect)], diverse).

    Every block is cut into 2 x 2 quadrants (else into 2 halves) while the pieces still hold a window; a piece's fold
    is its position in the block, mirrored in blocks of odd checkerboard row or column. So every fold holds a piece of
    every block (of every kind of terrain: diverse is True), and pieces that touch across a block edge, of the
    training and of the held-out part, fall in the same fold: the real-against-real floor is not tested on a piece
    whose neighbour it was trained on as the other class. Where no piece holds a window: the blocks themselves (fold =
    block, each fold one kind of terrain; diverse is False)."""
    for rows, cols in ((2, 2), (1, 2), (2, 1)):
        regions = []
        for block in blocks:
            for row in range(rows):
                for col in range(cols):
                    mirrored_row = rows - 1 - row if block.grid_row % 2 else row
                    mirrored_col = cols - 1 - col if block.grid_col % 2 else col
                    regions.append((mirrored_row * cols + mirrored_col, block.piece(rows, cols, row, col)))
        if all(min(rect.height, rect.width) >= size for _, rect in regions):
            return regions, True
    return list(enumerate(blocks)), False


def dihedral(array: np.ndarray, k: int) -> np.ndarray:
    """The k-th of the 8 flips and rotations of the last two axes."""
    turned = np.rot90(array, k % 4, axes=(-2, -1))
    return turned[..., ::-1] if k >= 4 else turned


# ---------------------------------------------------------------------------------------------- classifier
def channels(windows: list, pixel: tuple, scale: dict) -> np.ndarray:
    """(N, 2, size, size) float32: relief / real relief spread, standardised slope."""
    out = np.empty((len(windows), 2, *windows[0].shape), dtype=np.float32)
    for n, window in enumerate(windows):
        out[n, 0] = (window - window.mean()) / scale["spread"]
        out[n, 1] = (metrics.slope_degrees(window, *pixel) - scale["slope_mean"]) / scale["slope_std"]
    return out


def make_classifier(size: int, widths=(8, 16, 32, 32)):
    """A few strided convolutions down to 8 x 8, one more convolution, global mean, one logit."""
    import torch.nn as nn

    layers, channels_in, side, step = [], 2, size, 0
    while side > 8:
        out = widths[min(step, len(widths) - 1)]
        layers += [nn.Conv2d(channels_in, out, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        channels_in, side, step = out, side // 2, step + 1
    layers += [nn.Conv2d(channels_in, channels_in, 3, padding=1), nn.LeakyReLU(0.2), nn.AdaptiveAvgPool2d(1),
               nn.Flatten(), nn.Linear(channels_in, 1)]
    return nn.Sequential(*layers)


def mean_logits(model, windows: np.ndarray, chunk: int = 128) -> np.ndarray:
    """The classifier's logit ("real") of every window, averaged over its 8 flips and rotations."""
    import torch

    model.eval()
    with torch.no_grad():
        return np.mean([np.concatenate([model(torch.from_numpy(np.ascontiguousarray(dihedral(windows[i:i + chunk], k))))
                                        .squeeze(1).numpy() for i in range(0, len(windows), chunk)])
                        for k in range(8)], axis=0)


def balanced_accuracy(real: np.ndarray, other: np.ndarray, real_folds: np.ndarray, other_folds: np.ndarray,
                      folds: int, steps: int, batch: int, seed: int) -> list:
    """Per held-out fold: mean of the accuracy on real and on other windows of a classifier trained on the rest."""
    import torch

    results = []
    for fold in range(folds):
        train_real, train_other = real[real_folds != fold], other[other_folds != fold]
        test_real, test_other = real[real_folds == fold], other[other_folds == fold]
        if min(len(train_real), len(train_other), len(test_real), len(test_other)) == 0:
            continue
        torch.manual_seed(seed * 100 + fold)
        rng = np.random.default_rng(seed * 100 + fold)
        model = make_classifier(real.shape[-1])
        optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
        labels = torch.cat([torch.ones(batch // 2), torch.zeros(batch // 2)])
        model.train()
        for _ in range(steps):
            picked = np.concatenate([train_real[rng.integers(0, len(train_real), batch // 2)],
                                     train_other[rng.integers(0, len(train_other), batch // 2)]])
            picked = np.stack([dihedral(sample, k) for sample, k in zip(picked, rng.integers(0, 8, batch))])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                model(torch.from_numpy(np.ascontiguousarray(picked))).squeeze(1), labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        real_right = float(np.mean(mean_logits(model, test_real) > 0))
        other_right = float(np.mean(mean_logits(model, test_other) <= 0))
        results.append(0.5 * (real_right + other_right))
    return results


@dataclass
class WindowSet:
    """Real windows at one size, as classifier input, with their spatial folds."""

    size: int
    folds: int
    description: str  # where the real windows and their folds come from
    real: np.ndarray
    real_folds: np.ndarray
    scale: dict
    parts_as_folds: bool  # True: fold 0 is the training part, fold 1 the held-out part
    heldout_regions: list  # (fold, Rect) of the held-out part, when it is a candidate at this size


def windows_of_regions(values: np.ndarray, regions: list, size: int, folds: int) -> tuple:
    raw, fold_ids = [], []
    for number, rect in regions:
        found = windows_in(values, rect, size, max(4, size // 16))
        raw += found
        fold_ids += [number % folds] * len(found)
    return raw, fold_ids


def real_windows(train_values: np.ndarray, train_blocks: list, heldout_values: np.ndarray, heldout_blocks: list,
                 size: int, pixel: tuple, max_folds: int) -> WindowSet:
    """Real windows of the training part in spatial folds, each fold a piece of every block; where windows are too
    large for that, two folds: the training part and the held-out part (both hold every kind of terrain; folds of
    single blocks would train the classifier on one kind of terrain and test it on another)."""
    regions, diverse = fold_regions(train_blocks, size)
    if diverse:
        folds = min(len({number for number, _ in regions}), max_folds)
        raw, fold_ids = windows_of_regions(train_values, regions, size, folds)
        heldout_regions = fold_regions(heldout_blocks, size)[0]
        description = (f"training part, {folds} spatial folds, each a piece of every block: "
                       + "; ".join(f"fold {number % folds}: {rect}" for number, rect in sorted(
                           regions, key=lambda region: (region[0] % folds, region[1].top, region[1].left))))
    else:
        folds = 2
        raw, fold_ids = windows_of_regions(train_values, list(enumerate(train_blocks)), size, 1)
        more, _ = windows_of_regions(heldout_values, list(enumerate(heldout_blocks)), size, 1)
        raw, fold_ids, heldout_regions = raw + more, fold_ids + [1] * len(more), []
        description = ("training part (fold 0) and held-out part (fold 1): its blocks are too small to cut into "
                       f"pieces that hold {size} px windows")
    train_raw = [w for w, f in zip(raw, fold_ids) if diverse or f == 0]  # the scale: training part only
    slopes = np.concatenate([metrics.slope_degrees(w, *pixel).ravel() for w in train_raw])
    scale = {"spread": realism.relief_spread(train_raw), "slope_mean": float(slopes.mean()),
             "slope_std": float(slopes.std())}
    return WindowSet(size, folds, description, channels(raw, pixel, scale), np.array(fold_ids), scale, not diverse,
                     heldout_regions)


def candidate_windows(entry: Entry, size: int, folds: int, regions: list = None) -> tuple:
    """(windows, fold ids) of a candidate: by raster (seed), or by region for the real held-out part."""
    if regions is not None:
        raw, fold_ids = windows_of_regions(entry.rasters[0], regions, size, folds)
        return raw, np.array(fold_ids)
    raw, fold_ids = [], []
    for number, raster in enumerate(entry.rasters):
        found = windows_in(raster, Rect(0, 0, *raster.shape), size, size // 2)
        raw += found
        fold_ids += [number % folds] * len(found)
    return raw, np.array(fold_ids)


# ---------------------------------------------------------------------------------------------- memorisation
class NearestTraining:
    """Exact RMSE of relief from a window to its nearest training window (every position, all 8 flips/rotations)."""

    def __init__(self, train_values: np.ndarray, size: int):
        valid = np.isfinite(train_values)
        centred = np.where(valid, train_values - np.nanmean(train_values), 0.0).astype(np.float64)
        self.size, self.n = size, size * size
        self.shape = train_values.shape
        self.fft_shape = tuple(scipy.fft.next_fast_len(s, real=True) for s in self.shape)
        self.spectrum = scipy.fft.rfft2(centred, s=self.fft_shape, workers=1)
        box = lambda a: self._box(a)  # noqa: E731
        self.sums, squares = box(centred), box(centred ** 2)
        self.residual = squares - self.sums ** 2 / self.n  # sum of (window - its mean)^2 at every position
        self.usable = box((~valid).astype(np.float64)) < 0.5
        self.positions = int(self.usable.sum())

    def _box(self, values: np.ndarray) -> np.ndarray:
        """Sum over every size x size window, indexed by its top-left corner."""
        s = self.size
        padded = np.pad(values, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
        return padded[s:, s:] - padded[:-s, s:] - padded[s:, :-s] + padded[:-s, :-s]

    def distance(self, window: np.ndarray) -> float:
        g = window.astype(np.float64) - window.mean()
        kernels = np.stack([dihedral(g, k) for k in range(8)])
        cross = scipy.fft.irfft2(self.spectrum[None] * np.conj(scipy.fft.rfft2(kernels, s=self.fft_shape, workers=1)),
                                 s=self.fft_shape, workers=1)
        rows, cols = self.shape[0] - self.size + 1, self.shape[1] - self.size + 1
        squared = float((g ** 2).sum()) + self.residual[None] - 2.0 * cross[:, :rows, :cols]
        best = np.min(np.where(self.usable[None], squared, np.inf))
        return float(np.sqrt(max(best, 0.0) / self.n))


def memorisation(entry: Entry, nearest: NearestTraining, windows: list, cap: int, rng) -> None:
    if len(windows) > cap:
        windows = [windows[i] for i in sorted(rng.choice(len(windows), cap, replace=False))]
    entry.memorisation[nearest.size] = np.array([nearest.distance(w) for w in windows])
    entry.own_relief[nearest.size] = np.array([float(np.std(w)) for w in windows])


# ---------------------------------------------------------------------------------------------- tables
def mean_of(entry: Entry, key: str) -> float:
    values = [d[key] for d in entry.descriptors if np.isfinite(d[key])]
    return float(np.mean(values)) if values else float("nan")


def descriptor_cell(entry: Entry, key: str, fmt) -> str:
    values = [d[key] for d in entry.descriptors]
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return "n/a"
    if len(values) == 1:
        return fmt(finite[0])
    return f"{fmt(np.mean(finite))} ({fmt(min(finite))} to {fmt(max(finite))})" + (
        f" [{len(values) - len(finite)} n/a]" if len(finite) < len(values) else "")


def accuracy_cell(entry: Entry, size: int) -> str:
    values = entry.accuracy.get(size)
    if not values:
        return "n/a"
    return f"{np.mean(values):.2f} ({min(values):.2f} to {max(values):.2f})"


def checks(entry: Entry, real: dict, sizes: list) -> list:
    """('PASS' or 'MISS', sentence) for every 'Done when' check of issue 8."""
    lines = []
    depressions, goal = mean_of(entry, "depression_fraction"), DEPRESSION_FACTOR * real["depression_fraction"]
    lines.append((depressions <= goal, f"closed depressions {100 * depressions:.2f} % (mean of {len(entry.rasters)} "
                  f"rasters) <= {DEPRESSION_FACTOR:g} x the sample DEM's {100 * real['depression_fraction']:.2f} % = "
                  f"{100 * goal:.2f} %"))
    beta = mean_of(entry, "drainage_exponent")
    lines.append((abs(beta - real["drainage_exponent"]) <= BETA_TOLERANCE,
                  f"beta {beta:.3f} within {BETA_TOLERANCE} of the sample DEM's {real['drainage_exponent']:.3f} "
                  f"(difference {beta - real['drainage_exponent']:+.3f})"))
    for size in sizes:
        values = entry.accuracy.get(size) or [float("nan")]
        lines.append((float(np.mean(values)) <= ACCURACY_GOAL,
                      f"classifier accuracy at {size} px {np.mean(values):.2f} <= {ACCURACY_GOAL}"))
    return [("PASS" if ok else "MISS", text) for ok, text in lines]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/landscape.py", parents=[common.common_options()],
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-model", default=None,
                        help="the model from before issue 8, trained on build/bench/landscape_train.tif (default: "
                             "build/bench/baseline_model.pt when it exists)")
    parser.add_argument("--baseline-code", default=None,
                        help="a checkout whose core/ generates the baseline's rasters (default: this one), for a model "
                             "this code no longer loads")
    parser.add_argument("--rasters", type=int, default=4, help="rasters (seeds) per candidate (default 4)")
    parser.add_argument("--size", type=int, default=512, help="side of each candidate raster in pixels (default 512)")
    parser.add_argument("--windows", type=int, nargs="+", default=[64, 128],
                        help="window sizes of the classifier test and the memorisation check (default 64 128)")
    parser.add_argument("--classifier-steps", type=int, default=500,
                        help="training steps of the classifier per fold (default 500, batch 32)")
    parser.add_argument("--memorisation-windows", type=int, default=96,
                        help="windows per candidate in the memorisation check (default 96)")
    parser.add_argument("--dimensions", type=float, nargs="+", default=[2.15],
                        help="fractal dimensions for r.surf.fractal (default 2.15, the best of bench/realism.py)")
    parser.add_argument("--no-grass", action="store_true", help="leave out r.surf.fractal")
    parser.add_argument("--dem", default=common.SAMPLE_DEM, help="the DEM to split (default: the sample DEM)")
    args = parser.parse_args(argv)
    if args.quick:
        args.iterations = args.iterations or QUICK_ITERATIONS
        args.rasters, args.size = min(args.rasters, 2), min(args.size, 256)
        args.classifier_steps = min(args.classifier_steps, 60)
        args.memorisation_windows = min(args.memorisation_windows, 12)
    if args.rasters < 2:
        parser.error("--rasters must be at least 2 (the classifier's folds take the rasters in turn)")
    args.tile_size = TILE  # read by bench/realism.py's generators
    os.makedirs(args.work_dir, exist_ok=True)
    started = time.perf_counter()
    load_before = common.load_average()
    timings = []

    def lap(name: str, since: float) -> float:
        timings.append((name, time.perf_counter() - since))
        return time.perf_counter()

    # ---- split
    tic = time.perf_counter()
    dem = read_band(args.dem)
    values = dem.values.astype(np.float64)
    pixel = grid_pixel_metres(dem.grid)
    split_rows, train_blocks, heldout_blocks = compare_splits(values, pixel)
    train_values, heldout_values = masked(values, train_blocks), masked(values, heldout_blocks)
    train_path = os.path.join(args.work_dir, "landscape_train.tif")
    heldout_path = os.path.join(args.work_dir, "landscape_heldout.tif")
    write_like(args.dem, train_values, train_path)
    write_like(args.dem, heldout_values, heldout_path)
    train_values, heldout_values = train_values.astype(np.float64), heldout_values.astype(np.float64)
    whole = real_entry("real: whole sample DEM", values, pixel, "")
    training = real_entry("real: training part", train_values, pixel, "")
    heldout = real_entry("real: held-out part (floor)", heldout_values, pixel,
                         "the held-out blocks, measured as the candidates")
    for entry in (whole, training, heldout):
        entry.descriptors = [drainage_descriptors(entry.rasters[0], *pixel)]
    train_tiles = realism.tiles_of(train_values, TILE, TILE_STRIDE)
    heldout_tiles = realism.tiles_of(heldout_values, TILE, TILE_STRIDE)
    args.spectral_beta = -metrics.mean_spectrum(train_tiles, float(np.sqrt(pixel[0] * pixel[1]))).slope
    spread, mean = realism.relief_spread(train_tiles), float(np.nanmean(train_values))
    setup = (f"{os.path.basename(args.dem)} ({values.shape[1]} x {values.shape[0]} px, pixels {pixel[0]:.1f} x "
             f"{pixel[1]:.1f} m), {CHOSEN}: training part {' + '.join(map(str, train_blocks))} "
             f"({common.display_path(train_path)}, held-out blocks as nodata); held out "
             f"{' + '.join(map(str, heldout_blocks))}. Candidates: {args.rasters} rasters of {args.size} x {args.size} "
             f"px (seeds 1 to {args.rasters}).")
    print(setup)
    print("\nCandidate splits (part A: blocks with even row + column, B: odd; relief spread, slope and spectral slope "
          "over 64 px tiles every 16 px; drainage descriptors on the whole part)")
    print(common.text_table(PART_HEADER, split_rows), flush=True)
    tic = lap("split and real descriptors", tic)

    # ---- candidates
    seeds = list(range(1, args.rasters + 1))
    geogan = geogan_entry(args, train_path, seeds)
    tic = lap("GeoGAN training and generation" if not args.model else "GeoGAN generation", tic)
    baseline, baseline_is_geogan = baseline_entry(args, train_path, seeds)
    tic = lap("baseline generation", tic)
    fractals, grass_why = fractal_entries(args, spread, mean, pixel, seeds)
    tic = lap("fBm and r.surf.fractal", tic)
    candidates = [geogan, baseline, *fractals]
    measured = [entry for entry in candidates if not entry.missing and not (entry is baseline and baseline_is_geogan)]

    # ---- drainage descriptors
    for entry in measured:
        entry.descriptors = [drainage_descriptors(raster, *entry.pixel) for raster in entry.rasters]
    tic = lap("drainage descriptors", tic)

    # ---- old score against the new held-out part
    floor = metrics.compare(heldout_tiles, train_tiles, *pixel)
    floor["tiles"], floor["spread"] = len(train_tiles), spread
    for entry in measured:
        entry.old = realism.Candidate(entry.name, [r.astype(np.float32) for r in entry.rasters])
        realism.evaluate(entry.old, heldout_tiles, floor, entry.pixel, TILE)
        tiles = [t for r in entry.rasters for t in realism.tiles_of(r, TILE, TILE)]
        entry.old.distances["tiles"], entry.old.distances["spread"] = len(tiles), realism.relief_spread(tiles)
    tic = lap("old score", tic)

    # ---- classifier two-sample test
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    random_split = Entry("real: two random halves of the real windows (floor)")
    window_sets = {}
    for size in args.windows:
        ws = real_windows(train_values, train_blocks, heldout_values, heldout_blocks, size, pixel,
                          max_folds=min(4, args.rasters))
        window_sets[size] = ws
        print(f"Classifier at {size} px: {len(ws.real)} real windows from the {ws.description} ...", flush=True)
        half = np.random.default_rng(size).permutation(len(ws.real)) < len(ws.real) // 2
        random_split.accuracy[size] = balanced_accuracy(ws.real[half], ws.real[~half], ws.real_folds[half],
                                                        ws.real_folds[~half], ws.folds, args.classifier_steps, 32, 0)
        for entry in ([] if ws.parts_as_folds else [heldout]) + measured:
            raw, fold_ids = candidate_windows(entry, size, ws.folds, ws.heldout_regions if entry is heldout else None)
            entry.accuracy[size] = balanced_accuracy(ws.real, channels(raw, entry.pixel, ws.scale), ws.real_folds,
                                                     fold_ids, ws.folds, args.classifier_steps, 32, 1)
    torch.set_num_threads(threads)
    tic = lap("classifier two-sample test", tic)

    # ---- memorisation
    for size in args.windows:
        nearest = NearestTraining(train_values, size)
        rng = np.random.default_rng(size)
        held = [w for rect in heldout_blocks for w in windows_in(heldout_values, rect, size, 16)]
        memorisation(heldout, nearest, held, args.memorisation_windows, rng)
        for entry in measured:
            raw = [w for raster in entry.rasters for w in windows_in(raster, Rect(0, 0, *raster.shape), size, size)]
            memorisation(entry, nearest, raw, args.memorisation_windows, rng)
    tic = lap("memorisation check", tic)
    if baseline_is_geogan and not geogan.missing:
        for key in ("rasters", "pixel", "descriptors", "old", "accuracy", "memorisation", "own_relief", "settings"):
            setattr(baseline, key, getattr(geogan, key))
        baseline.old = dataclasses.replace(geogan.old, name=baseline.name)
    shown = [entry for entry in candidates if not entry.missing]

    # ---- tables
    sizes = list(args.windows)
    rows_all = [whole, training, heldout, random_split, *candidates]
    drainage_header = ["raster", *[label for _, label, _ in DESCRIPTORS], "rasters"]
    drainage_rows = []
    for entry in [whole, training, heldout, *candidates]:
        if entry.missing:
            drainage_rows.append([entry.name, entry.missing, *[""] * len(DESCRIPTORS)])
        else:
            drainage_rows.append([entry.name, *[descriptor_cell(entry, key, fmt) for key, _, fmt in DESCRIPTORS],
                                  len(entry.descriptors)])

    (distance_header, distance_rows), (ratio_header, ratio_rows) = realism.tables(
        floor, "real: training part (floor)", [e.old for e in shown])

    def relative(entry: Entry, size: int) -> float:
        return float(np.median(entry.memorisation[size] / np.maximum(entry.own_relief[size], 1e-9)))

    def memo_cells(entry: Entry, size: int) -> list:
        """Median distance, ratio to the held-out part's, median distance / own relief RMS, and that ratio."""
        distances = entry.memorisation.get(size)
        if distances is None or not len(distances):
            return ["n/a"] * 4
        return [f"{np.median(distances):.1f}", f"{np.median(distances) / np.median(heldout.memorisation[size]):.2f}",
                f"{relative(entry, size):.2f}", f"{relative(entry, size) / relative(heldout, size):.2f}"]

    summary_header = ["candidate", "depressions %", "beta", *[f"classifier {s} px" for s in sizes],
                      *[f"memorisation ratio {s} px (relative)" for s in sizes], "old score"]
    summary_rows = []
    for entry in rows_all:
        if entry.missing:
            summary_rows.append([entry.name, entry.missing, *[""] * (len(summary_header) - 2)])
            continue
        old = f"{realism.score_of(entry.old.distances, floor):.2f}" if entry.old else (
            "1.00 (by definition)" if entry is training else "")
        summary_rows.append([
            entry.name,
            descriptor_cell(entry, "depression_fraction", DESCRIPTORS[0][2]) if entry.descriptors else "",
            descriptor_cell(entry, "drainage_exponent", DESCRIPTORS[2][2]) if entry.descriptors else "",
            *[accuracy_cell(entry, s) if entry.accuracy else "" for s in sizes],
            *[f"{memo_cells(entry, s)[1]} ({memo_cells(entry, s)[3]})" if entry.memorisation else "" for s in sizes],
            old])

    classifier_header = ["candidate", *[f"accuracy {s} px: mean (folds)" for s in sizes],
                         *[f"windows {s} px" for s in sizes]]
    classifier_rows = []
    for entry in [random_split, heldout, *shown]:
        counts = []
        for s in sizes:
            ws = window_sets[s]
            if entry is random_split:
                counts.append(f"{len(ws.real)} real, halved at random")
            elif entry is heldout and ws.parts_as_folds:
                counts.append("(real windows of fold 1)")
            else:
                other = candidate_windows(entry, s, ws.folds, ws.heldout_regions if entry is heldout else None)[0]
                counts.append(f"{len(ws.real)} real vs {len(other)}")
        classifier_rows.append([entry.name, *[accuracy_cell(entry, s) for s in sizes], *counts])
    classifier_notes = "\n".join(f"- {s} px: real windows from the {window_sets[s].description}" for s in sizes)

    memo_header = ["candidate", "window px", "windows", "median RMSE to nearest training window m",
                   "ratio to held-out real", "median RMSE / own relief RMS", "own relief RMS m"]
    memo_rows = []
    for size in sizes:
        for entry in [heldout, *shown]:
            distances = entry.memorisation.get(size)
            memo_rows.append([entry.name, size, len(distances), *memo_cells(entry, size)[:3],
                              f"{np.median(entry.own_relief[size]):.1f}"])

    old_caveat = (f"The old score's floor is small on this split (relief {floor['RELIEF_W1']:.1f} m, slope "
                  f"{floor['SLOPE_W1']:.2f} deg) because the parts were chosen for matching relief and slope, so "
                  "every ratio is larger than with bench/realism.py's left/right split; compare candidates with each "
                  "other.")
    memo_caveat = ("A candidate with less relief than the real terrain is nearer to every training window without "
                   "copying any; the column 'RMSE / own relief RMS' divides by each window's own relief.")
    real_reference = whole.descriptors[0]
    check_lines = {entry.name: checks(entry, real_reference, sizes) for entry in (geogan, baseline)
                   if not entry.missing}
    total = time.perf_counter() - started
    timing_line = "; ".join(f"{name} {seconds:.0f} s" for name, seconds in timings) + f"; whole benchmark {total:.0f} s"

    print("\nDrainage descriptors on whole rasters (candidates: mean over rasters, range in brackets)")
    print(common.text_table(drainage_header, drainage_rows))
    print("\nOld score against the new held-out part: distances to its 64 px tiles (1-Wasserstein)")
    print(common.text_table(distance_header, distance_rows))
    print("\nOld score: ratios to the real-vs-real floor; SCORE = mean of the four (1.0 = as close as real terrain)")
    print(common.text_table(ratio_header, ratio_rows))
    print(old_caveat)
    print("\nClassifier two-sample test: balanced accuracy on held-out folds (0.5: cannot tell them apart)")
    print(common.text_table(classifier_header, classifier_rows))
    print(classifier_notes)
    print("\nMemorisation: relief RMSE of each window to its nearest training window (any position, 8 flips/rotations)")
    print(common.text_table(memo_header, memo_rows))
    print(memo_caveat)
    print("\nSummary")
    print(common.text_table(summary_header, summary_rows))
    print("\nIssue 8 'Done when' checks:")
    for name, lines in check_lines.items():
        for status, text in lines:
            print(f"  {status} {name}: {text}")
    for entry in candidates:
        if entry.note:
            print(f"  {entry.name}: {entry.note}")
    print(f"Time: {timing_line}.")

    default_settings = not args.quick and not args.iterations and not args.model
    if common.should_record(args, default_settings):
        notes = "\n".join(f"- {e.name}: {e.note}" + (f"; settings `{e.settings}`" if e.settings else "")
                          for e in candidates)
        check_text = "\n".join(f"- {status} {name}: {text}" for name, lines in check_lines.items()
                               for status, text in lines)
        shared = ("" if default_settings else
                  " Not the product's default training settings (quick check or a given model).")
        common.append_results(f"""## Landscape (issue 8), {common.now_utc()}

`{common.command_line()}` on {common.machine_line()}; torch {torch.__version__}, {threads} thread(s) for training and \
1 for the classifier, code {common.code_version()}. Load average before {load_before}, after \
{common.load_average()} (a load near or above the core count means other work shared the CPU and the times are \
inflated).{shared}

{setup}

Candidate splits (A: blocks with even row + column; relief spread, slope and spectral slope over 64 px tiles every \
16 px; drainage descriptors on the whole part):

{common.markdown_table(PART_HEADER, split_rows)}

Summary (classifier: balanced accuracy on held-out folds, 0.5 = cannot tell; memorisation ratio: median distance to \
the nearest training window over the held-out part's, far below 1 = copies, and in brackets the same for distances \
divided by each window's own relief RMS, which a flatter candidate cannot lower without copying; old score: \
bench/realism.py's against the new held-out part, 1.0 = as close as real terrain):

{common.markdown_table(summary_header, summary_rows)}

Checks ('Done when' of issue 8):

{check_text}

Drainage descriptors on whole rasters (mean over rasters, range in brackets):

{common.markdown_table(drainage_header, drainage_rows)}

Classifier two-sample test:

{common.markdown_table(classifier_header, classifier_rows)}

{classifier_notes}

Memorisation check:

{common.markdown_table(memo_header, memo_rows)}

{memo_caveat}

Old score, distances to the held-out part's 64 px tiles:

{common.markdown_table(distance_header, distance_rows)}

Old score, ratios to the floor:

{common.markdown_table(ratio_header, ratio_rows)}

{old_caveat}

Time: {timing_line}.

{notes}
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
