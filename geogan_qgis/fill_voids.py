"""geogan:fillvoids — fill the voids (nodata cells) of a DEM with a model trained by geogan:trainfill."""

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterFile,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
)

from .algorithm_support import (
    GeoGanAlgorithm,
    core_errors,
    optional_raster_layer_path,
    raster_layer_path,
    refuse_output_over_inputs,
    reporter_for,
)
from .compat import FILE_BEHAVIOUR, INTEGER_NUMBER, mark_advanced
from .core.settings import FillSettings
from .dependencies import require_torch
from .layers import FilledDemStyler, style_filled_dem, write_style_beside

CANCELLED = "Filling the voids was cancelled; no raster was written."


class FillVoidsAlgorithm(GeoGanAlgorithm):
    MODEL = "MODEL"
    INPUT = "INPUT"
    BAND = "BAND"
    DEVICE = "DEVICE"
    SEED = "SEED"
    MASK_LAYER = "MASK_LAYER"
    MAX_VOID_SIZE = "MAX_VOID_SIZE"
    OUTPUT = "OUTPUT"
    FILLED_MASK = "FILLED_MASK"
    FILLED_CELLS = "FILLED_CELLS"
    VOIDS_FILLED = "VOIDS_FILLED"

    def name(self) -> str:
        return "fillvoids"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Fill DEM voids")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "Fills the voids (nodata cells) of a DEM with terrain made by a model trained by 'Train void filling', "
            "continuing the valleys and ridges around each void.\n\n"
            "<b>Only the voids change</b>: every cell that has a value is written exactly as it was read, so the "
            "output differs from the input only where it had nodata.\n\n"
            "<b>Void-filling model</b>: a model file written by 'Train void filling' (a terrain GAN or a "
            "super-resolution model is refused). Use it on DEMs of the training data's pixel size.\n"
            "<b>DEM with voids</b> and <b>Band</b>: the elevations to fill.\n"
            "<b>Random seed</b> (advanced): the texture of the filled terrain; the same model, input and seed always "
            "give the same fill.\n"
            "<b>Area to fill</b> (optional): a raster whose non-zero cells are where voids may be filled (resampled "
            "onto the DEM's grid); nodata elsewhere, such as a collar around a scene or the sea, stays nodata.\n"
            "<b>Largest void to fill</b> (optional, pixels): voids wider or taller than this stay nodata; 0 or empty, "
            "no limit.\n\n"
            "A void is a group of touching nodata cells (diagonals count); its size is the longer side of the box "
            "around it. The model fills voids up to half its training tile size across (64 x 64 pixels for a model "
            "of 128-pixel tiles), each in a window of its tile size centred on the void, from the cells around it. "
            "A larger void that neither the area nor the size limit leaves out is refused with a sentence that "
            "names it, and nothing is written. An input without voids is refused too.\n\n"
            "<b>Output</b>: a float32 GeoTIFF (or another GDAL format that holds float32 rasters, chosen by the "
            "extension) with the input's CRS and grid, tagged GEOGAN_SYNTHETIC=PARTIAL with the number of filled "
            "cells and the model. <b>Filled cells</b> (optional): a raster of the same grid, 1 where a cell was "
            "filled, 0 where it is as measured or still nodata. The outputs Filled cells and Voids filled count them."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        defaults = FillSettings()
        self.addParameter(QgsProcessingParameterFile(
            self.MODEL, "Void-filling model (from 'Train void filling')", FILE_BEHAVIOUR, extension="pt"))
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "DEM with voids"))
        # Optional with a default, as in realismmap: QGIS 3.22 refuses a band parameter that is left out.
        self.addParameter(QgsProcessingParameterBand(self.BAND, "Band", defaults.band, self.INPUT, optional=True))
        self.add_device_parameter()
        self.addParameter(mark_advanced(QgsProcessingParameterNumber(self.SEED, "Random seed", INTEGER_NUMBER, 0)))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.MASK_LAYER, "Area to fill: its non-zero cells [empty: everywhere]", optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_VOID_SIZE, "Largest void to fill (pixels) [0 or empty: no limit]", INTEGER_NUMBER, 0,
            optional=True, minValue=0))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, "DEM with voids filled"))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.FILLED_MASK, "Filled cells (1: filled by GeoGAN)", optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputNumber(self.FILLED_CELLS, "Filled cells"))
        self.addOutput(QgsProcessingOutputNumber(self.VOIDS_FILLED, "Voids filled"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()  # first, so a missing torch gets the install command, not an ImportError
        from .core.fill_voids import fill_voids
        from .core.output_formats import output_driver

        model_path = self.parameterAsFile(parameters, self.MODEL, context)
        input_path = raster_layer_path(self, parameters, self.INPUT, context)
        mask_path = optional_raster_layer_path(self, parameters, self.MASK_LAYER, context)
        output_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        filled_mask_path = self.parameterAsOutputLayer(parameters, self.FILLED_MASK, context) or ""
        with core_errors(CANCELLED):
            for path in (output_path, filled_mask_path):  # a name no format fits is refused before any work
                if path:
                    output_driver(path)
        refuse_output_over_inputs({self.OUTPUT: output_path, self.FILLED_MASK: filled_mask_path},
                                  {self.MODEL: model_path, self.INPUT: input_path, self.MASK_LAYER: mask_path})
        seed = self.parameterAsInt(parameters, self.SEED, context)
        with core_errors(CANCELLED):
            summary = fill_voids(
                model_path, input_path, output_path, band=self.parameterAsInt(parameters, self.BAND, context),
                device=self.device_choice(parameters, context), seed=seed,
                max_void_size=self.parameterAsInt(parameters, self.MAX_VOID_SIZE, context),
                mask_path=mask_path, filled_mask_path=filled_mask_path, reporter=reporter_for(feedback))
        left = (f"; {summary['voids_left']} void(s) left as nodata (too large, or nothing known around them)"
                if summary["voids_left"] else "")
        feedback.pushInfo(f"Filled {summary['voids_filled']} void(s), {summary['filled_cells']} cells, of a "
                          f"{summary['width']} x {summary['height']} DEM (seed {seed}){left}.")
        write_style_beside(output_path, style_filled_dem, feedback)
        if context.willLoadLayerOnCompletion(output_path):
            details = context.layerToLoadOnCompletionDetails(output_path)
            details.name = "DEM with voids filled"
            details.setPostProcessor(FilledDemStyler.create())
        if filled_mask_path and context.willLoadLayerOnCompletion(filled_mask_path):
            context.layerToLoadOnCompletionDetails(filled_mask_path).name = "Filled cells (1: filled by GeoGAN)"
        results = {self.OUTPUT: output_path, self.FILLED_CELLS: summary["filled_cells"],
                   self.VOIDS_FILLED: summary["voids_filled"]}
        if filled_mask_path:
            results[self.FILLED_MASK] = filled_mask_path
        return results
