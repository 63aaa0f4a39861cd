"""Incomplete-data benchmark (issue 10): GeoGAN's void filling and super-resolution against what GIS users run today.

Data. The sample DEM (resources/jacksboro_dem.tif: 403 x 344 px, WGS84 geographic, 3 arc-seconds, about 75 x 93 m
per pixel at its latitude; core.terrain.grid_pixel_metres at its middle row) is cut into a 2 x 2 checkerboard of
blocks at its middle column and row (bench/landscape.py's split). The north-west and south-east blocks are the training
part: the models are trained on a GeoTIFF of the whole DEM with the other two blocks set to nodata (-9999). Every test
void and every super-resolution test area lies inside the north-east and south-west blocks, so no cell whose truth is
measured was ever a training cell. The context around a void may come from anywhere in the real DEM (training blocks
included): that is what a user has.

Voids (Reuter et al. 2007 style: artificial voids cut into real terrain where the truth is known). Sizes 8, 16, 32 and
64 px; the size is the side of a square void or of the box that holds an irregular blob (Gaussian-smoothed noise plus
a centred bump, thresholded to about 45 % of the box, its largest piece with holes filled). Shapes alternate square,
blob, square, ... Positions are drawn with a fixed seed inside the two test blocks (alternately), at least 4 px from
the DEM's edge, and never overlap, with at least 4 px between the boxes; as many as fit of 4 x 64 px, 8 x 32 px,
16 x 16 px and 24 x 8 px. One raster per size (the real DEM with that size's voids as nodata -9999), so sizes do not
interact. Each is filled by:
- `geogan:fillvoids` (MODEL trained by `geogan:trainfill` on the training part, DEVICE, SEED 0);
- `gdal:fillnodata` (inverse-distance interpolation, gdal_fillnodata) through processing.run, default settings but a
  maximum search distance of 100 px (the default 10 px leaves the middle of 32 and 64 px voids empty) and no
  smoothing iterations (the default);
- GRASS `r.fillnulls` through QGIS's GRASS Processing provider (`grass7:r.fillnulls` in QGIS 3.22) in-process, with
  its defaults (method rst: regularised spline with tension 40, smoothing 0.1, an edge of 3 cells). GRASS 8.2's
  r.fillnulls fails on a latitude-longitude grid ("Invalid input <n=n+0>": it grows its region by
  edge * 2 * resolution printed as an integer, 0 for degrees); the benchmark tries the geographic raster first and,
  when that fails, gives GRASS the same cells on a metric grid (pixel sizes in metres, UTM zone 16N), which is what a
  user would do by projecting the DEM first (without the resampling). The table says which.
Measures inside the voids only, pooled over the voids of one size: RMSE (m); mean absolute slope error (degrees;
slope by gdal.DEMProcessing on the grid in metres, computeEdges, which is scale 111120 corrected for the shorter
degrees of longitude at this latitude); the boundary step: mean absolute gradient (|dz| / pixel distance) across the
void edge (4-neighbour pairs with one cell in the void) divided by the mean absolute gradient of the 4-neighbour pairs
of the 4 px ring of real cells around the voids (1.0: no visible seam; the truth's own value is shown as a reference);
cells left unfilled and valid cells changed. Goal (issue 10): GeoGAN's RMSE at most 0.7 x the better of the two
baselines for voids of 16 px and larger, and the smallest slope error.

Super-resolution at factors 2, 4 and 8. Each test block, cut at its top-left to 168 x 200 px (a multiple of 8), is
block-averaged by the factor (numpy reshape-mean) and written as a GeoTIFF on the coarse grid (same extent, pixels
factor times larger). It is sharpened back to the fine grid by `geogan:superresolve` (MODEL trained by
`geogan:trainsuperres` with that FACTOR on the training part), bicubic (`gdal:warpreproject`, cubic resampling,
target resolution the fine pixel size and the area's extent, so the output grid is the truth's; checked) and nearest
(the same with nearest). Measures against the truth, pooled over both areas: RMSE (m), mean absolute slope error
(degrees), and the spectrum at fine scales: each area's radially averaged power spectrum (plane removed, Hann window,
frequencies in cycles per metre) summed over octaves of wavelength, the finest octave from 2 to 4 coarser-axis pixels
(the Nyquist limit of the fine grid's larger pixel side), then 4-8 and 8-16 px; the ratio of a method's power to the
truth's (1.0: the right amount of detail at that scale; bicubic falls well below). Also the largest absolute difference
between the block averages of each output and the coarse input (GeoGAN promises equality within a tolerance). Goal:
GeoGAN's RMSE at most 0.8 x bicubic's at 4x, and a fine-scale spectrum that matches the truth where bicubic falls off.

Models: processing.run("geogan:trainfill", ...) and processing.run("geogan:trainsuperres", ...) once per factor, on
the training part, with the algorithms' defaults (ITERATIONS, TILE_SIZE, BATCH_SIZE as the dialogs show them)
unless --iterations or --quick say otherwise (--quick: 20 iterations, batch 4; not recorded). Each training is timed
(wall-clock seconds of processing.run) and the times are in the tables and the closing note. --reuse-models reuses
models of an earlier run found in the work dir (with their recorded training times) instead of training.

Output: tables on stdout; with --record (the default for a run at default settings) a section appended to
bench/RESULTS.md and the picture copied to docs/incomplete_data.png. The picture (work dir, incomplete_data.png):
hillshades and errors of one large void (truth, the input with its void, each method) and of one 4x area (truth,
coarse input, nearest, bicubic, GeoGAN).

    python bench/incomplete_data.py [--quick | --iterations N] [--reuse-models] [--no-grass] [--device auto|cpu|cuda]
"""

import argparse
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field

import common  # puts the repository on sys.path
import landscape
import numpy as np
from osgeo import gdal, osr
from scipy import ndimage

from core.raster_io import read_band
from core.terrain import grid_pixel_metres, hillshade

gdal.UseExceptions()

VOID_SIZES = (8, 16, 32, 64)
VOIDS_PER_SIZE = {8: 24, 16: 16, 32: 8, 64: 4}  # at most; fewer when no more fit
GAP = 4  # px between the boxes of two voids
BORDER = 4  # px between a void and the DEM's edge
RING = 4  # px: the ring of real cells around the voids whose gradients are "elsewhere" for the boundary step
PLACEMENT_SEED = 10
FILLNODATA_DISTANCE = 100  # px; gdal:fillnodata's default of 10 leaves the middle of 32 and 64 px voids empty
FACTORS = (2, 4, 8)
SR_MULTIPLE = 8  # the super-resolution areas are cut to a multiple of the largest factor
QUICK_ITERATIONS, QUICK_BATCH = 20, 4
FILL_GOAL, FILL_GOAL_FROM = 0.7, 16
SR_GOAL, SR_GOAL_FACTOR = 0.8, 4
NODATA = -9999.0
OCTAVES = ((2, 4), (4, 8), (8, 16))  # wavelength ranges in (coarser-axis) pixels of the fine grid
FILL_METHODS = ("GeoGAN fillvoids", "gdal:fillnodata", "GRASS r.fillnulls")
SR_METHODS = ("GeoGAN superresolve", "bicubic", "nearest")
GEOGAN_ALGORITHMS = ("geogan:trainfill", "geogan:fillvoids", "geogan:trainsuperres", "geogan:superresolve")
DEVICES = {"auto": 0, "cpu": 1, "cuda": 2}


