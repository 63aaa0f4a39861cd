"""Self-contained HTML reports: matplotlib figures embedded as PNG, so one file opens anywhere."""

import base64
import html
import io

import numpy as np

from . import metrics
from .drainage import CHANNEL_CELLS, EXPONENT_RANGE
from .errors import InputError
from .output_files import write_atomically
from .terrain import hillshade

DESCRIPTOR_LABELS = {"relief": "Relief (m)", "slope": "Slope (degrees)", "curvature": "Curvature, Laplacian (1/m)",
                     "roughness": "Terrain ruggedness index (m)", "hypsometry": "Hypsometric integral per tile"}


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise InputError("Reports need matplotlib, which this Python cannot import. Install it without changing the "
                         f"numpy this Python has ({np.__version__}): with the system's package manager (Debian/Ubuntu: "
                         "sudo apt install python3-matplotlib) or GeoGAN's installer, or with pip and the constraint "
                         f'"numpy=={np.__version__}"; not with pip install --user, which an externally managed Python '
                         "refuses and which can put another numpy in front of this one") from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(figure, dpi: int = 90) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    _pyplot().close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _histograms(real, synthetic) -> str:
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(DESCRIPTOR_LABELS), figsize=(4 * len(DESCRIPTOR_LABELS), 3.2))
    for axis, (name, label) in zip(axes, DESCRIPTOR_LABELS.items()):
        low, high = np.percentile(np.concatenate([real[name], synthetic[name]]), [0.5, 99.5])
        bins = np.linspace(low, high, 40) if high > low else 10
        axis.hist(real[name], bins=bins, density=True, alpha=0.55, label="real")
        axis.hist(synthetic[name], bins=bins, density=True, alpha=0.55, label="synthetic")
        axis.set_xlabel(label)
    axes[0].legend()
    return _png(figure)


def _spectra(real_spectrum, synthetic_spectrum) -> str:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.5, 4))
    for label, spectrum in (("real", real_spectrum), ("synthetic", synthetic_spectrum)):
        axis.loglog(1.0 / spectrum.frequency, spectrum.power, marker="o", label=f"{label} (slope {spectrum.slope:.2f})")
    axis.invert_xaxis()
    axis.set_xlabel("wavelength (m)")
    axis.set_ylabel("power")
    axis.legend()
    return _png(figure)


def _tile_rows(rows: list, pixel) -> str:
    """One row of hillshaded tiles per (label, tiles) pair."""
    plt = _pyplot()
    count = max(len(tiles) for _, tiles in rows)
    figure, axes = plt.subplots(len(rows), count, figsize=(1.6 * count, 1.7 * len(rows)), squeeze=False)
    for row, (label, tiles) in enumerate(rows):
        for column in range(count):
            axis = axes[row][column]
            axis.set_xticks([])
            axis.set_yticks([])
            if column < len(tiles):
                axis.imshow(hillshade(tiles[column], *pixel), cmap="gray", vmin=0, vmax=1)
            if column == 0:
                axis.set_ylabel(label, fontsize=8)
    return _png(figure)


# Drainage descriptors in the report: (label, format, what real terrain gives).
DRAINAGE_ROWS = {
    "depression_fraction": ("Share of cells in closed depressions", "{:.3f}",
                            "a few per cent on eroded terrain; noise and fBm surfaces about 0.05 to 0.4"),
    "minima_per_1000": ("Local minima (pits) per 1000 cells", "{:.2f}",
                        "under about 10 on eroded terrain; noise and fBm give 10 to 110"),
    "drainage_exponent": ("Drainage-area exponent beta, P(A &ge; a) ~ a<sup>-beta</sup>", "{:.3f}",
                          "about 0.43 to 0.5 for river networks (filled noise is close too)"),
    "drainage_density": ("Drainage density (km of channel per km&sup2;)", "{:.3f}",
                         "depends on the channel threshold; compare real with synthetic"),
    "hack_exponent": ("Hack's exponent h, flow length L ~ A<sup>h</sup>", "{:.3f}", "about 0.5 to 0.6"),
}


def _block_reduce(values: np.ndarray, factor: int, reduce) -> np.ndarray:
    """Blocks of factor x factor cells reduced to one (the last partial row and column of blocks dropped)."""
    if factor == 1:
        return values
    rows, cols = values.shape[0] // factor, values.shape[1] // factor
    return reduce(values[:rows * factor, :cols * factor].reshape(rows, factor, cols, factor), axis=(1, 3))


