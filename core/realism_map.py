"""Realism maps: a model's critic slid over an elevation raster, scoring how much each pixel's terrain looks like
the model's training data (0 to 1). That is likeness to the training data, not realness in general: real terrain
from elsewhere scores lower, so the log gives the training data's own score (kept in the model) as the reference.

Windows of the model's tile size, a quarter tile apart, are normalised as in training and scored as the mean
over their four quarter turns (one minibatch-spread group per window, as the critic was trained). A pixel's
score is the mean logit of the windows covering it, through a sigmoid. The output is written one row of
windows at a time (and large inputs are read that way), so the raster's size is not limited by memory.
"""

import os
from dataclasses import dataclass

import numpy as np
import torch

from . import __version__
from .checkpoint import Weights, load_checkpoint, restore_networks
from .critic import TURNS, turned_logits, windows_per_batch
from .devices import autocast, describe_device, resolve_device
from .errors import InputError
from .models import Discriminator
from .output_formats import raster_output
from .progress import Reporter
from .raster_io import GeoTiffWriter, Grid, RasterSource, recorded_grid, same_crs
from .settings import TrainSettings
from .tiles import normalised_relief

DESCRIPTION = "realism: likeness to the training data (0 = unlike, 1 = alike)"


@dataclass
class RealismCritic:
    network: Discriminator
    tile_size: int
    relief_scale: float
    max_nodata_fraction: float
    grid: Grid  # the model's grid: its training data's CRS, origin and pixel size
    scorer: str  # "critic", or "discriminator" for models trained before the critic existed
    device: torch.device
    reference: dict = None  # critic.reference_levels at training time; None for models trained before them


def load_critic(path: str, device: str = "cpu", reporter: Reporter = None) -> RealismCritic:
    reporter = reporter or Reporter()
    torch_device = resolve_device(device)
    checkpoint = load_checkpoint(path, device="cpu")
    name = os.path.basename(path)
    scorer = "critic" if "critic" in checkpoint else "discriminator"
    if scorer == "discriminator":
        why = ("its training was stopped before the end, when the critic is trained"
               if checkpoint.get("completed") is False else "it was trained before GeoGAN had a realism critic")
        reporter.log(f"{name} has no realism critic ({why}); scoring with its GAN discriminator, which may rate "
                     f"fractal noise as real. Train the model to the end (or continue its training) for a reliable "
                     f"map.")

    def build() -> tuple:
        settings = TrainSettings.from_dict(checkpoint["settings"])
        return (settings, Weights(Discriminator(settings.model), checkpoint[scorer]),
                float(checkpoint["normalisation"]["relief_scale"]))

    settings, network, relief_scale = restore_networks(path, "discriminator", torch_device, build)
    if settings.model.minibatch_std_group not in (0, 1, 2, TURNS):
        raise InputError(f"{name} groups {settings.model.minibatch_std_group} tiles in its discriminator; "
                         f"realism maps need groups of at most {TURNS}.")
    return RealismCritic(network, settings.tile_size, relief_scale, settings.max_nodata_fraction,
                         recorded_grid(checkpoint["grid"]),
                         scorer, torch_device, _reference_levels(checkpoint) if scorer == "critic" else None)


def _reference_levels(checkpoint: dict):
    levels = checkpoint.get("realism_reference")
    ok = isinstance(levels, dict) and all(isinstance(levels.get(k), float) for k in ("training_data", "generated"))
    return levels if ok else None


def reference_sentence(critic: RealismCritic) -> str:
    """The log line a map is read against: what the training data itself scores with this critic."""
    likeness = ("The map measures likeness to the model's training data, not whether terrain is real in general: "
                "real terrain from elsewhere can score well below the training data")
    if critic.reference is None:
        return (f"Reference level unknown: this model does not hold the score of its training data (it was trained "
                f"before GeoGAN kept it, or stopped before the end). {likeness}; score a part of the training area "
                f"for a reference, or train the model again.")
    return (f"Reference level: the training data scores {critic.reference['training_data']:.2f} on average with this "
            f"critic (the model's own output {critic.reference['generated']:.2f}). {likeness}.")


def window_starts(length: int, tile: int, stride: int) -> list:
    """Window offsets every `stride` pixels, plus one flush with the far edge so every pixel is covered."""
    starts = list(range(0, length - tile + 1, stride))
    if starts[-1] != length - tile:
        starts.append(length - tile)
    return starts


def window_logits(critic: RealismCritic, windows: np.ndarray) -> np.ndarray:
    """Mean critic logit over the four quarter turns of each (n, t, t) window of normalised relief."""
    logits = []
    per_batch = windows_per_batch(critic.tile_size)
    for first in range(0, len(windows), per_batch):
        chunk = torch.from_numpy(windows[first:first + per_batch, None]).to(critic.device)
        with torch.inference_mode(), autocast(critic.device):
            logits.append(turned_logits(critic.network, chunk).cpu().numpy())
    return np.concatenate(logits) if logits else np.empty(0, dtype=np.float32)


