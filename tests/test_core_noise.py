"""Position-based noise: the property that makes windowed generation seamless."""

import numpy as np

from core.noise import spatial_noise


def test_same_seed_same_noise_other_seed_other_noise():
    a = spatial_noise(7, 0, 0, 16, 16, 4)
    assert np.array_equal(a, spatial_noise(7, 0, 0, 16, 16, 4))
    assert not np.allclose(a, spatial_noise(8, 0, 0, 16, 16, 4))


def test_a_window_is_part_of_the_bigger_field():
    big = spatial_noise(1, -5, 10, 40, 30, 3)
    assert np.array_equal(big[:, 7:19, 4:25], spatial_noise(1, 2, 14, 12, 21, 3))


def test_noise_is_standard_normal_and_uncorrelated():
    field = spatial_noise(3, 0, 0, 200, 200, 2)
    assert abs(field.mean()) < 0.02 and abs(field.std() - 1) < 0.02
    neighbours = np.corrcoef(field[0, :, :-1].ravel(), field[0, :, 1:].ravel())[0, 1]
    channels = np.corrcoef(field[0].ravel(), field[1].ravel())[0, 1]
    assert abs(neighbours) < 0.02 and abs(channels) < 0.02
