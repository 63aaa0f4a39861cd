"""Sharpening a coarse DEM with a super-resolution model; also a command line: python -m core.super_resolve --help.

The output covers the input's extent in its CRS on a grid `factor` times finer, and the mean of every factor x
factor block of the output equals the input cell it refines (to float32 rounding). The raster is sharpened in
windows of the input with a margin wider than the generator's reach, cropped, so windows join without seams;
the noise depends only on position, so the result does not depend on the window size.
"""

import argparse
import sys

import numpy as np
import torch

from .checkpoint import SUPER_RESOLUTION
from .conditional_model import ConditionalModel, conditional_tags, load_conditional_model
from .devices import DEVICE_CHOICES, autocast, describe_device
from .errors import InputError
from .noise import spatial_noise
from .output_formats import raster_output
from .progress import Reporter
from .raster_io import MAX_OUTPUT_SIDE, GeoTiffWriter, Grid, RasterSource
from .settings import SuperResolutionSettings
from .terrain import grid_pixel_metres

# Input cells per window side, and the margin around it (multiples of 8, so noise cells line up at every factor).
WINDOW_CELLS = 256
MARGIN_CELLS = 16
# Beyond this ratio of the input's pixel size to the one the model learned from, the output is extrapolation.
PIXEL_SIZE_TOLERANCE = 1.5
DESCRIPTION = "elevation sharpened by GeoGAN (block averages as the input)"


def fine_grid(grid: Grid, factor: int) -> Grid:
    """The input's extent and CRS on a grid factor times finer."""
    x0, pixel_w, rot_x, y0, rot_y, pixel_h = grid.geotransform
    return Grid(grid.crs_wkt, (x0, pixel_w / factor, rot_x, y0, rot_y, pixel_h / factor),
                grid.width * factor, grid.height * factor)


def pixel_size_warning(model: ConditionalModel, grid: Grid) -> str:
    """A warning when the input's pixel size is far from the coarse pixel size the model learned from, else ""."""
    given = sum(grid_pixel_metres(grid)) / 2
    learned = model.training_pixel_metres() * model.settings.factor
    ratio = given / learned
    if 1 / PIXEL_SIZE_TOLERANCE <= ratio <= PIXEL_SIZE_TOLERANCE:
        return ""
    return (f"the input's pixels are about {given:.1f} m, but the model learned to sharpen {learned:.1f} m pixels "
            f"({model.settings.factor} x its training rasters' {learned / model.settings.factor:.1f} m): the detail "
            f"it adds is extrapolation, not learned from terrain of this scale.")


