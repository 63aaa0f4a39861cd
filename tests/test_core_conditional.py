"""The conditional networks' guarantees, at the core level: known cells pass through a void filler unchanged,
its first guesses interpolate a plane (the spline also a bowl, which it continues where a harmonic fill
flattens), a super-resolution generator keeps block averages exactly, and the training holes have the sizes a
model promises to fill."""

import numpy as np
import pytest
import torch

from core.holes import random_known_masks
from core.models import SuperResolutionGenerator, VoidFillGenerator, pull_push_fill, spline_guess
from core.settings import SUPER_RESOLUTION_FACTORS, FillSettings, ModelConfig
from core.spline import spline_fill


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


def test_the_spline_fills_a_hole_in_a_plane_exactly_and_keeps_known_cells():
    plane = _plane(48)
    known = torch.ones_like(plane)
    known[..., 10:30, 5:25] = 0.0
    known[..., 36:40, 30:44] = 0.0
    guess = spline_guess(plane * known, known)
    hole = known == 0
    assert torch.equal(guess[~hole], plane[~hole])
    assert (guess[hole] - plane[hole]).abs().max() < 1e-3


def test_the_spline_without_tension_continues_a_bowl_that_a_harmonic_fill_flattens():
    rows, cols = np.mgrid[0:40, 0:40].astype(float)
    bowl = 0.05 * ((rows - 20) ** 2 + (cols - 17) ** 2)
    known = np.ones(bowl.shape, bool)
    known[12:28, 10:26] = False
    spline = spline_fill(bowl, known, tension=0.0)
    assert np.array_equal(spline[known], bowl[known])
    assert np.abs(spline - bowl).max() < 1e-6
    harmonic = pull_push_fill(torch.from_numpy(bowl * known)[None, None], torch.from_numpy(known * 1.0)[None, None])
    assert np.abs(harmonic[0, 0].numpy() - bowl)[~known].max() > 1.0  # the bowl's floor is 3.2 below its rim


def test_the_spline_of_a_window_without_known_cells_is_flat():
    values = np.random.default_rng(0).standard_normal((16, 16))
    assert np.array_equal(spline_fill(values, np.zeros((16, 16), bool)), np.zeros((16, 16)))
    assert np.array_equal(spline_fill(values, np.ones((16, 16), bool)), values)


def test_models_saved_before_the_spline_keep_their_pull_push_guess():
    saved = FillSettings().to_dict()
    assert saved["model"]["fill_guess"] == "spline"
    del saved["model"]["fill_guess"]
    old = FillSettings.from_dict(saved)
    assert old.model.fill_guess == "pull_push"
    assert VoidFillGenerator(old.model).guess is pull_push_fill


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

