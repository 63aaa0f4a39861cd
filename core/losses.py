"""Losses that teach the generators landscape structure, besides the adversarial one.

Closed depressions: real terrain drains; water from almost every cell reaches the edge of a tile. The
depression depth of a relief tile is how far its filled surface (core.drainage, the tile's edge as
outlet) lies above it. Every filled cell takes its level from one spill cell, so the filled surface is a
gather of the relief and its gradient is exact: the loss raises the floor of a closed depression and
lowers the sill it spills over, i.e. it carves a breach as much as it fills.
"""

import numpy as np
import torch
from torch.nn import functional as F

from .drainage import fill_depressions


def depression_fill(relief: torch.Tensor) -> torch.Tensor:
    """The depression-filled surface of a batch (batch, 1, h, w), the tile edges as outlets; differentiable."""
    batch, _, height, width = relief.shape
    values = relief.detach().float().cpu().numpy()
    spills = np.stack([fill_depressions(tile[0]).spill for tile in values])
    index = torch.from_numpy(spills).to(relief.device).view(batch, 1, height * width)
    return torch.gather(relief.reshape(batch, 1, height * width), 2, index).view_as(relief)


def depression_depth(relief: torch.Tensor) -> torch.Tensor:
    """Mean depth of closed depressions per tile, in the relief's units (batch,)."""
    return (depression_fill(relief.float()) - relief.float()).mean(dim=(1, 2, 3))


def excess_depression_loss(fake: torch.Tensor, real_depth: float) -> torch.Tensor:
    """Mean depression depth of generated tiles above that of real tiles (zero when they drain as well)."""
    return F.relu(depression_depth(fake).mean() - real_depth)


def consistency_loss(refined: torch.Tensor, coarse: torch.Tensor, factor: int) -> torch.Tensor:
    """Mean absolute difference between the refined relief averaged back to the coarse grid and the coarse relief."""
    return (F.avg_pool2d(refined.float(), factor) - coarse.float()).abs().mean()
