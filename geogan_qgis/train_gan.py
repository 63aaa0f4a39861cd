"""geogan:traingan — train a terrain GAN on elevation raster layers."""

from qgis.core import (
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterFile,
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
from .core.settings import TrainSettings
from .dependencies import require_torch
from .training_hub import monitored_training


class TrainGanAlgorithm(GeoGanAlgorithm):
    INPUT_LAYERS = "INPUT_LAYERS"
    BAND = "BAND"
    TILE_SIZE = "TILE_SIZE"
    ITERATIONS = "ITERATIONS"
    BATCH_SIZE = "BATCH_SIZE"
    DEVICE = "DEVICE"
    SEED = "SEED"
    CASCADE = "CASCADE"
    RESUME_MODEL = "RESUME_MODEL"
    OUTPUT_MODEL = "OUTPUT_MODEL"
    OUTPUT_REPORT = "OUTPUT_REPORT"
    GENERATOR_LOSS = "GENERATOR_LOSS"
    DISCRIMINATOR_LOSS = "DISCRIMINATOR_LOSS"

    def name(self) -> str:
        return "traingan"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Train terrain GAN")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "Trains a generative adversarial network (GAN) on random square tiles of the chosen elevation "
            "rasters, so that it learns to make new terrain that looks like them.\n\n"
            "<b>Input rasters</b>: one or more DEMs (any single-band continuous raster); nodata is respected and "
            "tiles with more than 1% nodata are skipped.\n"
            "<b>Tile size</b>: the side of training tiles in pixels (a multiple of 16). Larger tiles learn larger "
            "landforms but train more slowly.\n"
            "<b>Iterations</b>: training steps. A few hundred give a rough model; {iterations} (the default) takes "
            "about 20 minutes on a 2-core CPU, far less on a GPU.\n"
            "<b>Two-stage coarse-to-fine training</b> (experimental, advanced): a coarse GAN learns the rasters "
            "averaged over 4 x 4 pixels (one of its tiles spans whole catchments), then a refinement GAN adds the "
            "full-resolution detail; the discriminators of both see closed depressions. Rasters must then be at "
            "least 128 x 128 pixels, and training takes about one and a half times as long. On the sample DEM it "
            "leaves a third fewer closed depressions in the output than the single GAN, but its slopes and "
            "curvatures are further from real terrain's (see the README).\n"
            "<b>Device</b>: auto uses a CUDA GPU when PyTorch sees one, else the CPU.\n"
            "<b>Continue the training of this model</b> (advanced): a model file written earlier (also one saved "
            "when a training was cancelled); training goes on from its last step for the given iterations, with "
            "the model's own tile size, batch size and seed, and its loss history is continued.\n\n"
            "The log shows the losses, speed and time left every few seconds. The model is saved at intervals "
            "while training, and cancelling keeps what was learned so far as a usable model.\n\n"
            "The model file (.pt) holds the network and the georeferencing of the first input; use it with "
            "'Generate synthetic DEM'. The optional training report (HTML) shows the loss curves, samples taken "
            "during training and warnings when training collapsed or diverged."
        ).format(iterations=TrainSettings().iterations)

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUT_LAYERS, "Elevation rasters to learn from", RASTER_LAYER))
        defaults = TrainSettings()  # the one home of every training default
        self.addParameter(QgsProcessingParameterNumber(self.BAND, "Band", INTEGER_NUMBER, defaults.band, minValue=1))
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
        self.addParameter(mark_advanced(QgsProcessingParameterBoolean(
            self.CASCADE, "Two-stage coarse-to-fine training (experimental)", defaultValue=defaults.cascade)))
        self.addParameter(mark_advanced(QgsProcessingParameterFile(
            self.RESUME_MODEL, "Continue the training of this model (optional)", extension="pt", optional=True)))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_MODEL, "Trained model", "GeoGAN model (*.pt)"))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_REPORT, "Training report (loss curves, samples, health)", "HTML files (*.html)",
            optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputNumber(self.GENERATOR_LOSS, "Final generator loss"))
        self.addOutput(QgsProcessingOutputNumber(self.DISCRIMINATOR_LOSS, "Final discriminator loss"))

    def checkParameterValues(self, parameters, context):  # noqa: N802
        if self.parameterAsInt(parameters, self.ITERATIONS, context) < 1:
            return False, ("Iterations must be at least 1: it is the number of training steps "
                           f"(try {TrainSettings().iterations}).")
        return super().checkParameterValues(parameters, context)

    def training_settings(self, parameters, context) -> TrainSettings:
        """The settings the parameters ask for; a parameter left out keeps its default."""
        return TrainSettings(
            tile_size=self.parameterAsInt(parameters, self.TILE_SIZE, context),
            iterations=self.parameterAsInt(parameters, self.ITERATIONS, context),
            batch_size=self.parameterAsInt(parameters, self.BATCH_SIZE, context),
            seed=self.parameterAsInt(parameters, self.SEED, context),
            band=self.parameterAsInt(parameters, self.BAND, context),
            device=self.device_choice(parameters, context),
            cascade=self.parameterAsBoolean(parameters, self.CASCADE, context),
        )

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        require_torch()  # first, so a missing torch gets the install command, not an ImportError
        from .core.train import train

        paths = raster_layer_paths(self, parameters, self.INPUT_LAYERS, context)
        output_path = self.parameterAsFileOutput(parameters, self.OUTPUT_MODEL, context)
        settings = self.training_settings(parameters, context)
        report_path = self.parameterAsFileOutput(parameters, self.OUTPUT_REPORT, context) or None
        resume_path = self.parameterAsFile(parameters, self.RESUME_MODEL, context) or None
        refuse_output_over_inputs({self.OUTPUT_MODEL: output_path, self.OUTPUT_REPORT: report_path},
                                  {self.INPUT_LAYERS: paths})
        # The desktop's training monitor hears of this run through the plugin's hub (when there is one).
        monitored = monitored_training(reporter_for(feedback), feedback, output_path, settings.device, paths[0])
        with core_errors("Training was cancelled before its first step; no model was written."), monitored as reporter:
            result = train(paths, output_path, settings, reporter, report_path=report_path,
                           resume_from=resume_path)
        results = {
            self.OUTPUT_MODEL: output_path,
            self.GENERATOR_LOSS: result.generator_loss,
            self.DISCRIMINATOR_LOSS: result.discriminator_loss,
        }
        if report_path:
            results[self.OUTPUT_REPORT] = report_path
        return results
