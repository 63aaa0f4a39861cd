"""The networks: generators (spatial noise to relief; coarse relief plus noise to refined relief) and a discriminator.

Both are fully convolutional, so the generator emits rasters of any size and the discriminator
scores any window. The discriminator also looks at slope and curvature channels, scaled to unit
spread on real terrain: without them, pixel-scale roughness is a tiny signal next to relief, and
generators get it wrong first.
"""

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .losses import depression_fill
from .settings import ModelConfig
from .spline import spline_fill


def _conv(in_channels: int, out_channels: int, kernel: int = 3) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, kernel, padding=kernel // 2)


class UpBlock(nn.Module):
    """Double the resolution, then two convolutions; `guide` channels (the coarse relief's shape) join after
    upsampling."""

    def __init__(self, in_channels: int, out_channels: int, guide_channels: int = 0):
        super().__init__()
        self.conv1 = _conv(in_channels + guide_channels, out_channels)
        self.conv2 = _conv(out_channels, out_channels)
        self.to_relief = nn.Conv2d(out_channels, 1, 1)

    def forward(self, x: torch.Tensor, guide: torch.Tensor = None) -> tuple:
        # Bilinear upsampling, not transposed convolution: no checkerboard roughness.
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        if guide is not None:
            x = torch.cat([x, guide], dim=1)
        # In place: one memory pass less over the largest tensors (same result, and autograd allows it).
        x = F.leaky_relu(self.conv1(x), 0.2, inplace=True)
        x = F.leaky_relu(self.conv2(x), 0.2, inplace=True)
        return x, self.to_relief(x)


class Generator(nn.Module):
    """Noise of shape (batch, latent, h, w) to relief of shape (batch, 1, h * factor, w * factor).

    Each scale adds its own relief to the upsampled sum of the coarser ones (StyleGAN2's skip
    generator): broad landforms come from the coarse layers, which learn fast, and finer layers
    only add detail.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        channels = config.generator_channels
        self.stem = nn.Sequential(
            _conv(config.latent_channels, channels[0]), nn.LeakyReLU(0.2, inplace=True),
            _conv(channels[0], channels[0]), nn.LeakyReLU(0.2, inplace=True),
        )
        self.stem_relief = nn.Conv2d(channels[0], 1, 1)
        self.blocks = nn.ModuleList(UpBlock(a, b) for a, b in zip(channels[:-1], channels[1:]))

    def forward(self, noise: torch.Tensor, margin_cells: int = 0) -> torch.Tensor:
        """`margin_cells`: latent cells on each side whose pixels are cut off the output (see TrainSettings)."""
        x = self.stem(noise)
        relief = self.stem_relief(x)
        for block in self.blocks:
            x, detail = block(x)
            # Bicubic: bilinear would leave creases at the coarse cells that hillshading shows.
            relief = F.interpolate(relief, scale_factor=2, mode="bicubic", align_corners=False) + detail
        if margin_cells:
            cut = margin_cells * (relief.shape[-1] // noise.shape[-1])
            relief = relief[..., cut:-cut, cut:-cut]
        return relief


def upsample_coarse(coarse: torch.Tensor, factor: int) -> torch.Tensor:
    """Coarse relief at full resolution (bicubic): what the refinement adds its detail to."""
    return F.interpolate(coarse, scale_factor=factor, mode="bicubic", align_corners=False)


class RefinementGenerator(nn.Module):
    """Coarse relief (batch, 1, h / k, w / k) and noise (batch, latent, h / 8, w / 8) to relief (batch, 1, h, w).

    The output is the bicubically upsampled coarse relief plus generated detail. At every scale the
    network sees the shape of the coarse relief (its gradients and curvature, never its level), so the
    detail can carve channels where the coarse valleys run, and adding a constant to the coarse relief
    adds exactly that constant to the output: windows of any elevation are refined alike.
    """

    def __init__(self, config: ModelConfig, coarse_factor: int):
        super().__init__()
        channels = config.generator_channels
        self.coarse_factor = coarse_factor
        # One set of shape features per scale, from the coarsest (the noise's) to full resolution.
        self.guides = nn.ModuleList(TerrainFeatures() for _ in channels)
        guide = TerrainFeatures.SHAPE_CHANNELS
        self.stem = nn.Sequential(
            _conv(config.latent_channels + guide, channels[0]), nn.LeakyReLU(0.2, inplace=True),
            _conv(channels[0], channels[0]), nn.LeakyReLU(0.2, inplace=True),
        )
        self.stem_relief = nn.Conv2d(channels[0], 1, 1)
        self.blocks = nn.ModuleList(UpBlock(a, b, guide) for a, b in zip(channels[:-1], channels[1:]))

    def _guide_pyramid(self, upsampled: torch.Tensor) -> list:
        """Shape features of the upsampled coarse relief at each scale, coarsest first."""
        levels = [upsampled]
        for _ in self.blocks:
            levels.append(F.avg_pool2d(levels[-1], 2))
        return [features.shape_only(level) for features, level in zip(self.guides, reversed(levels))]

    @torch.no_grad()
    def calibrate(self, coarse: torch.Tensor) -> None:
        """Scale each guide's features to unit spread on real coarse relief."""
        levels = [upsample_coarse(coarse, self.coarse_factor)]
        for _ in self.blocks:
            levels.append(F.avg_pool2d(levels[-1], 2))
        for features, level in zip(self.guides, reversed(levels)):
            features.calibrate(level)

    def forward(self, noise: torch.Tensor, coarse: torch.Tensor) -> torch.Tensor:
        upsampled = upsample_coarse(coarse, self.coarse_factor)
        guides = self._guide_pyramid(upsampled)
        x = self.stem(torch.cat([noise, guides[0]], dim=1))
        detail = self.stem_relief(x)
        for block, guide in zip(self.blocks, guides[1:]):
            x, finer = block(x, guide)
            detail = F.interpolate(detail, scale_factor=2, mode="bicubic", align_corners=False) + finer
        return upsampled + detail


