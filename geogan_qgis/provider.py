"""The GeoGAN Processing provider (id: geogan): the algorithms and the example Modeler models."""

from qgis.core import QgsApplication, QgsProcessingProvider

from .algorithm_support import plugin_icon
from .evaluate_realism import EvaluateRealismAlgorithm
from .example_models import load_example_models
from .generate_dem import GenerateDemAlgorithm
from .realism_map import RealismMapAlgorithm
from .train_gan import TrainGanAlgorithm
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
        # A model finds its steps' algorithms through the registry, which lists this provider only after its
        # first load: so the models come with the refresh that register() asks for (and with any later one).
        if QgsApplication.processingRegistry().providerById(self.id()) is self:
            for model in load_example_models():
                self.addAlgorithm(model)

    def register(self) -> bool:
        """Add the provider to Processing, then reload it so that the example models resolve their steps."""
        if not QgsApplication.processingRegistry().addProvider(self):
            return False  # the registry refused (and deleted) a second provider with the same id
        self.refreshAlgorithms()
        return True
