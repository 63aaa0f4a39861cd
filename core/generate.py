"""Generating synthetic DEMs from a checkpoint; also a command line: python -m core.generate --help.

Rasters of any size are generated window by window. Each window is computed with a margin wider
than the generator's receptive field and cropped, and the noise depends only on global position,
so windows join without seams and the result does not depend on the window size.
"""

import argparse
import math
import os
import sys
from dataclasses import dataclass

import numpy as np
import torch

from . import __version__
from .checkpoint import load_checkpoint
from .devices import autocast, resolve_device
from .models import Generator
from .noise import spatial_noise
from .progress import Reporter
from .raster_io import GeoTiffWriter, Grid, check_output_size
from .settings import TrainSettings

# Latent cells added on each side of a window: wider than the generator's receptive field.
MARGIN_CELLS = 6
WINDOW_PIXELS = 512


@dataclass
class TerrainModel:
    """A loaded checkpoint: the generator and what is needed to place its output in the world."""

    generator: Generator
    settings: TrainSettings
    relief_scale: float
    elevation_mean: float
    generator_offset: float  # the generator's mean level, in normalised relief
    grid: dict
    checkpoint: dict
    device: torch.device
    path: str

    @property
    def tile_size(self) -> int:
        return self.settings.tile_size


def load_model(path: str, device: str = "cpu") -> TerrainModel:
    torch_device = resolve_device(device)
    checkpoint = load_checkpoint(path, device="cpu")
    try:
        settings = TrainSettings.from_dict(checkpoint["settings"])
        generator = Generator(settings.model)
        generator.load_state_dict(checkpoint["generator"])
    except (TypeError, KeyError, RuntimeError) as error:
        raise ValueError(f"{os.path.basename(path)} does not match this GeoGAN's generator ({error}); "
                         f"train the model again with this version.") from error
    generator = generator.to(torch_device, memory_format=torch.channels_last).eval().requires_grad_(False)
    norm = checkpoint["normalisation"]
    return TerrainModel(generator, settings, float(norm["relief_scale"]), float(norm["elevation_mean"]),
                        float(norm.get("generator_offset", 0.0)), checkpoint["grid"], checkpoint, torch_device, path)


def _relief_window(model: TerrainModel, seed: int, top: int, left: int, height: int, width: int) -> np.ndarray:
    """Normalised relief for output pixels [top, top + height) x [left, left + width); top and left are window-aligned."""
    factor = model.settings.model.upsampling_factor
    cells_down, cells_across = math.ceil(height / factor), math.ceil(width / factor)
    noise = spatial_noise(seed, top // factor - MARGIN_CELLS, left // factor - MARGIN_CELLS,
                          cells_down + 2 * MARGIN_CELLS, cells_across + 2 * MARGIN_CELLS,
                          model.settings.model.latent_channels)
    with torch.inference_mode(), autocast(model.device):
        latent = torch.from_numpy(noise)[None].to(model.device, memory_format=torch.channels_last)
        relief = model.generator(latent)[0, 0].float()
    margin = MARGIN_CELLS * factor
    return relief[margin:margin + height, margin:margin + width].cpu().numpy()


def _windows(width: int, height: int, window: int):
    for top in range(0, height, window):
        for left in range(0, width, window):
            yield top, left, min(window, height - top), min(window, width - left)


def generate_windows(model: TerrainModel, seed: int, width: int, height: int, reporter: Reporter = None,
                     window: int = WINDOW_PIXELS):
    """Yield (top, left, elevations) windows covering width x height pixels, elevations float32 in source units."""
    reporter = reporter or Reporter()
    check_output_size(width, height)
    factor = model.settings.model.upsampling_factor
    window = max(factor, window // factor * factor)
    windows = list(_windows(width, height, window))
    for done, (top, left, rows, cols) in enumerate(windows):
        reporter.check_cancelled()
        relief = _relief_window(model, seed, top, left, rows, cols)
        elevations = (relief - model.generator_offset) * model.relief_scale + model.elevation_mean
        yield top, left, elevations.astype(np.float32)
        reporter.progress(100.0 * (done + 1) / len(windows))


def generate(model, seed: int, width: int, height: int, device: str = "cpu", reporter: Reporter = None,
             window: int = WINDOW_PIXELS) -> np.ndarray:
    """A synthetic DEM as a float32 array (height, width) in the training data's elevation units."""
    if not isinstance(model, TerrainModel):
        model = load_model(model, device)
    check_output_size(width, height)
    elevations = np.empty((height, width), dtype=np.float32)
    for top, left, values in generate_windows(model, seed, width, height, reporter, window):
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


def output_grid(model: TerrainModel, width: int, height: int) -> Grid:
    """The training data's CRS and pixel size, placed at the first training raster's origin."""
    x0, pixel_w, _, y0, _, pixel_h = model.grid["geotransform"]
    return Grid(model.grid["crs_wkt"], (x0, pixel_w, 0.0, y0, 0.0, pixel_h), width, height)


def generate_to_geotiff(model_path: str, output_path: str, seed: int, width: int = 0, height: int = 0,
                        device: str = "cpu", reporter: Reporter = None) -> dict:
    """Write a synthetic DEM GeoTIFF (float32, tiled, compressed, nodata set, tagged synthetic).

    Width and height of 0 mean the model's tile size. Returns a summary of what was written.
    """
    model = load_model(model_path, device)
    width, height = width or model.tile_size, height or model.tile_size
    check_output_size(width, height)
    tags = synthetic_tags(model, seed)
    with GeoTiffWriter(output_path, width, height, output_grid(model, width, height), tags,
                       description="synthetic elevation (GeoGAN)") as writer:
        for top, left, values in generate_windows(model, seed, width, height, reporter):
            writer.write(values, top, left)
        writer.commit()
    return {"path": output_path, "width": width, "height": height, "seed": seed, "tags": tags}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.generate", description="Generate a synthetic DEM GeoTIFF.")
    parser.add_argument("model", help="model file written by core.train (.pt)")
    parser.add_argument("--output", "-o", required=True, help="GeoTIFF to write")
    parser.add_argument("--width", type=int, default=0, help="pixels (default: the model's tile size)")
    parser.add_argument("--height", type=int, default=0, help="pixels (default: the model's tile size)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu")
    args = parser.parse_args(argv)
    try:
        summary = generate_to_geotiff(args.model, args.output, args.seed, args.width, args.height, args.device)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {summary['width']} x {summary['height']} synthetic DEM to {summary['path']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
