"""Generating synthetic DEMs from a checkpoint; also a command line: python -m core.generate --help.

Rasters of any size are generated window by window. Each window is computed with a margin wider
than the generator's receptive field and cropped, and the noise depends only on global position,
so windows join without seams and the result does not depend on the window size. Positions are
pixels of the model's grid (see core.placement), so a sub-area generated alone matches a larger raster.

A cascade model first generates the coarse relief under the window (itself window-independent, the
same way, on the coarse grid), then refines it. Models of format 1 (one GAN) generate as before.
"""

import argparse
import math
import os
import sys
import tempfile
from dataclasses import dataclass

import numpy as np
import torch
from osgeo import gdal

from . import __version__
from .cascade import CoarseUnits, stage_seed
from .checkpoint import ARCHITECTURE, SINGLE_STAGE, Weights, load_checkpoint, restore_networks
from .devices import DEVICE_CHOICES, autocast, describe_device, resolve_device
from .errors import InputError
from .gdal_errors import gdal_raises
from .models import Generator, RefinementGenerator
from .noise import spatial_noise
from .output_formats import raster_output
from .placement import (
    Placement,
    aligned_placement,
    check_placement_choice,
    grid_bounds,
    model_placement,
    reference_grid,
    reference_placement,
    snap_to_model_grid,
    transform_bounds,
)
from .progress import Reporter
from .raster_io import OUTPUT_NODATA, GeoTiffWriter, Grid, check_output_size, recorded_grid
from .settings import TrainSettings

# Latent cells added on each side of a window: wider than the generator's receptive field.
MARGIN_CELLS = 6
# A cascade's refinement also needs the coarse relief's bicubic upsampling to be clear of the window's edge.
CASCADE_MARGIN_CELLS = MARGIN_CELLS + 2
WINDOW_PIXELS = 2048
DESCRIPTION = "synthetic elevation (GeoGAN)"


@dataclass
class CoarseStage:
    """A cascade's coarse generator and the units its output is handed to the refinement in."""

    generator: Generator
    units: CoarseUnits


@dataclass
class TerrainModel:
    """A loaded checkpoint: the generator(s) and what is needed to place their output in the world."""

    generator: torch.nn.Module  # Generator (format 1) or RefinementGenerator (cascade)
    coarse: "CoarseStage | None"
    settings: TrainSettings
    relief_scale: float
    elevation_mean: float
    generator_offset: float  # the generator's mean level, in normalised relief
    grid: Grid  # the model's grid: its training data's CRS, origin and pixel size
    checkpoint: dict
    device: torch.device
    path: str

    @property
    def tile_size(self) -> int:
        return self.settings.tile_size


def load_model(path: str, device: str = "cpu") -> TerrainModel:
    torch_device = resolve_device(device)
    checkpoint = load_checkpoint(path, device="cpu")
    cascade = checkpoint.get("architecture", SINGLE_STAGE) == ARCHITECTURE
    norm = checkpoint["normalisation"]

    def build() -> tuple:
        settings = TrainSettings.from_dict(checkpoint["settings"])
        generator = (RefinementGenerator(settings.model, settings.coarse_factor) if cascade
                     else Generator(settings.model))
        if not cascade:
            return settings, Weights(generator, checkpoint["generator"]), None, None
        coarse_norm = checkpoint["coarse"]["normalisation"]
        units = CoarseUnits(float(coarse_norm["generator_offset"]), float(coarse_norm["relief_scale"]),
                            float(norm["relief_scale"]))
        return (settings, Weights(generator, checkpoint["generator"]),
                Weights(Generator(settings.model), checkpoint["coarse"]["generator"]), units)

    settings, generator, coarse_generator, units = restore_networks(path, "generator", torch_device, build)
    coarse = CoarseStage(coarse_generator, units) if cascade else None
    # A cascade's refinement preserves the coarse relief's level, and its units centre the coarse stage.
    offset = 0.0 if cascade else float(norm.get("generator_offset", 0.0))
    return TerrainModel(generator, coarse, settings, float(norm["relief_scale"]), float(norm["elevation_mean"]),
                        offset, recorded_grid(checkpoint["grid"]), checkpoint, torch_device, path)


