"""geogan:realismmap — score how real the terrain of a raster looks, pixel by pixel, with a trained model's critic."""

from qgis.core import (
    QgsProcessingParameterBand,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFile,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from .algorithm_support import (
    GeoGanAlgorithm,
    core_errors,
    raster_layer_path,
    refuse_output_over_inputs,
    reporter_for,
)
from .compat import FILE_BEHAVIOUR, mark_advanced
from .dependencies import require_torch
from .layers import REALISM_LAYER_NAME, RealismMapStyler, style_realism_map, write_style_beside
from .paths import SAMPLE_MODEL


class RealismMapAlgorithm(GeoGanAlgorithm):
    MODEL = "MODEL"
    INPUT = "INPUT"
    BAND = "BAND"
    DEVICE = "DEVICE"
    CLOUD_OPTIMISED = "CLOUD_OPTIMISED"
    OUTPUT = "OUTPUT"

    def name(self) -> str:
        return "realismmap"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Realism map")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "Slides the realism critic of a model trained by 'Train terrain GAN' over an elevation raster and "
            "writes, for every pixel, how much the terrain around it looks like the model's training data: 1 alike, "
            "0 unlike.\n\n"
            "<b>Likeness to the training data, not realness in general.</b> Real terrain of another place or kind "
            "scores lower: on the sample DEM, real terrain held out of training scores about 0.45 on average, where "
            "the training area scores 0.96, the model's own output 0.08 and fractal noise 0.00. So 0.45 does not "
            "mean half fake. The log gives the training data's own score as the reference level to read the map "
            "against (models trained before GeoGAN kept it say that it is unknown).\n\n"
            "The critic is the model's discriminator, fine-tuned after training to reject both the generator's "
            "output and fractal (fBm) noise of the same roughness. It sees windows of the model's tile size, a "
            "quarter tile apart; each pixel gets the mean over the windows that cover it, so the map is as coarse "
            "as a tile. Windows with more nodata than training allowed (1% by default) are skipped; pixels no window "
            "covers are nodata.\n\n"
            "Use a raster with the training data's CRS and pixel size: relief is judged per pixel, so at another "
            "resolution the scores mean little (the log warns). Models trained before the critic existed are "
            "scored with their GAN discriminator, which is much less reliable.\n\n"
            "The output (GeoTIFF, float32; a cloud-optimised GeoTIFF on request, or another GDAL format that holds "
            "float32 rasters, chosen by the extension: .img, .asc, .nc, ...) has the input's CRS, extent and pixel "
            "grid."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        # Optional with a default: QGIS 3.22 refuses a File parameter left out, default or not.
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL, "Trained model [default: the sample model shipped with GeoGAN]", FILE_BEHAVIOUR,
            extension="pt", defaultValue=SAMPLE_MODEL, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Elevation raster to score"))
        # Optional with a default: QGIS 3.22 (Processing and qgis_process) refuses a band parameter that is left
        # out, default or not; left out or not set, it is band 1.
        self.addParameter(QgsProcessingParameterBand(self.BAND, "Band", 1, self.INPUT, optional=True))
        self.add_device_parameter()
        self.addParameter(mark_advanced(QgsProcessingParameterBoolean(
            self.CLOUD_OPTIMISED, "Cloud-optimised GeoTIFF (COG)", defaultValue=False)))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, "Realism map"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()  # first, so a missing torch gets the install command, not an ImportError
        from .core.output_formats import output_driver
        from .core.realism_map import realism_map_to_geotiff

        model_path = self.parameterAsFile(parameters, self.MODEL, context)
        input_path = raster_layer_path(self, parameters, self.INPUT, context)
        output_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        cloud_optimised = self.parameterAsBoolean(parameters, self.CLOUD_OPTIMISED, context)
        with core_errors("The realism map was cancelled; no raster was written."):
            output_driver(output_path, cloud_optimised)  # a name no format fits is refused before any work
        refuse_output_over_inputs({self.OUTPUT: output_path}, {self.MODEL: model_path, self.INPUT: input_path})
        with core_errors("The realism map was cancelled; no raster was written."):
            summary = realism_map_to_geotiff(
                model_path, input_path, output_path, band=self.parameterAsInt(parameters, self.BAND, context),
                device=self.device_choice(parameters, context),
                reporter=reporter_for(feedback), cloud_optimised=cloud_optimised)
        feedback.pushInfo(f"Wrote a {summary['width']} x {summary['height']} realism map; "
                          f"mean window realism {summary['mean_realism']:.3f}.")
        write_style_beside(output_path, style_realism_map, feedback)
        if context.willLoadLayerOnCompletion(output_path):
            details = context.layerToLoadOnCompletionDetails(output_path)
            details.name = REALISM_LAYER_NAME
            details.setPostProcessor(RealismMapStyler.create())
        return {self.OUTPUT: output_path}
