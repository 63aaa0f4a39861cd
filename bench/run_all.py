"""Run every GeoGAN benchmark in turn (`make bench`); exit status 1 if any of them fails.

Options are passed on to every benchmark (see bench/common.py); run a benchmark's own script for its
specific options, e.g. python bench/generation.py --help.

    python bench/run_all.py [--only realism landscape generation sampling throughput depression_fill
                                   incomplete_data] [--quick]
                            [--iterations N] [--model model.pt] [--no-record]
"""

import argparse
import os
import subprocess
import sys
import time

import common

HERE = os.path.dirname(os.path.abspath(__file__))

# One line per benchmark, run in this order: (name, script in bench/). Adding a benchmark is adding a line; its
# script must accept the shared options of common.common_options().
BENCHMARKS = [
    ("realism", "realism.py"),  # issue 3: realism score against fBm and r.surf.fractal; trains the model reused next
    ("landscape", "landscape.py"),  # issue 8: drainage, classifier test, memorisation on a checkerboard split
    ("generation", "generation.py"),  # issue 4: time and peak memory for 2048 to 8192 px GeoTIFFs
    ("sampling", "sampling.py"),  # issue 4: tiles/s and extra memory training from a 20000 x 20000 px raster
    ("throughput", "throughput.py"),  # issue 4: training tiles/s through geogan:traingan against a bare loop
    ("depression_fill", "depression_fill.py"),  # issue 8: the discriminators' closed-depression fill, old and new
    ("incomplete_data", "incomplete_data.py"),  # issue 10: void filling, super-resolution vs GDAL, GRASS, bicubic
]


def main(argv=None) -> int:
    names = [name for name, _ in BENCHMARKS]
    own = argparse.ArgumentParser(add_help=False)  # run_all's own options, not passed on
    own.add_argument("--only", nargs="+", choices=names, default=None, help="run only these benchmarks")
    parser = argparse.ArgumentParser(prog="bench/run_all.py", parents=[common.common_options(), own],
                                     description=__doc__.split("\n\n")[0])
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)  # checks every option, so a typo fails here and not after an hour of training
    passed_on = own.parse_known_args(argv)[1]
    outcomes = []
    for name, script in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        print(f"\n=== {name} ({script}) ===", flush=True)
        started = time.perf_counter()
        status = subprocess.run([sys.executable, os.path.join(HERE, script), *passed_on]).returncode
        outcomes.append((name, status, time.perf_counter() - started))
    print("\n=== summary ===")
    for name, status, seconds in outcomes:
        print(f"{name}: {'ok' if status == 0 else f'FAILED (exit {status})'} in {seconds:.0f} s")
    return 0 if all(status == 0 for _, status, _ in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