def _latent_cells(factor: int, top: int, left: int, height: int, width: int, margin: int) -> tuple:
    """(cell_top, cell_left, cells_down, cells_across): the latent cells under the pixels [top, top + height) x
    [left, left + width) of a grid, plus `margin` cells on each side; cells are floored, so negative pixels work."""
    cell_top, cell_left = top // factor, left // factor
    cells_down = math.ceil((top - cell_top * factor + height) / factor)
    cells_across = math.ceil((left - cell_left * factor + width) / factor)
    return cell_top - margin, cell_left - margin, cells_down + 2 * margin, cells_across + 2 * margin


def _noise(seed: int, cells: tuple, channels: int, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(spatial_noise(seed, *cells, channels))[None].to(device, memory_format=torch.channels_last)


def _unconditional_window(generator: Generator, config, seed: int, top: int, left: int, height: int, width: int,
                          device: torch.device) -> np.ndarray:
    """A generator's relief for the pixels [top, top + height) x [left, left + width) of its grid; any integers."""
    factor = config.upsampling_factor
    cells = _latent_cells(factor, top, left, height, width, MARGIN_CELLS)
    with torch.inference_mode(), autocast(device):
        relief = generator(_noise(seed, cells, config.latent_channels, device))[0, 0].float()
    down, across = top - cells[0] * factor, left - cells[1] * factor
    return relief[down:down + height, across:across + width].cpu().numpy()


def _cascade_window(model: TerrainModel, seed: int, top: int, left: int, height: int, width: int) -> np.ndarray:
    """The coarse relief under the window (and its margin), generated on the coarse grid, then refined."""
    config, k = model.settings.model, model.settings.coarse_factor
    factor = config.upsampling_factor  # a multiple of k: the refined area starts on a coarse pixel
    cells = _latent_cells(factor, top, left, height, width, CASCADE_MARGIN_CELLS)
    area_top, area_left = cells[0] * factor, cells[1] * factor
    coarse = _unconditional_window(model.coarse.generator, config, stage_seed(seed, "coarse"), area_top // k,
                                   area_left // k, cells[2] * factor // k, cells[3] * factor // k, model.device)
    with torch.inference_mode(), autocast(model.device):
        coarse_relief = model.coarse.units.to_fine(torch.from_numpy(coarse)[None, None].to(model.device))
        noise = _noise(stage_seed(seed, "refinement"), cells, config.latent_channels, model.device)
        relief = model.generator(noise, coarse_relief.contiguous(memory_format=torch.channels_last))[0, 0].float()
    down, across = top - area_top, left - area_left
    return relief[down:down + height, across:across + width].cpu().numpy()


def _relief_window(model: TerrainModel, seed: int, top: int, left: int, height: int, width: int) -> np.ndarray:
    """Normalised relief for the model-grid pixels [top, top + height) x [left, left + width); any integers.

    The noise of a pixel depends only on its position, so any window of the same place gives the same relief."""
    if model.coarse is not None:
        return _cascade_window(model, seed, top, left, height, width)
    return _unconditional_window(model.generator, model.settings.model, seed, top, left, height, width, model.device)


def _windows(width: int, height: int, window: int):
    for top in range(0, height, window):
        for left in range(0, width, window):
            yield top, left, min(window, height - top), min(window, width - left)


def generate_windows(model: TerrainModel, seed: int, width: int, height: int, reporter: Reporter = None,
                     window: int = WINDOW_PIXELS, row: int = 0, col: int = 0):
    """Yield (top, left, elevations) windows covering width x height pixels, elevations float32 in source units.

    The area starts row/col pixels from the model grid's origin; top and left are counted from the area's corner.
    """
    reporter = reporter or Reporter()
    check_output_size(width, height)
    factor = model.settings.model.upsampling_factor
    window = max(factor, window // factor * factor)
    windows = list(_windows(width, height, window))
    for done, (top, left, rows, cols) in enumerate(windows):
        reporter.check_cancelled()
        relief = _relief_window(model, seed, row + top, col + left, rows, cols)
        elevations = (relief - model.generator_offset) * model.relief_scale + model.elevation_mean
        yield top, left, elevations.astype(np.float32)
        reporter.progress(100.0 * (done + 1) / len(windows))


def generate(model, seed: int, width: int, height: int, device: str = "cpu", reporter: Reporter = None,
             window: int = WINDOW_PIXELS, row: int = 0, col: int = 0) -> np.ndarray:
    """A synthetic DEM as a float32 array (height, width) in the training data's elevation units.

    Its top-left pixel is row/col pixels from the model grid's origin (negative: above/left of it).
    """
    if not isinstance(model, TerrainModel):
        model = load_model(model, device)
    check_output_size(width, height)
    elevations = np.empty((height, width), dtype=np.float32)
    for top, left, values in generate_windows(model, seed, width, height, reporter, window, row, col):
        elevations[top:top + values.shape[0], left:left + values.shape[1]] = values
    return elevations


def synthetic_tags(model: TerrainModel, seed: int) -> dict:
    """Metadata that marks a raster as synthetic, so it can never pass for a measured DEM."""
    checkpoint = model.checkpoint
    return {
        "GEOGAN_SYNTHETIC": "YES",
        "GEOGAN_MODEL": os.path.basename(model.path),
        "GEOGAN_SEED": seed,
        "GEOGAN_ITERATIONS": checkpoint.get("iterations_done", ""),
        "GEOGAN_TRAINED_ON": ", ".join(checkpoint.get("sources", [])),
        "GEOGAN_VERSION": __version__,
        "TIFFTAG_IMAGEDESCRIPTION": "SYNTHETIC terrain generated by GeoGAN; not measured elevation data",
        "TIFFTAG_SOFTWARE": f"GeoGAN {__version__}",
    }


def _write_placement(model: TerrainModel, path: str, seed: int, placement: Placement, tags: dict,
                     reporter: Reporter) -> None:
    with GeoTiffWriter(path, placement.width, placement.height, placement.grid, tags, DESCRIPTION) as writer:
        for top, left, values in generate_windows(model, seed, placement.width, placement.height, reporter,
                                                  row=placement.row, col=placement.col):
            writer.write(values, top, left)
        writer.commit()


@gdal_raises
def _copy_warped(source_path: str, target: Grid, writer: GeoTiffWriter, reporter: Reporter) -> None:
    """Warp source_path (bilinear) onto target's grid exactly, window by window, into writer."""
    try:
        warped = gdal.Warp("", source_path, format="VRT", dstSRS=target.crs_wkt, outputBounds=grid_bounds(target),
                           width=target.width, height=target.height, resampleAlg="bilinear",
                           srcNodata=OUTPUT_NODATA, dstNodata=OUTPUT_NODATA)
        windows = list(_windows(target.width, target.height, WINDOW_PIXELS))
        for done, (top, left, rows, cols) in enumerate(windows):
            reporter.check_cancelled()
            writer.write(warped.ReadAsArray(left, top, cols, rows).astype(np.float32), top, left)
            reporter.progress(90.0 + 10.0 * (done + 1) / len(windows))
    except RuntimeError as error:
        raise InputError(f"GDAL could not warp the generated DEM to the reference raster's grid ({error}).") from error
    finally:
        warped = None  # close the source file before its folder is deleted (Windows keeps open files)


def _write_warped(model: TerrainModel, path: str, seed: int, target: Grid, tags: dict, reporter: Reporter) -> None:
    """Generate on the model's grid around target's area into a scratch file, then warp it to target's grid."""
    source = reference_placement(model.grid, target)
    generation = Reporter(lambda percent: reporter.progress(0.9 * percent), reporter.is_cancelled, reporter.log)
    with GeoTiffWriter(path, target.width, target.height, target, tags, DESCRIPTION) as writer:
        folder = os.path.dirname(os.path.abspath(path))
        with tempfile.TemporaryDirectory(prefix=".geogan-", dir=folder) as scratch:
            source_path = os.path.join(scratch, "model_grid.tif")
            _write_placement(model, source_path, seed, source, tags, generation)
            _copy_warped(source_path, target, writer, reporter)
        writer.commit()


def generate_to_geotiff(model_path: str, output_path: str, seed: int, width: int = 0, height: int = 0,
                        device: str = "cpu", reporter: Reporter = None, extent=None, extent_crs: str = "",
                        reference: str = "", cloud_optimised: bool = False) -> dict:
    """Write a synthetic DEM GeoTIFF (float32, tiled, compressed, nodata set, tagged synthetic).

    A cloud-optimised GeoTIFF when cloud_optimised; another GDAL format when output_path's extension names one
    (.img, .asc, .nc, ...: core.output_formats), copied from the GeoTIFF with its georeferencing and tags.

    Where it goes, one of:
    - width x height pixels (0: the model's tile size) at the model grid's origin;
    - extent (xmin, ymin, xmax, ymax in extent_crs, a WKT or "EPSG:n"; empty: the model's CRS): that
      area snapped outward to the model's grid, in the model's CRS and pixel size;
    - reference, a raster path: exactly that raster's grid, warped (bilinear) from the model's grid when
      its CRS or pixel size differs.
    Returns a summary of what was written.
    """
    check_placement_choice(width, height, extent is not None, bool(reference))
    with raster_output(output_path, cloud_optimised) as geotiff_path:
        grid, tags = _generate_geotiff(model_path, geotiff_path, seed, width, height, device, reporter, extent,
                                       extent_crs, reference)
    return _summary(output_path, grid, seed, tags)


def _generate_geotiff(model_path: str, output_path: str, seed: int, width: int, height: int, device: str,
                      reporter: Reporter, extent, extent_crs: str, reference: str) -> tuple:
    """Write the GeoTIFF of generate_to_geotiff; returns the grid written and the tags."""
    reporter = reporter or Reporter()
    model = load_model(model_path, device)
    reporter.log(f"Generating on {describe_device(model.device)}.")
    tags = synthetic_tags(model, seed)
    if reference:
        target = reference_grid(reference)
        placement = aligned_placement(model.grid, target)
        if placement is None:
            _write_warped(model, output_path, seed, target, tags, reporter)
            return target, tags
    elif extent is not None:
        placement = snap_to_model_grid(model.grid, transform_bounds(extent, extent_crs, model.grid.crs_wkt))
    else:
        width, height = width or model.tile_size, height or model.tile_size
        check_output_size(width, height)
        placement = model_placement(model.grid, width, height)
    _write_placement(model, output_path, seed, placement, tags, reporter)
    return placement.grid, tags


def _summary(path: str, grid: Grid, seed: int, tags: dict) -> dict:
    return {"path": path, "width": grid.width, "height": grid.height, "seed": seed, "tags": tags,
            "geotransform": grid.geotransform, "crs_wkt": grid.crs_wkt}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.generate", description="Generate a synthetic DEM GeoTIFF.")
    parser.add_argument("model", help="model file written by core.train (.pt)")
    parser.add_argument("--output", "-o", required=True,
                        help="raster to write (float32, tagged synthetic): a GeoTIFF (.tif), or another GDAL format "
                             "named by the extension, such as .img or .asc")
    parser.add_argument("--cloud-optimised", action="store_true",
                        help="write a cloud-optimised GeoTIFF (GDAL's COG driver; the output ends in .tif) "
                             "(default: off, a plain tiled GeoTIFF)")
    parser.add_argument("--width", type=int, default=0,
                        help="output width in pixels, any size up to 65536 (default: the model's tile size)")
    parser.add_argument("--height", type=int, default=0,
                        help="output height in pixels, any size up to 65536 (default: the model's tile size)")
    parser.add_argument("--extent", type=float, nargs=4, metavar=("XMIN", "YMIN", "XMAX", "YMAX"),
                        help="cover this area (coordinates in --extent-crs) in the model's CRS and pixel size, "
                             "instead of --width/--height (default: none; with only a size, the raster starts at "
                             "the first training raster's top-left corner)")
    parser.add_argument("--extent-crs", default="", help="CRS of --extent, e.g. EPSG:3857 (default: the model's CRS)")
    parser.add_argument("--reference", default="",
                        help="raster whose grid (CRS, pixel size, extent) the output matches exactly, instead "
                             "of a size or --extent (default: none)")
    parser.add_argument("--seed", type=int, default=0,
                        help="the same model and seed always give the same terrain (default: %(default)s)")
    parser.add_argument("--device", choices=DEVICE_CHOICES, default=TrainSettings().device,
                        help="auto: a CUDA GPU when PyTorch sees one, else the CPU (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        summary = generate_to_geotiff(args.model, args.output, args.seed, args.width, args.height, args.device,
                                      extent=args.extent, extent_crs=args.extent_crs, reference=args.reference,
                                      cloud_optimised=args.cloud_optimised)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {summary['width']} x {summary['height']} synthetic DEM to {summary['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
