"""How the two stages of a model fit together: noise streams, units, and samples of the whole pipeline.

The coarse generator makes relief in its own units (its tiles' relief scale, on a grid `coarse_factor`
times coarser); the refinement works in full-resolution units. `coarse_for_refinement` converts between
them, in training (for samples and the realism critic) and in generation alike.
"""

from dataclasses import dataclass

import numpy as np
import torch

# Full-resolution pixels of coarse relief kept beyond the refined area on each side, so the bicubic
# upsampling never reaches the edge of the coarse window: 16 is two latent cells of the refinement.
COARSE_PAD_PIXELS = 16


def stage_seed(seed: int, stage: str) -> int:
    """The noise seed of a stage: the coarse stage draws its own stream, unrelated to the refinement's."""
    if stage == "refinement":
        return seed
    return int(np.random.SeedSequence([seed, 0xC0A2]).generate_state(1)[0])


@dataclass
class CoarseUnits:
    """What turns coarse generator output into coarse relief in the refinement's units."""

    offset: float  # the coarse generator's mean level, in its own units
    coarse_scale: float  # elevation units per unit of coarse relief
    fine_scale: float  # elevation units per unit of full-resolution relief

    def to_fine(self, coarse_relief: torch.Tensor) -> torch.Tensor:
        return (coarse_relief - self.offset) * (self.coarse_scale / self.fine_scale)


def cascade_samples(coarse_generator, refinement, units: CoarseUnits, coarse_noise: torch.Tensor,
                    fine_noise: torch.Tensor, tile_size: int = 0) -> torch.Tensor:
    """Full-pipeline tiles in full-resolution units: coarse relief from coarse_noise, refined with fine_noise
    over the whole coarse tile, then (tile_size > 0) the central tile_size cropped, away from the edges,
    where the generators lack context. Gradients flow into both generators unless they are frozen."""
    coarse = units.to_fine(coarse_generator(coarse_noise).float())
    refined = refinement(fine_noise, coarse).float()
    if not tile_size:
        return refined
    top = (refined.shape[-2] - tile_size) // 2
    left = (refined.shape[-1] - tile_size) // 2
    return refined[:, :, top:top + tile_size, left:left + tile_size]
