"""Random holes cut into complete training tiles, for learning to fill voids.

Real voids come in many shapes: square gaps between data tiles, round radar shadows, ragged blobs along
steep slopes. Each tile gets one to three holes of those kinds, with sides drawn log-uniformly from
`smallest` to `largest` pixels, so small and large voids are learned alike.
"""

import numpy as np
from scipy import ndimage

SHAPES = ("rectangle", "ellipse", "blob")


def _shape(kind: str, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A boolean (height, width) hole of the given kind, touching its bounding box's four sides."""
    rows, cols = np.mgrid[0:height, 0:width]
    if kind == "rectangle":
        return np.ones((height, width), dtype=bool)
    if kind == "ellipse":
        y = (rows + 0.5 - height / 2) / (height / 2)
        x = (cols + 0.5 - width / 2) / (width / 2)
        return x * x + y * y <= 1.0
    # A blob: smooth random field inside the ellipse, thresholded so about two thirds of it is hole.
    field = ndimage.zoom(rng.standard_normal((5, 5)), (height / 5, width / 5), order=3)[:height, :width]
    y = (rows + 0.5 - height / 2) / (height / 2)
    x = (cols + 0.5 - width / 2) / (width / 2)
    field = field - 1.5 * (x * x + y * y)
    hole = field >= np.quantile(field, 1 / 3)
    hole[height // 2, width // 2] = True
    return hole


def random_known_mask(tile_size: int, smallest: int, largest: int, rng: np.random.Generator) -> np.ndarray:
    """A float32 (tile, tile) mask: 1 where the relief is known, 0 in the holes cut."""
    known = np.ones((tile_size, tile_size), dtype=np.float32)
    for _ in range(int(rng.integers(1, 4))):
        side = np.exp(rng.uniform(np.log(smallest), np.log(largest + 1)))
        aspect = np.exp(rng.uniform(-0.5, 0.5))
        height = int(np.clip(round(side * aspect), smallest, largest))
        width = int(np.clip(round(side / aspect), smallest, largest))
        top = int(rng.integers(0, tile_size - height + 1))
        left = int(rng.integers(0, tile_size - width + 1))
        hole = _shape(SHAPES[int(rng.integers(len(SHAPES)))], height, width, rng)
        known[top:top + height, left:left + width][hole] = 0.0
    return known


def random_known_masks(count: int, tile_size: int, smallest: int, largest: int, rng: np.random.Generator) -> np.ndarray:
    """A float32 batch (count, 1, tile, tile) of masks (1 known, 0 hole)."""
    return np.stack([random_known_mask(tile_size, smallest, largest, rng) for _ in range(count)])[:, None]