class SuperResolutionGenerator(RefinementGenerator):
    """A coarse DEM's relief (batch, 1, h / k, w / k) and noise to relief (batch, 1, h, w) whose k x k block
    averages equal the coarse relief exactly: the refinement's detail, with each block's mean error removed."""

    def forward(self, noise: torch.Tensor, coarse: torch.Tensor) -> torch.Tensor:
        relief = super().forward(noise, coarse)
        k = self.coarse_factor
        return relief + F.interpolate(coarse - F.avg_pool2d(relief, k), scale_factor=k, mode="nearest")


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of values where mask is 1, per tile (batch, 1, 1, 1); 0 for a tile with no known cell."""
    return (values * mask).sum(dim=(2, 3), keepdim=True) / mask.sum(dim=(2, 3), keepdim=True).clamp_min(1.0)


# Relaxation sweeps per pyramid level of pull_push_fill.
RELAXATION_SWEEPS = 8


def pull_push_fill(relief: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """A smooth fill of the unknown cells from the known ones (pull-push, Gortler et al. 1996): weighted means
    down a pyramid of 2 x 2 blocks, then back up. Known cells keep their values; a void takes the values
    around its edge, spread inwards like an interpolation."""
    means, weights = [relief * known], [known]
    while min(means[-1].shape[-2:]) > 1:
        # Pull: each 2 x 2 block's weighted mean; its weight saturates at 1 as soon as a quarter of it is known.
        total = F.avg_pool2d(means[-1] * weights[-1], 2, ceil_mode=True)
        weight = F.avg_pool2d(weights[-1], 2, ceil_mode=True)
        means.append(total / weight.clamp_min(1e-6))
        weights.append((4.0 * weight).clamp(max=1.0))
    filled = means[-1]
    for mean, weight in zip(reversed(means[:-1]), reversed(weights[:-1])):
        # Push: where a level is not fully known, the coarser level fills in, smoothly upsampled; then a few
        # relaxation sweeps towards a harmonic surface, the known cells held (a multigrid Laplace solve).
        filled = F.interpolate(filled, size=mean.shape[-2:], mode="bilinear", align_corners=False)
        for _ in range(RELAXATION_SWEEPS):
            neighbours = F.avg_pool2d(F.pad(filled, (1, 1, 1, 1), mode="replicate"), 3, stride=1)
            filled = weight * mean + (1.0 - weight) * neighbours
    return filled


def spline_guess(relief: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """core.spline's fill of every tile of a batch (batch, 1, h, w), on the CPU, back on the relief's device."""
    values = relief.detach().double().cpu().numpy()
    masks = known.detach().cpu().numpy() > 0.5
    filled = np.stack([spline_fill(tile[0], mask[0]) for tile, mask in zip(values, masks)])[:, None]
    return torch.from_numpy(filled).to(device=relief.device, dtype=relief.dtype)


FILL_GUESSES = {"spline": spline_guess, "pull_push": pull_push_fill}


class VoidFillGenerator(nn.Module):
    """Relief with voids, its mask of known cells (1) and noise (each batch, 1, h, w) to filled relief.

    A U-Net corrects a smooth first guess (config.fill_guess: spline_guess, or pull_push_fill for older
    models): the encoder sees the known relief around a void down to 1/16 of the window, so valleys and
    ridges are continued across it; skips keep the edges of the void sharp. Known cells come out as they
    went in (never the voids' true values: only relief * mask enters), and the network works on relief
    relative to the known cells' mean, so windows of any elevation are filled alike. It starts as the smooth
    guess (a zero last layer) and learns the rest.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        channels = config.unet_channels
        if config.fill_guess not in FILL_GUESSES:
            raise ValueError(f"Unknown first guess {config.fill_guess!r} of void filling; expected one of "
                             f"{', '.join(FILL_GUESSES)}.")
        self.guess = FILL_GUESSES[config.fill_guess]
        self.stem = _conv(4, channels[0])
        self.down = nn.ModuleList(
            nn.Sequential(_conv(a, b), nn.LeakyReLU(0.2, inplace=True), _conv(b, b), nn.LeakyReLU(0.2, inplace=True))
            for a, b in zip(channels[:-1], channels[1:]))
        self.up = nn.ModuleList(
            nn.Sequential(_conv(a + b, a), nn.LeakyReLU(0.2, inplace=True),
                          _conv(a, a), nn.LeakyReLU(0.2, inplace=True))
            for a, b in zip(channels[:-1], channels[1:]))
        self.to_relief = nn.Conv2d(channels[0], 1, 1)
        nn.init.zeros_(self.to_relief.weight)
        nn.init.zeros_(self.to_relief.bias)

    @property
    def window_multiple(self) -> int:
        """Window sides must be multiples of this (the encoder halves them this many times over)."""
        return 2 ** len(self.down)

    def forward(self, noise: torch.Tensor, relief: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        level = masked_mean(relief, known)
        known_relief = (relief - level) * known
        guess = self.guess(known_relief, known)
        x = torch.cat([known_relief, known, guess, noise], dim=1)
        x = F.leaky_relu(self.stem(x), 0.2)
        skips = []
        for block in self.down:
            skips.append(x)
            x = block(F.avg_pool2d(x, 2))
        for block, skip in zip(reversed(self.up), reversed(skips)):
            x = block(torch.cat([F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False), skip], dim=1))
        filled = guess + self.to_relief(x) + level
        return relief * known + filled * (1.0 - known)


class TerrainFeatures(nn.Module):
    """Relief plus its x and y gradients and Laplacian (and optionally each cell's depth in a closed depression,
    the tile's edge as outlet), each scaled to unit spread on real tiles."""

    SHAPE_CHANNELS = 3  # gradients and Laplacian: the features that do not depend on the relief's level

    def __init__(self, depressions: bool = False):
        super().__init__()
        gradient_x = torch.tensor([[0.0, 0.0, 0.0], [-0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])
        laplacian = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
        kernels = torch.stack([gradient_x, gradient_x.T, laplacian]).unsqueeze(1)
        self.depressions = depressions
        self.register_buffer("kernels", kernels)
        self.register_buffer("scales", torch.ones(1, self.channels, 1, 1))

    @property
    def channels(self) -> int:
        return 1 + self.SHAPE_CHANNELS + int(self.depressions)

    def raw(self, relief: torch.Tensor) -> torch.Tensor:
        padded = F.pad(relief, (1, 1, 1, 1), mode="replicate")
        features = [relief, F.conv2d(padded, self.kernels)]
        if self.depressions:
            # A gather of the relief (core.losses): gradients reach the pit floors and the sills they spill over.
            features.append(depression_fill(relief) - relief)
        return torch.cat(features, dim=1)

    @torch.no_grad()
    def calibrate(self, real_relief: torch.Tensor) -> None:
        spread = self.raw(real_relief).std(dim=(0, 2, 3), keepdim=True)
        if self.depressions:
            # Real tiles of a DEM without pits have no depth spread; keep the channel's scale finite.
            spread[:, -1] = spread[:, -1].clamp_min(0.01 * float(spread[:, 0]))
        self.scales.copy_(1.0 / spread.clamp_min(1e-6))

    def forward(self, relief: torch.Tensor) -> torch.Tensor:
        return self.raw(relief) * self.scales

    def shape_only(self, relief: torch.Tensor) -> torch.Tensor:
        return self.forward(relief)[:, 1:1 + self.SHAPE_CHANNELS]


class DownBlock(nn.Module):
    """Two convolutions and a halving, with a residual path that keeps gradients flowing."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = _conv(in_channels, in_channels)
        self.conv2 = _conv(in_channels, out_channels)
        self.skip = nn.Conv2d(in_channels, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skip(F.avg_pool2d(x, 2))
        x = F.leaky_relu(self.conv1(x), 0.2)
        x = F.leaky_relu(self.conv2(F.avg_pool2d(x, 2)), 0.2)
        return (x + skip) * (0.5 ** 0.5)


class Discriminator(nn.Module):
    """Relief (batch, 1, h, w) to a map of realism logits (batch, 1, h / factor, w / factor)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        channels = config.discriminator_channels
        self.features = TerrainFeatures(config.discriminator_depressions)
        self.stem = _conv(self.features.channels, channels[0])
        self.blocks = nn.ModuleList(DownBlock(a, b) for a, b in zip(channels[:-1], channels[1:]))
        self.minibatch_group = config.minibatch_std_group
        head_in = channels[-1] + (1 if self.minibatch_group else 0)
        self.head = nn.Sequential(_conv(head_in, channels[-1]), nn.LeakyReLU(0.2), nn.Conv2d(channels[-1], 1, 1))

    def _minibatch_std(self, x: torch.Tensor) -> torch.Tensor:
        """Append the spread of features across a small group of tiles: collapsed, look-alike
        batches become visible to the discriminator (StyleGAN's minibatch standard deviation)."""
        batch, _, height, width = x.shape
        group = min(self.minibatch_group, batch)
        while batch % group:
            group -= 1
        spread = x.view(batch // group, group, *x.shape[1:]).std(dim=1, unbiased=False)
        spread = spread.mean(dim=(1, 2, 3)).repeat_interleave(group).view(batch, 1, 1, 1)
        spread = spread.expand(batch, 1, height, width)
        return torch.cat([x, spread], dim=1)

    def score_map(self, relief: torch.Tensor, context: int = 0) -> torch.Tensor:
        """`context`: pixels on each side of the tile that only its features see. Closed depressions are filled
        over the whole input, so the depression channel knows sills up to `context` pixels beyond the tile."""
        features = self.features(relief)
        if context:
            features = features[..., context:-context, context:-context]
        x = F.leaky_relu(self.stem(features), 0.2)
        for block in self.blocks:
            x = block(x)
        if self.minibatch_group:
            x = self._minibatch_std(x)
        return self.head(x)

    def forward(self, relief: torch.Tensor, context: int = 0) -> torch.Tensor:
        """One logit per tile: the mean of the score map."""
        return self.score_map(relief, context).mean(dim=(1, 2, 3))
