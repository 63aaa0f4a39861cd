"""Training a terrain GAN on elevation rasters; also a command line: python -m core.train --help.

By default one GAN learns full-resolution tiles. With `cascade` (experimental), two stages run one after
the other: a coarse GAN on the rasters averaged over `coarse_factor` pixels (landforms and drainage at the
scale of catchments), then a refinement GAN that adds full-resolution detail to real relief averaged the
same way (see core.settings).

Recipe of each GAN: non-saturating logistic loss, lazy R1 penalty on real tiles, Adam with beta1 = 0, and
an exponential moving average (EMA) of the generator's weights, which is what the checkpoint keeps. The
refinement keeps its output, averaged back to the coarse grid, on the coarse relief; with a depression_weight,
the cascade's stages also get a loss on closed depressions deeper than real terrain's (core.losses; off by default).
"""

import argparse
import copy
import platform
import sys
import time
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch.nn import functional as F

from . import __version__
from .cascade import CoarseUnits, cascade_samples, stage_seed
from .checkpoint import ARCHITECTURE, SINGLE_STAGE, save_checkpoint
from .critic import train_realism_critic
from .devices import DEVICE_CHOICES, autocast, describe_device, resolve_device, share_cpu_between_processes
from .distributed import Replicas, join_from_environment
from .errors import InputError
from .loader import PrefetchingLoader
from .losses import consistency_loss, excess_depression_loss, smoothed_depression_depth
from .models import Discriminator, Generator, RefinementGenerator
from .monitor import SAMPLES_PER_SNAPSHOT, TrainingMonitor
from .output_files import check_output_folders
from .progress import STATUS_SECONDS, Cancelled, Reporter, TrainingStatus, duration_text
from .raster_io import Grid, RasterSource, grid_record
from .resume import ResumePoint, cpu_state, load_resume_point, training_state
from .settings import TrainSettings
from .tiles import TileSampler


@dataclass
class TrainResult:
    checkpoint_path: str
    generator_loss: float
    discriminator_loss: float
    iterations: int  # steps done, counting those of the training it continues
    seconds: float
    cancelled: bool = False  # stopped early: the model holds what was learned so far


def library_versions() -> dict:
    from osgeo import gdal

    return {"geogan": __version__, "torch": str(torch.__version__), "numpy": np.__version__,
            "gdal": gdal.__version__, "python": platform.python_version()}


def _update_ema(ema: torch.nn.Module, model: torch.nn.Module, beta: float) -> None:
    with torch.no_grad():
        for ema_param, param in zip(ema.parameters(), model.parameters()):
            ema_param.lerp_(param, 1.0 - beta)


def _discriminator_step(generator, discriminator, optimiser, real, inputs, settings, with_r1: bool,
                        replicas: Replicas, context: int) -> float:
    """Push real tiles up and generated tiles down; every few steps, R1 keeps the discriminator smooth.
    `context`: pixels around each tile that only the discriminator's features see (Discriminator.score_map)."""
    discriminator.requires_grad_(True)
    real.requires_grad_(with_r1)
    device = real.device
    with autocast(device):
        with torch.no_grad():
            fake = generator(*inputs)
        # Separate passes: the minibatch-spread feature must never mix real and generated tiles.
        real_logits, fake_logits = discriminator(real, context), discriminator(fake, context)
        loss = F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()
    total = loss
    if with_r1:
        (gradient,) = torch.autograd.grad(real_logits.float().sum(), real, create_graph=True)
        penalty = gradient.square().sum(dim=(1, 2, 3)).mean()
        total = loss + 0.5 * settings.r1_gamma * settings.r1_every * penalty
    optimiser.zero_grad(set_to_none=True)
    total.backward()
    replicas.average_gradients(discriminator)
    optimiser.step()
    return loss.item()


def _generator_step(generator, discriminator, optimiser, inputs, structure_loss, replicas: Replicas,
                    context: int) -> tuple:
    """Make tiles the discriminator takes for real (non-saturating loss), plus the stage's structure losses
    (`structure_loss(fake, inputs)`). A fresh batch of fakes: reusing the discriminator step's batch saved a fifth
    of the time but trained worse terrain on the landscape benchmark (bench/RESULTS.md)."""
    discriminator.requires_grad_(False)
    with autocast(inputs[0].device):
        fake = generator(*inputs)
        adversarial = F.softplus(-discriminator(fake, context)).mean()
    structure = structure_loss(fake.float(), inputs)
    optimiser.zero_grad(set_to_none=True)
    (adversarial + structure).backward()
    replicas.average_gradients(generator)
    optimiser.step()
    return adversarial.item(), structure.item()


