"""geogan:trainsuperres — learn to sharpen coarse DEMs (super-resolution) from detailed elevation raster layers."""

from qgis.core import QgsProcessingParameterEnum

from .conditional_training import ConditionalTrainingAlgorithm
from .core.settings import SUPER_RESOLUTION_FACTORS, SuperResolutionSettings


class TrainSuperResolutionAlgorithm(ConditionalTrainingAlgorithm):
    FACTOR = "FACTOR"
    FACTORS = SUPER_RESOLUTION_FACTORS  # the enum's order is public: 0 is 2, 1 is 4, 2 is 8
    settings_class = SuperResolutionSettings
    input_label = "Detailed elevation rasters to learn from"
    reconstruction_error_label = "Mean absolute error per cell of the training tiles (elevation units)"

    def name(self) -> str:
        return "trainsuperres"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Train DEM super-resolution")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "Trains a conditional GAN to sharpen coarse DEMs, for 'Sharpen coarse DEM'. It learns from detailed "
            "terrain: random tiles of the chosen rasters are averaged over blocks of factor x factor pixels, and the "
            "network learns to add the detail back, with a loss on the true elevations and slopes and an "
            "adversarial loss that keeps the added detail like real terrain. Its output always averages back to the "
            "coarse input exactly. This is the refinement stage of the two-stage terrain GAN, applied to real "
            "coarse DEMs.\n\n"
            "<b>Detailed elevation rasters</b>: one or more DEMs at the fine pixel size wanted, of the kind of "
            "terrain to sharpen; tiles with more than 1% nodata are skipped.\n"
            "<b>Factor</b>: how many times finer the output grid is than the coarse DEM's: 2, 4 or 8. The model "
            "learns to sharpen DEMs whose pixels are the training rasters' pixel size times the factor (30 m rasters "
            "and factor 4: 120 m DEMs to 30 m); a DEM of another pixel size is sharpened too, with a warning.\n"
            "<b>Tile size</b>: the side of training tiles in pixels (a multiple of 16): the terrain the network sees "
            "at once.\n"
            "<b>Iterations</b>: training steps; the default gives a usable model, a few hundred only a rough one.\n"
            "<b>Batch size</b> (advanced): tiles per step.\n"
            "<b>Device</b> (advanced): auto uses a CUDA GPU when PyTorch sees one, else the CPU.\n"
            "<b>Random seed</b> (advanced): the same seed and inputs give the same model.\n\n"
            "The log shows the losses, speed and time left every few seconds; cancelling after the first step keeps "
            "what was learned so far as a usable model. The output <b>Mean absolute error per cell</b> is the "
            "sharpened tiles' error over the last steps, in elevation units.\n\n"
            "The model file (.pt) holds the network, its factor and the georeferencing of the first input; use it "
            "with 'Sharpen coarse DEM'. It cannot generate terrain or fill voids."
        )

    def add_task_parameters(self, defaults) -> None:
        self.addParameter(QgsProcessingParameterEnum(
            self.FACTOR, "Factor (output pixels per input pixel, on each side)",
            options=[str(factor) for factor in self.FACTORS], defaultValue=self.FACTORS.index(defaults.factor)))

    def task_settings(self, parameters, context) -> dict:
        return {"factor": self.FACTORS[self.parameterAsEnum(parameters, self.FACTOR, context)]}
