"""Training conditional GANs for incomplete DEMs: void filling and super-resolution.

Both learn from the user's complete DEMs and run the terrain GAN's adversarial recipe (core.train.train_stage:
R1, EMA, status lines, cancel) with a reconstruction loss beside the adversarial one, since here the truth is
known: the pixel loss keeps the output on the real elevations, the adversarial loss keeps its texture real.

- Void filling: holes of many shapes and sizes (core.holes) are cut into real tiles; a U-Net fills them from
  what surrounds them (core.models.VoidFillGenerator). Loss on the hole cells only.
- Super-resolution: real tiles averaged over factor x factor blocks are refined back to full resolution by the
  cascade's refinement generator, whose output keeps the block averages exactly
  (core.models.SuperResolutionGenerator).

Command line: python -m core.train_conditional {fill,superres} --help.
"""

import argparse
import sys
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from .checkpoint import SUPER_RESOLUTION, VOID_FILLING, save_checkpoint
from .devices import DEVICE_CHOICES, describe_device, resolve_device
from .distributed import Replicas
from .holes import random_known_masks
from .models import SuperResolutionGenerator, VoidFillGenerator
from .output_files import check_output_folders
from .progress import Reporter
from .raster_io import grid_record
from .resume import cpu_state
from .settings import SUPER_RESOLUTION_FACTORS, FillSettings, SuperResolutionSettings, TrainSettings
from .tiles import TileSampler
from .train import LatentNoise, library_versions, open_sources, train_stage


@dataclass
class ConditionalTrainResult:
    checkpoint_path: str
    reconstruction_error: float  # mean absolute elevation error (holes, or whole tiles) of the last steps
    iterations: int
    seconds: float
    cancelled: bool = False


def gradient_error(fake: torch.Tensor, real: torch.Tensor, weight: torch.Tensor = None) -> torch.Tensor:
    """Mean absolute difference of the x and y gradients (slopes), optionally weighted per pixel."""
    errors = []
    for axis in (2, 3):
        difference = (torch.diff(fake, dim=axis) - torch.diff(real, dim=axis)).abs()
        if weight is not None:
            # A gradient belongs to the void when either of its two cells does.
            length = weight.shape[axis] - 1
            pair = torch.maximum(weight.narrow(axis, 0, length), weight.narrow(axis, 1, length))
            errors.append((difference * pair).sum() / pair.sum().clamp_min(1.0))
        else:
            errors.append(difference.mean())
    return sum(errors) / 2


def _fill_task(settings: FillSettings, device, rng: np.random.Generator, pixel_errors: list):
    """(generator, generator_inputs, structure_loss) of void filling; the loss appends its pixel part to
    pixel_errors."""
    generator = VoidFillGenerator(settings.model).to(device, memory_format=torch.channels_last)
    noise = torch.Generator(device=device).manual_seed(settings.seed)
    shape = (settings.batch_size, 1, settings.tile_size, settings.tile_size)

    def inputs(real):
        known = random_known_masks(settings.batch_size, settings.tile_size, settings.min_hole_size,
                                   settings.largest_void, rng)
        known = torch.from_numpy(known).to(device).contiguous(memory_format=torch.channels_last)
        return torch.randn(shape, generator=noise, device=device), real, known

    def structure(fake, inputs, real, real_depth):
        holes = 1.0 - inputs[2]
        pixel = ((fake - real).abs() * holes).sum() / holes.sum().clamp_min(1.0)
        pixel_errors.append(pixel.item())
        return settings.reconstruction_weight * (pixel + gradient_error(fake, real, holes))

    return generator, inputs, structure


def _superres_task(settings: SuperResolutionSettings, sampler: TileSampler, device, pixel_errors: list):
    """(generator, generator_inputs, structure_loss) of super-resolution; the loss appends its pixel part to
    pixel_errors."""
    k = settings.factor
    generator = SuperResolutionGenerator(settings.model, k).to(device, memory_format=torch.channels_last)
    generator.calibrate(F.avg_pool2d(torch.from_numpy(sampler.sample(256)).to(device), k))
    noise = LatentNoise(settings.model, settings.tile_size, settings.seed, device)

    def inputs(real):
        return noise(settings.batch_size), F.avg_pool2d(real, k)

    def structure(fake, inputs, real, real_depth):
        pixel = (fake - real).abs().mean()
        pixel_errors.append(pixel.item())
        return settings.reconstruction_weight * (pixel + gradient_error(fake, real))

    return generator, inputs, structure


