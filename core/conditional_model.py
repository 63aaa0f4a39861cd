"""Loading a void-filling or super-resolution model (core.train_conditional) for use."""

import os
from dataclasses import dataclass

import torch

from .checkpoint import VOID_FILLING, Weights, load_checkpoint, restore_networks
from .devices import resolve_device
from .models import SuperResolutionGenerator, VoidFillGenerator
from .raster_io import recorded_grid
from .settings import FillSettings, SuperResolutionSettings
from .terrain import grid_pixel_metres


@dataclass
class ConditionalModel:
    generator: torch.nn.Module
    settings: object  # FillSettings or SuperResolutionSettings
    relief_scale: float  # elevation units per unit of normalised relief
    checkpoint: dict
    device: torch.device
    path: str

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    def training_pixel_metres(self) -> float:
        """The training rasters' pixel size in metres (the mean of x and y), for comparing grids."""
        return sum(grid_pixel_metres(recorded_grid(self.checkpoint["grid"]), row=0)) / 2


def load_conditional_model(path: str, kind: str, device: str = "auto") -> ConditionalModel:
    """The model in `path`, which must be of `kind` (VOID_FILLING or SUPER_RESOLUTION), ready on `device`."""
    torch_device = resolve_device(device)
    checkpoint = load_checkpoint(path, device="cpu", kinds=(kind,))

    def build() -> tuple:
        if kind == VOID_FILLING:
            settings = FillSettings.from_dict(checkpoint["settings"])
            generator = VoidFillGenerator(settings.model)
        else:
            settings = SuperResolutionSettings.from_dict(checkpoint["settings"])
            generator = SuperResolutionGenerator(settings.model, settings.factor)
        return settings, Weights(generator, checkpoint["generator"]), float(checkpoint["normalisation"]["relief_scale"])

    settings, generator, relief_scale = restore_networks(path, "generator", torch_device, build)
    return ConditionalModel(generator, settings, relief_scale, checkpoint, torch_device, path)


def conditional_tags(model: ConditionalModel, seed: int) -> dict:
    """Metadata every output of a conditional model carries: which model, which seed."""
    from . import __version__

    return {"GEOGAN_MODEL": model.name, "GEOGAN_SEED": seed, "GEOGAN_VERSION": __version__,
            "GEOGAN_TRAINED_ON": ", ".join(model.checkpoint.get("sources", [])),
            "TIFFTAG_SOFTWARE": f"GeoGAN {__version__}"}
