"""Write resources/models/synthetic_terrain_from_dem.model3, the example Graphical Modeler model.

The model is built here through the PyQGIS model API rather than drawn by hand, so a change of a parameter
name shows up as an error here and in tests/test_example_model.py. Run after `make package`:

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/build_example_model.py
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_PATH = os.path.join(ROOT, "resources", "models", "synthetic_terrain_from_dem.model3")
MODEL_NAME = "Synthetic terrain from a DEM (example model)"

DESCRIPTION = (
    "An example of GeoGAN in the Graphical Modeler: trains a terrain GAN on one elevation raster, generates "
    "a synthetic DEM of the chosen size with it and compares the synthetic DEM with the real one "
    "(geogan:traingan -> geogan:generatedem -> geogan:evaluate).\n\n"
    "With the defaults (600 training steps on 64-pixel tiles) it takes a few minutes on a CPU; the model "
    "file it writes can be reused with 'Generate synthetic DEM'. Open it in the Modeler (Processing > "
    "Graphical Modeler > Open, resources/models in the plugin folder) to change it or to start your own.")


def build_model():
    from qgis.core import (
        QgsProcessingModelAlgorithm,
        QgsProcessingModelChildAlgorithm,
        QgsProcessingModelChildParameterSource as Source,
        QgsProcessingModelOutput,
        QgsProcessingModelParameter,
        QgsProcessingParameterDefinition,
        QgsProcessingParameterNumber,
        QgsProcessingParameterRasterLayer,
    )
    from qgis.PyQt.QtCore import QPointF

    model = QgsProcessingModelAlgorithm(MODEL_NAME, "Example models")
    inputs = [
        QgsProcessingParameterRasterLayer("dem", "Real DEM to learn from"),
        QgsProcessingParameterNumber("iterations", "Training steps", QgsProcessingParameterNumber.Type.Integer, 600,
                                     minValue=1),
        QgsProcessingParameterNumber("tile_size", "Tile size (pixels, multiple of 16)",
                                     QgsProcessingParameterNumber.Type.Integer, 64, minValue=32, maxValue=1024),
        QgsProcessingParameterNumber("size", "Synthetic DEM width and height (pixels)",
                                     QgsProcessingParameterNumber.Type.Integer, 512, minValue=16, maxValue=65536),
        QgsProcessingParameterNumber("seed", "Random seed", QgsProcessingParameterNumber.Type.Integer, 0),
        QgsProcessingParameterNumber("batch_size", "Batch size (tiles per training step)",
                                     QgsProcessingParameterNumber.Type.Integer, 16, minValue=1, maxValue=1024),
    ]
    inputs[-1].setFlags(inputs[-1].flags() | QgsProcessingParameterDefinition.Flag.FlagAdvanced)
    for row, definition in enumerate(inputs):
        component = QgsProcessingModelParameter(definition.name())
        component.setPosition(QPointF(120 + 200 * row, 60))
        model.addModelParameter(definition, component)

    def child(child_id, algorithm_id, description, x, y, sources, outputs):
        step = QgsProcessingModelChildAlgorithm(algorithm_id)
        step.setChildId(child_id)
        step.setDescription(description)
        step.setPosition(QPointF(x, y))
        for name, source in sources.items():
            step.addParameterSources(name, source if isinstance(source, list) else [source])
        model_outputs = {}
        for output_name, (child_output, x_out) in outputs.items():
            output = QgsProcessingModelOutput(output_name, output_name)  # the description labels its widget
            output.setChildId(child_id)
            output.setChildOutputName(child_output)
            output.setPosition(QPointF(x_out, y + 80))
            model_outputs[output_name] = output
        step.setModelOutputs(model_outputs)
        model.addChildAlgorithm(step)

    child("train", "geogan:traingan", "Train terrain GAN", 300, 200, {
        "INPUT_LAYERS": [Source.fromModelParameter("dem")],
        "ITERATIONS": Source.fromModelParameter("iterations"),
        "TILE_SIZE": Source.fromModelParameter("tile_size"),
        "SEED": Source.fromModelParameter("seed"),
        "BATCH_SIZE": Source.fromModelParameter("batch_size"),
    }, {"Trained model": ("OUTPUT_MODEL", 520)})
    child("generate", "geogan:generatedem", "Generate synthetic DEM", 300, 360, {
        "MODEL": Source.fromChildOutput("train", "OUTPUT_MODEL"),
        "WIDTH": Source.fromModelParameter("size"),
        "HEIGHT": Source.fromModelParameter("size"),
        "SEED": Source.fromModelParameter("seed"),
    }, {"Synthetic DEM": ("OUTPUT", 520)})
    child("evaluate", "geogan:evaluate", "Evaluate terrain realism", 300, 520, {
        "REAL_LAYERS": [Source.fromModelParameter("dem")],
        "SYNTHETIC_LAYERS": [Source.fromChildOutput("generate", "OUTPUT")],
        "TILE_SIZE": Source.fromModelParameter("tile_size"),
    }, {"Realism report": ("OUTPUT_REPORT", 520)})

    model.setHelpContent({
        "ALG_DESC": DESCRIPTION,
        "ALG_CREATOR": "GeoGAN developers",
        "ALG_VERSION": "1",
        "dem": "An elevation raster (GeoTIFF or any GDAL raster) of at least a few tiles.",
        "iterations": "Training steps: a few hundred give a rough model, 3000 a good one.",
        "tile_size": "Side of the training tiles; larger tiles learn larger landforms but train more slowly.",
        "size": "Width and height of the synthetic DEM in pixels.",
        "seed": "The same model and seed always give the same DEM.",
        "batch_size": "Tiles per training step (advanced): more use a GPU better, fewer train faster on a CPU.",
    })
    return model


def main() -> None:
    os.environ["QT_HASH_SEED"] = "0"  # Qt writes XML attributes in hash order: fixed, so rebuilds diff cleanly
    from qgis.core import QgsApplication

    app = QgsApplication([], False)
    app.initQgis()
    sys.path.insert(0, os.path.join(ROOT, "build", "plugins"))  # the plugin as `make package` builds it
    sys.path.append(os.path.join(QgsApplication.pkgDataPath(), "python", "plugins"))  # Processing itself
    from processing.core.Processing import Processing

    Processing.initialize()
    from geogan_qgis.provider import GeoGanProvider

    QgsApplication.processingRegistry().addProvider(GeoGanProvider())
    model = build_model()
    os.makedirs(os.path.dirname(MODEL_PATH), exist_ok=True)
    if not model.toFile(MODEL_PATH):
        raise SystemExit(f"Could not write {MODEL_PATH}")
    print(f"Wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
