"""The realism critic: a copy of the trained discriminator, fine-tuned after the GAN to tell real terrain from fakes.

A GAN discriminator only learns to reject what its generator currently makes; fractal (fBm) noise of the
right roughness can look *more* real to it than terrain. The critic is fine-tuned with two kinds of fakes:
samples of the EMA generator and fBm tiles with the real tiles' spectral slope and relief spread. It is a
separate network, so the generator's training is untouched.

Every batch is built of groups of the four quarter turns of one tile: that is how the realism map scores a
window, and it keeps the minibatch-spread feature seeing the same kind of group in training and in use.
"""

import copy
import time

import numpy as np
import torch
from torch.nn import functional as F

from .devices import autocast
from .metrics import fbm_surface, mean_spectrum

TURNS = 4  # quarter turns per tile; also the minibatch-spread group the realism map relies on
# A tenth of the GAN's steps: a critic step costs about three quarters of a GAN step, so this is under 8% of
# the training time of real runs; 50 at least so that short runs still learn to reject fBm, 500 at most
# because the fine-tune starts from a discriminator that already knows real terrain.
MIN_STEPS, MAX_STEPS = 50, 500
# Tiles of each kind (training data, generated) scored after the fine-tune for the reference levels: realism maps
# are read against them, since the critic learned likeness to the training data, not realness in general.
REFERENCE_TILES = 64
PIXELS_PER_BATCH = 2 ** 22  # window pixels scored at once, times four turns: bounds memory for large tiles
# fBm exponents are drawn around the one measured on real tiles, mostly below it: terrain spectra steepen at
# short wavelengths, so exponents measured over larger areas are lower (about 4 against 5 on one 32-pixel tile
# of the sample DEM), and rougher fBm is what a discriminator that learned "too smooth is fake" takes for real.
BETA_RANGE = (-2.5, 0.5)


