"""Watching a training run: sample snapshots, collapse and divergence warnings, and the HTML training report."""

import numpy as np
import torch

from .terrain import grid_pixel_metres

SNAPSHOTS = 6
SAMPLES_PER_SNAPSHOT = 6


class TrainingMonitor:
    """Keeps a few hillshade-ready samples from fixed noise during training and judges the run at the end."""

    def __init__(self, real_batch: np.ndarray, iterations: int, grid, relief_scale: float, make_samples,
                 first_step: int = 0, on_snapshot=None):
        """`make_samples(generator)` gives the same few tiles' normalised relief whenever it is called (fixed noise);
        `first_step`: the steps done before this run (a continued training); `on_snapshot(step, relief)` is
        told of each snapshot (for a live view)."""
        self.on_snapshot = on_snapshot
        self.real = real_batch[:SAMPLES_PER_SNAPSHOT, 0] * relief_scale
        self.make_samples = make_samples
        self.snapshot_steps = sorted({first_step + max(1, round(iterations * k / SNAPSHOTS))
                                      for k in range(1, SNAPSHOTS + 1)})
        self.snapshots = []  # (step, samples in elevation units)
        self.relief_scale = relief_scale
        self.pixel = grid_pixel_metres(grid)

    @torch.no_grad()
    def after_step(self, step: int, generator_ema: torch.nn.Module) -> None:
        if step in self.snapshot_steps:
            relief = self.make_samples(generator_ema).float().cpu().numpy()[:, 0]
            self.snapshots.append((step, relief * self.relief_scale))
            if self.on_snapshot is not None:
                self.on_snapshot(*self.snapshots[-1])

    def warnings(self, history: dict, with_samples: bool = True) -> list:
        """Sentences about a collapsed or diverged run, empty when training looks healthy
        (samples: the last snapshot)."""
        found = []
        tail = max(1, len(history["discriminator"]) // 10)
        last_d = float(np.mean(history["discriminator"][-tail:]))
        if last_d < 0.05:
            found.append(f"The discriminator loss ended near zero ({last_d:.3f}): it wins every time, so the generator "
                         f"has stopped learning. Try more iterations with a lower learning rate, or a larger dataset.")
        if not np.isfinite(history["generator"][-tail:]).all() or max(history["generator"][-tail:]) > 50:
            found.append("The generator loss diverged; train again with another seed or fewer iterations.")
        if with_samples and self.snapshots:
            samples = self.snapshots[-1][1]
            spread = samples.reshape(len(samples), -1)
            spread = (spread - spread.mean(axis=1, keepdims=True)).std(axis=0).mean()
            real = self.real.reshape(len(self.real), -1)
            real_spread = (real - real.mean(axis=1, keepdims=True)).std(axis=0).mean()
            if spread < 0.2 * real_spread:
                found.append(f"Generated tiles look alike (spread {spread:.1f} against {real_spread:.1f} for real "
                             f"tiles): mode collapse. Train again with another seed or a larger batch.")
        return found

    def write_report(self, path: str, history: dict, warnings: list, summary: str) -> None:
        from .report import write_training_report

        write_training_report(path, history, self.snapshots, self.real, self.pixel, warnings, summary)
