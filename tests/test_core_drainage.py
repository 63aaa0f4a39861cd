"""core.drainage against known answers: planes, a pit, a V-shaped valley, nodata, power laws, real terrain."""

import heapq

import numpy as np
import pytest

from core import drainage
from core.raster_io import read_band
from core.terrain import grid_pixel_metres

OUTSIDE = drainage.OUTSIDE


def priority_flood(z: np.ndarray) -> np.ndarray:
    """Reference depression filling (Barnes et al. 2014 priority-flood), independent of the spanning tree:
    flood inwards from the border and from cells next to nodata, always from the lowest cell reached."""
    rows, cols = z.shape
    valid = np.isfinite(z)
    filled = np.full(z.shape, np.nan)
    queue = []
    for r in range(rows):
        for c in range(cols):
            if not valid[r, c]:
                continue
            around = [(r + dy, c + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]
            if any(not (0 <= y < rows and 0 <= x < cols) or not valid[y, x] for y, x in around):
                filled[r, c] = z[r, c]
                heapq.heappush(queue, (z[r, c], r, c))
    while queue:
        level, r, c = heapq.heappop(queue)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                y, x = r + dy, c + dx
                if 0 <= y < rows and 0 <= x < cols and valid[y, x] and np.isnan(filled[y, x]):
                    filled[y, x] = max(z[y, x], level)
                    heapq.heappush(queue, (filled[y, x], y, x))
    return filled


def rough_surface(size: int, seed: int) -> np.ndarray:
    """Smoothed white noise: plenty of closed depressions of all depths."""
    noise = np.random.default_rng(seed).normal(size=(size + 2, size + 2))
    return 100.0 + 5.0 * (noise[:-2, 1:-1] + noise[2:, 1:-1] + noise[1:-1, :-2] + noise[1:-1, 2:] + noise[1:-1, 1:-1])


def assert_routing_consistent(routing: drainage.FlowRouting) -> None:
    """Water is conserved: every valid cell drains to a valid cell or out of the raster, and all of it leaves."""
    valid = np.isfinite(routing.elevation)
    receiver = routing.receiver.ravel()
    assert np.all(receiver[~valid.ravel()] == -2)
    inside = receiver[valid.ravel()]
    assert np.all((inside == OUTSIDE) | (inside >= 0))
    assert np.all(valid.ravel()[inside[inside >= 0]])
    assert routing.area[~valid].sum() == 0
    assert routing.area[(routing.receiver == OUTSIDE)].sum() == valid.sum()


def test_a_tilted_plane_has_no_depressions_and_rows_drain_straight_to_the_low_edge():
    rows, cols = 12, 20
    c = np.arange(cols, dtype=float)
    plane = np.tile(3.0 * c, (rows, 1))  # falls towards column 0
    routing = drainage.route_flow(plane)
    assert np.array_equal(routing.filled, plane)
    assert drainage.depression_fraction(routing) == 0.0
    assert drainage.local_minima_per_1000(plane) == 0.0
    # Interior cells flow due west; the last column is an outlet itself, so cell (r, c) drains columns c..cols-2.
    expected = np.ones((rows, cols))
    expected[1:-1, 1:-1] = cols - 1 - c[1:-1]
    expected[1:-1, 0] = cols - 1
    assert np.array_equal(routing.area, expected)
    assert_routing_consistent(routing)

    tilted_both_ways = plane + 0.7 * np.arange(rows)[:, None]
    assert drainage.depression_fraction(drainage.route_flow(tilted_both_ways)) == 0.0
    assert drainage.local_minima_per_1000(tilted_both_ways) == 0.0


def pyramid_pit(size=41, radius=8, depth_per_cell=2.0, plateau=100.0):
    """A flat plateau with an inverted square pyramid: fill depth depth_per_cell * (radius - Chebyshev distance)."""
    y, x = np.mgrid[0:size, 0:size] - size // 2
    chebyshev = np.maximum(np.abs(y), np.abs(x))
    return plateau - depth_per_cell * np.maximum(0, radius - chebyshev)


def test_one_pit_fills_exactly_its_own_cells_and_is_the_only_minimum():
    size, radius = 41, 8
    z = pyramid_pit(size, radius)
    routing = drainage.route_flow(z)
    # The pit fills up to the plateau; its cells are those within Chebyshev distance radius - 1 of the centre,
    # each at least 2 m deep, far above 0.5 % of the 16 m relief.
    assert np.array_equal(routing.filled, np.full(z.shape, 100.0))
    pit_cells = (2 * radius - 1) ** 2
    assert drainage.depression_fraction(routing) == pytest.approx(pit_cells / size ** 2, abs=1e-12)
    assert drainage.local_minima_per_1000(z) == pytest.approx(1000.0 / (size - 2) ** 2)
    assert_routing_consistent(routing)
    # Filling removed the pit: nothing is left to fill, and the filled plateau has no minimum.
    again = drainage.route_flow(routing.filled)
    assert drainage.depression_fraction(again) == 0.0 and np.array_equal(again.filled, routing.filled)
    assert drainage.local_minima_per_1000(routing.filled) == 0.0


def test_a_pit_that_reaches_nodata_drains_into_it():
    z = pyramid_pit(41, 8)
    z[20, 20] = np.nan  # the pit's bottom is a hole in the data: water leaves there, nothing is filled
    routing = drainage.route_flow(z)
    valid = np.isfinite(z)
    assert np.isnan(routing.filled[20, 20]) and routing.area[20, 20] == 0 and routing.receiver[20, 20] == -2
    assert np.array_equal(routing.filled[valid], z[valid])
    assert drainage.depression_fraction(routing) == 0.0
    assert np.all(routing.receiver[19:22, 19:22][valid[19:22, 19:22]] == OUTSIDE)
    # The pit and its rim (the plateau cells next to it) drain into the hole through its 8 neighbours;
    # the rest of the flat plateau may go either way.
    assert routing.area[19:22, 19:22].sum() >= (2 * 8 + 1) ** 2 - 1
    assert_routing_consistent(routing)


def test_nodata_cells_are_skipped_and_their_neighbours_are_outlets():
    rows, cols = 12, 20
    c = np.arange(cols, dtype=float)
    z = np.tile(c, (rows, 1))
    z[:, 8] = np.nan  # a nodata column cuts the raster in two
    routing = drainage.route_flow(z)
    interior = slice(1, rows - 1)
    assert np.all(routing.area[:, 8] == 0) and np.all(routing.receiver[:, 8] == -2)
    assert np.all(np.isnan(routing.filled[:, 8]))
    assert np.all(routing.receiver[:, 7] == OUTSIDE) and np.all(routing.receiver[:, 9] == OUTSIDE)
    # East of the gap, rows drain to the cells beside it (columns 9..18); west of it, to column 0 (columns 0..6):
    # column 7 is an outlet with nothing upstream, as water cannot cross the gap.
    assert np.all(routing.area[interior, 9] == cols - 1 - 9)
    assert np.all(routing.area[interior, 7] == 1)
    assert np.all(routing.area[interior, 0] == 7)
    assert drainage.depression_fraction(routing) == 0.0
    assert_routing_consistent(routing)


def v_valley(rows=30, cols=21, side_slope=10.0, valley_slope=1.0):
    """Two planes meeting in a valley floor along the middle column, which falls towards row 0."""
    r, c = np.mgrid[0:rows, 0:cols]
    return side_slope * np.abs(c - cols // 2) + valley_slope * r


def test_drainage_area_grows_down_a_v_shaped_valley():
    rows, cols = 30, 21
    mid = cols // 2
    routing = drainage.route_flow(v_valley(rows, cols))
    r = np.arange(1, rows - 1)
    # Each interior row sends its cols - 2 interior cells sideways to the floor, which carries them to row 0.
    assert np.array_equal(routing.area[1:-1, mid], (cols - 2) * (rows - 1 - r))
    assert routing.area[0, mid] == (cols - 2) * (rows - 2) + 1
    # On the sides, a cell collects the cells between it and the (outlet) edge of the raster.
    assert np.all(routing.area[1:-1, mid + 1:-1] == cols - 1 - np.arange(mid + 1, cols - 1))
    assert np.all(routing.area[1:-1, 1:mid] == np.arange(1, mid))
    # Longest flow path to a floor cell: mid - 1 steps down a side, then down the floor from row rows - 2.
    lengths = drainage.upstream_length(routing)
    assert np.allclose(lengths[1:-1, mid], (mid - 1) + (rows - 2 - r))
    assert drainage.depression_fraction(routing) == 0.0 and drainage.local_minima_per_1000(v_valley()) == 0.0
    assert_routing_consistent(routing)


def test_drainage_density_counts_the_channel_cells_of_the_valley():
    rows, cols, pixel = 30, 21, 30.0
    routing = drainage.route_flow(v_valley(rows, cols))
    threshold = (cols - 2) * 10
    # Floor cells of rows 1..rows-11 and the outlet at row 0 reach the threshold: rows - 10 unit steps.
    length_km = (rows - 10) * pixel / 1000.0
    area_km2 = rows * cols * pixel ** 2 / 1e6
    assert drainage.drainage_density(routing, pixel, pixel, threshold) == pytest.approx(length_km / area_km2)
    assert (routing.area >= threshold).sum() == rows - 10



def test_drainage_density_counts_diagonal_steps_as_longer():
    n, threshold, pixel = 24, 5, 10.0
    r, c = np.mgrid[0:n, 0:n]
    routing = drainage.route_flow((r + c).astype(float))  # every interior cell flows diagonally to the north-west
    # An interior cell drains the diagonal between it and the outlets of the last row or column.
    assert np.array_equal(routing.area[1:-1, 1:-1], np.minimum(n - 1 - r, n - 1 - c)[1:-1, 1:-1])
    # Channels: (n - 1 - threshold)^2 interior cells, one diagonal step each, and the outlets on row 0
    # (n - threshold of them) and column 0 (n - 1 - threshold more), one pixel each.
    steps = (n - 1 - threshold) ** 2 * np.sqrt(2) + (n - threshold) + (n - 1 - threshold)
    expected = steps * pixel / 1000.0 / (n * n * pixel ** 2 / 1e6)
    assert drainage.drainage_density(routing, pixel, pixel, threshold) == pytest.approx(expected)

@pytest.mark.parametrize("beta", [0.45, 0.7])
def test_exceedance_exponent_of_a_known_power_law(beta):
    # P(A >= a) = a^-beta for a >= 1 (Pareto), drawn by inverting the survival function.
    areas = (1.0 - np.random.default_rng(1).random(400_000)) ** (-1.0 / beta)
    assert drainage.exceedance_exponent(areas) == pytest.approx(beta, abs=0.01)
    # No catchment reaches the top of the fitting range: no exponent rather than a fit over part of it.
    assert np.isnan(drainage.exceedance_exponent(np.minimum(areas, 999.0)))


def test_filling_matches_priority_flood_and_leaves_no_closed_depression():
    z = rough_surface(40, seed=2)
    z[10:14, 25:31] = np.nan  # a hole of nodata inside
    z[0, 5] = np.nan  # and one on the border
    routing = drainage.route_flow(z)
    valid = np.isfinite(z)
    assert np.array_equal(np.isnan(routing.filled), ~valid)
    assert np.all(routing.filled[valid] >= z[valid])
    assert np.array_equal(routing.filled[valid], priority_flood(z)[valid])
    assert drainage.depression_fraction(routing) > 0.1
    assert_routing_consistent(routing)
    again = drainage.route_flow(routing.filled)
    assert drainage.depression_fraction(again) == 0.0
    assert np.array_equal(again.filled[valid], routing.filled[valid])


def spiral_maze(size: int):
    """Walls at 10 and a corridor at 0 that winds inwards from an outlet on the left edge and ends in a pit:
    water from the middle travels the whole spiral, against every direction of the sweeps in turn."""
    z = np.full((size, size), 10.0)
    row, col, heading = 1, 0, 0
    z[row, col] = 0.0
    headings = ((0, 1), (1, 0), (0, -1), (-1, 0))
    for _ in range(4 * size):
        dy, dx = headings[heading]
        # Carve ahead while a wall of one cell stays between this lane and the lanes already carved.
        while (1 <= row + dy <= size - 2 and 1 <= col + dx <= size - 2
               and z[min(max(row + 2 * dy, 0), size - 1), min(max(col + 2 * dx, 0), size - 1)] != 0.0):
            row, col = row + dy, col + dx
            z[row, col] = 0.0
        heading = (heading + 1) % 4
    z[row, col] = -5.0
    return z, (row, col)


def test_batched_fill_of_tiles_matches_priority_flood(sample_dem):
    real = read_band(sample_dem).values
    maze, pit = spiral_maze(64)
    tiles = np.stack([rough_surface(64, seed=1), rough_surface(64, seed=2), maze,
                      real[0:64, 0:64], real[200:264, 300:364]]).astype(np.float32)
    filled = drainage.fill_tiles(tiles)
    for tile, fill in zip(tiles, filled):
        assert np.array_equal(fill, priority_flood(tile.astype(np.float64)).astype(np.float32))
    # The whole corridor drains through the spiral to its outlet; only the pit at its end fills, to 0.
    assert np.argwhere(filled[2] != maze).tolist() == [list(pit)] and filled[2][pit] == 0.0
    with pytest.raises(ValueError, match="at least 3 x 3"):
        drainage.fill_tiles(np.zeros((4, 2, 10)))


def test_tiny_or_empty_rasters_are_refused():
    with pytest.raises(ValueError, match="at least 3 x 3"):
        drainage.route_flow(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="only nodata"):
        drainage.route_flow(np.full((5, 5), np.nan))


@pytest.fixture(scope="module")
def sample_descriptors(sample_dem):
    raster = read_band(sample_dem)
    pixel = grid_pixel_metres(raster.grid)
    return raster.values, pixel, drainage.drainage_descriptors(raster.values, *pixel)


def test_real_terrain_drains_like_a_river_network(sample_descriptors):
    _, _, real = sample_descriptors
    assert 0.002 < real["depression_fraction"] < 0.06
    assert 0.35 <= real["drainage_exponent"] <= 0.6
    assert 0.4 <= real["hack_exponent"] <= 0.8
    assert 0.2 < real["drainage_density"] < 3.0
    assert 0 < real["minima_per_1000"] < 20


@pytest.mark.parametrize("kind", ["white noise", "cumulative noise"])
def test_noise_has_far_more_depressions_than_real_terrain(sample_descriptors, kind):
    values, pixel, real = sample_descriptors
    rng = np.random.default_rng(5)
    relief = float(np.nanmax(values) - np.nanmin(values))
    if kind == "white noise":
        surface = rng.normal(size=values.shape)
    else:  # a random-walk surface: smooth at large scales, rough at the pixel scale
        surface = np.cumsum(rng.normal(size=values.shape), axis=0) + np.cumsum(rng.normal(size=values.shape), axis=1)
    surface = (surface - surface.min()) / np.ptp(surface) * relief
    noise = drainage.drainage_descriptors(surface, *pixel)
    assert noise["depression_fraction"] > 5 * real["depression_fraction"]
    assert noise["minima_per_1000"] > 5 * real["minima_per_1000"]


def test_large_rasters_are_measured_on_windows_weighted_by_cells(tmp_path):
    from core.evaluate import DRAINAGE_WINDOW, _spans, drainage_of_rasters

    from rasters import write_raster

    assert _spans(300) == [(0, 300)]
    assert _spans(1100) == [(0, 550), (550, 550)]
    spans = _spans(2049)
    assert len(spans) == 3 and max(size for _, size in spans) <= DRAINAGE_WINDOW
    assert spans[0][0] == 0 and all(a + n == b for (a, n), (b, _) in zip(spans, spans[1:])) and sum(spans[-1]) == 2049

    rows, cols = 260, 1100
    z = np.tile(np.arange(cols, dtype=float), (rows, 1))  # the left window: a plane
    z[:, 550:] = 500 + 50 * np.random.default_rng(3).normal(size=(rows, 550))  # the right one: white noise
    z[:100, 600:] = np.nan  # with some nodata, so the windows weigh differently
    path = write_raster(tmp_path / "wide.tif", z, nodata=-9999.0, pixel=30.0)
    summary = drainage_of_rasters([path])
    assert summary.windows == 2 and summary.too_small == []
    left = drainage.drainage_descriptors(z[:, :550].astype(np.float32), 30.0, 30.0)
    right = drainage.drainage_descriptors(z[:, 550:].astype(np.float32), 30.0, 30.0)
    weights = np.array([rows * 550, np.isfinite(z[:, 550:]).sum()])
    for name in ("depression_fraction", "minima_per_1000", "drainage_density"):
        expected = (weights * [left[name], right[name]]).sum() / weights.sum()
        assert summary.values[name] == pytest.approx(expected)
    assert left["depression_fraction"] == 0.0 and summary.values["depression_fraction"] > 0.1
    assert summary.cells == weights.sum()
    assert summary.example[0].shape == (rows, 550) and summary.example[3] == "wide.tif"

    small = write_raster(tmp_path / "small.tif", z[:200, :400], pixel=30.0)
    nothing = drainage_of_rasters([small])
    assert nothing.too_small == ["small.tif"] and nothing.windows == 0 and nothing.example is None
    assert all(np.isnan(value) for value in nothing.values.values())
