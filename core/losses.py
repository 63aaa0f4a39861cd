"""Losses that teach the generators landscape structure, besides the adversarial one.

Closed depressions: real terrain drains; water from almost every cell reaches the edge of a tile. The
depression depth of a relief tile is how far its priority-flood fill lies above it, with the tile's edge
as the outlet. Here the fill is computed by iterated erosion (morphological reconstruction: a cell's
level is the higher of its own elevation and the lowest level among its 8 neighbours, repeated until
nothing changes), which is made only of min and max, so its gradient is exact: it raises the floor of a
closed depression and lowers the sill it spills over, i.e. it carves a breach as much as it fills.
"""

import torch
from torch.nn import functional as F


def depression_fill(relief: torch.Tensor) -> torch.Tensor:
    """The depression-filled surface of a batch (batch, 1, h, w), the tile edges as outlets; differentiable."""
    edge = torch.ones_like(relief, dtype=torch.bool)
    edge[:, :, 1:-1, 1:-1] = False
    with torch.no_grad():
        ceiling = relief.amax() + 1.0
    filled = torch.where(edge, relief, ceiling.expand_as(relief))
    # Each pass lets the outlets' level travel one cell inwards; a tile of side n needs at most about
    # n * n / 2 passes on a winding path, but real relief converges within a few n.
    for _ in range(relief.shape[-1] * relief.shape[-2]):
        lowest_neighbour = -F.max_pool2d(-filled, 3, stride=1, padding=1)
        updated = torch.where(edge, relief, torch.maximum(relief, lowest_neighbour))
        if torch.equal(updated, filled):
            break
        filled = updated
    return filled


def depression_depth(relief: torch.Tensor) -> torch.Tensor:
    """Mean depth of closed depressions per tile, in the relief's units (batch,)."""
    return (depression_fill(relief.float()) - relief.float()).mean(dim=(1, 2, 3))


def excess_depression_loss(fake: torch.Tensor, real_depth: float) -> torch.Tensor:
    """Mean depression depth of generated tiles above that of real tiles (zero when they drain as well)."""
    return F.relu(depression_depth(fake).mean() - real_depth)


def consistency_loss(refined: torch.Tensor, coarse: torch.Tensor, factor: int) -> torch.Tensor:
    """Mean absolute difference between the refined relief averaged back to the coarse grid and the coarse relief."""
    return (F.avg_pool2d(refined.float(), factor) - coarse.float()).abs().mean()
