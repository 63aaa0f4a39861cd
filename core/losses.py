"""Losses that teach the generators landscape structure, besides the adversarial one.

Closed depressions: real terrain drains; water from almost every cell reaches the edge of a tile. The
depression depth of a relief tile is how far its filled surface (core.drainage, the tile's edge as
outlet) lies above it. Every filled cell takes its level from one spill cell, so the filled surface is a
gather of the relief and its gradient is exact: the loss raises the floor of a closed depression and
lowers the sill it spills over, i.e. it carves a breach as much as it fills.
"""

import torch
from torch.nn import functional as F

from .drainage import fill_tiles


def depression_fill(relief: torch.Tensor) -> torch.Tensor:
    """The depression-filled surface of a batch (batch, 1, h, w), the tile edges as outlets; differentiable."""
    batch, _, height, width = relief.shape
    values = relief.detach().float().cpu().reshape(batch, height * width)
    levels = torch.from_numpy(fill_tiles(values.view(batch, height, width).numpy())).view_as(values)
    # Every filled level is the elevation of the cell it spills over: look that cell up among the tile's
    # sorted elevations, so that the filled surface is a gather of the relief. (Where cells tie in elevation,
    # as in real DEMs stored in whole metres, the gradient may go to another cell of the sill's height.)
    ordered, order = values.sort(dim=1)
    spill = order.gather(1, torch.searchsorted(ordered, levels).clamp_max(height * width - 1))
    spill = torch.where(levels > values, spill, torch.arange(height * width))
    index = spill.to(relief.device).view(batch, 1, height * width)
    return torch.gather(relief.reshape(batch, 1, height * width), 2, index).view_as(relief)


def depression_depth(relief: torch.Tensor) -> torch.Tensor:
    """Mean depth of closed depressions per tile, in the relief's units (batch,)."""
    return (depression_fill(relief.float()) - relief.float()).mean(dim=(1, 2, 3))


def _smoothed(relief: torch.Tensor) -> torch.Tensor:
    """A 3 x 3 box blur (edges replicated): the fill's gradient lands on single spill cells, and through the
    blur it lowers a small neighbourhood instead, so the generator carves notches, not one-pixel pits."""
    return F.avg_pool2d(F.pad(relief.float(), (1, 1, 1, 1), mode="replicate"), 3, stride=1)


def smoothed_depression_depth(relief: torch.Tensor) -> torch.Tensor:
    """Mean depth of closed depressions per tile of the smoothed relief (batch,): what the loss compares."""
    return depression_depth(_smoothed(relief))


def excess_depression_loss(fake: torch.Tensor, real_depth: float) -> torch.Tensor:
    """Mean smoothed depression depth of generated tiles above real tiles' (zero when they drain as well)."""
    return F.relu(smoothed_depression_depth(fake).mean() - real_depth)


def consistency_loss(refined: torch.Tensor, coarse: torch.Tensor, factor: int) -> torch.Tensor:
    """Mean squared difference between the refined relief averaged back to the coarse grid and the coarse relief.

    Squared, not absolute: the gradient is the same for every pixel of a coarse cell, and an absolute loss
    keeps pushing whole cells however small the error, which stamps the coarse grid into the detail."""
    return (F.avg_pool2d(refined.float(), factor) - coarse.float()).square().mean()
