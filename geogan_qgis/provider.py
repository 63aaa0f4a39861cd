"""The GeoGAN Processing provider (id: geogan): the algorithms and the example Modeler models."""

from qgis.core import (
    QgsApplication,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameters,
    QgsProcessingProvider,
)

from .algorithm_support import plugin_icon
from .evaluate_realism import EvaluateRealismAlgorithm
from .example_models import load_example_models
from .export_heightmap import ExportHeightmapAlgorithm
from .fill_voids import FillVoidsAlgorithm
from .generate_dem import GenerateDemAlgorithm
from .realism_map import RealismMapAlgorithm
from .super_resolve import SuperResolveAlgorithm
from .train_fill import TrainFillAlgorithm
from .train_gan import TrainGanAlgorithm
from .train_superres import TrainSuperResolutionAlgorithm
from .translation import translate


class GeoGanProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "geogan"

    def name(self) -> str:
        return "GeoGAN"

    def longName(self) -> str:  # noqa: N802
        return translate("GeoGanProvider", "GeoGAN: terrain generative adversarial networks")

    def icon(self):
        return plugin_icon()

    def loadAlgorithms(self):  # noqa: N802
        self.addAlgorithm(TrainGanAlgorithm())
        self.addAlgorithm(GenerateDemAlgorithm())
        self.addAlgorithm(EvaluateRealismAlgorithm())
        self.addAlgorithm(RealismMapAlgorithm())
        self.addAlgorithm(ExportHeightmapAlgorithm())
        self.addAlgorithm(TrainFillAlgorithm())
        self.addAlgorithm(FillVoidsAlgorithm())
        self.addAlgorithm(TrainSuperResolutionAlgorithm())
        self.addAlgorithm(SuperResolveAlgorithm())
        # A model finds its steps' algorithms through the registry, which lists this provider only after its
        # first load: so the models come with the refresh that register() asks for (and with any later one).
        if QgsApplication.processingRegistry().providerById(self.id()) is self:
            for model in load_example_models():
                self.addAlgorithm(model)

    def supportedOutputRasterLayerExtensions(self) -> list:  # noqa: N802
        """What the raster outputs' file dialogs offer: GeoTIFF first, then every GDAL format holding float32."""
        from .core.output_formats import supported_extensions

        return supported_extensions()

    def isSupportedOutputValue(self, outputValue, parameter, context):  # noqa: N802,N803
        """A raster output's name is judged as core.output_formats judges it, with its sentence when refused."""
        if parameter.type() != QgsProcessingParameterRasterDestination.typeName():
            return super().isSupportedOutputValue(outputValue, parameter, context)
        from .core.errors import InputError
        from .core.output_formats import output_driver

        try:
            output_driver(QgsProcessingParameters.parameterAsOutputLayer(parameter, outputValue, context))
        except InputError as error:
            return False, str(error)
        return True, ""

    def register(self) -> bool:
        """Add the provider to Processing, then reload it so that the example models resolve their steps."""
        if not QgsApplication.processingRegistry().addProvider(self):
            return False  # the registry refused (and deleted) a second provider with the same id
        self.refreshAlgorithms()
        return True
