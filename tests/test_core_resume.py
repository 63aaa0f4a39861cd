"""Training you can watch, stop and continue (core, without QGIS): status lines, saves on the way, cancel, resume."""

import os

import numpy as np
import pytest
import torch

import core.train
from core.checkpoint import ARCHITECTURE, load_checkpoint
from core.generate import generate
from core.progress import Cancelled, Reporter
from core.resume import load_resume_point
from core.settings import TrainSettings
from core.train import train

QUICK = dict(tile_size=32, iterations=12, batch_size=4, seed=1, device="cpu")


def _cancel_after(steps: int, log=None) -> Reporter:
    """A reporter whose user presses cancel once `steps` steps have reported progress."""
    done = []
    return Reporter(progress=done.append, is_cancelled=lambda: len(done) >= steps, log=log or (lambda _line: None))


@pytest.fixture(scope="module")
def cancelled_model(tmp_path_factory, sample_dem):
    folder = tmp_path_factory.mktemp("cancelled")
    path = str(folder / "model.pt")
    lines = []
    result = train([sample_dem], path, TrainSettings(**QUICK), _cancel_after(5, lines.append))
    return path, result, lines


def test_cancelled_training_keeps_what_was_learned(cancelled_model):
    path, result, lines = cancelled_model
    assert result.cancelled and result.iterations == 5
    assert os.listdir(os.path.dirname(path)) == ["model.pt"]  # no temporary file left beside it
    checkpoint = load_checkpoint(path)
    assert checkpoint["iterations_done"] == 5 and checkpoint["completed"] is False
    assert "critic" not in checkpoint  # trained only at the end
    assert checkpoint["loss_history"]["step"][-1] == 5
    assert any("cancelled at step 5 of 12" in line and path in line for line in lines)
    relief = generate(path, seed=1, width=64, height=64)
    assert relief.shape == (64, 64) and np.isfinite(relief).all()


def test_training_cancelled_before_its_first_step_writes_nothing(tmp_path, sample_dem):
    with pytest.raises(Cancelled):
        train([sample_dem], str(tmp_path / "m.pt"), TrainSettings(**QUICK), _cancel_after(0))
    assert os.listdir(tmp_path) == []


def test_resumed_training_continues_the_model(cancelled_model, tmp_path, sample_dem):
    path, _, _ = cancelled_model
    lines = []
    # Tile size and seed given here are not the model's: the model's own settings are kept.
    settings = TrainSettings(**{**QUICK, "tile_size": 64, "seed": 9, "iterations": 4})
    result = train([sample_dem], str(tmp_path / "more.pt"), settings, Reporter(log=lines.append),
                   resume_from=path)
    assert not result.cancelled and result.iterations == 9
    checkpoint = load_checkpoint(str(tmp_path / "more.pt"))
    assert checkpoint["iterations_done"] == 9 and checkpoint["completed"] is True and "critic" in checkpoint
    assert checkpoint["settings"]["tile_size"] == 32 and checkpoint["settings"]["seed"] == 1
    steps = checkpoint["loss_history"]["step"]
    assert steps[:5] == [1, 2, 3, 4, 5] and steps[-1] == 9 and steps == sorted(steps)
    # The optimisers' moments were restored: Adam counts every step of the model, not only this run's.
    adam = checkpoint["training_state"]["generator_optimiser"]["state"][0]
    assert int(adam["step"]) == 9
    assert any("from step 5 for 4 more steps" in line for line in lines)


def _altered_copy(model: str, path: str, **changes) -> str:
    """A copy of a model file with entries changed (None: removed)."""
    checkpoint = torch.load(model, weights_only=True)
    for key, value in changes.items():
        if value is None:
            del checkpoint[key]
        else:
            checkpoint[key] = value
    torch.save(checkpoint, path)
    return path


def test_models_that_cannot_be_continued_say_why(tmp_path, cancelled_model):
    cascade = _altered_copy(cancelled_model[0], str(tmp_path / "cascade.pt"), architecture=ARCHITECTURE, coarse={})
    with pytest.raises(ValueError, match="continuing a cascade's training is not supported"):
        load_resume_point(cascade)
    earlier = _altered_copy(cancelled_model[0], str(tmp_path / "earlier.pt"), training_state=None)
    with pytest.raises(ValueError, match="earlier GeoGAN that did not keep its training state"):
        load_resume_point(earlier)


def test_status_lines_say_speed_and_time_left_however_long_the_steps(tmp_path, sample_dem, monkeypatch):
    lines = []
    settings = TrainSettings(**{**QUICK, "iterations": 100})
    monkeypatch.setattr(core.train, "STATUS_SECONDS", 0.0)  # every step takes longer than that
    train([sample_dem], str(tmp_path / "m.pt"), settings, _cancel_after(8, lines.append))
    status = [line for line in lines if line.startswith("Step ")]
    # Every 5 % would be one line in 8 steps of 100; the clock asks for one per step.
    assert [line.split(":")[0] for line in status] == [f"Step {n}/100" for n in range(1, 9)]
    assert all("tiles/s" in line and "elapsed" in line and "left" in line for line in status)


def test_model_is_saved_on_the_way(tmp_path, sample_dem):
    path = str(tmp_path / "m.pt")
    saved_steps = []

    def progress(_percent):
        if os.path.exists(path):
            saved_steps.append(load_checkpoint(path)["iterations_done"])

    settings = TrainSettings(**{**QUICK, "checkpoint_minutes": 0.0})  # save after every step
    # Cancelled after 3 steps: the saves on the way are what this checks, not the end of training.
    train([sample_dem], path, settings, Reporter(progress=progress, is_cancelled=lambda: len(saved_steps) >= 2))
    assert saved_steps == [1, 2]  # each progress call sees the save of the step before
    assert load_checkpoint(path)["iterations_done"] == 3
