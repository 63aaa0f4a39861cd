"""What geogan:trainfill and geogan:trainsuperres share: training a conditional GAN (core.train_conditional) on
elevation raster layers, with traingan's parameters, defaults from the task's settings class, and the training
monitor."""

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
)

from .algorithm_support import (
    GeoGanAlgorithm,
    core_errors,
    raster_layer_paths,
    refuse_output_over_inputs,
    reporter_for,
)
from .compat import INTEGER_NUMBER, RASTER_LAYER, mark_advanced
from .dependencies import require_torch
from .training_hub import monitored_training


class ConditionalTrainingAlgorithm(GeoGanAlgorithm):
    """Subclasses name the algorithm, its help and settings class, and may add parameters (add_task_parameters)."""

    INPUT_LAYERS = "INPUT_LAYERS"
    BAND = "BAND"
    TILE_SIZE = "TILE_SIZE"
    ITERATIONS = "ITERATIONS"
    BATCH_SIZE = "BATCH_SIZE"
    DEVICE = "DEVICE"
    SEED = "SEED"
    OUTPUT_MODEL = "OUTPUT_MODEL"
    RECONSTRUCTION_ERROR = "RECONSTRUCTION_ERROR"

    settings_class = None  # core.settings.FillSettings or SuperResolutionSettings: the one home of the defaults
    input_label = "Elevation rasters to learn from"
    reconstruction_error_label = ""

    def add_task_parameters(self, defaults) -> None:
        """Parameters of this task alone, added after the band (none by default)."""

    def task_settings(self, parameters, context) -> dict:
        """Settings of this task alone, from its own parameters (none by default)."""
        return {}

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUT_LAYERS, self.input_label, RASTER_LAYER))
        defaults = self.settings_class()
        self.addParameter(QgsProcessingParameterNumber(self.BAND, "Band", INTEGER_NUMBER, defaults.band, minValue=1))
        self.add_task_parameters(defaults)
        self.addParameter(QgsProcessingParameterNumber(
            self.TILE_SIZE, "Tile size (pixels)", INTEGER_NUMBER, defaults.tile_size, minValue=32, maxValue=1024))
        self.addParameter(QgsProcessingParameterNumber(
            self.ITERATIONS, "Iterations (training steps)", INTEGER_NUMBER, defaults.iterations, minValue=1))
        self.addParameter(mark_advanced(QgsProcessingParameterNumber(
            self.BATCH_SIZE, "Batch size (tiles per step)", INTEGER_NUMBER, defaults.batch_size, minValue=1,
            maxValue=1024)))
        self.add_device_parameter()
        self.addParameter(mark_advanced(QgsProcessingParameterNumber(
            self.SEED, "Random seed", INTEGER_NUMBER, defaults.seed)))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_MODEL, "Trained model", "GeoGAN model (*.pt)"))
        self.addOutput(QgsProcessingOutputNumber(self.RECONSTRUCTION_ERROR, self.reconstruction_error_label))

    def checkParameterValues(self, parameters, context):  # noqa: N802
        if self.parameterAsInt(parameters, self.ITERATIONS, context) < 1:
            return False, (f"Iterations must be at least 1: it is the number of training steps "
                           f"(try {self.settings_class().iterations}).")
        return super().checkParameterValues(parameters, context)

    def training_settings(self, parameters, context):
        """The settings the parameters ask for; a parameter left out keeps its default."""
        return self.settings_class(
            tile_size=self.parameterAsInt(parameters, self.TILE_SIZE, context),
            iterations=self.parameterAsInt(parameters, self.ITERATIONS, context),
            batch_size=self.parameterAsInt(parameters, self.BATCH_SIZE, context),
            seed=self.parameterAsInt(parameters, self.SEED, context),
            band=self.parameterAsInt(parameters, self.BAND, context),
            device=self.device_choice(parameters, context),
            **self.task_settings(parameters, context),
        )

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()  # first, so a missing torch gets the install command, not an ImportError
        from .core.train_conditional import train_conditional

        paths = raster_layer_paths(self, parameters, self.INPUT_LAYERS, context)
        output_path = self.parameterAsFileOutput(parameters, self.OUTPUT_MODEL, context)
        settings = self.training_settings(parameters, context)
        refuse_output_over_inputs({self.OUTPUT_MODEL: output_path}, {self.INPUT_LAYERS: paths})
        # The desktop's training monitor shows these trainings too (losses, speed, time left, cancel).
        monitored = monitored_training(reporter_for(feedback), feedback, output_path, settings.device, paths[0])
        with core_errors("Training was cancelled before its first step; no model was written."), monitored as reporter:
            result = train_conditional(paths, output_path, settings, reporter)
        return {self.OUTPUT_MODEL: output_path, self.RECONSTRUCTION_ERROR: result.reconstruction_error}
