"""Continuing a training run: the training state a model file keeps, and reading it back.

The networks a model generates with are the moving average of the generator and the discriminator. To go on
training, the generator being trained and both optimisers' moments are needed too: every single-GAN model
file keeps them under "training_state", with the steps done, so a cancelled or finished training can continue
where it stopped, its loss history appended.
"""

import os
from dataclasses import dataclass

import torch

from .checkpoint import ARCHITECTURE, load_checkpoint
from .errors import InputError
from .settings import TrainSettings
from .tiles import Normalisation


def cpu_state(module: torch.nn.Module) -> dict:
    """A module's weights on the CPU: what a model file stores."""
    return {key: value.cpu() for key, value in module.state_dict().items()}


def training_state(generator: torch.nn.Module, optimiser_g, optimiser_d) -> dict:
    """What a model file needs, besides the networks it generates with, to continue training."""
    return {"generator": cpu_state(generator), "generator_optimiser": optimiser_g.state_dict(),
            "discriminator_optimiser": optimiser_d.state_dict()}


@dataclass
class ResumePoint:
    """A model's training, read back to be continued."""

    name: str
    settings: TrainSettings  # as the model was trained (tile size, batch, learning rates, networks)
    steps_done: int
    seconds: float  # training time so far
    history: dict  # loss history so far
    normalisation: Normalisation
    generator: dict  # state dicts: the generator being trained, its moving average, the discriminator
    generator_ema: dict
    discriminator: dict
    generator_optimiser: dict
    discriminator_optimiser: dict


def load_resume_point(path: str, device: str = "cpu") -> ResumePoint:
    """Read the training state of a model file; a model that cannot be continued gets a sentence saying why."""
    checkpoint = load_checkpoint(path, device)
    name = os.path.basename(path)
    if checkpoint.get("architecture") == ARCHITECTURE:
        raise InputError(f"{name} is a two-stage (cascade) model; continuing a cascade's training is not supported. "
                         f"Train a new model with more iterations instead.")
    if "training_state" not in checkpoint:
        raise InputError(f"{name} was written by an earlier GeoGAN that did not keep its training state: it still "
                         f"generates terrain, but its training cannot be continued. Train a new model instead.")
    state = checkpoint["training_state"]
    fields = Normalisation.__dataclass_fields__
    normalisation = Normalisation(**{k: v for k, v in checkpoint["normalisation"].items() if k in fields})
    return ResumePoint(name, TrainSettings.from_dict(checkpoint["settings"]), int(checkpoint["iterations_done"]),
                       float(checkpoint.get("training_seconds", 0.0)),
                       {key: list(values) for key, values in checkpoint["loss_history"].items()}, normalisation,
                       state["generator"], checkpoint["generator"], checkpoint["discriminator"],
                       state["generator_optimiser"], state["discriminator_optimiser"])
