"""geogan:evaluate — measure how close synthetic rasters are to real terrain, with an HTML report."""

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
)

from .algorithm_support import GeoGanAlgorithm, core_errors, raster_layer_paths, reporter_for
from .compat import INTEGER_NUMBER, RASTER_LAYER

DISTANCE_OUTPUTS = {
    "SLOPE_W1": "Slope distance (W1, degrees)",
    "RELIEF_W1": "Relief distance (W1, m)",
    "CURVATURE_W1": "Curvature distance (W1, 1/m)",
    "ROUGHNESS_W1": "Ruggedness distance (W1, m)",
    "HYPSOMETRY_W1": "Hypsometric integral distance (W1)",
    "SPECTRUM_DISTANCE": "Power spectrum distance (mean |log10 power| difference)",
}


class EvaluateRealismAlgorithm(GeoGanAlgorithm):
    REAL_LAYERS = "REAL_LAYERS"
    SYNTHETIC_LAYERS = "SYNTHETIC_LAYERS"
    BAND = "BAND"
    TILE_SIZE = "TILE_SIZE"
    OUTPUT_REPORT = "OUTPUT_REPORT"

    def name(self) -> str:
        return "evaluate"

    def displayName(self) -> str:  # noqa: N802
        return "Evaluate terrain realism"

    def shortHelpString(self) -> str:  # noqa: N802
        return (
            "Compares synthetic rasters with real terrain using geomorphometric descriptors computed in metres "
            "(also for rasters in degrees): relief, slope, curvature, terrain ruggedness, the hypsometric "
            "integral per tile and the radially averaged power spectrum.\n\n"
            "Each distance is 0 when the distributions match (1-Wasserstein distance per descriptor; mean "
            "difference of log10 power for the spectrum). To judge a value, compare it with the distance "
            "between two sets of real rasters from the same region.\n\n"
            "Both sets are cut into non-overlapping tiles without nodata (up to 256 per set). The HTML report "
            "holds hillshades of both, histograms of each descriptor, the power spectra and the distances."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterMultipleLayers(self.REAL_LAYERS, "Real elevation rasters", RASTER_LAYER))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.SYNTHETIC_LAYERS, "Synthetic elevation rasters", RASTER_LAYER))
        self.addParameter(QgsProcessingParameterNumber(self.BAND, "Band", INTEGER_NUMBER, 1, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.TILE_SIZE, "Tile size (pixels)", INTEGER_NUMBER, 64, minValue=8, maxValue=4096))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_REPORT, "Realism report", "HTML files (*.html)"))
        for key, label in DISTANCE_OUTPUTS.items():
            self.addOutput(QgsProcessingOutputNumber(key, label))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from .core.evaluate import evaluate

        real = raster_layer_paths(self, parameters, self.REAL_LAYERS, context)
        synthetic = raster_layer_paths(self, parameters, self.SYNTHETIC_LAYERS, context)
        report = self.parameterAsFileOutput(parameters, self.OUTPUT_REPORT, context)
        with core_errors("Evaluation was cancelled; no report was written."):
            distances = evaluate(real, synthetic, band=self.parameterAsInt(parameters, self.BAND, context),
                                 tile_size=self.parameterAsInt(parameters, self.TILE_SIZE, context),
                                 report_path=report, reporter=reporter_for(feedback))
        for key, value in distances.items():
            feedback.pushInfo(f"{key}: {value:.4g}")
        return {**distances, self.OUTPUT_REPORT: report}