def train_conditional(sources: list, output_path: str, settings: TrainSettings,
                      reporter: Reporter = None) -> ConditionalTrainResult:
    """Train a void-filling (FillSettings) or super-resolution (SuperResolutionSettings) model on random tiles of
    `sources` (raster paths) and write it to `output_path`. Cancelling after the first step keeps what was
    learned as a model (result.cancelled); cancelling earlier raises core.progress.Cancelled and writes nothing."""
    reporter = reporter or Reporter()
    kind = VOID_FILLING if isinstance(settings, FillSettings) else SUPER_RESOLUTION
    settings.validate()
    check_output_folders(output_path)
    device = resolve_device(settings.device)
    rasters = open_sources(sources, settings.band, reporter)
    sampler = TileSampler(rasters, settings.tile_size, settings.max_nodata_fraction, settings.seed)
    norm = sampler.normalisation
    torch.manual_seed(settings.seed)
    pixel_errors = []  # normalised relief, one per step
    if kind == VOID_FILLING:
        holes_rng = np.random.default_rng([settings.seed, 1])
        generator, inputs, structure = _fill_task(settings, device, holes_rng, pixel_errors)
        what = f"filling voids up to {settings.largest_void} pixels across"
    else:
        generator, inputs, structure = _superres_task(settings, sampler, device, pixel_errors)
        what = f"sharpening DEMs {settings.factor} times coarser to full resolution"
    reporter.log(f"Learning {what}: {len(rasters)} raster(s), {sampler.usable_tiles} usable {settings.tile_size}-pixel "
                 f"tile positions, relief scale {norm.relief_scale:.1f}, training on {describe_device(device)}.")
    stage = train_stage(kind, generator, sampler, inputs, structure, settings, device, reporter, Replicas(),
                        can_stop_early=True, structure_name="reconstruction loss", needs_real_depth=False)
    # The last tenth of the steps' pixel error, in elevation units: what users understand.
    error = float(np.mean(pixel_errors[-max(1, len(pixel_errors) // 10):])) * norm.relief_scale
    save_checkpoint(output_path, {
        "architecture": kind,
        "settings": settings.to_dict(),
        "normalisation": norm.to_dict(),
        "grid": grid_record(rasters[0].grid),
        "sources": [r.name for r in rasters],
        "usable_tiles": sampler.usable_tiles,
        "iterations_done": stage.steps_done,
        "completed": not stage.cancelled,
        "training_seconds": stage.seconds,
        "loss_history": stage.history,
        "seed": settings.seed,
        "versions": library_versions(),
        "generator": cpu_state(stage.generator_ema),
        "discriminator": cpu_state(stage.discriminator),
    })
    ended = "cancelled at" if stage.cancelled else "trained"
    where = "in the holes" if kind == VOID_FILLING else "per cell"
    reporter.log(f"Model {ended} step {stage.steps_done} in {stage.seconds:.0f} s; over its last steps, the mean "
                 f"absolute error {where} of training tiles was {error:.2f} elevation units. Written to {output_path}.")
    return ConditionalTrainResult(output_path, error, stage.steps_done, stage.seconds, stage.cancelled)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.train_conditional",
                                     description="Train a void-filling or super-resolution model on complete DEMs.")
    tasks = parser.add_subparsers(dest="task", required=True)
    for task, settings_class, help_text in (("fill", FillSettings, "learn to fill voids (nodata holes)"),
                                            ("superres", SuperResolutionSettings, "learn to sharpen coarse DEMs")):
        defaults = settings_class()
        sub = tasks.add_parser(task, help=help_text)
        sub.add_argument("inputs", nargs="+", help="complete elevation rasters to learn from (any GDAL format)")
        sub.add_argument("--output", "-o", required=True, help="model file to write (.pt)")
        sub.add_argument("--band", type=int, default=defaults.band,
                         help="band of the elevations (default: %(default)s)")
        sub.add_argument("--tile-size", type=int, default=defaults.tile_size,
                         help="side of the training tiles in pixels, a multiple of 16 (default: %(default)s)")
        sub.add_argument("--iterations", type=int, default=defaults.iterations,
                         help="training steps (default: %(default)s)")
        sub.add_argument("--batch-size", type=int, default=defaults.batch_size,
                         help="tiles per step (default: %(default)s)")
        sub.add_argument("--device", choices=DEVICE_CHOICES, default=defaults.device,
                         help="auto: a CUDA GPU when PyTorch sees one, else the CPU (default: %(default)s)")
        sub.add_argument("--seed", type=int, default=defaults.seed, help="random seed (default: %(default)s)")
        if task == "superres":
            sub.add_argument("--factor", type=int, choices=SUPER_RESOLUTION_FACTORS, default=defaults.factor,
                             help="how many times finer the output grid is than the input's (default: %(default)s)")
    args = parser.parse_args(argv)
    common = dict(tile_size=args.tile_size, iterations=args.iterations, batch_size=args.batch_size, seed=args.seed,
                  band=args.band, device=args.device)
    settings = FillSettings(**common) if args.task == "fill" else SuperResolutionSettings(factor=args.factor, **common)
    try:
        train_conditional(args.inputs, args.output, settings, Reporter(log=print))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
