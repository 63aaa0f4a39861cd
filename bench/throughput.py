"""Training throughput benchmark (issue 4): tiles per second through geogan:traingan against a bare PyTorch loop.

Both train the same generator and discriminator (default architecture, 64 px tiles, batch 16) with the same
steps (non-saturating loss, R1 every 4th discriminator step, generator EMA) on the CPU. The bare loop takes
its batches from a tensor already in memory and does nothing else. geogan:traingan runs through
processing.run in a headless QGIS, with everything a user gets: tiles read and augmented by the prefetching
loader, progress and cancel checks, loss history, sample snapshots. Its speed is the training loop's time
as recorded in the checkpoint; set-up and the realism critic trained afterwards are shown apart.
Runs alternate (bare, plugin, bare, plugin) so that drifting machine load hits both. Goal: at least 0.95 x.

Both loops make their fakes as the product does since issue 8: from the middle of a wider canvas (the training
margin), judged with the depression channel.

    python bench/throughput.py [--steps 150] [--rounds 2] [--quick]
"""

import argparse
import copy
import os
import sys
import tempfile
import time

import common

STEPS, QUICK_STEPS = 150, 20
ROUNDS, QUICK_ROUNDS = 2, 1
GOAL_RATIO = 0.95


def bare_loop(steps: int, settings) -> float:
    """Tiles per second of a plain PyTorch GAN loop on in-memory batches."""
    import torch
    from torch.nn import functional as F

    from core.models import Discriminator, Generator
    from core.raster_io import RasterSource
    from core.tiles import TileSampler
    from core.train import LatentNoise

    sampler = TileSampler([RasterSource(common.SAMPLE_DEM)], settings.tile_size)
    data = [torch.from_numpy(sampler.sample(settings.batch_size)).contiguous(memory_format=torch.channels_last)
            for _ in range(32)]
    torch.manual_seed(0)
    config = settings.model
    generator = Generator(config).to(memory_format=torch.channels_last)
    discriminator = Discriminator(config).to(memory_format=torch.channels_last)
    discriminator.features.calibrate(torch.cat(data[:16]))
    ema = copy.deepcopy(generator).requires_grad_(False)
    opt_g = torch.optim.Adam(generator.parameters(), lr=settings.learning_rate, betas=(0.0, 0.99))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=settings.discriminator_learning_rate, betas=(0.0, 0.99))
    margin = settings.margin_cells
    noise = LatentNoise(config, settings.tile_size, 0, torch.device("cpu"), margin)  # as the training draws it

    started = time.perf_counter()
    for step in range(steps):
        real = data[step % len(data)]
        r1 = step % settings.r1_every == 0
        discriminator.requires_grad_(True)
        real.requires_grad_(r1)
        with torch.no_grad():
            fake = generator(noise(settings.batch_size), margin)
        real_logits = discriminator(real)
        loss = F.softplus(discriminator(fake)).mean() + F.softplus(-real_logits).mean()
        if r1:
            (gradient,) = torch.autograd.grad(real_logits.sum(), real, create_graph=True)
            loss = loss + 0.5 * settings.r1_gamma * settings.r1_every * gradient.square().sum(dim=(1, 2, 3)).mean()
        opt_d.zero_grad(set_to_none=True)
        loss.backward()
        opt_d.step()
        discriminator.requires_grad_(False)
        loss_g = F.softplus(-discriminator(generator(noise(settings.batch_size), margin))).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        with torch.no_grad():
            for e, p in zip(ema.parameters(), generator.parameters()):
                e.lerp_(p, 0.01)
        loss.item(), loss_g.item()  # the real loop reads both losses every step too
    return steps * settings.batch_size / (time.perf_counter() - started)


