"""Speed of the closed-depression fill the discriminators see (issue 8): batched sweeps against one spanning tree per
tile.

Since issue 8 the discriminator's fifth channel is each cell's depth in a closed depression, so every tile it judges
is filled exactly, on the CPU, a few dozen per training step. `core.drainage.fill_tiles` fills a whole batch by
Planchon-Darboux sweeps; `core.drainage.fill_depressions` (the whole-raster measures' exact fill, with nodata) fills
one tile at a time through a minimum spanning tree. Both are timed on the same batches of the sample DEM's tiles and
of a generated raster's, in one run, and their levels must be equal.

    python bench/depression_fill.py [--quick]
"""

import argparse
import sys
import time

import common
import numpy as np

BATCH = 48  # tiles a default training step fills: 16 real and 16 generated for the discriminator, 16 for the generator
SIDES = (64, 96)  # the training tile, and the tile with the 16 px of context the experimental setting adds
ROUNDS, QUICK_ROUNDS = 5, 1


def tiles_of(values: np.ndarray, side: int, rng) -> np.ndarray:
    rows = rng.integers(0, values.shape[0] - side + 1, BATCH)
    cols = rng.integers(0, values.shape[1] - side + 1, BATCH)
    return np.stack([values[r:r + side, c:c + side] for r, c in zip(rows, cols)]).astype(np.float32)


def best_seconds(fill, tiles, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fill(tiles)
        times.append(time.perf_counter() - started)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="bench/depression_fill.py", parents=[common.common_options()],
                                     description=__doc__.split("\n\n")[0])
    args = parser.parse_args(argv)
    from core.drainage import fill_depressions, fill_tiles
    from core.generate import generate
    from core.raster_io import read_band

    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    real = read_band(common.SAMPLE_DEM).values
    generated = generate(common.SAMPLE_MODEL, 1, 512, 512)
    rng = np.random.default_rng(0)
    load_before = common.load_average()

    def one_by_one(tiles):
        return np.stack([fill_depressions(tile).filled.reshape(tile.shape) for tile in tiles])

    header = ["tiles", "side px", "spanning tree per tile, ms per tile", "batched sweeps, ms per tile", "ratio",
              "equal levels"]
    rows, all_equal = [], True
    for name, values in (("sample DEM", real), ("sample model's output", generated)):
        for side in SIDES:
            tiles = tiles_of(values, side, rng)
            equal = np.array_equal(one_by_one(tiles).astype(np.float32), fill_tiles(tiles))
            all_equal &= equal
            old = best_seconds(one_by_one, tiles, rounds)
            new = best_seconds(fill_tiles, tiles, rounds)
            rows.append([name, side, f"{1e3 * old / BATCH:.2f}", f"{1e3 * new / BATCH:.2f}", f"{old / new:.1f}",
                         "yes" if equal else "NO"])
    print(f"\nClosed-depression fill of batches of {BATCH} tiles (best of {rounds} rounds, one thread)")
    print(common.text_table(header, rows))
    if common.should_record(args, not args.quick):
        common.append_results(f"""## Closed-depression fill (issue 8), {common.now_utc()}

`{common.command_line()}` on {common.machine_line()}; code {common.code_version()}. Load average before \
{load_before}, after {common.load_average()}.

{common.markdown_table(header, rows)}

Batches of {BATCH} random tiles, as many as a default training step fills; best of {rounds} rounds. Equal levels: \
`fill_tiles` gives exactly the levels of `fill_depressions` on every tile.
""")
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main())
