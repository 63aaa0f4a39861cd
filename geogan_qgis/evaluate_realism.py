"""geogan:evaluate — how close synthetic rasters are to real terrain, drainage included, with an HTML report."""

import math

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
)

from .algorithm_support import GeoGanAlgorithm, core_errors, raster_layer_paths, refuse_output_over_inputs, reporter_for
from .compat import INTEGER_NUMBER, RASTER_LAYER
from .dependencies import require_scipy

DISTANCE_OUTPUTS = {
    "SLOPE_W1": "Slope distance (W1, degrees)",
    "RELIEF_W1": "Relief distance (W1, m)",
    "CURVATURE_W1": "Curvature distance (W1, 1/m)",
    "ROUGHNESS_W1": "Ruggedness distance (W1, m)",
    "HYPSOMETRY_W1": "Hypsometric integral distance (W1)",
    "SPECTRUM_DISTANCE": "Power spectrum distance (mean |log10 power| difference)",
}
# Drainage descriptors of the synthetic set; the real set's are the same keys with a REAL_ prefix.
DRAINAGE_OUTPUTS = {
    "DEPRESSION_FRACTION": "share of cells in closed depressions",
    "MINIMA_PER_1000": "local minima (pits) per 1000 cells",
    "DRAINAGE_EXPONENT": "drainage-area exponent beta",
    "DRAINAGE_DENSITY": "drainage density (km of channel per km2)",
    "HACK_EXPONENT": "Hack's exponent (flow length against drainage area)",
}


def _shown(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "not measured"


class EvaluateRealismAlgorithm(GeoGanAlgorithm):
    REAL_LAYERS = "REAL_LAYERS"
    SYNTHETIC_LAYERS = "SYNTHETIC_LAYERS"
    BAND = "BAND"
    TILE_SIZE = "TILE_SIZE"
    OUTPUT_REPORT = "OUTPUT_REPORT"

    def name(self) -> str:
        return "evaluate"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Evaluate terrain realism")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "Compares synthetic rasters with real terrain using geomorphometric descriptors computed in metres "
            "(also for rasters in degrees): relief, slope, curvature, terrain ruggedness, the hypsometric "
            "integral per tile and the radially averaged power spectrum.\n\n"
            "Each distance is 0 when the distributions match (1-Wasserstein distance per descriptor; mean "
            "difference of log10 power for the spectrum). To judge a value, compare it with the distance "
            "between two sets of real rasters from the same region.\n\n"
            "Both sets are cut into non-overlapping tiles without nodata (up to 256 per set). The HTML report "
            "holds hillshades of both, histograms of each descriptor, the power spectra and the distances.\n\n"
            "Drainage: tiles cannot show whether valleys join into river networks, so each whole raster is also "
            "routed (rasters over 1024 pixels on a side in 1024-pixel windows, up to 64 per set): closed "
            "depressions are filled and water flows to the steepest of the 8 neighbours until it leaves the "
            "raster. For each set (outputs with REAL_ in front for the real set):\n"
            "- DEPRESSION_FRACTION: share of cells in closed depressions (pits that water cannot leave). Eroded "
            "terrain has a few per cent; noise and fractal (fBm) surfaces several times more, about 5 to 40 %.\n"
            "- MINIMA_PER_1000: local minima (cells lower than their 8 neighbours) per 1000 cells.\n"
            "- DRAINAGE_EXPONENT: beta in P(A >= a) ~ a^-beta, the share of cells draining at least a cells, "
            "fitted over 10 to 1000 cells. Real river networks give beta about 0.43 to 0.5 (filled noise comes "
            "close too, so read it together with the depression fraction).\n"
            "- DRAINAGE_DENSITY: length of channels per area (1/km). Channels are cells draining at least 100 "
            "cells (the channel threshold), so the value depends on the pixel size: compare real with synthetic.\n"
            "- HACK_EXPONENT: h in L ~ A^h, the longest flow length against drainage area along channels; about "
            "0.5 to 0.6 on real terrain.\n"
            "Values are averaged over rasters weighted by their cells. Rasters under 256 x 256 pixels are left out "
            "of the drainage measures (with a log line); a set without any gives NaN. The report adds a drainage "
            "table and maps of drainage area over a hillshade."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.REAL_LAYERS, "Real elevation rasters", RASTER_LAYER))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.SYNTHETIC_LAYERS, "Synthetic elevation rasters", RASTER_LAYER))
        self.addParameter(QgsProcessingParameterNumber(self.BAND, "Band", INTEGER_NUMBER, 1, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.TILE_SIZE, "Tile size (pixels)", INTEGER_NUMBER, 64, minValue=8, maxValue=4096))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_REPORT, "Realism report", "HTML files (*.html)"))
        for key, label in DISTANCE_OUTPUTS.items():
            self.addOutput(QgsProcessingOutputNumber(key, label))
        for key, label in DRAINAGE_OUTPUTS.items():
            self.addOutput(QgsProcessingOutputNumber(key, f"Synthetic {label}"))
            self.addOutput(QgsProcessingOutputNumber(f"REAL_{key}", f"Real {label}"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_scipy()  # first, so a missing scipy gets the install command, not an ImportError
        from .core.evaluate import evaluate

        real = raster_layer_paths(self, parameters, self.REAL_LAYERS, context)
        synthetic = raster_layer_paths(self, parameters, self.SYNTHETIC_LAYERS, context)
        report = self.parameterAsFileOutput(parameters, self.OUTPUT_REPORT, context)
        refuse_output_over_inputs({self.OUTPUT_REPORT: report},
                                  {self.REAL_LAYERS: real, self.SYNTHETIC_LAYERS: synthetic})
        with core_errors("Evaluation was cancelled; no report was written."):
            results = evaluate(real, synthetic, band=self.parameterAsInt(parameters, self.BAND, context),
                               tile_size=self.parameterAsInt(parameters, self.TILE_SIZE, context),
                               report_path=report, reporter=reporter_for(feedback))
        for key in DISTANCE_OUTPUTS:
            feedback.pushInfo(f"{key}: {results[key]:.4g}")
        for key, label in DRAINAGE_OUTPUTS.items():
            feedback.pushInfo(f"{label[0].upper()}{label[1:]} ({key}): real {_shown(results['REAL_' + key])}, "
                              f"synthetic {_shown(results[key])}")
        return {**results, self.OUTPUT_REPORT: report}