def critic_steps(iterations: int) -> int:
    return int(np.clip(iterations // 10, MIN_STEPS, MAX_STEPS))


def quarter_turns(tiles: torch.Tensor) -> torch.Tensor:
    """(n, 1, t, t) to (4n, 1, t, t): each tile followed by its turns by 90, 180 and 270 degrees."""
    return torch.stack([torch.rot90(tiles, k, dims=(2, 3)) for k in range(TURNS)], dim=1).flatten(0, 1)


def windows_per_batch(tile_size: int) -> int:
    return max(1, min(64, PIXELS_PER_BATCH // (TURNS * tile_size ** 2)))


def turned_logits(network, windows: torch.Tensor) -> torch.Tensor:
    """How a realism map scores windows: the mean logit over the four quarter turns of each (n, 1, t, t) window of
    normalised relief (one minibatch-spread group per window, as the critic was trained)."""
    batch = quarter_turns(windows).contiguous(memory_format=torch.channels_last)
    return network(batch).float().view(-1, TURNS).mean(dim=1)


def mean_window_realism(network, tiles, count: int, tile_size: int) -> float:
    """Mean realism (0 to 1) of `count` windows from `tiles(n)`, each centred on its mean as a realism map does."""
    device = next(network.parameters()).device
    per_batch, scores = windows_per_batch(tile_size), []
    for first in range(0, count, per_batch):
        with torch.no_grad(), autocast(device):
            windows = tiles(min(per_batch, count - first)).float()
            windows = windows - windows.mean(dim=(2, 3), keepdim=True)
            scores.append(torch.sigmoid(turned_logits(network, windows)))
    return float(torch.cat(scores).mean())


def reference_levels(network, sampler, generate, tile_size: int, reporter) -> dict:
    """Mean window realism of training tiles and of generated ones (plain data, kept in the checkpoint)."""
    device = next(network.parameters()).device
    network = network.eval()

    def training_tiles(count: int) -> torch.Tensor:
        return torch.from_numpy(sampler.sample(count)).to(device)

    levels = {"training_data": mean_window_realism(network, training_tiles, REFERENCE_TILES, tile_size),
              "generated": mean_window_realism(network, generate, REFERENCE_TILES, tile_size),
              "tiles": REFERENCE_TILES}
    reporter.log(f"Realism reference: tiles of the training data score {levels['training_data']:.2f}, the "
                 f"generator's own tiles {levels['generated']:.2f}; realism maps measure likeness to the training "
                 f"data and are read against these levels.")
    return levels


class FbmTiles:
    """fBm tiles with the spectral exponent and per-tile relief spread of real training tiles."""

    def __init__(self, real_tiles: np.ndarray, seed: int):
        tiles = [tile[0].astype(np.float64) for tile in real_tiles]
        self.beta = float(-mean_spectrum(tiles, pixel_size=1.0).slope)
        self.spreads = real_tiles.std(axis=(1, 2, 3))
        self.tile_size = real_tiles.shape[-1]
        self._rng = np.random.default_rng(seed)
        self._seed = seed

    def sample(self, count: int) -> np.ndarray:
        t = self.tile_size
        tiles = np.empty((count, 1, t, t), dtype=np.float32)
        for i in range(count):
            # A crop of a surface twice the tile, so the tile does not inherit the synthesis' periodic edges.
            self._seed += 1
            surface = fbm_surface(2 * t, self.beta + self._rng.uniform(*BETA_RANGE), seed=self._seed)
            row, col = self._rng.integers(0, t, size=2)
            tile = surface[row:row + t, col:col + t]
            tiles[i, 0] = (tile - tile.mean()) / max(tile.std(), 1e-8) * self._rng.choice(self.spreads)
        return tiles


def _critic_step(critic, optimiser, real, fakes, r1_weight: float) -> float:
    """Real windows up, every kind of fake down; each kind in its own pass (minibatch-spread groups stay pure)."""
    real.requires_grad_(r1_weight > 0)
    with autocast(real.device):
        real_logits = critic(real)
        loss = F.softplus(-real_logits).mean() + sum(F.softplus(critic(fake)).mean() for fake in fakes) / len(fakes)
    total = loss
    if r1_weight > 0:
        (gradient,) = torch.autograd.grad(real_logits.float().sum(), real, create_graph=True)
        total = loss + r1_weight * gradient.square().sum(dim=(1, 2, 3)).mean()
    optimiser.zero_grad(set_to_none=True)
    total.backward()
    optimiser.step()
    return loss.item()


def train_realism_critic(discriminator, generate, sampler, settings, reporter) -> dict:
    """The checkpoint's entries for realism maps: 'critic', the state dict (CPU tensors) of a Discriminator that
    scores realism, and 'realism_reference', the scores of training and generated tiles (reference_levels).

    `generate(count)` gives `count` generated tiles (normalised relief) of the training tile size."""
    started = time.perf_counter()
    device = next(discriminator.parameters()).device
    critic = copy.deepcopy(discriminator).train().requires_grad_(True)
    # Plain Adam with momentum: the critic is a classifier against fixed kinds of fakes, not a player in a game
    # whose opponent moves (what beta1 = 0 is for); without momentum, 50 steps left some critics near chance.
    optimiser = torch.optim.Adam(critic.parameters(), lr=settings.discriminator_learning_rate, betas=(0.9, 0.999))
    # Up to 256 real tiles (fewer when large) to measure the spectral exponent and relief spreads on.
    fbm = FbmTiles(sampler.sample(int(np.clip(2 ** 24 // settings.tile_size ** 2, 16, 256))), settings.seed)
    steps = critic_steps(settings.iterations)
    tiles = max(2, settings.batch_size // TURNS)  # distinct tiles per kind per step; four turns of each
    reporter.log(f"Training the realism critic: {steps} steps against generated tiles and fBm "
                 f"(spectral exponent {fbm.beta:.2f}).")

    def to_device(array: np.ndarray) -> torch.Tensor:
        return quarter_turns(torch.from_numpy(array).to(device)).contiguous(memory_format=torch.channels_last)

    losses = []  # since the last log line
    # The critic kept is the mean of its weights over the second half: with so few, small steps the last
    # weights are one noisy draw (in trials on the sample DEM, 1 critic in 14 ended near chance; averaged, none).
    averaged = torch.optim.swa_utils.AveragedModel(critic)
    for step in range(steps):
        reporter.check_cancelled()
        with torch.no_grad(), autocast(device):
            generated = generate(tiles).float()
        fakes = [quarter_turns(generated).contiguous(memory_format=torch.channels_last), to_device(fbm.sample(tiles))]
        with_r1 = settings.r1_gamma > 0 and step % settings.r1_every == 0
        r1 = 0.5 * settings.r1_gamma * settings.r1_every if with_r1 else 0.0  # lazy R1, as in training
        losses.append(_critic_step(critic, optimiser, to_device(sampler.sample(tiles)), fakes, r1))
        if step >= steps // 2:
            averaged.update_parameters(critic)
        if (step + 1) % max(1, steps // 4) == 0 or step + 1 == steps:
            reporter.log(f"Realism critic step {step + 1}/{steps}: loss {np.mean(losses):.3f}")
            losses = []
    reporter.log(f"Realism critic trained in {time.perf_counter() - started:.0f} s.")
    return {"critic": {k: v.detach().cpu().clone() for k, v in averaged.module.state_dict().items()},
            "realism_reference": reference_levels(averaged.module, sampler, generate, settings.tile_size, reporter)}