@dataclass
class Void:
    size: int
    shape: str  # square or blob
    top: int
    left: int
    mask: np.ndarray  # bool, size x size: the void cells of the box
    block: str


@dataclass
class Outcome:
    """One method on one void size or one super-resolution factor."""

    method: str
    measures: dict = field(default_factory=dict)
    seconds: float = 0.0
    missing: str = ""  # why it was not measured ("" when it was)
    note: str = ""


@dataclass
class Model:
    name: str
    algorithm: str
    path: str
    params: dict = field(default_factory=dict)
    seconds: float = 0.0
    reused: bool = False
    missing: str = ""
    factor: int = 0  # super-resolution models: the factor (FACTOR is the index of its option)


# ---------------------------------------------------------------------------------------------- rasters
def write_raster(path: str, values: np.ndarray, geotransform: tuple, wkt: str) -> str:
    """A float32 GeoTIFF, NaN written as nodata -9999."""
    out = gdal.GetDriverByName("GTiff").Create(path, values.shape[1], values.shape[0], 1, gdal.GDT_Float32,
                                               ["COMPRESS=DEFLATE", "TILED=YES"])
    out.SetGeoTransform(tuple(geotransform))
    out.SetProjection(wkt)
    band = out.GetRasterBand(1)
    band.SetNoDataValue(NODATA)
    band.WriteArray(np.where(np.isfinite(values), values, NODATA).astype(np.float32))
    band, out = None, None
    return path


def read_raster(path: str) -> tuple:
    """(values as float64 with NaN for nodata, geotransform)."""
    dataset = gdal.Open(path)
    band = dataset.GetRasterBand(1)
    values = band.ReadAsArray().astype(np.float64)
    nodata = band.GetNoDataValue()
    if nodata is not None:
        values[values == nodata] = np.nan
    geotransform = dataset.GetGeoTransform()
    band, dataset = None, None
    return values, geotransform


def same_grid(geotransform: tuple, shape: tuple, expected_geotransform: tuple, expected_shape: tuple) -> str:
    """'' when the grids agree (to 1e-6 of a pixel), else what differs."""
    if tuple(shape) != tuple(expected_shape):
        return f"{shape[1]} x {shape[0]} px instead of {expected_shape[1]} x {expected_shape[0]}"
    pixel = abs(expected_geotransform[1])
    offsets = [abs(a - b) / pixel for a, b in zip(geotransform, expected_geotransform)]
    if max(offsets) > 1e-6:
        return (f"geotransform {tuple(round(v, 10) for v in geotransform)} instead of "
                f"{tuple(round(v, 10) for v in expected_geotransform)} (off by {max(offsets):.3g} px)")
    return ""


def sub_geotransform(geotransform: tuple, top: int, left: int, factor: int = 1) -> tuple:
    g = geotransform
    return (g[0] + left * g[1] + top * g[2], g[1] * factor, g[2], g[3] + left * g[4] + top * g[5], g[4], g[5] * factor)


# ---------------------------------------------------------------------------------------------- voids
def blob_mask(size: int, rng: np.random.Generator) -> np.ndarray:
    """An irregular blob inside a size x size box: smoothed noise plus a centred bump, thresholded to about half."""
    noise = ndimage.gaussian_filter(rng.standard_normal((size, size)), sigma=max(1.0, size / 8), mode="reflect")
    noise /= noise.std() or 1.0
    centre = (size - 1) / 2
    rows, cols = np.mgrid[0:size, 0:size]
    field_ = 3.0 * (1 - np.hypot(rows - centre, cols - centre) / (size / 2)) + noise
    mask = field_ > np.quantile(field_, 0.55)
    labels, count = ndimage.label(mask)
    if count > 1:
        mask = labels == (1 + int(np.argmax(ndimage.sum(mask, labels, range(1, count + 1)))))
    return ndimage.binary_fill_holes(mask)


def place_voids(shape: tuple, blocks: list, names: list, sizes: tuple, seed: int) -> dict:
    """size -> voids at seeded positions inside the test blocks (alternately), apart from each other."""
    placed = {}
    for size in sizes:
        rng = np.random.default_rng([seed, size])  # each size's voids the same whichever sizes are run
        voids, boxes = [], []
        for number in range(VOIDS_PER_SIZE.get(size, 8)):
            which = number % len(blocks)
            block = blocks[which]
            top_range = (max(block.top, BORDER), min(block.top + block.height, shape[0] - BORDER) - size)
            left_range = (max(block.left, BORDER), min(block.left + block.width, shape[1] - BORDER) - size)
            if top_range[1] < top_range[0] or left_range[1] < left_range[0]:
                continue
            for _ in range(2000):
                top = int(rng.integers(top_range[0], top_range[1] + 1))
                left = int(rng.integers(left_range[0], left_range[1] + 1))
                if all(top >= t + s + GAP or t >= top + size + GAP or left >= l + s + GAP or l >= left + size + GAP
                       for t, l, s in boxes):
                    break
            else:
                continue  # no room left in this block
            shape_name = "square" if number % 2 == 0 else "blob"
            mask = np.ones((size, size), bool) if shape_name == "square" else blob_mask(size, rng)
            boxes.append((top, left, size))
            voids.append(Void(size, shape_name, top, left, mask, names[which]))
        placed[size] = voids
    return placed


def void_mask(shape: tuple, voids: list) -> np.ndarray:
    mask = np.zeros(shape, bool)
    for void in voids:
        mask[void.top:void.top + void.size, void.left:void.left + void.size] |= void.mask
    return mask


# ---------------------------------------------------------------------------------------------- measures
def slope_map(values: np.ndarray, pixel: tuple) -> np.ndarray:
    """Slope in degrees by gdal.DEMProcessing on the grid in metres (NaN where the input is NaN)."""
    rows, cols = values.shape
    source = gdal.GetDriverByName("MEM").Create("", cols, rows, 1, gdal.GDT_Float64)
    source.SetGeoTransform((0.0, pixel[0], 0.0, 0.0, 0.0, -pixel[1]))
    band = source.GetRasterBand(1)
    band.SetNoDataValue(NODATA)
    band.WriteArray(np.where(np.isfinite(values), values, NODATA))
    slope = gdal.DEMProcessing("", source, "slope", format="MEM", computeEdges=True, scale=1.0)
    out_band = slope.GetRasterBand(1)
    result = out_band.ReadAsArray().astype(np.float64)
    nodata = out_band.GetNoDataValue()
    if nodata is not None:
        result[result == nodata] = np.nan
    result[~np.isfinite(values)] = np.nan
    return result


