"""The checkpoint format: a torch file of tensors and plain JSON-able metadata, loaded without unpickling code."""

import io
import os
import pickle
from typing import NamedTuple

import torch

from .errors import InputError
from .output_files import write_atomically

FORMAT_NAME = "geogan-terrain-gan"
# 1: one GAN ("generator" turns noise into relief). 2: a coarse-to-fine cascade: "coarse" holds the coarse
# GAN, "generator" is the refinement; "architecture" says which. Both load and generate.
FORMAT_VERSION = 2
ARCHITECTURE = "coarse-to-fine cascade"
SINGLE_STAGE = "single GAN"
# Conditional models (core.train_conditional) share the format; "architecture" says what they do.
VOID_FILLING = "void filling"
SUPER_RESOLUTION = "super-resolution"
TERRAIN_GANS = (SINGLE_STAGE, ARCHITECTURE)
# What each kind of model does, for the sentence that refuses a model of the wrong kind.
PURPOSES = {SINGLE_STAGE: "generating synthetic terrain", ARCHITECTURE: "generating synthetic terrain",
            VOID_FILLING: "filling voids in DEMs", SUPER_RESOLUTION: "sharpening coarse DEMs (super-resolution)"}
REQUIRED_KEYS = ("format", "format_version", "settings", "normalisation", "grid", "generator", "discriminator")


class CheckpointError(InputError):
    """A model file that is missing, damaged, or not a GeoGAN model."""


def save_checkpoint(path: str, checkpoint: dict) -> None:
    """Write atomically: the file appears only when complete. Serialised in memory first, so a full disk
    is an OSError of one plain write (torch's zip writer would bury it under an error of its own)."""
    buffer = io.BytesIO()
    torch.save({"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **checkpoint}, buffer)
    write_atomically(path, buffer.getbuffer())


def load_checkpoint(path: str, device: str = "cpu", kinds: tuple = TERRAIN_GANS) -> dict:
    """Load and check a GeoGAN model file of one of `kinds` (architectures); any problem becomes a
    CheckpointError that says what to do."""
    name = os.path.basename(path)
    if not path or not os.path.isfile(path):
        raise CheckpointError(f"The model file {path!r} does not exist; choose a model file, or train one first "
                              f"(geogan:traingan, or python -m core.train).")
    try:
        # weights_only=True: a model file from elsewhere can never run code while it loads.
        checkpoint = torch.load(path, map_location=device, weights_only=True)
    except Exception as error:  # torch raises many kinds of error on damaged or foreign files
        if isinstance(error, pickle.UnpicklingError) and "unsupported global" in str(error).lower():
            raise CheckpointError(
                f"{name} holds Python objects that could run code, so it was not loaded; "
                f"only use model files written by GeoGAN's training."
            ) from error
        raise CheckpointError(
            f"{name} is not a GeoGAN model, or it is truncated or damaged ({error.__class__.__name__}); "
            f"choose a .pt file written by GeoGAN's training."
        ) from error
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{name} is a PyTorch file but not a GeoGAN model; "
                              "choose a file written by GeoGAN's training.")
    if checkpoint.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(
            f"{name} was written by a newer GeoGAN (model format {checkpoint['format_version']}); update GeoGAN."
        )
    kind = checkpoint.get("architecture", SINGLE_STAGE)
    if kind not in kinds:
        wanted = PURPOSES[kinds[0]]
        raise CheckpointError(f"{name} is a model for {PURPOSES.get(kind, kind)}, not for {wanted}; choose a model "
                              f"trained for {wanted}.")
    required = REQUIRED_KEYS + (("coarse",) if checkpoint.get("architecture") == ARCHITECTURE else ())
    missing = [key for key in required if key not in checkpoint]
    if missing:
        raise CheckpointError(f"{name} is an incomplete GeoGAN model (missing {', '.join(missing)}); train it again.")
    return checkpoint


class Weights(NamedTuple):
    """A network to restore: a fresh module and its state dict from the checkpoint."""

    module: torch.nn.Module
    state: dict


def restore_networks(path: str, what: str, device: torch.device, build) -> tuple:
    """Networks rebuilt from a model file for inference, the same way for every kind of model.

    `build()` reads what it needs of the checkpoint (settings, normalisation) and returns a tuple in which each
    network is a Weights. Their weights are loaded here, and each comes back as its module, on `device`,
    channels-last, in eval mode and without gradients; the tuple's other items come back as they are. A file that
    does not fit this GeoGAN (settings it does not know, missing entries, weights of other shapes) is a
    CheckpointError naming `what` ("generator", "discriminator")."""
    try:
        built = tuple(build())
        for item in built:
            if isinstance(item, Weights):
                item.module.load_state_dict(item.state)
    except (TypeError, KeyError, RuntimeError) as error:
        raise CheckpointError(f"{os.path.basename(path)} does not match this GeoGAN's {what} ({error}); "
                              f"train the model again with this version.") from error
    return tuple(item.module.to(device, memory_format=torch.channels_last).eval().requires_grad_(False)
                 if isinstance(item, Weights) else item for item in built)
