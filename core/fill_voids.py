"""Filling the voids (nodata cells) of a DEM with a void-filling model; also a command line:
python -m core.fill_voids --help.

Every void is filled in a window of the model's tile size centred on it, from the known cells around it (other
voids in the window count as unknown). Only void cells change: every valid cell is written as it was read. A void
wider or taller than the model learned (half its tile) is refused with a sentence, unless `max_void_size` or a
mask of the area to fill leaves it out (a collar of nodata around a scene, the sea), in which case it stays nodata.
"""

import argparse
import os
import sys

import numpy as np
import torch
from osgeo import gdal
from scipy import ndimage

from .checkpoint import VOID_FILLING
from .conditional_model import ConditionalModel, conditional_tags, load_conditional_model
from .devices import DEVICE_CHOICES, autocast, describe_device
from .errors import InputError
from .gdal_errors import gdal_message, gdal_raises
from .noise import spatial_noise
from .output_files import remove_quietly
from .output_formats import raster_output
from .placement import grid_bounds
from .progress import Reporter
from .raster_io import GeoTiffWriter, Grid, RasterSource
from .settings import FillSettings

WINDOWS_PER_BATCH = 16
DESCRIPTION = "elevation with voids filled (GeoGAN)"
MASK_DESCRIPTION = "1: cell filled by GeoGAN, 0: as measured"


@gdal_raises
def read_fill_area(mask_path: str, grid: Grid) -> np.ndarray:
    """Where voids may be filled: cells where the mask raster (resampled, nearest, onto `grid`) is non-zero."""
    try:
        warped = gdal.Warp("", mask_path, format="MEM", dstSRS=grid.crs_wkt or None, outputBounds=grid_bounds(grid),
                           width=grid.width, height=grid.height, resampleAlg="near",
                           dstNodata=float("nan"), outputType=gdal.GDT_Float32)
        values = warped.GetRasterBand(1).ReadAsArray()
    except RuntimeError as error:
        raise InputError(f"The mask {mask_path} could not be read onto the DEM's grid ({gdal_message(error)}); "
                         f"choose a raster that GDAL reads, covering the DEM.") from error
    # Outside the mask, and its nodata, are NaN (a nodata of 0 would make GDAL 3.11+ nudge true zeros to 1e-45).
    return np.isfinite(values) & (values != 0)


def find_voids(values: np.ndarray, fill_area: np.ndarray, largest: int, max_void_size: int) -> tuple:
    """(voids to fill as (slices, cells) pairs, number of voids left as nodata).

    Voids are 8-connected groups of nodata cells inside fill_area; a void's size is its bounding box's longer side."""
    labels, count = ndimage.label(~np.isfinite(values) & fill_area, structure=np.ones((3, 3)))
    if count == 0:
        return [], 0
    fill, left_out, too_large = [], 0, []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        side = max(box[0].stop - box[0].start, box[1].stop - box[1].start)
        if max_void_size and side > max_void_size:
            left_out += 1
        elif side > largest:
            too_large.append((box[1].stop - box[1].start, box[0].stop - box[0].start, box))
        else:
            fill.append((box, labels[box] == index))
    if too_large:
        width, height, box = max(too_large, key=lambda item: max(item[0], item[1]))
        raise InputError(
            f"The input has {len(too_large)} void(s) larger than this model can fill; the largest is {width} x "
            f"{height} "
            f"pixels (top-left at row {box[0].start}, column {box[1].start}), and the model fills voids up to "
            f"{largest} x {largest} pixels (half its {2 * largest}-pixel training tile). Set the maximum void size "
            f"to leave larger voids as nodata, give a mask of the area to fill, or train a model with a larger tile.")
    return fill, left_out


