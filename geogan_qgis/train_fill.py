"""geogan:trainfill — learn to fill the voids of DEMs from complete elevation raster layers."""

from .conditional_training import ConditionalTrainingAlgorithm
from .core.settings import FillSettings


class TrainFillAlgorithm(ConditionalTrainingAlgorithm):
    settings_class = FillSettings
    input_label = "Complete elevation rasters to learn from"
    reconstruction_error_label = "Mean absolute error in the training holes (elevation units)"

    def name(self) -> str:
        return "trainfill"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Train void filling")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "Trains a conditional GAN to fill voids (nodata holes) in DEMs, for 'Fill DEM voids'. It learns from "
            "complete terrain: holes of many shapes and sizes (rectangles, ellipses, ragged blobs) are cut into "
            "random tiles of the chosen rasters, and the network learns to fill them from the terrain around them, "
            "with a loss on the true elevations and slopes inside the holes and an adversarial loss that keeps the "
            "fill's texture like real terrain. It corrects a thin-plate spline under tension through the cells "
            "around each void (the kind of surface GRASS r.fillnulls fits), so a short training already fills "
            "about as well as that spline.\n\n"
            "<b>Complete elevation rasters</b>: one or more DEMs of the kind of terrain to fill, in the pixel size of "
            "the DEMs to fill; tiles with more than 1% nodata are skipped, so voids in them do no harm.\n"
            "<b>Tile size</b>: the side of training tiles in pixels (a multiple of 16). The model fills voids up to "
            "half its tile size across (128, the default, fills voids up to 64 x 64 pixels); larger tiles fill larger "
            "voids but train more slowly.\n"
            "<b>Iterations</b>: training steps; the default gives a usable model, a few hundred only a rough one.\n"
            "<b>Batch size</b> (advanced): tiles per step.\n"
            "<b>Device</b> (advanced): auto uses a CUDA GPU when PyTorch sees one, else the CPU.\n"
            "<b>Random seed</b> (advanced): the same seed and inputs give the same model.\n\n"
            "The log shows the losses, speed and time left every few seconds; cancelling after the first step keeps "
            "what was learned so far as a usable model. The output <b>Mean absolute error in the training holes</b> "
            "is the fill's error over the last steps, in elevation units.\n\n"
            "The model file (.pt) holds the network, its tile size and the georeferencing of the first input; use it "
            "with 'Fill DEM voids'. It cannot generate terrain or sharpen DEMs."
        )
