"""GeoGAN demo: train on the sample DEM through the real plugin, generate a 512 x 512 synthetic DEM,
and draw real and synthetic terrain side by side.

Runs PyQGIS headless: the plugin is loaded from build/plugins the way QGIS loads it, and both steps
go through processing.run("geogan:...").
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN_PARENT = os.path.join(ROOT, "build", "plugins")
SAMPLE_DEM = os.path.join(ROOT, "resources", "jacksboro_dem.tif")


def start_qgis():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    sys.path += [PLUGIN_PARENT, os.path.join(QgsApplication.pkgDataPath(), "python", "plugins")]
    from processing.core.Processing import Processing

    Processing.initialize()
    import qgis.utils

    qgis.utils.plugin_paths.insert(0, PLUGIN_PARENT)
    if not (qgis.utils.loadPlugin("geogan_qgis") and qgis.utils.startProcessingPlugin("geogan_qgis")):
        sys.exit(f"Could not load the GeoGAN plugin from {PLUGIN_PARENT}; run `make package` first.")
    return app


class PrintedFeedback:
    """Processing feedback that prints log lines and a progress line every 10%."""

    @staticmethod
    def create(label):
        from qgis.core import QgsProcessingFeedback

        class Feedback(QgsProcessingFeedback):
            last = -1

            def pushInfo(self, info):  # noqa: N802
                print(f"  {info}", flush=True)

            def setProgress(self, progress):  # noqa: N802
                super().setProgress(progress)
                if int(progress) // 10 != self.last:
                    self.last = int(progress) // 10
                    print(f"  {label}: {int(progress)} %", flush=True)

        return Feedback()


def draw_comparison(real_path, synthetic_path, picture_path, caption):
    """Hillshades (top) and drainage networks (bottom) of the real and the synthetic DEM, at the same scale."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    # Debian's mpl_toolkits beside the venv's matplotlib: harmless here, 3D plots are not used.
    warnings.filterwarnings("ignore", message="Unable to import Axes3D")
    import matplotlib.pyplot as plt
    import numpy as np
    from geogan_qgis.core.drainage import CHANNEL_CELLS, depression_fraction, exceedance_exponent, route_flow
    from geogan_qgis.core.raster_io import read_band
    from geogan_qgis.core.terrain import grid_pixel_metres, hillshade

    panels = []
    for title, path in (("Real: USGS DEM, Jacksboro fault (TN)", real_path), ("Synthetic: GeoGAN", synthetic_path)):
        raster = read_band(path)
        elevation, grid = raster.values.astype(np.float64), raster.grid
        pixel_x, pixel_y = grid_pixel_metres(grid)
        filled = np.where(np.isfinite(elevation), elevation, np.nanmean(elevation))
        routing = route_flow(elevation)
        panels.append((title, elevation, hillshade(filled, pixel_x, pixel_y), pixel_x, pixel_y, routing))

    figure, axes = plt.subplots(2, 2, figsize=(13, 12.4), constrained_layout=True)
    for column, (title, elevation, shade, pixel_x, pixel_y, routing) in enumerate(panels):
        height, width = elevation.shape
        extent = (0, width * pixel_x / 1000, 0, height * pixel_y / 1000)
        top, bottom = axes[0, column], axes[1, column]
        top.imshow(shade, cmap="gray", extent=extent, vmin=0, vmax=1)
        top.imshow(elevation, cmap="terrain", alpha=0.35, extent=extent)
        top.set_title(f"{title}\n{width} x {height} px, relief {np.nanmax(elevation) - np.nanmin(elevation):.0f} m")
        # Channels: cells draining at least CHANNEL_CELLS cells, darker and wider downstream.
        channels = np.where(routing.area >= CHANNEL_CELLS, np.log10(routing.area), np.nan)
        bottom.imshow(shade, cmap="gray", extent=extent, vmin=0, vmax=1, alpha=0.45)
        bottom.imshow(channels, cmap="Blues", extent=extent, vmin=np.log10(CHANNEL_CELLS) - 1,
                      vmax=np.log10(routing.area.max()), interpolation="nearest")
        pits = routing.filled - routing.elevation > 0.005 * (np.nanmax(elevation) - np.nanmin(elevation))
        bottom.imshow(np.where(pits, 1.0, np.nan), cmap="autumn", extent=extent, alpha=0.6, interpolation="nearest")
        bottom.set_title(f"Drainage: channels draining >= {CHANNEL_CELLS} cells (blue), closed depressions (red)\n"
                         f"depressions {depression_fraction(routing):.1%} of the area, "
                         f"drainage-area exponent beta {exceedance_exponent(routing.area):.2f}")
        for axis in (top, bottom):
            axis.set_xlabel("km")
            axis.set_ylabel("km")
    figure.suptitle(caption, fontsize=10)
    figure.savefig(picture_path, dpi=100)
    plt.close(figure)
    return [(title, depression_fraction(routing), exceedance_exponent(routing.area))
            for title, *_, routing in panels]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default=os.path.join(ROOT, "demo_output"))
    parser.add_argument("--iterations", type=int, default=700)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    output = os.path.abspath(args.output)
    os.makedirs(output, exist_ok=True)

    app = start_qgis()  # noqa: F841 (keeps QGIS alive)
    import processing

    model_path = os.path.join(output, "jacksboro_gan.pt")
    dem_path = os.path.join(output, "synthetic_dem.tif")
    picture_path = os.path.join(output, "real_vs_synthetic.png")

    print(f"Training geogan:traingan on {os.path.basename(SAMPLE_DEM)} ({args.iterations} iterations, CPU/GPU auto)")
    started = time.perf_counter()
    trained = processing.run("geogan:traingan", {
        "INPUT_LAYERS": [SAMPLE_DEM], "ITERATIONS": args.iterations, "SEED": args.seed, "OUTPUT_MODEL": model_path,
    }, feedback=PrintedFeedback.create("training"))
    training_seconds = time.perf_counter() - started

    print("Generating a 512 x 512 synthetic DEM with geogan:generatedem")
    started = time.perf_counter()
    processing.run("geogan:generatedem", {"MODEL": model_path, "WIDTH": 512, "HEIGHT": 512, "SEED": args.seed,
                                          "OUTPUT": dem_path}, feedback=PrintedFeedback.create("generation"))
    generation_seconds = time.perf_counter() - started

    caption = (f"GeoGAN trained {args.iterations} iterations in {training_seconds:.0f} s on this machine; "
               f"final losses G {trained['GENERATOR_LOSS']:.2f}, D {trained['DISCRIMINATOR_LOSS']:.2f}. "
               f"Both panels at the same scale and sun (NW, 45 deg).")
    drainage = draw_comparison(SAMPLE_DEM, dem_path, picture_path, caption)
    print(f"\nTraining took {training_seconds:.0f} s, generation {generation_seconds:.1f} s.")
    for title, depressions, beta in drainage:
        print(f"{title.split(':')[0]:9s}: closed depressions {depressions:.1%} of the area, drainage-area exponent "
              f"beta {beta:.2f}")
    print(f"Model:         {model_path}")
    print(f"Synthetic DEM: {dem_path}")
    print(f"Picture:       {picture_path}")


if __name__ == "__main__":
    main()
