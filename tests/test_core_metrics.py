"""Realism metrics on surfaces whose answers are known."""

import math

import numpy as np
import pytest

from core.metrics import (
    compare,
    fbm_surface,
    hypsometric_integral,
    radial_power_spectrum,
    ruggedness,
    slope_degrees,
    wasserstein_1d,
)


def test_tilted_plane_has_its_exact_slope():
    y, x = np.mgrid[0:50, 0:60]
    plane = 0.5 * x * 30.0 + 0.2 * y * 30.0  # metres, on 30 m pixels: gradient (0.5, 0.2)
    slope = slope_degrees(plane, 30.0, 30.0)
    assert slope == pytest.approx(math.degrees(math.atan(math.hypot(0.5, 0.2))), abs=1e-9)
    assert ruggedness(plane)[5, 5] == pytest.approx((2 * 15 + 2 * 6 + 21 + 9 + 21 + 9) / 8)


@pytest.mark.parametrize("beta", [2.0, 2.6, 3.2])
def test_fbm_surface_gives_back_its_spectral_exponent(beta):
    surface = fbm_surface(256, beta, seed=1)
    assert -radial_power_spectrum(surface, pixel_size=30.0).slope == pytest.approx(beta, abs=0.2)


def test_pyramid_has_hypsometric_integral_one_third():
    y, x = np.mgrid[-200:201, -200:201] / 200.0
    pyramid = 500.0 * (1 - np.maximum(np.abs(x), np.abs(y)))
    assert hypsometric_integral(pyramid) == pytest.approx(1 / 3, abs=0.005)


def test_identical_sets_are_at_distance_zero_and_different_sets_are_not():
    tiles = [fbm_surface(64, 2.5, seed=s) * 50 for s in range(4)]
    assert all(v == pytest.approx(0.0, abs=1e-12) for v in compare(tiles, tiles, 30.0, 30.0).values())
    rough = [fbm_surface(64, 1.5, seed=s) * 50 for s in range(4)]
    distances = compare(tiles, rough, 30.0, 30.0)
    assert distances["CURVATURE_W1"] > 0 and distances["SPECTRUM_DISTANCE"] > 0.3


def test_wasserstein_of_a_shift_is_the_shift():
    sample = np.random.default_rng(0).normal(size=5000)
    assert wasserstein_1d(sample, sample + 3.0) == pytest.approx(3.0)
