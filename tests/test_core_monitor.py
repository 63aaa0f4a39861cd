"""The training health check (core.monitor.TrainingMonitor) and its HTML report, on made-up runs: made-up loss
histories and sample snapshots of a healthy, a collapsed and a diverged training, so each test fails when the
judgement it names breaks, whatever a real short training happens to do. Nothing is trained."""

import numpy as np
import pytest
import torch

from core.monitor import SAMPLES_PER_SNAPSHOT, TrainingMonitor
from core.raster_io import Grid

ITERATIONS = 120
TILE = 32
RELIEF_SCALE = 50.0  # metres per unit of normalised relief
GRID = Grid("", (500000.0, 30.0, 0.0, 4000000.0, 0.0, -30.0), 256, 256)  # no CRS: projected, 30 m pixels


def _terrain(seed: int, count: int = SAMPLES_PER_SNAPSHOT) -> np.ndarray:
    """`count` different smooth random surfaces, (count, 1, TILE, TILE), normalised relief as training sees it."""
    rng = np.random.default_rng(seed)
    tiles = rng.normal(size=(count, 1, TILE, TILE)).cumsum(axis=2).cumsum(axis=3)
    tiles -= tiles.mean(axis=(2, 3), keepdims=True)
    return (tiles / tiles.std()).astype(np.float32)


def _history(discriminator, generator) -> dict:
    steps = len(discriminator)
    return {"step": list(range(1, steps + 1)), "discriminator": [float(d) for d in discriminator],
            "generator": [float(g) for g in generator], "structure": [0.0] * steps}


def _healthy_history() -> dict:
    """Losses of a balanced run: the discriminator near log 4, the generator around 1, a little noise."""
    rng = np.random.default_rng(0)
    return _history(1.3 + 0.05 * rng.normal(size=ITERATIONS), 1.0 + 0.1 * rng.normal(size=ITERATIONS))


def _run(snapshots: list) -> TrainingMonitor:
    """A monitor that went through a training whose EMA generator gave `snapshots[k]` at its k-th snapshot."""
    made = iter(snapshots)
    monitor = TrainingMonitor(_terrain(seed=1), ITERATIONS, GRID, RELIEF_SCALE, lambda generator: next(made))
    for step in range(1, ITERATIONS + 1):
        monitor.after_step(step, generator_ema=None)
    assert len(monitor.snapshots) == len(snapshots)
    return monitor


def _run_steps() -> list:
    return TrainingMonitor(_terrain(seed=1), ITERATIONS, GRID, RELIEF_SCALE, None).snapshot_steps


def _varied_snapshots() -> list:
    """Six different surfaces at every snapshot, as varied as the real tiles."""
    return [torch.from_numpy(_terrain(seed=10 + k)) for k in range(len(_run_steps()))]


def _collapsed(seed: int) -> torch.Tensor:
    """Six samples of one surface, up to a trace of noise: what a generator that ignores its noise gives."""
    one = _terrain(seed, count=1)
    noise = 0.01 * np.random.default_rng(seed).normal(size=(SAMPLES_PER_SNAPSHOT, 1, TILE, TILE))
    return torch.from_numpy((one + noise).astype(np.float32))


def _report(monitor: TrainingMonitor, history: dict, tmp_path) -> str:
    path = tmp_path / "training.html"
    monitor.write_report(str(path), history, monitor.warnings(history), "Made-up run.")
    return path.read_text()


def test_a_healthy_run_gets_no_warning_and_its_report_says_so(tmp_path):
    monitor, history = _run(_varied_snapshots()), _healthy_history()
    assert monitor.warnings(history) == []
    page = _report(monitor, history, tmp_path)
    assert "No sign of collapse or divergence." in page
    assert 'class="warning"' not in page and "mode collapse" not in page and "diverged" not in page
    assert page.count("data:image/png;base64,") == 2  # loss curves, samples


def test_samples_that_collapse_at_the_end_are_reported_as_mode_collapse(tmp_path):
    """Varied samples until the last snapshot, then six copies of one surface: the last snapshot is judged."""
    snapshots = _varied_snapshots()
    snapshots[-1] = _collapsed(seed=99)
    monitor, history = _run(snapshots), _healthy_history()
    warnings = monitor.warnings(history)
    assert len(warnings) == 1 and "mode collapse" in warnings[0]
    assert monitor.warnings(history, with_samples=False) == []  # the losses alone look healthy
    page = _report(monitor, history, tmp_path)
    assert page.count('class="warning"') == 1 and "mode collapse" in page
    assert "No sign of collapse or divergence." not in page


def test_samples_that_collapsed_earlier_but_recovered_are_healthy():
    snapshots = [_collapsed(seed=k) for k in range(len(_run_steps()))]
    snapshots[-1] = torch.from_numpy(_terrain(seed=42))
    assert _run(snapshots).warnings(_healthy_history()) == []


@pytest.mark.parametrize("generator_tail, expected", [
    ([float("nan")] * 12, "diverged"),
    ([float("inf")] * 12, "diverged"),
    ([80.0] * 12, "diverged"),
])
def test_a_generator_loss_that_blows_up_is_reported_as_divergence(tmp_path, generator_tail, expected):
    healthy = _healthy_history()
    history = _history(healthy["discriminator"], healthy["generator"][:-12] + generator_tail)
    monitor = _run(_varied_snapshots())
    warnings = monitor.warnings(history)
    assert len(warnings) == 1 and expected in warnings[0]
    assert expected in _report(monitor, history, tmp_path)


def test_a_discriminator_that_wins_every_time_is_reported():
    healthy = _healthy_history()
    history = _history(healthy["discriminator"][:-12] + [0.01] * 12, healthy["generator"])
    warnings = _run(_varied_snapshots()).warnings(history)
    assert len(warnings) == 1 and "discriminator loss ended near zero" in warnings[0]
