"""geogan:superresolve — sharpen a coarse DEM to a finer grid with a model trained by geogan:trainsuperres."""

from dataclasses import replace

from qgis.core import (
    QgsProcessingParameterBand,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
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
from .compat import FILE_BEHAVIOUR, INTEGER_NUMBER, mark_advanced, push_warning
from .core.settings import SuperResolutionSettings
from .dependencies import require_torch
from .layers import SharpenedDemStyler, style_sharpened_dem, write_style_beside

CANCELLED = "Sharpening was cancelled; no raster was written."
WARNING_PREFIX = "Warning: "  # how the core's log marks a warning


class SuperResolveAlgorithm(GeoGanAlgorithm):
    MODEL = "MODEL"
    INPUT = "INPUT"
    BAND = "BAND"
    DEVICE = "DEVICE"
    SEED = "SEED"
    OUTPUT = "OUTPUT"

    def name(self) -> str:
        return "superresolve"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Sharpen coarse DEM")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "Sharpens a coarse DEM to a grid several times finer with a model trained by 'Train DEM "
            "super-resolution', adding terrain detail learned from the training rasters (super-resolution).\n\n"
            "<b>Block averages are kept</b>: the output covers the input's extent in its CRS, on a grid the model's "
            "factor (2, 4 or 8) times finer, and the mean of every factor x factor block of output cells equals the "
            "input cell it refines (to float32 rounding, well under a millimetre for elevations in metres). The "
            "detail within each block is synthetic. Nodata cells of the input stay nodata.\n\n"
            "<b>Super-resolution model</b>: a model file written by 'Train DEM super-resolution' (a terrain GAN or a "
            "void-filling model is refused); its factor sets the output grid.\n"
            "<b>Coarse DEM</b> and <b>Band</b>: the elevations to sharpen. The model learned to sharpen pixels of its "
            "training rasters' pixel size times the factor; an input whose pixels are more than 1.5 times larger or "
            "smaller than that is sharpened too, but the log warns that the detail is extrapolation, not learned from "
            "terrain of that scale.\n"
            "<b>Random seed</b> (advanced): the added detail; the same model, input and seed always give the same "
            "output.\n\n"
            "Large DEMs are sharpened window by window without seams; the output may have up to 65536 pixels on a "
            "side.\n\n"
            "<b>Output</b>: a float32 GeoTIFF (or another GDAL format that holds float32 rasters, chosen by the "
            "extension), tagged GEOGAN_SYNTHETIC=DETAIL with the factor and the model."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        defaults = SuperResolutionSettings()
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL, "Super-resolution model (from 'Train DEM super-resolution')", FILE_BEHAVIOUR, extension="pt"))
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Coarse DEM"))
        # Optional with a default, as in realismmap: QGIS 3.22 refuses a band parameter that is left out.
        self.addParameter(QgsProcessingParameterBand(self.BAND, "Band", defaults.band, self.INPUT, optional=True))
        self.add_device_parameter()
        self.addParameter(mark_advanced(QgsProcessingParameterNumber(self.SEED, "Random seed", INTEGER_NUMBER, 0)))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, "Sharpened DEM"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()  # first, so a missing torch gets the install command, not an ImportError
        from .core.output_formats import output_driver
        from .core.super_resolve import super_resolve

        model_path = self.parameterAsFile(parameters, self.MODEL, context)
        input_path = raster_layer_path(self, parameters, self.INPUT, context)
        output_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        with core_errors(CANCELLED):
            output_driver(output_path)  # a name no format fits is refused before any work
        refuse_output_over_inputs({self.OUTPUT: output_path}, {self.MODEL: model_path, self.INPUT: input_path})
        seed = self.parameterAsInt(parameters, self.SEED, context)
        warned = []

        def log(line: str) -> None:
            """The core's warning (pixel size far from the model's) as a warning, when it is found; the rest as info."""
            if line.startswith(WARNING_PREFIX):
                warned.append(line[len(WARNING_PREFIX):])
                push_warning(feedback, line)
            else:
                feedback.pushInfo(line)

        with core_errors(CANCELLED):
            summary = super_resolve(
                model_path, input_path, output_path, band=self.parameterAsInt(parameters, self.BAND, context),
                device=self.device_choice(parameters, context), seed=seed,
                reporter=replace(reporter_for(feedback), log=log))
        if summary["warning"] and summary["warning"] not in warned:
            push_warning(feedback, WARNING_PREFIX + summary["warning"])
        feedback.pushInfo(f"Wrote a {summary['width']} x {summary['height']} DEM, {summary['factor']} times finer than "
                          f"the input (seed {seed}).")
        write_style_beside(output_path, style_sharpened_dem, feedback)
        if context.willLoadLayerOnCompletion(output_path):
            details = context.layerToLoadOnCompletionDetails(output_path)
            details.name = f"Sharpened DEM ({summary['factor']} x finer)"
            details.setPostProcessor(SharpenedDemStyler.create())
        return {self.OUTPUT: output_path}