def open_sources(paths: list, band: int, reporter: Reporter) -> list:
    """The training rasters, every one after the first warped on the fly to the first's CRS and pixel size."""
    if not paths:
        raise InputError("No input raster was given; choose at least one elevation raster to train on.")
    first = RasterSource(paths[0], band)
    sources = [first] + [RasterSource(path, band, match=first.grid) for path in paths[1:]]
    for source in sources[1:]:
        if source.warped:
            reporter.log(f"{source.name} differs from {first.name} in CRS or pixel size; it is warped on the fly "
                         f"(bilinear) to {first.name}'s CRS and pixel size.")
    return sources


def open_coarse_sources(paths: list, band: int, first_grid: Grid, factor: int) -> list:
    """The training rasters averaged over factor x factor pixels, on the first raster's grid (GDAL warped VRTs)."""
    geotransform = list(first_grid.geotransform)
    geotransform[1] *= factor
    geotransform[5] *= factor
    coarse = Grid(first_grid.crs_wkt, tuple(geotransform), first_grid.width // factor, first_grid.height // factor)
    return [RasterSource(path, band, match=coarse, resampling="average") for path in paths]


def check_raster_sizes(sources: list, settings: TrainSettings) -> None:
    """Every raster must hold one training tile with what the networks see around it (the tile sampler checks the
    tile alone)."""
    side = settings.minimum_raster_side
    if settings.cascade:
        why = (f"the coarse stage learns {settings.coarse_tile_size}-pixel tiles of the raster averaged over "
               f"{settings.coarse_factor} x {settings.coarse_factor} pixels (whole catchments)")
    elif settings.context_pixels:
        why = (f"the discriminator judges {settings.tile_size}-pixel tiles with {settings.context_pixels} pixels "
               f"around them")
    else:
        return
    for source in sources:
        height, width = source.shape
        if min(height, width) < side:
            raise InputError(
                f"{source.name} is {width} x {height} pixels; training needs rasters of at least {side} x {side} "
                f"pixels, because {why}. Choose a smaller tile size, a larger raster, or several rasters that each "
                f"have that size.")


# Generated tiles per step that the depression loss fills (each larger than a training tile): the exact fill
# runs on the CPU, a few milliseconds per tile.
DEPRESSION_TILES = 4


def _stream_seed(seed: int, rank: int) -> int:
    """Rank 0 keeps the seed, so a single process trains exactly as before; other ranks get their own noise."""
    return seed if rank == 0 else int(np.random.SeedSequence([seed, rank]).generate_state(1)[0])


@dataclass
class StageResult:
    generator_ema: torch.nn.Module
    discriminator: Discriminator
    history: dict
    seconds: float
    real_depth: float  # mean closed-depression depth of real tiles, normalised relief
    steps_done: int  # with the steps of the training it continues
    cancelled: bool  # stopped early by the user: the networks hold what was learned so far
    state: dict  # core.resume.training_state: what continuing this training needs


class LatentNoise:
    """Spatial noise for one stage's generator: (batch, latent, tile / 8, tile / 8), channels-last."""

    def __init__(self, config, tile_size: int, seed: int, device: torch.device, margin_cells: int = 0):
        side = tile_size // config.upsampling_factor + 2 * margin_cells
        self.shape = (config.latent_channels, side, side)
        self.device = device
        self.generator = torch.Generator(device=device).manual_seed(seed)

    def __call__(self, batch: int, scale: int = 1) -> torch.Tensor:
        """A batch of noise for tiles `scale` times the stage's tile side."""
        channels, height, width = self.shape
        return torch.randn(batch, channels, height * scale, width * scale, generator=self.generator,
                           device=self.device).contiguous(memory_format=torch.channels_last)


class _StatusLines:
    """Log lines with the losses, speed and time left: every 5 % of the steps, and at least every STATUS_SECONDS."""

    def __init__(self, name: str, first_step: int, steps: int, tiles_per_step: int, reporter: Reporter,
                 structure_name: str = "structure loss"):
        self.name, self.first_step, self.steps, self.tiles_per_step = name, first_step, steps, tiles_per_step
        self.structure_name = structure_name
        self.reporter = reporter
        self.every = max(1, steps // 20)
        self.started = self.last = time.perf_counter()
        self.losses = []  # (discriminator, generator, structure) since the last line

    def after_step(self, step: int, losses: tuple) -> None:
        """`step`: steps done, counting those of the training this run continues."""
        self.losses.append(losses)
        now, done = time.perf_counter(), step - self.first_step
        if done % self.every and now - self.last < STATUS_SECONDS and done < self.steps:
            return
        elapsed = now - self.started
        mean_d, mean_g, mean_s = np.mean(self.losses, axis=0)
        # A single GAN (no name) has no structure losses to report.
        stage = f"{self.name.capitalize()} stage, step" if self.name else "Step"
        structure = f", {self.structure_name} {mean_s:.4f}" if self.name else ""
        left = elapsed / done * (self.steps - done)
        speed = self.tiles_per_step * done / elapsed
        self.reporter.log(f"{stage} {step}/{self.first_step + self.steps}: discriminator loss {mean_d:.3f}, generator "
                          f"loss {mean_g:.3f}{structure}; {speed:.0f} tiles/s, {duration_text(elapsed)} elapsed, "
                          f"about {duration_text(left)} left")
        self.reporter.status(TrainingStatus(self.name, step, self.first_step + self.steps, float(mean_d),
                                            float(mean_g), speed, elapsed, left))
        self.last, self.losses = now, []


def train_stage(name: str, generator, sampler: TileSampler, generator_inputs, structure_loss, settings: TrainSettings,
                device, reporter: Reporter, replicas: Replicas, on_step=None, resume: ResumePoint = None,
                on_save=None, can_stop_early: bool = False, structure_name: str = "structure loss",
                needs_real_depth: bool = True, context: int = 0) -> StageResult:
    """Adversarial training of one stage (of a terrain GAN, or of a conditional one: core.train_conditional).

    `generator_inputs(real)` gives the generator's arguments for a batch of real tiles, `structure_loss(fake,
    inputs, real, real_depth)` the losses beside the adversarial one (None: none), logged as `structure_name`;
    `real_depth` is real tiles' closed-depression depth, measured only when `needs_real_depth`. With `context`,
    the sampler's tiles and the generator's output are `context` pixels wider on every side than the tiles the
    discriminator judges: only its features see the rim.

    `resume` continues a model's training; `on_save(result)` is called every `settings.checkpoint_minutes`
    with the networks so far; with `can_stop_early`, cancelling after the first step ends the stage with what
    was learned (result.cancelled) instead of raising Cancelled."""
    discriminator = Discriminator(settings.model).to(device, memory_format=torch.channels_last)
    calibration = torch.from_numpy(sampler.sample(256)).to(device)
    discriminator.features.calibrate(calibration)
    # Real tiles' closed-depression depth: the bar of the depression loss (the fill costs a second or so).
    real_depth = float(smoothed_depression_depth(calibration).mean()) if structure_loss and needs_real_depth else 0.0
    betas = (0.0, 0.99)
    optimiser_g = torch.optim.Adam(generator.parameters(), lr=settings.learning_rate, betas=betas)
    optimiser_d = torch.optim.Adam(discriminator.parameters(), lr=settings.discriminator_learning_rate, betas=betas)
    generator_ema = copy.deepcopy(generator).eval().requires_grad_(False)
    history = {"step": [], "discriminator": [], "generator": [], "structure": []}
    first_step = 0
    if resume is not None:
        generator.load_state_dict(resume.generator)
        generator_ema.load_state_dict(resume.generator_ema)
        discriminator.load_state_dict(resume.discriminator)
        optimiser_g.load_state_dict(resume.generator_optimiser)
        optimiser_d.load_state_dict(resume.discriminator_optimiser)
        history = {key: list(resume.history.get(key, [])) for key in history}
        first_step = resume.steps_done
    replicas.broadcast_parameters(generator)
    replicas.broadcast_parameters(discriminator)
    replicas.broadcast_parameters(generator_ema)
    record_every = max(1, settings.iterations // 500)
    window_d, window_g, window_s = [], [], []
    started = last_save = time.perf_counter()
    global_batch = settings.batch_size * replicas.world_size  # tiles seen by all processes per step
    status = _StatusLines(name, first_step, settings.iterations, global_batch, reporter, structure_name)
    done, cancelled = first_step, False  # steps done, counting those of the training this one continues

    def stage_structure_loss(real):
        if structure_loss is None:
            return lambda fake, inputs: torch.zeros((), device=device)
        return lambda fake, inputs: structure_loss(fake, inputs, real, real_depth)

    def result() -> StageResult:
        return StageResult(generator_ema, discriminator, history, time.perf_counter() - started, real_depth, done,
                           cancelled, training_state(generator, optimiser_g, optimiser_d))

    def record() -> None:
        for key, window in (("discriminator", window_d), ("generator", window_g), ("structure", window_s)):
            history[key].append(float(np.mean(window)))
            window.clear()
        history["step"].append(done)

    with PrefetchingLoader(sampler, settings.batch_size, device) as real_batches:
        while done < first_step + settings.iterations:
            if reporter.is_cancelled():
                if not (can_stop_early and done > first_step):
                    raise Cancelled()
                cancelled = True
                break
            real = next(real_batches)
            loss_d = _discriminator_step(generator, discriminator, optimiser_d, real, generator_inputs(real), settings,
                                         settings.r1_gamma > 0 and done % settings.r1_every == 0, replicas, context)
            loss_g, loss_s = _generator_step(generator, discriminator, optimiser_g, generator_inputs(real),
                                             stage_structure_loss(real), replicas, context)
            done += 1
            # EMA half-life ramps up with the tiles seen, so early averages do not drag in the random start.
            half_life = min(settings.ema_half_life_tiles, 0.1 * done * global_batch)
            _update_ema(generator_ema, generator, 0.5 ** (global_batch / max(half_life, 1e-8)))
            if on_step is not None:
                on_step(done, generator_ema)
            window_d.append(loss_d)
            window_g.append(loss_g)
            window_s.append(loss_s)
            status.after_step(done, (loss_d, loss_g, loss_s))
            if (done - first_step) % record_every == 0:
                record()
            reporter.progress(100.0 * (done - first_step) / settings.iterations)
            if on_save is not None and time.perf_counter() - last_save >= 60.0 * settings.checkpoint_minutes:
                on_save(result())
                last_save = time.perf_counter()
    if window_d:  # the steps since the last record, e.g. when cancelled
        record()
    if not replicas.in_sync(generator):
        raise RuntimeError("The training processes ended with different generator weights; report this as a bug.")
    return result()


def _stage_reporter(reporter: Reporter, start: float, end: float) -> Reporter:
    """Progress of one stage mapped onto [start, end] percent of the whole training."""
    return replace(reporter, progress=lambda percent: reporter.progress(start + (end - start) * percent / 100.0))


@dataclass
class _Trained:
    """What a training path (single GAN or cascade) hands back for the checkpoint and the report."""

    final: StageResult  # the GAN whose generator makes the full-resolution relief
    seconds: float
    checkpoint: dict  # entries that differ between the paths
    make_fakes: object  # count -> generated tiles of the training tile size (for the realism critic)
    monitor: TrainingMonitor
    warnings: list  # warnings about earlier stages
    summary: str


def _train_single(sampler, rasters, settings, device, reporter, replicas, stream, resume: ResumePoint = None,
                  on_save=None) -> _Trained:
    """One GAN: noise straight to full-resolution relief (format-1 layout of the generator).

    `on_save(trained)` gets the model so far every `settings.checkpoint_minutes`; cancelling after the first
    step ends the training early with what was learned (trained.final.cancelled)."""
    config, batch = settings.model, settings.batch_size
    noise = LatentNoise(config, settings.tile_size, stream, device, settings.margin_cells)
    sample_noise = LatentNoise(config, settings.tile_size, settings.seed + 1, device)
    fixed = sample_noise(SAMPLES_PER_SNAPSHOT)
    first_step = resume.steps_done if resume else 0
    monitor = TrainingMonitor(sampler.sample(SAMPLES_PER_SNAPSHOT), settings.iterations, rasters[0].grid,
                              sampler.normalisation.relief_scale, lambda generator: generator(fixed), first_step,
                              on_snapshot=reporter.samples)
    # channels-last is the layout oneDNN and cuDNN convolutions are fastest in (about 25% here on a CPU).
    generator = Generator(config).to(device, memory_format=torch.channels_last)

    def trained(final: StageResult) -> _Trained:
        # Relief is defined up to a constant; measure the generator's mean level once, so generated rasters of
        # any size are centred on the training elevations whatever the seed or window. Noise of its own, so
        # saving a model on the way leaves the training's noise as it was.
        with torch.no_grad():
            level_noise = LatentNoise(config, settings.tile_size, settings.seed + 3, device)(16, scale=2)
            offset = float(final.generator_ema(level_noise).float().mean())
        steps = final.steps_done - first_step
        return _Trained(final, final.seconds,
                        {"architecture": SINGLE_STAGE,
                         "normalisation": {**sampler.normalisation.to_dict(), "generator_offset": offset}},
                        lambda count: final.generator_ema(sample_noise(count)), monitor, [],
                        f"Trained {steps} steps in {final.seconds:.0f} s"
                        + (f" (steps {first_step + 1} to {final.steps_done} of the model)" if first_step else ""))

    context = settings.context_pixels
    real_sampler, cut = sampler, settings.margin_cells
    if context:
        # The discriminator judges the middle of the generator's whole canvas, and real tiles come with the same rim.
        real_sampler = TileSampler(sampler.sources, settings.tile_size + 2 * context, settings.max_nodata_fraction,
                                   stream, replicas.rank)
        real_sampler.normalisation = sampler.normalisation  # one relief scale: the model's
        cut = 0
    final = train_stage("", generator, real_sampler, lambda real: (noise(batch), cut), None, settings, device,
                        reporter, replicas, on_step=monitor.after_step if replicas.is_main else None, resume=resume,
                        on_save=(lambda stage: on_save(trained(stage))) if on_save else None,
                        can_stop_early=not replicas.active, context=context)
    return trained(final)


def _train_cascade(sources, sampler, rasters, settings, device, reporter, replicas, stream) -> _Trained:
    """Two stages: a coarse GAN on the rasters averaged over k x k pixels, then the refinement GAN."""
    k, config, batch = settings.coarse_factor, settings.model, settings.batch_size
    coarse_rasters = open_coarse_sources(sources, settings.band, rasters[0].grid, k)
    coarse_sampler = TileSampler(coarse_rasters, settings.coarse_tile_size, settings.max_nodata_fraction,
                                 settings.seed, replicas.rank)
    norm, coarse_norm = sampler.normalisation, coarse_sampler.normalisation
    reporter.log(f"Cascade: {coarse_sampler.usable_tiles} coarse {settings.coarse_tile_size}-pixel tile positions "
                 f"(rasters averaged over {k} x {k} pixels), coarse relief scale {coarse_norm.relief_scale:.1f}.")
    # The coarse stage costs about a fifth of the time (tiles of a quarter the pixels): progress says so.
    coarse_share = 100.0 * settings.coarse_tile_size ** 2 / (settings.coarse_tile_size ** 2 + settings.tile_size ** 2)

    # Stage 1: the coarse GAN, on the rasters averaged over k x k pixels.
    # Its tiles come from the middle of a wider canvas, as the coarse relief under a generated raster does.
    coarse_noise = LatentNoise(config, settings.coarse_tile_size, stage_seed(stream, "coarse"), device,
                               settings.margin_cells)
    coarse_generator = Generator(config).to(device, memory_format=torch.channels_last)

    def coarse_structure(fake, inputs, real, real_depth):
        if not settings.depression_weight:  # the fill of wide tiles costs time: skip what weighs nothing
            return torch.zeros((), device=device)
        # On tiles twice the training tile's side: depressions wider than one tile are what spoil drainage
        # in large rasters. Real tiles' depth is the bar (larger real tiles drain at least about as well).
        wide = coarse_generator(coarse_noise(DEPRESSION_TILES, scale=2), settings.margin_cells)
        return settings.depression_weight * excess_depression_loss(wide, real_depth)

    reporter.log(f"Coarse stage: {settings.iterations} steps on {settings.coarse_tile_size}-pixel tiles of the "
                 f"rasters averaged over {k} x {k} pixels ({settings.coarse_tile_size * k} pixels of the originals).")
    coarse = train_stage("coarse", coarse_generator, coarse_sampler,
                         lambda real: (coarse_noise(batch), settings.margin_cells),
                         coarse_structure, settings, device, _stage_reporter(reporter, 0.0, coarse_share), replicas)
    with torch.no_grad():  # the coarse generator's mean level: relief is defined up to a constant
        coarse_offset = float(coarse.generator_ema(coarse_noise(16, scale=2)).float().mean())
    units = CoarseUnits(coarse_offset, coarse_norm.relief_scale, norm.relief_scale)

    # Samples of the whole pipeline (the refinement's depression loss, snapshots for the report, fakes for the
    # realism critic) draw their own noise: one coarse tile, refined over its whole area.
    sample_coarse = LatentNoise(config, settings.coarse_tile_size, settings.seed + 1, device)
    sample_fine = LatentNoise(config, settings.coarse_tile_size * k, settings.seed + 2, device)

    # Stage 2: the refinement GAN, adding detail to real tiles averaged over k x k pixels.
    fine_noise = LatentNoise(config, settings.tile_size, stage_seed(stream, "refinement"), device)
    refinement = RefinementGenerator(config, k).to(device, memory_format=torch.channels_last)
    refinement.calibrate(F.avg_pool2d(torch.from_numpy(sampler.sample(256)).to(device), k))

    def refinement_inputs(real):
        return fine_noise(batch), F.avg_pool2d(real, k)

    def refinement_structure(fake, inputs, real, real_depth):
        consistency = settings.consistency_weight * consistency_loss(fake, inputs[1], k)
        if not settings.depression_weight:
            return consistency
        # Depressions are judged on the whole pipeline, over one coarse tile (128 pixels by default): the
        # refinement must carve outlets through what the coarse generator makes, not only through real relief.
        carved = cascade_samples(coarse.generator_ema, refinement, units, sample_coarse(DEPRESSION_TILES // 2),
                                 sample_fine(DEPRESSION_TILES // 2))  # each 4 times a coarse-stage tile's pixels
        return settings.depression_weight * excess_depression_loss(carved, real_depth) + consistency

    def pipeline_samples(generator, coarse_batch, fine_batch) -> torch.Tensor:
        return cascade_samples(coarse.generator_ema, generator, units, coarse_batch, fine_batch, settings.tile_size)

    fixed = (sample_coarse(SAMPLES_PER_SNAPSHOT), sample_fine(SAMPLES_PER_SNAPSHOT))
    monitor = TrainingMonitor(sampler.sample(SAMPLES_PER_SNAPSHOT), settings.iterations, rasters[0].grid,
                              norm.relief_scale, lambda generator: pipeline_samples(generator, *fixed),
                              on_snapshot=reporter.samples)
    reporter.log(f"Refinement stage: {settings.iterations} steps on {settings.tile_size}-pixel tiles, adding detail to "
                 f"the relief averaged over {k} x {k} pixels.")
    refined = train_stage("refinement", refinement, sampler, refinement_inputs, refinement_structure, settings, device,
                          _stage_reporter(reporter, coarse_share, 100.0), replicas,
                          on_step=monitor.after_step if replicas.is_main else None)
    checkpoint = {
        "architecture": ARCHITECTURE,
        "normalisation": norm.to_dict(),
        "coarse": {
            "normalisation": {**coarse_norm.to_dict(), "generator_offset": coarse_offset},
            "usable_tiles": coarse_sampler.usable_tiles,
            "loss_history": coarse.history,
            "training_seconds": coarse.seconds,
            "generator": cpu_state(coarse.generator_ema),
            "discriminator": cpu_state(coarse.discriminator),
        },
    }
    seconds = coarse.seconds + refined.seconds
    return _Trained(refined, seconds, checkpoint,
                    lambda count: pipeline_samples(refined.generator_ema, sample_coarse(count), sample_fine(count)),
                    monitor, [f"Coarse stage: {w}" for w in monitor.warnings(coarse.history, with_samples=False)],
                    f"Trained {settings.iterations} steps per stage in {seconds:.0f} s (coarse {coarse.seconds:.0f} s, "
                    f"refinement {refined.seconds:.0f} s)")


def train(sources: list, output_path: str, settings: TrainSettings, reporter: Reporter = None,
          report_path: str = None, replicas: Replicas = None, resume_from: str = None) -> TrainResult:
    """Train on random tiles of `sources` (raster paths) and write a checkpoint to `output_path`, and an
    HTML training report (losses, samples, health warnings) to `report_path` when given.

    `resume_from` (a model file) continues that model's training for `settings.iterations` more steps, with
    the model's own settings; only the device and band given here apply. A single GAN's model is saved every
    `settings.checkpoint_minutes`, and cancelling after the first step keeps what was learned (the result
    says cancelled); cancelling earlier, or a cascade, raises Cancelled and writes nothing.

    Under torchrun, `replicas` says which process this is: every process trains on its own tiles,
    gradients are averaged, and only rank 0 writes the checkpoint and the report."""
    reporter = reporter or Reporter()
    replicas = replicas or Replicas()
    resume = None
    if resume_from:
        resume = load_resume_point(resume_from)
        settings = replace(resume.settings, iterations=settings.iterations, device=settings.device, band=settings.band)
        reporter.log(f"Continuing the training of {resume.name} from step {resume.steps_done} for "
                     f"{settings.iterations} more steps, with its own settings (tile {settings.tile_size} px, "
                     f"batch {settings.batch_size}, seed {settings.seed}); the tile size, batch size, seed and cascade "
                     f"given here are not used.")
    settings.validate()
    check_output_folders(output_path, report_path)  # refused now, not after hours of training
    device = replicas.device_for(resolve_device(settings.device))
    rasters = open_sources(sources, settings.band, reporter)
    check_raster_sizes(rasters, settings)
    # A continued training draws other tiles and noise than the run it continues.
    seed = (int(np.random.SeedSequence([settings.seed, resume.steps_done]).generate_state(1)[0]) if resume
            else settings.seed)
    sampler = TileSampler(rasters, settings.tile_size, settings.max_nodata_fraction, seed, replicas.rank)
    if resume:
        sampler.normalisation = resume.normalisation  # the model's units, whatever these rasters' spread
    norm = sampler.normalisation
    strides = "" if max(sampler.strides) == 1 else f" (on a grid every {max(sampler.strides)} pixels)"
    where = f"training on {describe_device(device)}"
    processes = f", {replicas.world_size} processes" if replicas.active else ""
    reporter.log(f"{len(rasters)} raster(s), {sampler.usable_tiles} usable {settings.tile_size}-pixel tile positions"
                 f"{strides}, relief scale {norm.relief_scale:.1f}, {where}{processes}.")

    first = rasters[0].grid

    def write_model(trained: _Trained, critic: dict = None) -> None:
        """The checkpoint: the generating networks, and without a critic, a model saved before the end."""
        completed = critic is not None
        save_checkpoint(output_path, {
            "settings": settings.to_dict(),
            "grid": grid_record(first),
            "sources": [r.name for r in rasters],
            "usable_tiles": sampler.usable_tiles,
            "iterations_done": trained.final.steps_done,
            "completed": completed,
            "processes": replicas.world_size,
            "training_seconds": trained.seconds + (resume.seconds if resume else 0.0),
            "loss_history": trained.final.history,
            "seed": settings.seed,
            "versions": library_versions(),
            "generator": cpu_state(trained.final.generator_ema),
            "discriminator": cpu_state(trained.final.discriminator),
            **(critic if completed else {}),  # the realism critic and its reference levels
            **({"training_state": trained.final.state} if not settings.cascade else {}),
            **trained.checkpoint,
        })

    def save_so_far(trained: _Trained) -> None:
        try:
            write_model(trained)
        except InputError as error:  # e.g. a full disk: training goes on, the final save may still succeed
            reporter.log(f"Warning: the model so far (step {trained.final.steps_done}) was not saved: {error}")
            return
        reporter.log(f"Saved the model so far (step {trained.final.steps_done}) to {output_path}.")

    torch.manual_seed(seed)
    stream = _stream_seed(seed, replicas.rank)
    if settings.cascade:
        trained = _train_cascade(sources, sampler, rasters, settings, device, reporter, replicas, stream)
    else:
        trained = _train_single(sampler, rasters, settings, device, reporter, replicas, stream, resume,
                                on_save=save_so_far if replicas.is_main else None)
    if replicas.active:
        reporter.log(f"{replicas.world_size} processes trained in step; their generators are identical.")
    history, final = trained.final.history, trained.final
    result = TrainResult(output_path, replicas.average(history["generator"][-1]),
                         replicas.average(history["discriminator"][-1]), final.steps_done, trained.seconds,
                         final.cancelled)
    if not replicas.is_main:
        replicas.barrier()  # rank 0 writes the checkpoint
        return result
    if final.cancelled:
        write_model(trained)
        summary = (f"Training cancelled at step {final.steps_done} of "
                   f"{settings.iterations + (resume.steps_done if resume else 0)}: "
                   f"the model learned so far is written to {output_path}. It generates terrain; to continue its "
                   f"training, train again with it as the model to resume from. It has no realism critic yet (realism "
                   f"maps score with its discriminator).")
    else:
        write_model(trained, train_realism_critic(final.discriminator, trained.make_fakes, sampler, settings, reporter))
        summary = f"{trained.summary}; model written to {output_path}."
    reporter.log(summary)
    warnings = trained.warnings + trained.monitor.warnings(history)
    for warning in warnings:
        reporter.log(f"Warning: {warning}")
    if report_path:
        trained.monitor.write_report(report_path, history, warnings, summary)
    replicas.barrier()
    return result


def main(argv=None) -> int:
    defaults = TrainSettings()
    parser = argparse.ArgumentParser(prog="python -m core.train",
                                     description="Train a GeoGAN terrain model on DEM rasters.")
    parser.add_argument("inputs", nargs="+", help="elevation rasters to learn from (any GDAL format); rasters in "
                        "another CRS or pixel size are warped on the fly to the first one's")
    parser.add_argument("--output", "-o", required=True, help="model file to write (.pt)")
    parser.add_argument("--band", type=int, default=defaults.band,
                        help="band of the elevations in every input (default: %(default)s)")
    parser.add_argument("--tile-size", type=int, default=defaults.tile_size,
                        help="side of the training tiles in pixels, a multiple of 16; larger tiles learn larger "
                             "landforms but train more slowly (default: %(default)s)")
    parser.add_argument("--iterations", type=int, default=defaults.iterations,
                        help="training steps (with --cascade, of each stage); a few hundred give a rough model "
                             "(default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size,
                        help="tiles per training step, per process under torchrun (default: %(default)s)")
    parser.add_argument("--device", choices=DEVICE_CHOICES, default=defaults.device,
                        help="auto: a CUDA GPU when PyTorch sees one, else the CPU (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=defaults.seed,
                        help="random seed of the tiles drawn, the noise and the initial weights (default: %(default)s)")
    parser.add_argument("--report", help="HTML training report to write: loss curves, samples, warnings when "
                        "training collapsed or diverged (default: none is written)")
    parser.add_argument("--cascade", action="store_true",
                        help=f"experimental: train a coarse GAN on the rasters averaged over {defaults.coarse_factor} "
                             f"x {defaults.coarse_factor} pixels, then a refinement GAN (see bench/RESULTS.md) "
                             "(default: off, one GAN)")
    parser.add_argument("--resume", metavar="MODEL",
                        help="continue the training of this model (.pt, a single GAN) for --iterations more steps, "
                             "with its own tile size, batch size and seed (default: a new model)")
    args = parser.parse_args(argv)
    settings = TrainSettings(tile_size=args.tile_size, iterations=args.iterations, batch_size=args.batch_size,
                             seed=args.seed, band=args.band, device=args.device, cascade=args.cascade)
    try:
        replicas = join_from_environment(resolve_device(args.device))  # under torchrun: one of several processes
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    share_cpu_between_processes()
    last = [-1]

    def progress(percent: float) -> None:
        if int(percent) // 5 != last[0]:
            last[0] = int(percent) // 5
            print(f"{percent:5.1f} %", file=sys.stderr)

    reporter = Reporter(progress=progress, log=print) if replicas.is_main else Reporter()
    try:
        train(args.inputs, args.output, settings, reporter, args.report, replicas, resume_from=args.resume)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        replicas.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