def _flow_maps(examples: list) -> str:
    """Drainage area (log scale, blue) over a hillshade, one panel per (label, DrainageSummary.example)."""
    plt = _pyplot()
    from matplotlib import colors

    blues = colors.LinearSegmentedColormap.from_list("channels", plt.get_cmap("Blues")(np.linspace(0.35, 1.0, 256)))
    cell_km2 = [example[2][0] * example[2][1] / 1e6 for _, example in examples]
    largest = max(float(np.nanmax(example[1])) * cell for (_, example), cell in zip(examples, cell_km2))
    smallest = 10 * min(cell_km2)
    norm = colors.LogNorm(vmin=smallest, vmax=max(largest, 10 * smallest))
    figure, axes = plt.subplots(1, len(examples), figsize=(6.2 * len(examples), 6.0), squeeze=False,
                                constrained_layout=True)
    for axis, (label, (elevation, area, pixel, name, measured)), cell in zip(axes[0], examples, cell_km2):
        rows, cols = elevation.shape
        shade = hillshade(np.where(np.isfinite(elevation), elevation, np.nanmean(elevation)), *pixel)
        # Shrunk to about the panel's pixels with the largest area of each block, so channels one cell wide
        # stay unbroken lines instead of dots.
        factor = max(1, int(np.ceil(max(rows, cols) / 560)))
        shade, area = _block_reduce(shade, factor, np.mean), _block_reduce(area, factor, np.max)
        elevation = _block_reduce(elevation, factor, np.mean)
        extent = (0, elevation.shape[1] * factor * pixel[0] / 1000, 0, elevation.shape[0] * factor * pixel[1] / 1000)
        shade = np.ma.masked_where(~np.isfinite(elevation), shade)
        axis.imshow(shade, cmap="gray", vmin=-0.5, vmax=1, extent=extent, interpolation="bilinear")  # soft shading
        # Hillslopes stay uncoloured: under 10 cells of drainage area per cell of the map.
        drained = np.ma.masked_where(area < 10 * factor ** 2, area * cell)
        image = axis.imshow(drained, cmap=blues, norm=norm, extent=extent, interpolation="nearest", alpha=0.9)
        axis.set_title(f"{label}: {name}\ndepressions {measured['depression_fraction']:.3f}, "
                       f"beta {measured['drainage_exponent']:.2f}, "
                       f"{measured['drainage_density']:.2f} km/km²", fontsize=10)
        axis.set_xlabel("km")
        axis.set_ylabel("km")
    bar = figure.colorbar(image, ax=axes[0].tolist(), shrink=0.8, pad=0.02)
    bar.set_label("drainage area (km²)")
    return _png(figure, dpi=110)  # channels are one pixel wide


def _drainage_section(real, synthetic, pixel, channel_cells: int) -> str:
    from .evaluate import DRAINAGE_KEYS, DRAINAGE_WINDOW, MIN_DRAINAGE_SIDE

    cell_km2 = pixel[0] * pixel[1] / 1e6

    def cell(value, form):
        return "not measured" if value is None or not np.isfinite(value) else form.format(value)

    left = "<td style='text-align:left'>"
    rows = "".join(
        f"<tr>{left}{label}</td>{left}<code>{DRAINAGE_KEYS[name]}</code></td><td>{cell(real.values[name], form)}</td>"
        f"<td>{cell(synthetic.values[name], form)}</td>{left}{typical}</td></tr>"
        for name, (label, form, typical) in DRAINAGE_ROWS.items())
    notes = "".join(f"<p>{label} rasters left out (drainage needs at least {MIN_DRAINAGE_SIDE} x {MIN_DRAINAGE_SIDE} "
                    f"pixels): {html.escape(', '.join(summary.too_small))}.</p>"
                    for label, summary in (("Real", real), ("Synthetic", synthetic)) if summary.too_small)
    body = (f"<h2>Drainage</h2><p>Whole rasters (windows of up to {DRAINAGE_WINDOW} px on larger ones), depressions "
            f"filled exactly and water routed D8 to the raster's edge. Channels are cells draining at least "
            f"<b>{channel_cells} cells</b> ({channel_cells * cell_km2:.3g} km&sup2; at these pixels); beta is fitted "
            f"over drainage areas of {EXPONENT_RANGE[0]} to {EXPONENT_RANGE[1]} cells. Real: {real.windows} "
            f"raster(s) or window(s), {real.cells} cells; synthetic: {synthetic.windows}, {synthetic.cells} cells.</p>"
            f"{notes}<table><tr><th>descriptor</th><th>output (REAL_ for the real set)</th><th>real</th>"
            f"<th>synthetic</th><th>real terrain</th></tr>{rows}</table>")
    examples = [(label, summary.example) for label, summary in (("real", real), ("synthetic", synthetic))
                if summary.example is not None]
    if examples:
        body += (f"<h3>Flow accumulation</h3><p>Drainage area on a hillshade, the first raster (or window) of "
                 f"each set; hillslopes (under 10 cells of drainage area per map pixel) are left uncoloured. "
                 f"Real rivers join into trees of valleys; on noise, water wanders across filled depressions.</p>"
                 f'<img alt="flow accumulation maps" src="{_flow_maps(examples)}">')
    return body