def _window_origin(box: tuple, window: int, shape: tuple) -> tuple:
    """Top-left of a window of side `window` centred on the void's bounding box, inside the raster where it fits."""
    origin = []
    for axis in range(2):
        centre = (box[axis].start + box[axis].stop) // 2
        start = centre - window // 2
        inside = max(0, min(start, shape[axis] - window))
        origin.append(inside if shape[axis] >= window else (shape[axis] - window) // 2)
    return tuple(origin)


def _read_window(values: np.ndarray, top: int, left: int, window: int) -> np.ndarray:
    """values[top:top + window, left:left + window], NaN where the window reaches past the raster."""
    out = np.full((window, window), np.nan, dtype=np.float32)
    rows = slice(max(top, 0), min(top + window, values.shape[0]))
    cols = slice(max(left, 0), min(left + window, values.shape[1]))
    out[rows.start - top:rows.stop - top, cols.start - left:cols.stop - left] = values[rows, cols]
    return out


def _fill_batch(model: ConditionalModel, windows: list, seed: int) -> np.ndarray:
    """Filled windows (n, side, side) in elevation units, for windows given as (top, left, elevations)."""
    scale = model.relief_scale
    relief, known, noise, centres = [], [], [], []
    for top, left, elevations in windows:
        valid = np.isfinite(elevations)
        centre = float(elevations[valid].mean())
        relief.append(np.where(valid, (elevations - centre) / scale, 0.0).astype(np.float32))
        known.append(valid.astype(np.float32))
        noise.append(spatial_noise(seed, top, left, *elevations.shape, 1)[0])
        centres.append(centre)

    def batch(arrays):
        stacked = torch.from_numpy(np.stack(arrays)[:, None]).to(model.device)
        return stacked.contiguous(memory_format=torch.channels_last)

    with torch.inference_mode(), autocast(model.device):
        filled = model.generator(batch(noise), batch(relief), batch(known)).float()[:, 0].cpu().numpy()
    return filled * scale + np.asarray(centres, dtype=np.float32)[:, None, None]


def fill_window_side(model: ConditionalModel) -> int:
    """The side of the window each void is filled in: the training tile, rounded up to what the U-Net takes."""
    multiple = model.generator.window_multiple
    return -(-model.settings.tile_size // multiple) * multiple


def without_context(values: np.ndarray, voids: list, window: int) -> tuple:
    """(voids whose window holds known cells, number of voids whose window holds none: nothing to fill them from)."""
    kept = []
    for box, cells in voids:
        top, left = _window_origin(box, window, values.shape)
        if np.isfinite(_read_window(values, top, left, window)).any():
            kept.append((box, cells))
    return kept, len(voids) - len(kept)


def fill_array(model: ConditionalModel, values: np.ndarray, voids: list, seed: int, reporter: Reporter) -> np.ndarray:
    """A copy of values with the given voids ((slices, cells) pairs from find_voids) filled; each void's window
    must hold known cells (without_context)."""
    window = fill_window_side(model)
    filled = values.copy()
    for start in range(0, len(voids), WINDOWS_PER_BATCH):
        reporter.check_cancelled()
        group = voids[start:start + WINDOWS_PER_BATCH]
        origins = [_window_origin(box, window, values.shape) for box, _ in group]
        windows = [(top, left, _read_window(values, top, left, window)) for top, left in origins]
        for (box, cells), (top, left), result in zip(group, origins, _fill_batch(model, windows, seed)):
            rows = slice(box[0].start - top, box[0].stop - top)
            cols = slice(box[1].start - left, box[1].stop - left)
            filled[box][cells] = result[rows, cols][cells]
        reporter.progress(100.0 * min(start + WINDOWS_PER_BATCH, len(voids)) / len(voids))
    return filled


def fill_voids(model_path: str, input_path: str, output_path: str, band: int = 1, device: str = "auto", seed: int = 0,
               max_void_size: int = 0, mask_path: str = "", filled_mask_path: str = "",
               reporter: Reporter = None) -> dict:
    """Write `input_path`'s band with its voids filled to `output_path` (float32, tagged); returns a summary.

    max_void_size (pixels, 0: no limit): larger voids stay nodata. mask_path: a raster whose non-zero cells are
    the area to fill (nodata elsewhere stays nodata). filled_mask_path: also write where cells were filled (1) or
    not (0)."""
    reporter = reporter or Reporter()
    if max_void_size < 0:
        raise InputError(f"The maximum void size must be 0 (no limit) or a number of pixels (got {max_void_size}).")
    if filled_mask_path and os.path.abspath(filled_mask_path) == os.path.abspath(output_path):
        raise InputError("The filled-cells mask and the output are the same file; choose another name for the mask.")
    model = load_conditional_model(model_path, VOID_FILLING, device)
    source = RasterSource(input_path, band)
    values = np.array(source.read(0, 0, *source.shape), dtype=np.float32)
    fill_area = read_fill_area(mask_path, source.grid) if mask_path else np.ones(values.shape, dtype=bool)
    if not np.isfinite(values).any():
        raise InputError(f"{source.name} holds only nodata in band {band}; there is nothing to fill the voids from.")
    voids, too_large = find_voids(values, fill_area, model.settings.largest_void, max_void_size)
    voids, isolated = without_context(values, voids, fill_window_side(model))
    notes = [f"{too_large} void(s) larger than {max_void_size} pixels"] if too_large else []
    notes += [f"{isolated} void(s) with no known cell within {fill_window_side(model) // 2} pixels"] if isolated else []
    left_out = too_large + isolated
    if not voids:
        why = f" ({' and '.join(notes)} are left as they are)" if notes else ""
        raise InputError(f"{source.name} has no voids (nodata cells) to fill in band {band}{why}; nothing was written.")
    reporter.log(f"Filling {len(voids)} void(s) of {source.name} with {model.name} on {describe_device(model.device)}"
                 + (f"; {' and '.join(notes)} stay nodata." if notes else "."))
    filled = fill_array(model, values, voids, seed, reporter)
    synthetic = np.isfinite(filled) & ~np.isfinite(values)
    tags = {"GEOGAN_SYNTHETIC": "PARTIAL", "GEOGAN_FILLED_CELLS": int(synthetic.sum()),
            "GEOGAN_VOIDS_FILLED": len(voids),
            "GEOGAN_VOIDS_LEFT": left_out, **conditional_tags(model, seed),
            "TIFFTAG_IMAGEDESCRIPTION": "elevation whose voids were filled by GeoGAN (synthetic cells: see "
                                        "GEOGAN_FILLED_CELLS and the filled-cells mask); other cells as measured"}
    # The mask first: if the DEM then fails, the mask goes too, so a failed run leaves neither.
    if filled_mask_path:
        with raster_output(filled_mask_path) as geotiff:
            _write(geotiff, synthetic.astype(np.float32), source.grid, tags, MASK_DESCRIPTION)
    try:
        with raster_output(output_path) as geotiff:
            _write(geotiff, filled, source.grid, tags, DESCRIPTION)
    except BaseException:
        if filled_mask_path:
            remove_quietly(filled_mask_path)
        raise
    return {"path": output_path, "filled_cells": int(synthetic.sum()), "voids_filled": len(voids),
            "voids_left": left_out, "width": source.grid.width, "height": source.grid.height}


def _write(path: str, values: np.ndarray, grid: Grid, tags: dict, description: str) -> None:
    with GeoTiffWriter(path, grid.width, grid.height, grid, tags, description) as writer:
        writer.write(values, 0, 0)
        writer.commit()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.fill_voids", description="Fill the voids of a DEM.")
    parser.add_argument("model", help="void-filling model (.pt) written by python -m core.train_conditional fill")
    parser.add_argument("input", help="DEM with voids (nodata cells), any GDAL format")
    parser.add_argument("--output", "-o", required=True,
                        help="raster to write (float32 GeoTIFF, or another format by extension)")
    parser.add_argument("--band", type=int, default=1, help="band of the elevations (default: %(default)s)")
    parser.add_argument("--max-void-size", type=int, default=0,
                        help="voids wider or taller than this many pixels stay nodata (default: 0, no limit)")
    parser.add_argument("--mask", default="", help="raster whose non-zero cells are the area to fill (default: all)")
    parser.add_argument("--filled-mask", default="", help="also write a raster of the filled cells (1) (default: none)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the fill's texture (default: %(default)s)")
    parser.add_argument("--device", choices=DEVICE_CHOICES, default=FillSettings().device,
                        help="auto: a CUDA GPU when PyTorch sees one, else the CPU (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        summary = fill_voids(args.model, args.input, args.output, args.band, args.device, args.seed,
                             args.max_void_size, args.mask, args.filled_mask, Reporter(log=print))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Filled {summary['voids_filled']} void(s), {summary['filled_cells']} cells; wrote {summary['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