def start_qgis():
    """A headless QGIS with Processing and the built plugin (build/plugins, made by `make package`)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    application = QgsApplication([], False)
    application.initQgis()
    import qgis.utils

    sys.path.append(os.path.join(QgsApplication.pkgDataPath(), "python", "plugins"))  # QGIS's own Processing
    from processing.core.Processing import Processing

    Processing.initialize()
    plugins = os.path.join(common.ROOT, "build", "plugins")
    if not os.path.isdir(os.path.join(plugins, "geogan_qgis")):
        raise SystemExit("Build the plugin first: make package")
    sys.path.insert(0, plugins)
    qgis.utils.plugin_paths.insert(0, plugins)
    if not (qgis.utils.loadPlugin("geogan_qgis") and qgis.utils.startProcessingPlugin("geogan_qgis")):
        raise SystemExit("The GeoGAN plugin did not load.")
    return application


def plugin_run(steps: int, settings, folder: str) -> dict:
    import processing
    import torch

    path = os.path.join(folder, "throughput.pt")
    started = time.perf_counter()
    processing.run("geogan:traingan", {"INPUT_LAYERS": [common.SAMPLE_DEM], "TILE_SIZE": settings.tile_size,
                                       "ITERATIONS": steps, "BATCH_SIZE": settings.batch_size, "DEVICE": 1,
                                       "SEED": 0, "OUTPUT_MODEL": path})
    wall = time.perf_counter() - started
    loop = torch.load(path, weights_only=True)["training_seconds"]
    return {"tiles_per_second": steps * settings.batch_size / loop, "loop_seconds": loop, "wall_seconds": wall}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/throughput.py", parents=[common.common_options()],
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=None, help=f"training steps per run (default {STEPS})")
    parser.add_argument("--rounds", type=int, default=None, help=f"bare/plugin pairs (default {ROUNDS})")
    args = parser.parse_args(argv)
    steps = args.steps or (QUICK_STEPS if args.quick else STEPS)
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS)

    import torch

    from core.settings import TrainSettings

    settings = TrainSettings(device="cpu")
    load_before = common.load_average()
    application = start_qgis()
    bare, plugin = [], []
    with tempfile.TemporaryDirectory() as folder:
        for round_number in range(rounds):
            bare.append(bare_loop(steps, settings))
            plugin.append(plugin_run(steps, settings, folder))
            print(f"  round {round_number + 1}: bare {bare[-1]:.1f} tiles/s, geogan:traingan "
                  f"{plugin[-1]['tiles_per_second']:.1f} tiles/s", flush=True)
    mean_bare = sum(bare) / len(bare)
    mean_plugin = sum(p["tiles_per_second"] for p in plugin) / len(plugin)
    ratio = mean_plugin / mean_bare
    extra = sum(p["wall_seconds"] - p["loop_seconds"] for p in plugin) / len(plugin)
    header = ["run", "tiles/s", "ratio to bare"]
    rows = [["bare PyTorch loop (batches in memory)", f"{mean_bare:.1f}", "1.00"],
            ["geogan:traingan (processing.run)", f"{mean_plugin:.1f}", f"{ratio:.2f}"]]
    verdict = f"Goal (at least {GOAL_RATIO} x the bare loop): {'met' if ratio >= GOAL_RATIO else 'MISSED'}."
    print(f"\nTraining throughput on the CPU ({settings.tile_size} px tiles, batch {settings.batch_size}, "
          f"{steps} steps x {rounds} rounds, torch {torch.get_num_threads()} threads)")
    print(common.text_table(header, rows))
    print(f"{verdict} Outside the loop, geogan:traingan spent {extra:.1f} s per run on set-up, the realism critic "
          f"and writing the model.")
    application.exitQgis()
    default_settings = not args.quick and args.steps is None and args.rounds is None
    if common.should_record(args, default_settings):
        common.append_results(f"""## Training throughput (issue 4), {common.now_utc()}

`{common.command_line()}` on {common.machine_line()}; torch {torch.__version__} with {torch.get_num_threads()} \
threads, code {common.code_version()}. Load average before {load_before}, after {common.load_average()}.

{common.markdown_table(header, rows)}

{verdict} Mean of {rounds} alternating rounds of {steps} steps. geogan:traingan's figure is its training loop as \
recorded in the checkpoint; outside it, {extra:.1f} s per run went to set-up (scan, normalisation), the realism \
critic and writing the model.
""")
    return 0


if __name__ == "__main__":
    sys.exit(main())
