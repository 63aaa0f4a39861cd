"""Train the small model that ships in the plugin: the product's default training on the sample DEM.

It is the default MODEL of the algorithms that need one, so terrain can be generated seconds after
installing. Rebuild it with `make sample-model` when the defaults or the networks change (about 23 minutes
on 2 CPU cores); the training report is written beside it in build/.

    python scripts/build_sample_model.py [--iterations N]
"""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from core.progress import Reporter  # noqa: E402
from core.settings import TrainSettings  # noqa: E402
from core.train import train  # noqa: E402

SAMPLE_DEM = os.path.join(ROOT, "resources", "jacksboro_dem.tif")
# The plugin reads it from <plugin>/resources/sample_model/ (geogan_qgis/paths.py SAMPLE_MODEL).
SAMPLE_MODEL = os.path.join(ROOT, "resources", "sample_model", "jacksboro_gan.pt")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=TrainSettings().iterations,
                        help="training steps (default: the product's default, %(default)s)")
    args = parser.parse_args(argv)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    settings = TrainSettings(iterations=args.iterations)
    train([SAMPLE_DEM], SAMPLE_MODEL, settings, Reporter(log=print),
          report_path=os.path.join(ROOT, "build", "sample_model_report.html"))
    print(f"{SAMPLE_MODEL}: {os.path.getsize(SAMPLE_MODEL) / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