def _losses(history: dict) -> str:
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(8, 3.5))
    axis.plot(history["step"], history["discriminator"], label="discriminator")
    axis.plot(history["step"], history["generator"], label="generator")
    axis.axhline(np.log(4), color="grey", linestyle=":", label="balance (D = log 4)")
    axis.set_xlabel("iteration")
    axis.set_ylabel("loss")
    axis.legend()
    return _png(figure)


def _page(title: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1400px}} table{{border-collapse:collapse}}
td,th{{border:1px solid #bbb;padding:4px 10px;text-align:right}} img{{max-width:100%}}
.warning{{background:#fde8e0;border-left:4px solid #c0392b;padding:6px 12px}}</style></head><body>
<h1>{html.escape(title)}</h1>{body}</body></html>
"""


def write_training_report(path: str, history: dict, snapshots: list, real_tiles, pixel, warnings: list,
                          summary: str) -> None:
    notes = ("".join(f'<p class="warning">{html.escape(w)}</p>' for w in warnings)
             or "<p>No sign of collapse or divergence.</p>")
    rows = [("real", list(real_tiles))] + [(f"step {step}", list(samples)) for step, samples in snapshots]
    body = (f"<p>{html.escape(summary)}</p><h2>Health</h2>{notes}"
            f'<h2>Losses</h2><img alt="loss curves" src="{_losses(history)}">'
            f"<h2>Samples from fixed noise (EMA generator), hillshaded</h2>"
            f'<img alt="samples during training" src="{_tile_rows(rows, pixel)}">')
    write_atomically(path, _page("GeoGAN training report", body))


def write_comparison_report(path: str, real_tiles, synthetic_tiles, pixel, distances: dict, drainage: tuple = None,
                            channel_cells: int = CHANNEL_CELLS) -> None:
    """Write the report atomically: the file appears only once complete. `drainage`: (real, synthetic)
    DrainageSummary of core.evaluate, for the drainage table and the flow accumulation maps."""
    real = metrics.tile_descriptors(real_tiles, *pixel)
    synthetic = metrics.tile_descriptors(synthetic_tiles, *pixel)
    pixel_mean = float(np.sqrt(pixel[0] * pixel[1]))
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:.4g}</td></tr>" for k, v in distances.items())
    spectra = _spectra(metrics.mean_spectrum(real_tiles, pixel_mean),
                       metrics.mean_spectrum(synthetic_tiles, pixel_mean))
    gallery = _tile_rows([("real", real_tiles[:6]), ("synthetic", synthetic_tiles[:6])], pixel)
    body = (f"<p>{len(real_tiles)} real and {len(synthetic_tiles)} synthetic tiles of {real_tiles[0].shape[0]} px, "
            f"pixels of {pixel[0]:.1f} x {pixel[1]:.1f} m. Distances are 0 for identical distributions; compare them "
            f"with the distance between two sets of real tiles.</p>"
            f"<h2>Distances</h2><table><tr><th>measure</th><th>distance</th></tr>{rows}</table>"
            f'<h2>Hillshades</h2><img alt="hillshade gallery" src="{gallery}">'
            f'<h2>Descriptor distributions</h2><img alt="histograms" src="{_histograms(real, synthetic)}">'
            f'<h2>Radially averaged power spectrum</h2><img alt="power spectra" src="{spectra}">')
    if drainage is not None:
        body += _drainage_section(*drainage, pixel, channel_cells)
    write_atomically(path, _page("GeoGAN realism report", body))
