"""geogan:generatedem — generate a georeferenced synthetic DEM from a trained model."""

from qgis.core import (
    QgsProcessingException,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterExtent,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from .algorithm_support import GeoGanAlgorithm, core_errors, refuse_output_over_inputs, reporter_for
from .compat import FILE_BEHAVIOUR, INTEGER_NUMBER, mark_advanced
from .dependencies import require_torch
from .layers import SyntheticDemStyler, style_synthetic_dem, write_style_beside
from .paths import SAMPLE_MODEL


class GenerateDemAlgorithm(GeoGanAlgorithm):
    MODEL = "MODEL"
    WIDTH = "WIDTH"
    HEIGHT = "HEIGHT"
    EXTENT = "EXTENT"
    REFERENCE_LAYER = "REFERENCE_LAYER"
    SEED = "SEED"
    DEVICE = "DEVICE"
    CLOUD_OPTIMISED = "CLOUD_OPTIMISED"
    OUTPUT = "OUTPUT"

    def name(self) -> str:
        return "generatedem"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Generate synthetic DEM")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "Generates a synthetic DEM with a model trained by 'Train terrain GAN'.\n\n"
            "<b>Width / Height</b>: output size in pixels; left empty, the model's tile size. Any size works: "
            "large rasters are generated window by window without seams. The raster then starts at the first "
            "training raster's top-left corner.\n"
            "<b>Extent</b> (optional, instead of width and height): the area to cover, in any CRS. The output "
            "is in the training data's CRS and pixel size, snapped outward to the training data's pixel grid.\n"
            "<b>Reference raster</b> (optional, instead of width, height and extent): the output gets exactly "
            "this raster's CRS, pixel size, extent and size. When its CRS or pixel size differs from the "
            "training data's, the terrain is generated at the training data's pixel size and warped "
            "(bilinear) onto the reference grid.\n"
            "<b>Seed</b>: the same model and seed always give the same terrain. The terrain at a place depends "
            "only on the model, the seed and the place, so an area generated alone matches a larger raster "
            "that covers it.\n\n"
            "<b>Output</b>: a GeoTIFF (float32, tiled, compressed); with <b>Cloud-optimised GeoTIFF</b> "
            "(advanced) a COG, with overviews, for web maps and cloud storage. Other extensions write other GDAL "
            "formats that hold float32 elevations (.img, .asc, .nc, .gpkg, ...), copied from the GeoTIFF. The "
            "raster is tagged GEOGAN_SYNTHETIC=YES in its metadata (in a .aux.xml beside it where the format has "
            "no room for it) so it cannot pass for measured elevations. For a 16-bit PNG or RAW heightmap for game "
            "engines, run 'Export heightmap' on the result."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        # Optional with a default: QGIS 3.22 refuses a File parameter left out, default or not.
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL, "Trained model [default: the sample model shipped with GeoGAN]", FILE_BEHAVIOUR,
            extension="pt", defaultValue=SAMPLE_MODEL, optional=True))
        for key, label in ((self.WIDTH, "Width (pixels)"), (self.HEIGHT, "Height (pixels)")):
            self.addParameter(QgsProcessingParameterNumber(
                key, f"{label} [empty: the model's tile size]", INTEGER_NUMBER, None, optional=True, minValue=1))
        self.addParameter(QgsProcessingParameterExtent(
            self.EXTENT, "Extent to cover [optional, instead of width and height]", optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.REFERENCE_LAYER, "Reference raster: match its grid [optional]", optional=True))
        self.addParameter(QgsProcessingParameterNumber(self.SEED, "Random seed", INTEGER_NUMBER, 0))
        self.add_device_parameter()
        self.addParameter(mark_advanced(QgsProcessingParameterBoolean(
            self.CLOUD_OPTIMISED, "Cloud-optimised GeoTIFF (COG)", defaultValue=False)))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, "Synthetic DEM"))

    @staticmethod
    def _given(parameters, key) -> bool:
        return parameters.get(key) not in (None, "")

    def _size(self, parameters, key, context):
        """None when not given (the model's tile size); otherwise the integer the user asked for."""
        if not self._given(parameters, key):
            return None
        return self.parameterAsInt(parameters, key, context)

    def _extent(self, parameters, context):
        """(xmin, ymin, xmax, ymax) and its CRS as WKT ("": the model's CRS), or (None, "") when not given."""
        if not self._given(parameters, self.EXTENT):
            return None, ""
        rectangle = self.parameterAsExtent(parameters, self.EXTENT, context)
        crs = self.parameterAsExtentCrs(parameters, self.EXTENT, context)
        bounds = (rectangle.xMinimum(), rectangle.yMinimum(), rectangle.xMaximum(), rectangle.yMaximum())
        return bounds, crs.toWkt() if crs.isValid() else ""

    def _reference(self, parameters, context) -> str:
        """The reference raster's file path, or "" when not given."""
        if not self._given(parameters, self.REFERENCE_LAYER):
            return ""
        layer = self.parameterAsRasterLayer(parameters, self.REFERENCE_LAYER, context)
        if layer is None:
            raise QgsProcessingException("REFERENCE_LAYER could not be opened as a raster layer; choose a raster "
                                         "such as a GeoTIFF.")
        if layer.providerType() != "gdal":
            raise QgsProcessingException(
                f"{layer.name()} is a {layer.providerType()} layer; GeoGAN reads files through GDAL, "
                f"so save it as a GeoTIFF first (Export > Save As).")
        return layer.source()

    def checkParameterValues(self, parameters, context):  # noqa: N802
        from .core.placement import check_placement_choice
        from .core.raster_io import MAX_OUTPUT_SIDE

        sizes = [self._size(parameters, key, context) for key in (self.WIDTH, self.HEIGHT)]
        for key, size in zip((self.WIDTH, self.HEIGHT), sizes):
            if size is not None and not 1 <= size <= MAX_OUTPUT_SIDE:
                return False, (f"{key} must be between 1 and {MAX_OUTPUT_SIDE} pixels (got {size}); "
                               f"leave it empty for the model's tile size.")
        try:
            check_placement_choice(*sizes, self._given(parameters, self.EXTENT),
                                   self._given(parameters, self.REFERENCE_LAYER))
        except ValueError as error:
            return False, str(error)
        return super().checkParameterValues(parameters, context)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()  # first, so a missing torch gets the install command, not an ImportError
        from .core.generate import generate_to_geotiff
        from .core.output_formats import output_driver

        model_path = self.parameterAsFile(parameters, self.MODEL, context)
        output_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        cloud_optimised = self.parameterAsBoolean(parameters, self.CLOUD_OPTIMISED, context)
        with core_errors("Generation was cancelled; no raster was written."):
            output_driver(output_path, cloud_optimised)  # a name no format fits is refused before any work
        seed = self.parameterAsInt(parameters, self.SEED, context)
        extent, extent_crs = self._extent(parameters, context)
        reference = self._reference(parameters, context)
        refuse_output_over_inputs({self.OUTPUT: output_path}, {self.MODEL: model_path, self.REFERENCE_LAYER: reference})
        with core_errors("Generation was cancelled; no raster was written."):
            summary = generate_to_geotiff(
                model_path, output_path, seed,
                width=self._size(parameters, self.WIDTH, context) or 0,
                height=self._size(parameters, self.HEIGHT, context) or 0,
                device=self.device_choice(parameters, context),
                reporter=reporter_for(feedback),
                extent=extent, extent_crs=extent_crs, reference=reference, cloud_optimised=cloud_optimised,
            )
        feedback.pushInfo(f"Wrote a {summary['width']} x {summary['height']} synthetic DEM (seed {seed}).")
        write_style_beside(output_path, style_synthetic_dem, feedback)
        if context.willLoadLayerOnCompletion(output_path):
            details = context.layerToLoadOnCompletionDetails(output_path)
            details.name = f"Synthetic DEM (seed {seed})"
            details.setPostProcessor(SyntheticDemStyler.create())
        return {self.OUTPUT: output_path}
