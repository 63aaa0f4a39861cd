"""The conditional networks' guarantees, at the core level: known cells pass through a void filler unchanged,
its first guess interpolates a plane, a super-resolution generator keeps block averages exactly, and the
training holes have the sizes a model promises to fill."""

import numpy as np
import pytest
import torch

from core.holes import random_known_masks
from core.models import SuperResolutionGenerator, VoidFillGenerator, pull_push_fill
from core.settings import SUPER_RESOLUTION_FACTORS, FillSettings, ModelConfig


def _plane(size: int) -> torch.Tensor:
    rows, cols = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                                indexing="ij")
    return (0.3 * rows - 0.2 * cols + 5.0)[None, None]


def test_the_first_guess_fills_a_hole_in_a_plane_with_the_plane():
    plane = _plane(64)
    known = torch.ones_like(plane)
    known[..., 20:36, 24:40] = 0.0
    guess = pull_push_fill(plane * known, known)
    hole = known == 0
    assert torch.equal(guess[~hole], plane[~hole])
    # A plane is harmonic: the relaxed fill comes close to it (the hole spans about 5 elevation units).
    assert (guess[hole] - plane[hole]).abs().max() < 0.5


def test_a_void_filler_passes_known_cells_through_and_never_reads_the_voids():
    torch.manual_seed(0)
    generator = VoidFillGenerator(ModelConfig()).eval()
    relief = torch.randn(2, 1, 64, 64)
    known = torch.from_numpy(random_known_masks(2, 64, 4, 32, np.random.default_rng(1)))
    noise = torch.randn(2, 1, 64, 64)
    with torch.no_grad():
        filled = generator(noise, relief, known)
        other_truth = generator(noise, torch.where(known > 0, relief, relief + 100.0), known)
    assert torch.equal(filled[known > 0], relief[known > 0])
    assert torch.allclose(filled, other_truth)  # what lies under a void cannot leak into its fill


@pytest.mark.parametrize("factor", SUPER_RESOLUTION_FACTORS)
def test_super_resolution_keeps_every_block_average(factor):
    torch.manual_seed(factor)
    config = ModelConfig()
    generator = SuperResolutionGenerator(config, factor).eval()
    coarse = torch.randn(1, 1, 64 // factor, 64 // factor) * 3.0
    noise = torch.randn(1, config.latent_channels, 8, 8)
    with torch.no_grad():
        fine = generator(noise, coarse)
    assert fine.shape == (1, 1, 64, 64)
    assert torch.allclose(torch.nn.functional.avg_pool2d(fine, factor), coarse, atol=1e-5)


def test_training_holes_stay_within_what_the_model_promises_to_fill():
    settings = FillSettings(tile_size=64)
    masks = random_known_masks(200, 64, settings.min_hole_size, settings.largest_void, np.random.default_rng(2))
    assert masks.shape == (200, 1, 64, 64) and set(np.unique(masks)) == {0.0, 1.0}
    assert (masks.min(axis=(1, 2, 3)) == 0).all()  # every tile has a hole
    # Each tile's holes together span at least the smallest hole's side in both directions.
    holes = 1 - masks[:, 0]
    assert holes.any(axis=2).sum(axis=1).min() >= settings.min_hole_size
    assert holes.any(axis=1).sum(axis=1).min() >= settings.min_hole_size

