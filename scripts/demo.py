"""GeoGAN demo: train on the sample DEM through the real plugin, generate a 512 x 512 synthetic DEM,
and draw real and synthetic terrain side by side; then train a void-filling model briefly, cut a void into the
sample DEM and fill it, beside GDAL's fillnodata.

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


# The void the demo cuts into the sample DEM (rows, columns): 24 x 24 pixels across a ridge and its valleys.
DEMO_VOID = (slice(150, 174), slice(200, 224))


def cut_void(source_path, path):
    """A float32 copy of source_path with DEMO_VOID set to nodata."""
    from osgeo import gdal

    gdal.Translate(path, source_path, outputType=gdal.GDT_Float32, noData=-9999)
    dataset = gdal.Open(path, gdal.GA_Update)
    band = dataset.GetRasterBand(1)
    values = band.ReadAsArray()
    values[DEMO_VOID] = -9999
    band.WriteArray(values)
    dataset = None


def draw_filled_void(truth_path, filled, picture_path, caption):
    """Hillshades around DEMO_VOID: the truth, the DEM with the void, and each method's fill (title: its RMSE)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle
    from scipy.ndimage import binary_dilation

    from geogan_qgis.core.raster_io import read_band
    from geogan_qgis.core.terrain import grid_pixel_metres, hillshade

    truth = read_band(truth_path)
    pixel_x, pixel_y = grid_pixel_metres(truth.grid)
    rows, cols = DEMO_VOID
    area = (slice(rows.start - 40, rows.stop + 40), slice(cols.start - 40, cols.stop + 40))
    panels = [("Real DEM", truth.values, None)]
    with_void = truth.values.copy()
    with_void[DEMO_VOID] = np.nan
    panels.append(("With a 24 x 24 pixel void", with_void, None))
    for title, path in filled:
        values = read_band(path).values
        panels.append((title, values, float(np.sqrt(np.mean((values[DEMO_VOID] - truth.values[DEMO_VOID]) ** 2)))))
    figure, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.6), constrained_layout=True)
    for axis, (title, values, rmse) in zip(axes, panels):
        window = values[area].astype(np.float64)
        shade = hillshade(np.where(np.isfinite(window), window, np.nanmean(window)), pixel_x, pixel_y)
        # Cells next to nodata have no true slope: left blank with the void.
        blank = binary_dilation(~np.isfinite(window))
        axis.imshow(np.where(blank, np.nan, shade), cmap="gray", vmin=0, vmax=1)
        axis.add_patch(Rectangle((39.5, 39.5), 24, 24, fill=False, edgecolor="red", linewidth=0.8))
        axis.set_title(title + (f"\nRMSE in the void {rmse:.1f} m" if rmse is not None else "\n"))
        axis.set_axis_off()
    figure.suptitle(caption, fontsize=9)
    figure.savefig(picture_path, dpi=100)
    plt.close(figure)
    return [(title, rmse) for title, _, rmse in panels if rmse is not None]


def fill_demo(processing, output, iterations, seed):
    """Train geogan:trainfill briefly, fill DEMO_VOID with it and with gdal:fillnodata, and draw both."""
    model_path = os.path.join(output, "jacksboro_fill.pt")
    void_path = os.path.join(output, "dem_with_void.tif")
    cut_void(SAMPLE_DEM, void_path)
    print(f"\nTraining geogan:trainfill on {os.path.basename(SAMPLE_DEM)} ({iterations} iterations, 64-pixel tiles)")
    started = time.perf_counter()
    # Trained on the DEM with the void: no training tile holds the void's true terrain.
    processing.run("geogan:trainfill", {"INPUT_LAYERS": [void_path], "TILE_SIZE": 64, "ITERATIONS": iterations,
                                        "SEED": seed, "OUTPUT_MODEL": model_path},
                   feedback=PrintedFeedback.create("void-fill training"))
    training_seconds = time.perf_counter() - started
    geogan_path = os.path.join(output, "filled_geogan.tif")
    gdal_path = os.path.join(output, "filled_gdal_fillnodata.tif")
    processing.run("geogan:fillvoids", {"MODEL": model_path, "INPUT": void_path, "SEED": seed, "OUTPUT": geogan_path})
    processing.run("gdal:fillnodata", {"INPUT": void_path, "BAND": 1, "DISTANCE": 100, "OUTPUT": gdal_path})
    picture_path = os.path.join(output, "filled_void.png")
    caption = (f"geogan:fillvoids with a model trained {iterations} iterations ({training_seconds:.0f} s) on the "
               f"sample DEM around the void (never on the void's terrain); one void, a demonstration: "
               f"bench/RESULTS.md has the benchmark.")
    errors = draw_filled_void(SAMPLE_DEM, [("GeoGAN fillvoids", geogan_path), ("gdal:fillnodata", gdal_path)],
                              picture_path, caption)
    for title, rmse in errors:
        print(f"{title}: RMSE in the void {rmse:.1f} m")
    print(f"Picture:       {picture_path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", default=os.path.join(ROOT, "demo_output"))
    parser.add_argument("--iterations", type=int, default=700)
    parser.add_argument("--seed", type=int, default=7)
    # 100: the fill network barely moves off its spline in a demo's minutes (RMSE in the demo's void 33.9 m after
    # 100 steps, 33.7 m after 300, gdal:fillnodata 51.1 m), and each 100 steps cost about 20 s.
    parser.add_argument("--fill-iterations", type=int, default=100)
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
    fill_demo(processing, output, args.fill_iterations, args.seed)


if __name__ == "__main__":
    main()
