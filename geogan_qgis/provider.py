"""The GeoGAN Processing provider (id: geogan)."""

from qgis.core import QgsProcessingProvider

from .algorithm_support import plugin_icon
from .evaluate_realism import EvaluateRealismAlgorithm
from .generate_dem import GenerateDemAlgorithm
from .realism_map import RealismMapAlgorithm
from .train_gan import TrainGanAlgorithm


class GeoGanProvider(QgsProcessingProvider):
    def id(self) -> str:
        return "geogan"

    def name(self) -> str:
        return "GeoGAN"

    def longName(self) -> str:  # noqa: N802
        return "GeoGAN: terrain generative adversarial networks"

    def icon(self):
        return plugin_icon()

    def loadAlgorithms(self):  # noqa: N802
        self.addAlgorithm(TrainGanAlgorithm())
        self.addAlgorithm(GenerateDemAlgorithm())
        self.addAlgorithm(EvaluateRealismAlgorithm())
        self.addAlgorithm(RealismMapAlgorithm())