def neighbour_gradients(values: np.ndarray, pixel: tuple, select) -> np.ndarray:
    """|dz| / distance of the 4-neighbour pairs (a, b) for which select(a_index_mask, b_index_mask) holds."""
    gradients = []
    for axis, distance in ((1, pixel[0]), (0, pixel[1])):
        a = values[:, :-1] if axis == 1 else values[:-1, :]
        b = values[:, 1:] if axis == 1 else values[1:, :]
        chosen = select(axis) & np.isfinite(a) & np.isfinite(b)
        gradients.append(np.abs(a - b)[chosen] / distance)
    return np.concatenate(gradients)


def pair_masks(mask: np.ndarray, axis: int) -> tuple:
    return (mask[:, :-1], mask[:, 1:]) if axis == 1 else (mask[:-1, :], mask[1:, :])


def boundary_step(values: np.ndarray, voids_mask: np.ndarray, pixel: tuple) -> float:
    """Mean |gradient| across the void edges over mean |gradient| in the ring of real cells around the voids."""
    ring = ndimage.binary_dilation(voids_mask, structure=np.ones((3, 3), bool), iterations=RING) & ~voids_mask

    def across(axis):
        a, b = pair_masks(voids_mask, axis)
        return a ^ b

    def in_ring(axis):
        a, b = pair_masks(ring, axis)
        return a & b

    edge, elsewhere = neighbour_gradients(values, pixel, across), neighbour_gradients(values, pixel, in_ring)
    if not edge.size or not elsewhere.size or elsewhere.mean() == 0:
        return float("nan")
    return float(edge.mean() / elsewhere.mean())


def octave_powers(values: np.ndarray, pixel: tuple) -> list:
    """Power summed over each octave of OCTAVES (radially, cycles per metre; plane removed, Hann window)."""
    rows, cols = values.shape
    yy, xx = np.mgrid[0:rows, 0:cols]
    design = np.column_stack([xx.ravel(), yy.ravel(), np.ones(xx.size)])
    coefficients, *_ = np.linalg.lstsq(design, values.ravel(), rcond=None)
    detrended = values - (design @ coefficients).reshape(rows, cols)
    power = np.abs(np.fft.fft2(detrended * np.outer(np.hanning(rows), np.hanning(cols)))) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(rows, pixel[1]), np.fft.fftfreq(cols, pixel[0]), indexing="ij")
    radius = np.hypot(fx, fy)
    coarser = max(pixel)
    return [float(power[(radius > 1.0 / (longest * coarser)) & (radius <= 1.0 / (shortest * coarser))].sum())
            for shortest, longest in OCTAVES]