def _sharpen_window(model: ConditionalModel, coarse: np.ndarray, top: int, left: int, seed: int) -> np.ndarray:
    """Sharpen a window of coarse elevations (finite) whose top-left input cell is (top, left), both multiples of 8."""
    k = model.settings.factor
    centre = float(coarse.mean())
    relief = torch.from_numpy(((coarse - centre) / model.relief_scale).astype(np.float32))[None, None]
    cells = (top * k // 8, left * k // 8, coarse.shape[0] * k // 8, coarse.shape[1] * k // 8)
    noise = torch.from_numpy(spatial_noise(seed, *cells, model.settings.model.latent_channels))[None]
    with torch.inference_mode(), autocast(model.device):
        fine = model.generator(noise.to(model.device).contiguous(memory_format=torch.channels_last),
                               relief.to(model.device).contiguous(memory_format=torch.channels_last))
    return fine.float()[0, 0].cpu().numpy() * model.relief_scale + centre


def sharpen_array(model: ConditionalModel, values: np.ndarray, seed: int, reporter: Reporter = None):
    """Yield (top, left, fine elevations) windows of the sharpened raster (fine-grid pixels); NaN where input is NaN."""
    reporter = reporter or Reporter()
    k = model.settings.factor
    valid = np.isfinite(values)
    # Nodata cells get their nearest valid neighbour's value as context (they stay nodata in the output).
    if not valid.all():
        from scipy import ndimage

        nearest = ndimage.distance_transform_edt(~valid, return_distances=False, return_indices=True)
        values = values[tuple(nearest)]
    padded = np.pad(values, MARGIN_CELLS, mode="reflect" if min(values.shape) > MARGIN_CELLS else "edge")
    height, width = values.shape
    windows = [(top, left) for top in range(0, height, WINDOW_CELLS) for left in range(0, width, WINDOW_CELLS)]
    for done, (top, left) in enumerate(windows):
        reporter.check_cancelled()
        rows, cols = min(WINDOW_CELLS, height - top), min(WINDOW_CELLS, width - left)
        # The window and its margin, rounded up to whole noise cells (8 fine pixels).
        rows_in, cols_in = [-(-(n + 2 * MARGIN_CELLS) * k // 8) * 8 // k for n in (rows, cols)]
        block = padded[top:top + rows_in, left:left + cols_in]
        block = np.pad(block, ((0, rows_in - block.shape[0]), (0, cols_in - block.shape[1])), mode="edge")
        fine = _sharpen_window(model, block, top - MARGIN_CELLS, left - MARGIN_CELLS, seed)
        m = MARGIN_CELLS * k
        fine = fine[m:m + rows * k, m:m + cols * k]
        mask = np.repeat(np.repeat(valid[top:top + rows, left:left + cols], k, axis=0), k, axis=1)
        yield top * k, left * k, np.where(mask, fine, np.nan).astype(np.float32)
        reporter.progress(100.0 * (done + 1) / len(windows))


def super_resolve(model_path: str, input_path: str, output_path: str, band: int = 1, device: str = "auto",
                  seed: int = 0, reporter: Reporter = None) -> dict:
    """Write `input_path`'s band sharpened to a grid factor times finer to `output_path`; returns a summary."""
    reporter = reporter or Reporter()
    model = load_conditional_model(model_path, SUPER_RESOLUTION, device)
    k = model.settings.factor
    source = RasterSource(input_path, band)
    grid = fine_grid(source.grid, k)
    if max(grid.width, grid.height) > MAX_OUTPUT_SIDE:
        raise InputError(f"{source.name} sharpened {k} times would be {grid.width} x {grid.height} pixels, more than "
                         f"{MAX_OUTPUT_SIDE} on a side; clip the input to a smaller area first.")
    values = np.array(source.read(0, 0, *source.shape), dtype=np.float32)
    if not np.isfinite(values).any():
        raise InputError(f"{source.name} holds only nodata in band {band}; there is nothing to sharpen.")
    warning = pixel_size_warning(model, source.grid)
    if warning:
        reporter.log(f"Warning: {warning}")
    reporter.log(f"Sharpening {source.name} ({source.grid.width} x {source.grid.height}) {k} times to "
                 f"{grid.width} x {grid.height} pixels with {model.name} on {describe_device(model.device)}.")
    tags = {"GEOGAN_SYNTHETIC": "DETAIL", "GEOGAN_FACTOR": k, **conditional_tags(model, seed),
            "TIFFTAG_IMAGEDESCRIPTION": f"elevation sharpened {k} times by GeoGAN: the block averages are the input's, "
                                        f"the detail within each block is synthetic"}
    with raster_output(output_path) as geotiff:
        with GeoTiffWriter(geotiff, grid.width, grid.height, grid, tags, DESCRIPTION) as writer:
            for top, left, fine in sharpen_array(model, values, seed, reporter):
                writer.write(fine, top, left)
            writer.commit()
    return {"path": output_path, "factor": k, "width": grid.width, "height": grid.height, "warning": warning}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.super_resolve", description="Sharpen a coarse DEM.")
    parser.add_argument("model",
                        help="super-resolution model (.pt) written by python -m core.train_conditional superres")
    parser.add_argument("input", help="coarse DEM, any GDAL format")
    parser.add_argument("--output", "-o", required=True,
                        help="raster to write (float32 GeoTIFF, or another format by extension)")
    parser.add_argument("--band", type=int, default=1, help="band of the elevations (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the added detail (default: %(default)s)")
    parser.add_argument("--device", choices=DEVICE_CHOICES, default=SuperResolutionSettings().device,
                        help="auto: a CUDA GPU when PyTorch sees one, else the CPU (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        summary = super_resolve(args.model, args.input, args.output, args.band, args.device, args.seed,
                                Reporter(log=print))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {summary['width']} x {summary['height']} sharpened DEM to {summary['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