def _row_of_windows(critic: RealismCritic, values: np.ndarray, cols: list) -> tuple:
    """Logits of the windows along one row of windows (values: t rows) that have few enough nodata pixels."""
    t = critic.tile_size
    invalid = np.concatenate([[0], np.cumsum((~np.isfinite(values)).sum(axis=0))])
    allowed = int(critic.max_nodata_fraction * t * t)
    kept = [c for c in cols if invalid[c + t] - invalid[c] <= allowed]
    windows = np.empty((len(kept), t, t), dtype=np.float32)
    for i, c in enumerate(kept):
        windows[i] = normalised_relief(values[:, c:c + t], critic.relief_scale)
    return kept, window_logits(critic, windows)


def _warn_if_other_grid(grid: Grid, model_grid: Grid, reporter: Reporter) -> None:
    pixel = model_grid.pixel_size
    same_pixel = np.allclose(grid.pixel_size, pixel, rtol=0.01)
    if not (same_crs(grid.crs_wkt, model_grid.crs_wkt) and same_pixel):
        reporter.log(f"Warning: the input's CRS or pixel size ({grid.pixel_size[0]:g} x {grid.pixel_size[1]:g}) "
                     f"differs from the training data's ({pixel[0]:g} x {pixel[1]:g}); the critic judges relief per "
                     f"pixel, so its scores only mean something at the training data's resolution.")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.exp(-np.logaddexp(0.0, -x))


def realism_map_to_geotiff(model_path: str, input_path: str, output_path: str, band: int = 1, device: str = "cpu",
                           reporter: Reporter = None, cloud_optimised: bool = False) -> dict:
    """Write a float32 GeoTIFF on the input's grid: how much each pixel's terrain looks like the training data (0 to 1).

    A cloud-optimised GeoTIFF, or another GDAL format named by output_path's extension, as core.output_formats says."""
    with raster_output(output_path, cloud_optimised) as geotiff_path:
        summary = _realism_map_geotiff(model_path, input_path, geotiff_path, band, device, reporter)
    return {**summary, "path": output_path}


def _realism_map_geotiff(model_path: str, input_path: str, output_path: str, band: int, device: str,
                         reporter: Reporter) -> dict:
    reporter = reporter or Reporter()
    critic = load_critic(model_path, device, reporter)
    reporter.log(f"Scoring on {describe_device(critic.device)}.")
    source = RasterSource(input_path, band)
    grid, t = source.grid, critic.tile_size
    width, height = grid.width, grid.height
    name = os.path.basename(input_path)
    if width < t or height < t:
        raise InputError(f"{name} is {width} x {height} pixels, smaller than the model's {t}-pixel tile; "
                         f"choose a larger raster.")
    _warn_if_other_grid(grid, critic.grid, reporter)
    stride = max(1, t // 4)
    rows, cols = window_starts(height, t, stride), window_starts(width, t, stride)
    tags = {"GEOGAN_MODEL": os.path.basename(model_path), "GEOGAN_SCORER": critic.scorer,
            "GEOGAN_VERSION": __version__, "TIFFTAG_SOFTWARE": f"GeoGAN {__version__}"}
    scored, any_valid, total = 0, False, 0.0
    # Logit sums and window counts for output rows [flushed, flushed + t): no later window reaches above them.
    sums, counts = np.zeros((t, width), np.float32), np.zeros((t, width), np.float32)
    with GeoTiffWriter(output_path, width, height, grid, tags, DESCRIPTION) as writer:
        for index, top in enumerate(rows):
            reporter.check_cancelled()
            values = source.read(top, 0, t, width)
            any_valid = any_valid or bool(np.isfinite(values).any())
            kept, logits = _row_of_windows(critic, values, cols)
            for c, logit in zip(kept, logits):
                sums[:, c:c + t] += logit
                counts[:, c:c + t] += 1
            scored += len(kept)
            total += float(_sigmoid(logits).sum())
            done = (rows[index + 1] if index + 1 < len(rows) else height) - top
            with np.errstate(invalid="ignore", divide="ignore"):
                realism = _sigmoid(sums[:done] / counts[:done])
            realism[~np.isfinite(values[:done])] = np.nan  # no terrain there, so no score
            writer.write(realism, top, 0)
            sums, counts = np.roll(sums, -done, axis=0), np.roll(counts, -done, axis=0)
            sums[-done:], counts[-done:] = 0.0, 0.0
            reporter.progress(100.0 * (index + 1) / len(rows))
        if not any_valid:
            raise InputError(f"{name} holds only nodata (or NaN) in band {band}; choose a raster with elevations.")
        if not scored:
            raise InputError(f"{name} has no {t} x {t} pixel area with at most {critic.max_nodata_fraction:.0%} "
                             f"nodata, so nothing could be scored; choose a raster with fewer gaps.")
        writer.commit()
    mean = total / scored
    reporter.log(f"Scored {scored} windows of {t} x {t} pixels with the model's {critic.scorer}; "
                 f"mean window realism {mean:.3f}.")
    reporter.log(reference_sentence(critic))
    return {"path": output_path, "width": width, "height": height, "windows": scored, "scorer": critic.scorer,
            "mean_realism": mean, "reference": critic.reference}