def block_average(values: np.ndarray, factor: int) -> np.ndarray:
    rows, cols = values.shape
    return values.reshape(rows // factor, factor, cols // factor, factor).mean(axis=(1, 3))


# ---------------------------------------------------------------------------------------------- QGIS
class PrintingFeedback:
    """A QgsProcessingFeedback that prints messages (made lazily: qgis.core is imported after QGIS starts); training
    status lines ('step n/N') at most every STATUS_SECONDS, and the last one."""

    STATUS_SECONDS = 60.0

    @staticmethod
    def make(prefix: str = "    "):
        from qgis.core import QgsProcessingFeedback

        class Printing(QgsProcessingFeedback):
            def __init__(self):
                super().__init__()
                self.errors = []
                self.last_status = -float("inf")

            def pushInfo(self, info):
                step = re.search(r"step (\d+)/(\d+)", info)
                if step and step.group(1) != step.group(2):
                    if time.monotonic() - self.last_status < PrintingFeedback.STATUS_SECONDS:
                        return
                    self.last_status = time.monotonic()
                print(prefix + info, flush=True)

            def pushWarning(self, warning):
                print(prefix + "warning: " + warning, flush=True)

            def reportError(self, error, fatalError=False):
                self.errors.append(error)
                print(prefix + "error: " + error, flush=True)

        return Printing()


class CollectingFeedback:
    @staticmethod
    def make():
        from qgis.core import QgsProcessingFeedback

        class Collecting(QgsProcessingFeedback):
            def __init__(self):
                super().__init__()
                self.errors = []

            def reportError(self, error, fatalError=False):
                self.errors.append(error.strip())

        return Collecting()


def run_algorithm(algorithm: str, params: dict, verbose: bool = False) -> tuple:
    """(result dict, seconds, errors reported) of processing.run; raises what processing.run raises."""
    import processing

    feedback = PrintingFeedback.make() if verbose else CollectingFeedback.make()
    started = time.perf_counter()
    result = processing.run(algorithm, params, feedback=feedback)
    return result, time.perf_counter() - started, feedback.errors


def geogan_missing() -> str:
    """'' when the four GeoGAN algorithms of issue 10 are registered, else which are not."""
    from qgis.core import QgsApplication

    registry = QgsApplication.processingRegistry()
    absent = [name for name in GEOGAN_ALGORITHMS if registry.algorithmById(name) is None]
    if absent:
        return (f"{', '.join(absent)} not in the built plugin (build/plugins; rebuild with make package once the "
                f"algorithms are committed)")
    return ""


def grass_algorithm() -> tuple:
    """(algorithm id of r.fillnulls, '') or (None, why it is not available)."""
    from qgis.core import QgsApplication

    registry = QgsApplication.processingRegistry()
    for name in ("grass7:r.fillnulls", "grass:r.fillnulls"):
        if registry.algorithmById(name) is not None:
            return name, ""
    import qgis.utils

    # QGIS 3.22 ships the GRASS provider as the core plugin 'grassprovider' (Processing usually loads it already).
    if qgis.utils.loadPlugin("grassprovider"):
        qgis.utils.startProcessingPlugin("grassprovider")
    for name in ("grass7:r.fillnulls", "grass:r.fillnulls"):
        if registry.algorithmById(name) is not None:
            if not shutil.which("grass") and not any(shutil.which(f"grass{v}") for v in ("82", "80", "78")):
                return None, "GRASS GIS is not installed (Debian package grass-core)"
            return name, ""
    return None, "QGIS's GRASS provider is not available (the grassprovider plugin did not load)"


def algorithm_default(algorithm: str, name: str):
    from qgis.core import QgsApplication

    definition = QgsApplication.processingRegistry().algorithmById(algorithm).parameterDefinition(name)
    return None if definition is None else definition.defaultValue()


# ---------------------------------------------------------------------------------------------- models
def train_models(args, train_path: str, factors: tuple, device: int) -> list:
    """Train (or reuse) the fill model and one super-resolution model per factor."""
    jobs = [("fill", "geogan:trainfill", "incomplete_fill.pt", {})]
    jobs += [(f"superres {factor}x", "geogan:trainsuperres", f"incomplete_superres_{factor}x.pt",
              {"FACTOR": factor_option(factor)}) for factor in factors]
    models = []
    for name, algorithm, filename, extra in jobs:
        path = os.path.join(args.models_dir, filename)
        params = {"INPUT_LAYERS": [train_path], "BAND": 1,
                  "TILE_SIZE": algorithm_default(algorithm, "TILE_SIZE"),
                  "ITERATIONS": args.iterations or algorithm_default(algorithm, "ITERATIONS"),
                  "BATCH_SIZE": QUICK_BATCH if args.quick else algorithm_default(algorithm, "BATCH_SIZE"),
                  "DEVICE": device, "SEED": 0, **extra, "OUTPUT_MODEL": path}
        model = Model(name, algorithm, path, params, factor=int(name.split()[-1][:-1]) if extra else 0)
        sidecar = path + ".json"
        if args.reuse_models and os.path.exists(path) and os.path.exists(sidecar):
            with open(sidecar) as facts:
                recorded = json.load(facts)
            model.params, model.seconds, model.reused = recorded["params"], recorded["seconds"], True
            print(f"Reusing {common.display_path(path)} ({name}, trained in {model.seconds:.0f} s).", flush=True)
            models.append(model)
            continue
        for stale in (path, sidecar):
            if os.path.exists(stale):
                os.remove(stale)
        shown = {k: v for k, v in params.items() if k not in ("INPUT_LAYERS", "OUTPUT_MODEL")}
        print(f"Training the {name} model: {algorithm} {shown} ...", flush=True)
        try:
            _, model.seconds, _ = run_algorithm(algorithm, params, verbose=True)
        except Exception as error:  # noqa: BLE001  (a failed training is reported in the tables)
            model.missing = f"{algorithm} failed: {one_line(error)}"
            print(f"  {model.missing}", flush=True)
            models.append(model)
            continue
        if not os.path.exists(path):
            model.missing = f"{algorithm} wrote no model file"
        else:
            with open(sidecar, "w") as facts:
                json.dump({"params": params, "seconds": model.seconds}, facts)
            print(f"  trained in {model.seconds:.0f} s", flush=True)
        models.append(model)
    return models


def factor_option(factor: int) -> int:
    """The index of the factor among geogan:trainsuperres's FACTOR options (an enum: 0 is 2, 1 is 4, 2 is 8)."""
    from qgis.core import QgsApplication

    definition = QgsApplication.processingRegistry().algorithmById("geogan:trainsuperres").parameterDefinition("FACTOR")
    options = definition.options() if hasattr(definition, "options") else []
    return options.index(str(factor)) if str(factor) in options else factor


def one_line(error) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= 300 else text[:297] + "..."


# ---------------------------------------------------------------------------------------------- voids: methods
class GrassRunner:
    """r.fillnulls through the GRASS provider: on the geographic grid if GRASS can, else on a metric grid."""

    def __init__(self, algorithm: str, folder: str, grid_wkt: str, geotransform: tuple, pixel: tuple):
        self.algorithm, self.folder = algorithm, folder
        self.geographic_wkt, self.geotransform, self.pixel = grid_wkt, geotransform, pixel
        self.metric = None  # decided on the first run: None (not yet), False (geographic works), True (metric)
        self.why_metric = ""
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(32616)
        self.metric_wkt = srs.ExportToWkt()
        source = osr.SpatialReference()
        source.ImportFromWkt(grid_wkt)
        source.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        x, y, _ = osr.CoordinateTransformation(source, srs).TransformPoint(geotransform[0], geotransform[3])
        self.metric_geotransform = (round(x), pixel[0], 0.0, round(y), 0.0, -pixel[1])

    def _run(self, values: np.ndarray, name: str, metric: bool) -> tuple:
        geotransform, wkt = ((self.metric_geotransform, self.metric_wkt) if metric
                             else (self.geotransform, self.geographic_wkt))
        suffix = "_metric" if metric else ""
        source = write_raster(os.path.join(self.folder, f"{name}_grass_input{suffix}.tif"), values, geotransform, wkt)
        output = os.path.join(self.folder, f"{name}_grass{suffix}.tif")
        if os.path.exists(output):
            os.remove(output)
        _, seconds, errors = run_algorithm(self.algorithm, {"input": source, "output": output})
        if not os.path.exists(output):
            raise RuntimeError(next((e for e in errors if "Invalid input" in e), errors[0] if errors else
                                    "no output written"))
        filled, out_geotransform = read_raster(output)
        mismatch = same_grid(out_geotransform, filled.shape, geotransform, values.shape)
        if mismatch:
            raise RuntimeError(f"output grid differs from the input's: {mismatch}")
        return filled, seconds

    def fill(self, values: np.ndarray, name: str) -> tuple:
        """(filled values, seconds, note)."""
        if self.metric is None:
            try:
                filled, seconds = self._run(values, name, metric=False)
                self.metric = False
                return filled, seconds, ""
            except RuntimeError as error:
                self.metric, self.why_metric = True, one_line(error)
                print(f"  r.fillnulls failed on the geographic grid ({self.why_metric}); using the same cells on a "
                      f"metric grid (EPSG:32616, {self.pixel[0]:.1f} x {self.pixel[1]:.1f} m pixels).", flush=True)
        filled, seconds = self._run(values, name, metric=self.metric)
        return filled, seconds, ("metric grid" if self.metric else "")


def fill_measures(filled: np.ndarray, truth: np.ndarray, truth_slope: np.ndarray, voids_mask: np.ndarray,
                  pixel: tuple) -> dict:
    inside = voids_mask & np.isfinite(filled)
    error = filled[inside] - truth[inside]
    slope = slope_map(filled, pixel)
    slope_inside = inside & np.isfinite(slope)
    outside = ~voids_mask & np.isfinite(truth)
    changed = outside & ~(filled == truth)
    return {"cells": int(voids_mask.sum()), "unfilled": int((voids_mask & ~np.isfinite(filled)).sum()),
            "rmse": float(np.sqrt(np.mean(error ** 2))) if error.size else float("nan"),
            "slope": float(np.mean(np.abs(slope[slope_inside] - truth_slope[slope_inside])))
            if slope_inside.any() else float("nan"),
            "step": boundary_step(filled, voids_mask, pixel), "changed": int(changed.sum())}


def run_voids(args, dem: dict, placed: dict, models: dict, grass, geogan_why: str, device: int) -> tuple:
    """(size -> list of Outcome, size -> truth's boundary step, size -> filled arrays by method, for the picture)."""
    truth, pixel = dem["values"], dem["pixel"]
    truth_slope = slope_map(truth, pixel)
    results, truth_steps, arrays = {}, {}, {}
    fill_model = models.get("fill")
    for size, voids in placed.items():
        if not voids:
            continue
        mask = void_mask(truth.shape, voids)
        values = np.where(mask, np.nan, truth)
        name = f"voids_{size}px"
        source = write_raster(os.path.join(args.data_dir, f"{name}.tif"), values, dem["geotransform"], dem["wkt"])
        truth_steps[size] = boundary_step(truth, mask, pixel)
        print(f"Voids of {size} px: {len(voids)} voids, {int(mask.sum())} cells ({common.display_path(source)})",
              flush=True)
        outcomes, filled_arrays = [], {"input": values}
        for method in FILL_METHODS:
            outcome = Outcome(method)
            outcomes.append(outcome)
            output = os.path.join(args.data_dir, f"{name}_{method.split()[-1].replace(':', '_')}.tif")
            try:
                if method.startswith("GeoGAN"):
                    if geogan_why or fill_model is None or fill_model.missing:
                        outcome.missing = geogan_why or (fill_model.missing if fill_model else "no model")
                        continue
                    _, outcome.seconds, _ = run_algorithm("geogan:fillvoids", {
                        "MODEL": fill_model.path, "INPUT": source, "BAND": 1, "DEVICE": device, "SEED": 0,
                        "OUTPUT": output})
                    filled, geotransform = read_raster(output)
                elif method == "gdal:fillnodata":
                    _, outcome.seconds, _ = run_algorithm("gdal:fillnodata", {
                        "INPUT": source, "BAND": 1, "DISTANCE": FILLNODATA_DISTANCE, "ITERATIONS": 0,
                        "NO_MASK": False, "OUTPUT": output})
                    filled, geotransform = read_raster(output)
                else:
                    if isinstance(grass, str):
                        outcome.missing = grass
                        continue
                    filled, outcome.seconds, outcome.note = grass.fill(values, name)
                    geotransform = dem["geotransform"]
            except Exception as error:  # noqa: BLE001  (a failing method is a finding, reported in the table)
                outcome.missing = f"failed: {one_line(error)}"
                print(f"  {method}: {outcome.missing}", flush=True)
                continue
            mismatch = same_grid(geotransform, filled.shape, dem["geotransform"], truth.shape)
            if mismatch:
                outcome.missing = f"output grid differs: {mismatch}"
                print(f"  {method}: {outcome.missing}", flush=True)
                continue
            outcome.measures = fill_measures(filled, truth, truth_slope, mask, pixel)
            filled_arrays[method] = filled
            m = outcome.measures
            print(f"  {method}: RMSE {m['rmse']:.2f} m, slope error {m['slope']:.2f} deg, boundary step "
                  f"{m['step']:.2f}, {outcome.seconds:.1f} s", flush=True)
        results[size], arrays[size] = outcomes, filled_arrays
    return results, truth_steps, arrays


# ---------------------------------------------------------------------------------------------- super-resolution
def sr_areas(blocks: list, names: list) -> list:
    return [(name, landscape.Rect(block.top, block.left, block.height - block.height % SR_MULTIPLE,
                                  block.width - block.width % SR_MULTIPLE)) for block, name in zip(blocks, names)]


def warp_params(source: str, resampling: int, geotransform: tuple, shape: tuple, authid: str, output: str) -> dict:
    xmin, ymax = geotransform[0], geotransform[3]
    xmax, ymin = xmin + shape[1] * geotransform[1], ymax + shape[0] * geotransform[5]
    return {"INPUT": source, "SOURCE_CRS": None, "TARGET_CRS": None, "RESAMPLING": resampling, "NODATA": None,
            "TARGET_RESOLUTION": abs(geotransform[1]), "OPTIONS": "", "DATA_TYPE": 0,
            "TARGET_EXTENT": f"{xmin!r},{xmax!r},{ymin!r},{ymax!r} [{authid}]", "TARGET_EXTENT_CRS": None,
            "MULTITHREADING": False, "EXTRA": "", "OUTPUT": output}


def run_superres(args, dem: dict, areas: list, models: dict, geogan_why: str, device: int, factors: tuple) -> tuple:
    """(factor -> list of Outcome, factor -> {area name: {method: fine array}} for the picture)."""
    truth_all, pixel = dem["values"], dem["pixel"]
    truths = {name: truth_all[r.top:r.top + r.height, r.left:r.left + r.width] for name, r in areas}
    truth_slopes = {name: slope_map(values, pixel) for name, values in truths.items()}
    truth_power = {name: octave_powers(values, pixel) for name, values in truths.items()}
    results, arrays = {}, {}
    if abs(abs(dem["geotransform"][1]) - abs(dem["geotransform"][5])) > 1e-12 * abs(dem["geotransform"][1]):
        print("Warning: the DEM's pixels are not square in its CRS; gdal:warpreproject takes one resolution.")
    for factor in factors:
        print(f"Super-resolution {factor}x:", flush=True)
        model = models.get(f"superres {factor}x")
        collected = {method: {} for method in SR_METHODS}
        outcomes = {method: Outcome(method) for method in SR_METHODS}
        arrays[factor] = {}
        for name, rect in areas:
            fine_geotransform = sub_geotransform(dem["geotransform"], rect.top, rect.left)
            coarse = block_average(truths[name].astype(np.float64), factor)
            coarse_path = write_raster(os.path.join(args.data_dir, f"superres_{factor}x_{name}_coarse.tif"), coarse,
                                       sub_geotransform(dem["geotransform"], rect.top, rect.left, factor), dem["wkt"])
            arrays[factor][name] = {"coarse": coarse, "truth": truths[name]}
            for method in SR_METHODS:
                outcome = outcomes[method]
                if outcome.missing:
                    continue
                output = os.path.join(args.data_dir, f"superres_{factor}x_{name}_{method.split()[-1]}.tif")
                try:
                    if method.startswith("GeoGAN"):
                        if geogan_why or model is None or model.missing:
                            outcome.missing = geogan_why or (model.missing if model else "no model")
                            continue
                        _, seconds, _ = run_algorithm("geogan:superresolve", {
                            "MODEL": model.path, "INPUT": coarse_path, "BAND": 1, "DEVICE": device, "SEED": 0,
                            "OUTPUT": output})
                    else:
                        _, seconds, _ = run_algorithm("gdal:warpreproject", warp_params(
                            coarse_path, 2 if method == "bicubic" else 0, fine_geotransform, rect_shape(rect),
                            dem["authid"], output))
                    fine, geotransform = read_raster(output)
                except Exception as error:  # noqa: BLE001  (a failing method is a finding, reported in the table)
                    outcome.missing = f"failed: {one_line(error)}"
                    print(f"  {method}: {outcome.missing}", flush=True)
                    continue
                mismatch = same_grid(geotransform, fine.shape, fine_geotransform, rect_shape(rect))
                if mismatch:
                    outcome.missing = f"output grid differs from the truth's: {mismatch}"
                    print(f"  {method}: {outcome.missing}", flush=True)
                    continue
                outcome.seconds += seconds
                collected[method][name] = (fine, coarse)
                arrays[factor][name][method] = fine
        for method in SR_METHODS:
            outcome = outcomes[method]
            if outcome.missing:
                continue
            errors, slope_errors, block_diffs, nan_cells = [], [], [], 0
            powers = np.zeros(len(OCTAVES))
            truth_powers = np.zeros(len(OCTAVES))
            for name, (fine, coarse) in collected[method].items():
                finite = np.isfinite(fine)
                nan_cells += int((~finite).sum())
                errors.append((fine - truths[name])[finite])
                slope = slope_map(fine, pixel)
                ok = np.isfinite(slope) & np.isfinite(truth_slopes[name])
                slope_errors.append(np.abs(slope - truth_slopes[name])[ok])
                block_diffs.append(float(np.nanmax(np.abs(block_average(fine, factor) - coarse))))
                powers += octave_powers(np.where(finite, fine, np.nanmean(fine)), pixel)
                truth_powers += truth_power[name]
            error = np.concatenate(errors)
            outcome.measures = {"rmse": float(np.sqrt(np.mean(error ** 2))),
                                "slope": float(np.mean(np.concatenate(slope_errors))),
                                "power": [float(p / t) for p, t in zip(powers, truth_powers)],
                                "block": max(block_diffs), "nodata": nan_cells}
            m = outcome.measures
            print(f"  {method}: RMSE {m['rmse']:.2f} m, slope error {m['slope']:.2f} deg, fine power ratio "
                  f"{m['power'][0]:.2f}, block-average max abs diff {m['block']:.3g} m, {outcome.seconds:.1f} s",
                  flush=True)
        results[factor] = [outcomes[method] for method in SR_METHODS]
    return results, arrays


def rect_shape(rect) -> tuple:
    return (rect.height, rect.width)


# ---------------------------------------------------------------------------------------------- tables
def fmt(value, digits: int = 2) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def model_table(models: list) -> tuple:
    header = ["model", "algorithm", "iterations", "tile", "batch", "factor", "training s"]
    rows = []
    for model in models:
        p = model.params
        rows.append([model.name, model.algorithm, p.get("ITERATIONS"), p.get("TILE_SIZE"), p.get("BATCH_SIZE"),
                     f"{model.factor} (option {p.get('FACTOR')})" if model.factor else "", model.missing or (f"{model.seconds:.0f}"
                                                            + (" (reused)" if model.reused else ""))])
    return header, rows


def void_table(results: dict, truth_steps: dict, placed: dict) -> tuple:
    header = ["void size", "method", "voids", "cells", "RMSE m", "slope error deg", "boundary step", "unfilled",
              "valid cells changed", "run s"]
    rows = []
    for size, outcomes in results.items():
        voids = placed[size]
        count = f"{len(voids)} ({sum(v.shape == 'square' for v in voids)} sq)"
        cells = int(sum(v.mask.sum() for v in voids))
        rows.append([f"{size} px", "truth (reference)", count, cells, "0", "0", fmt(truth_steps[size]), "", "", ""])
        for outcome in outcomes:
            name = outcome.method + (f" ({outcome.note})" if outcome.note else "")
            if outcome.missing:
                rows.append([f"{size} px", name, count, cells, "not run", "", "", "", "", ""])
                continue
            m = outcome.measures
            rows.append([f"{size} px", name, count, cells, fmt(m["rmse"]), fmt(m["slope"]), fmt(m["step"]),
                         m["unfilled"], m["changed"], f"{outcome.seconds:.1f}"])
    return header, rows


def void_goal_table(results: dict) -> tuple:
    header = ["void size", "GeoGAN RMSE m", "best baseline", "its RMSE m", "ratio", f"goal <= {FILL_GOAL}",
              "smallest slope error"]
    rows = []
    for size, outcomes in results.items():
        geogan = outcomes[0]
        baselines = [o for o in outcomes[1:] if not o.missing and np.isfinite(o.measures["rmse"])]
        best = min(baselines, key=lambda o: o.measures["rmse"]) if baselines else None
        if geogan.missing or best is None:
            rows.append([f"{size} px", "not run" if geogan.missing else fmt(geogan.measures["rmse"]),
                         best.method if best else "none", fmt(best.measures["rmse"]) if best else "", "", "", ""])
            continue
        ratio = geogan.measures["rmse"] / best.measures["rmse"]
        goal = ("PASS" if ratio <= FILL_GOAL else "MISS") if size >= FILL_GOAL_FROM else "(no goal below 16 px)"
        smallest = all(geogan.measures["slope"] < o.measures["slope"] for o in baselines)
        best_slope = min(baselines, key=lambda o: o.measures["slope"])
        rows.append([f"{size} px", fmt(geogan.measures["rmse"]), best.method, fmt(best.measures["rmse"]),
                     f"{ratio:.2f}", goal,
                     "PASS" if smallest else f"MISS ({best_slope.method} {fmt(best_slope.measures['slope'])})"])
    return header, rows


def sr_table(results: dict) -> tuple:
    header = ["factor", "method", "RMSE m", "slope error deg",
              *[f"power ratio {a}-{b} px" for a, b in OCTAVES], "block-average max abs diff m", "run s"]
    rows = []
    for factor, outcomes in results.items():
        rows.append([f"{factor}x", "truth (reference)", "0", "0", *["1.00"] * len(OCTAVES), "0", ""])
        for outcome in outcomes:
            if outcome.missing:
                rows.append([f"{factor}x", outcome.method, "not run", "", *[""] * len(OCTAVES), "", ""])
                continue
            m = outcome.measures
            rows.append([f"{factor}x", outcome.method, fmt(m["rmse"]), fmt(m["slope"]),
                         *[fmt(p) for p in m["power"]], f"{m['block']:.2g}"
                         + (f" ({m['nodata']} nodata cells)" if m["nodata"] else ""), f"{outcome.seconds:.1f}"])
    return header, rows


def sr_goal_table(results: dict) -> tuple:
    header = ["factor", "GeoGAN RMSE m", "bicubic RMSE m", "ratio", f"goal <= {SR_GOAL} at {SR_GOAL_FACTOR}x",
              "GeoGAN fine power", "bicubic fine power"]
    rows = []
    for factor, outcomes in results.items():
        geogan, bicubic = outcomes[0], outcomes[1]
        if geogan.missing or bicubic.missing:
            rows.append([f"{factor}x", "not run" if geogan.missing else fmt(geogan.measures["rmse"]),
                         "not run" if bicubic.missing else fmt(bicubic.measures["rmse"]), "", "", "", ""])
            continue
        ratio = geogan.measures["rmse"] / bicubic.measures["rmse"]
        goal = ("PASS" if ratio <= SR_GOAL else "MISS") if factor == SR_GOAL_FACTOR else ""
        rows.append([f"{factor}x", fmt(geogan.measures["rmse"]), fmt(bicubic.measures["rmse"]), f"{ratio:.2f}", goal,
                     fmt(geogan.measures["power"][0]), fmt(bicubic.measures["power"][0])])
    return header, rows


def summary_line(void_results: dict, sr_results: dict, models: list, geogan_why: str) -> str:
    """One closing sentence: the goals of issue 10 and the training times."""
    if geogan_why:
        return f"GeoGAN not measured ({geogan_why}); the tables hold the baselines only."
    parts = []
    ratios = []
    for size, outcomes in void_results.items():
        geogan = outcomes[0]
        baselines = [o for o in outcomes[1:] if not o.missing]
        if geogan.missing or not baselines:
            ratios.append(f"{size} px not measured")
            continue
        best = min(baselines, key=lambda o: o.measures["rmse"])
        ratios.append(f"{size} px {geogan.measures['rmse'] / best.measures['rmse']:.2f}")
    parts.append(f"Voids: GeoGAN's RMSE / the best baseline's {', '.join(ratios)} (goal <= {FILL_GOAL} from "
                 f"{FILL_GOAL_FROM} px)")
    sharpen = []
    for factor, outcomes in sr_results.items():
        geogan, bicubic = outcomes[0], outcomes[1]
        if geogan.missing or bicubic.missing:
            sharpen.append(f"{factor}x not measured")
            continue
        sharpen.append(f"{factor}x {geogan.measures['rmse'] / bicubic.measures['rmse']:.2f} (finest-octave power "
                       f"{geogan.measures['power'][0]:.2f} against bicubic's {bicubic.measures['power'][0]:.2f})")
    parts.append(f"super-resolution: GeoGAN's RMSE / bicubic's {', '.join(sharpen)} (goal <= {SR_GOAL} at "
                 f"{SR_GOAL_FACTOR}x)")
    trained = [f"{m.name} {m.seconds:.0f} s" + (" (reused)" if m.reused else "") if not m.missing
               else f"{m.name} failed" for m in models]
    parts.append(f"training times: {', '.join(trained)}")
    return "; ".join(parts) + "."


# ---------------------------------------------------------------------------------------------- picture
def picture(path: str, dem: dict, placed: dict, void_arrays: dict, sr_arrays: dict, areas: list) -> str:
    """Hillshades and errors of one large void and of one 4x area; '' when there is nothing to show."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    truth, pixel = dem["values"], dem["pixel"]
    size = max((s for s in (64, 32) if s in void_arrays), default=None)
    factor = 4 if 4 in sr_arrays else (max(sr_arrays) if sr_arrays else None)
    if size is None and factor is None:
        return ""
    rows = (2 if size else 0) + (2 if factor else 0)
    fig, axes = plt.subplots(rows, 6, figsize=(15.5, 3.1 * rows), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1, 1, 1, 1, 0.06]})
    for ax in axes.ravel():
        ax.set_axis_off()
    aspect = pixel[1] / pixel[0]  # pixels drawn with their true shape in metres
    row = 0

    def shade(ax, values, title, px=pixel, extent=None):
        ax.imshow(hillshade(np.where(np.isfinite(values), values, np.nanmean(values)), *px), cmap="gray",
                  vmin=0, vmax=1, interpolation="nearest", extent=extent, aspect=aspect)
        ax.set_title(title, fontsize=9)

    def errors(ax_row, start, items, limit, label):
        image = None
        for column, (title, error) in enumerate(items, start=start):
            image = axes[ax_row, column].imshow(error, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest",
                                                aspect=aspect)
            axes[ax_row, column].set_title(title, fontsize=9)
        if image is not None:
            axes[ax_row, 5].set_axis_on()
            fig.colorbar(image, cax=axes[ax_row, 5], label=label)

    if size:
        voids = placed[size]
        # the void of this size with the most relief (the hardest to fill)
        void = max(voids, key=lambda v: float(np.ptp(truth[v.top:v.top + v.size, v.left:v.left + v.size])))
        margin = max(16, size // 2)
        top, left = max(0, void.top - margin), max(0, void.left - margin)
        bottom = min(truth.shape[0], void.top + void.size + margin)
        right = min(truth.shape[1], void.left + void.size + margin)
        window = (slice(top, bottom), slice(left, right))
        filled = void_arrays[size]
        shade(axes[row, 0], truth[window], f"truth ({size} px {void.shape} void, {void.block} block)")
        axes[row, 1].imshow(np.where(np.isfinite(filled["input"][window]), hillshade(
            np.where(np.isfinite(filled["input"][window]), filled["input"][window], np.nanmean(truth[window])),
            *pixel), np.nan), cmap="gray", vmin=0, vmax=1, interpolation="nearest", aspect=aspect)
        axes[row, 1].set_title("input (void as nodata)", fontsize=9)
        methods = [m for m in FILL_METHODS if m in filled]
        order = [m for m in ("gdal:fillnodata", "GRASS r.fillnulls", "GeoGAN fillvoids") if m in methods]
        for column, method in enumerate(order, start=2):
            shade(axes[row, column], filled[method][window], method)
        mask = void_mask(truth.shape, voids)[window]
        items = [(f"error {m} (m)", np.where(mask, filled[m][window] - truth[window], np.nan)) for m in order]
        limit = max([float(np.nanmax(np.abs(e))) for _, e in items if np.isfinite(e).any()] or [1.0])
        errors(row + 1, 2, items, limit, "filled - truth (m)")
        axes[row + 1, 1].imshow(mask, cmap="gray_r", interpolation="nearest", aspect=aspect)
        axes[row + 1, 1].set_title("voids (black)", fontsize=9)
        row += 2
    if factor:
        name = areas[0][0]
        area = sr_arrays[factor][name]
        side = 96
        crop = (slice(0, side), slice(0, side))
        coarse_side = side // factor
        shade(axes[row, 0], area["truth"][crop], f"truth ({name} block, {side} px)")
        shade(axes[row, 1], area["coarse"][:coarse_side, :coarse_side], f"coarse input ({factor}x block average)",
              px=(pixel[0] * factor, pixel[1] * factor), extent=(-0.5, side - 0.5, side - 0.5, -0.5))
        order = [m for m in ("nearest", "bicubic", "GeoGAN superresolve") if m in area]
        for column, method in enumerate(order, start=2):
            shade(axes[row, column], area[method][crop], f"{method} {factor}x")
        items = [(f"error {m} (m)", area[m][crop] - area["truth"][crop]) for m in order]
        limit = max([float(np.nanmax(np.abs(e))) for _, e in items] or [1.0])
        errors(row + 1, 2, items, limit, "output - truth (m)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------- main
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/incomplete_data.py", parents=[common.common_options()],
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--reuse-models", action="store_true",
                        help="reuse the models an earlier run left in the work dir (with their training times) "
                             "instead of training new ones")
    parser.add_argument("--no-grass", action="store_true", help="leave out GRASS r.fillnulls")
    parser.add_argument("--device", choices=sorted(DEVICES), default="auto",
                        help="DEVICE of the GeoGAN algorithms (default auto: CUDA when PyTorch sees it)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(VOID_SIZES),
                        help="void sizes in px (default 8 16 32 64)")
    parser.add_argument("--factors", type=int, nargs="+", default=list(FACTORS), choices=FACTORS,
                        help="super-resolution factors (default 2 4 8)")
    parser.add_argument("--no-picture", action="store_true", help="do not draw the picture")
    args = parser.parse_args(argv)
    if args.quick and not args.iterations:
        args.iterations = QUICK_ITERATIONS
    if args.model:
        print(f"--model {args.model} is ignored: this benchmark trains its own fill and super-resolution models "
              f"(geogan:trainfill, geogan:trainsuperres); --reuse-models reuses those of an earlier run.")
    device = DEVICES[args.device]
    args.models_dir = os.path.join(args.work_dir, "incomplete_data")
    args.data_dir = args.models_dir
    os.makedirs(args.data_dir, exist_ok=True)
    started = time.perf_counter()
    load_before = common.load_average()

    import throughput

    application = throughput.start_qgis()  # noqa: F841  (kept alive for the whole run)
    from qgis.core import QgsCoordinateReferenceSystem

    # ---- data: the DEM, the split, the voids, the super-resolution areas
    raster = read_band(common.SAMPLE_DEM)
    grid = raster.grid
    pixel = grid_pixel_metres(grid)  # at the middle row's latitude
    authid = QgsCoordinateReferenceSystem.fromWkt(grid.crs_wkt).authid() or "EPSG:4326"
    dem = {"values": raster.values.astype(np.float64), "geotransform": tuple(grid.geotransform),
           "wkt": grid.crs_wkt, "pixel": pixel, "authid": authid}
    if np.isnan(dem["values"]).any():
        print("Warning: the DEM has nodata of its own; those cells are left out of every measure.")
    train_blocks, test_blocks = landscape.block_grid(dem["values"].shape, 2, 2)
    test_names = ["NE" if b.grid_row == 0 else "SW" for b in test_blocks]
    train_path = os.path.join(args.data_dir, "train_NW_SE.tif")
    write_raster(train_path, landscape.masked(dem["values"], train_blocks), dem["geotransform"], dem["wkt"])
    placed = place_voids(dem["values"].shape, test_blocks, test_names, tuple(args.sizes), PLACEMENT_SEED)
    training_mask = np.isfinite(landscape.masked(dem["values"], train_blocks))
    for voids in placed.values():
        assert not (void_mask(dem["values"].shape, voids) & training_mask).any(), "a void reaches a training block"
    areas = sr_areas(test_blocks, test_names)
    rows, cols = dem["values"].shape
    setup = (f"{os.path.basename(common.SAMPLE_DEM)} ({cols} x {rows} px, pixels {pixel[0]:.1f} x {pixel[1]:.1f} m). "
             f"Training part: blocks NW and SE ({', '.join(str(b) for b in train_blocks)}); test blocks: "
             + ", ".join(f"{n} ({b})" for n, b in zip(test_names, test_blocks)) + ". Voids: "
             + ", ".join(f"{len(v)} of {s} px" for s, v in placed.items())
             + f" (seeds [{PLACEMENT_SEED}, size]). Super-resolution areas: "
             + ", ".join(f"{n} {r.height} x {r.width} px ({r})" for n, r in areas) + ".")
    print(setup, flush=True)

    # ---- which methods can run
    geogan_why = geogan_missing()
    if geogan_why:
        print(f"GeoGAN left out: {geogan_why}.", flush=True)
    grass = "--no-grass"
    grass_note = "not run (--no-grass)"
    if not args.no_grass:
        algorithm, why = grass_algorithm()
        if algorithm:
            grass = GrassRunner(algorithm, args.data_dir, dem["wkt"], dem["geotransform"], pixel)
            grass_note = f"{algorithm} (QGIS's GRASS provider, in-process)"
        else:
            grass, grass_note = why, f"not run: {why}"
            print(f"GRASS r.fillnulls left out: {why}.", flush=True)

    # ---- models
    models = [] if geogan_why else train_models(args, train_path, tuple(args.factors), device)
    by_name = {model.name: model for model in models}

    # ---- runs
    void_results, truth_steps, void_arrays = run_voids(args, dem, placed, by_name, grass, geogan_why, device)
    sr_results, sr_arrays = run_superres(args, dem, areas, by_name, geogan_why, device, tuple(args.factors))
    if isinstance(grass, GrassRunner) and grass.metric:
        grass_note += (f"; on a metric grid (the same cells, EPSG:32616, pixels {pixel[0]:.1f} x {pixel[1]:.1f} m) "
                       f"because on the geographic grid it failed: {grass.why_metric}")

    # ---- tables
    tables = [("Models (trained on the training part; training s = wall-clock time of processing.run)",
               model_table(models)) if models else None,
              (("Voids: measures inside the voids (boundary step: mean |gradient| across the void edge / mean "
                f"|gradient| in the {RING} px ring around; 1.0 = no seam)"),
               void_table(void_results, truth_steps, placed)),
              ((f"Voids: GeoGAN against the best baseline (goal: RMSE ratio <= {FILL_GOAL} from {FILL_GOAL_FROM} "
                "px, smallest slope error)"), void_goal_table(void_results)),
              (("Super-resolution: measures against the truth (power ratio: method's / truth's power over "
                "wavelengths of that many fine pixels; 1.0 = the right amount of detail)"), sr_table(sr_results)),
              (f"Super-resolution: GeoGAN against bicubic (goal: RMSE ratio <= {SR_GOAL} at {SR_GOAL_FACTOR}x)",
               sr_goal_table(sr_results))]
    tables = [table for table in tables if table]
    for title, (header, table_rows) in tables:
        print(f"\n{title}")
        print(common.text_table(header, table_rows))

    picture_path = ""
    if not args.no_picture:
        picture_path = picture(os.path.join(args.work_dir, "incomplete_data.png"), dem, placed, void_arrays,
                               sr_arrays, areas)
        if picture_path:
            print(f"\nPicture: {common.display_path(picture_path)}")

    summary = summary_line(void_results, sr_results, models, geogan_why)
    print("\n" + summary)
    training = ", ".join(f"{m.name} {m.seconds:.0f} s" + (" (reused)" if m.reused else "")
                         for m in models if not m.missing)
    notes = [f"gdal:fillnodata: DISTANCE {FILLNODATA_DISTANCE} px, ITERATIONS 0 (no smoothing), the band's own mask.",
             f"GRASS r.fillnulls: {grass_note}.",
             ("bicubic / nearest: gdal:warpreproject, RESAMPLING cubic / nearest, TARGET_RESOLUTION the fine pixel "
              "size, TARGET_EXTENT the area's extent (output grid checked equal to the truth's)."),
             "GeoGAN: " + (f"not run: {geogan_why}." if geogan_why else
                           f"DEVICE {args.device}, SEED 0; training times: {training or 'none'}.")]
    total = time.perf_counter() - started
    print("\n" + "\n".join(notes))
    print(f"Benchmark took {total:.0f} s.")

    default_settings = (not args.quick and not args.iterations and tuple(args.sizes) == VOID_SIZES
                        and tuple(args.factors) == FACTORS and not args.no_grass)
    if common.should_record(args, default_settings):
        import torch

        if picture_path:
            docs = os.path.join(common.ROOT, "docs", "incomplete_data.png")
            shutil.copyfile(picture_path, docs)
            print(f"Picture copied to {common.display_path(docs)}")
        shared = "" if default_settings else " Not the default settings (quick check or options)."
        sections = "\n\n".join(f"{title}:\n\n{common.markdown_table(header, table_rows)}"
                               for title, (header, table_rows) in tables)
        common.append_results(f"""## Incomplete data: void filling and super-resolution (issue 10), {common.now_utc()}

`{common.command_line()}` on {common.machine_line()}; torch {torch.__version__} with {torch.get_num_threads()} \
threads, code {common.code_version()}. Load average before {load_before}, after {common.load_average()} \
(a load near or above the core count means other work shared the CPU and the times are inflated).{shared} \
Whole benchmark: {total:.0f} s.

{setup}

**{summary}**

{sections}

{chr(10).join('- ' + note for note in notes)}
""" + ("\n![Void filling and 4x super-resolution](../docs/incomplete_data.png)\n" if picture_path else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
