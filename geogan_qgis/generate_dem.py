"""geogan:generatedem — generate a georeferenced synthetic DEM from a trained model."""

import os

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
)

from .algorithm_support import DEVICE_OPTIONS, GeoGanAlgorithm, core_errors, reporter_for
from .compat import FILE_BEHAVIOUR, INTEGER_NUMBER, mark_advanced
from .dependencies import require_torch
from .layers import SyntheticDemStyler


class GenerateDemAlgorithm(GeoGanAlgorithm):
    MODEL = "MODEL"
    WIDTH = "WIDTH"
    HEIGHT = "HEIGHT"
    SEED = "SEED"
    DEVICE = "DEVICE"
    OUTPUT = "OUTPUT"

    def name(self) -> str:
        return "generatedem"

    def displayName(self) -> str:  # noqa: N802
        return "Generate synthetic DEM"

    def shortHelpString(self) -> str:  # noqa: N802
        return (
            "Generates a synthetic DEM with a model trained by 'Train terrain GAN'.\n\n"
            "<b>Width / Height</b>: output size in pixels; left empty, the model's tile size. Any size works: "
            "large rasters are generated window by window without seams.\n"
            "<b>Seed</b>: the same model and seed always give the same terrain.\n\n"
            "The GeoTIFF (float32, tiled, compressed) has the CRS and pixel size of the training data, starts at "
            "the first training raster's top-left corner, and is tagged GEOGAN_SYNTHETIC=YES in its metadata "
            "so it cannot pass for measured elevations."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterFile(self.MODEL, "Trained model", FILE_BEHAVIOUR, extension="pt"))
        for key, label in ((self.WIDTH, "Width (pixels)"), (self.HEIGHT, "Height (pixels)")):
            self.addParameter(QgsProcessingParameterNumber(
                key, f"{label} [empty: the model's tile size]", INTEGER_NUMBER, None, optional=True, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(self.SEED, "Random seed", INTEGER_NUMBER, 0))
        self.addParameter(mark_advanced(QgsProcessingParameterEnum(
            self.DEVICE, "Device", options=DEVICE_OPTIONS, defaultValue=0)))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, "Synthetic DEM"))

    def _size(self, parameters, key, context):
        """None when not given (the model's tile size); otherwise the integer the user asked for."""
        if parameters.get(key) in (None, ""):
            return None
        return self.parameterAsInt(parameters, key, context)

    def checkParameterValues(self, parameters, context):  # noqa: N802
        from .core.raster_io import MAX_OUTPUT_SIDE

        for key in (self.WIDTH, self.HEIGHT):
            size = self._size(parameters, key, context)
            if size is not None and not 1 <= size <= MAX_OUTPUT_SIDE:
                return False, (f"{key} must be between 1 and {MAX_OUTPUT_SIDE} pixels (got {size}); "
                               f"leave it empty for the model's tile size.")
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()  # first, so a missing torch gets the install command, not an ImportError
        from .core.generate import generate_to_geotiff

        model_path = self.parameterAsFile(parameters, self.MODEL, context)
        output_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if os.path.splitext(output_path)[1].lower() not in (".tif", ".tiff"):
            raise QgsProcessingException(f"GeoGAN writes GeoTIFF; choose an output ending in .tif (got {output_path}).")
        seed = self.parameterAsInt(parameters, self.SEED, context)
        with core_errors("Generation was cancelled; no raster was written."):
            summary = generate_to_geotiff(
                model_path, output_path, seed,
                width=self._size(parameters, self.WIDTH, context) or 0,
                height=self._size(parameters, self.HEIGHT, context) or 0,
                device=DEVICE_OPTIONS[self.parameterAsEnum(parameters, self.DEVICE, context)],
                reporter=reporter_for(feedback),
            )
        feedback.pushInfo(f"Wrote a {summary['width']} x {summary['height']} synthetic DEM (seed {seed}).")
        if context.willLoadLayerOnCompletion(output_path):
            details = context.layerToLoadOnCompletionDetails(output_path)
            details.name = f"Synthetic DEM (seed {seed})"
            details.setPostProcessor(SyntheticDemStyler.create())
        return {self.OUTPUT: output_path}
