"""The example Graphical Modeler model shipped in resources/models/ shows up in the toolbox and runs."""

import os

from qgis.core import QgsApplication, QgsRasterLayer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_ID = "geogan:Synthetic terrain from a DEM (example model)"


def test_example_model_is_in_the_geogan_provider(geogan_plugin):
    model = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    assert model is not None, "the .model3 file in resources/models did not load"
    assert model.provider().id() == "geogan" and model.group() == "Example models"
    steps = {model.childAlgorithm(i).algorithmId() for i in model.childAlgorithms()}
    assert steps == {"geogan:traingan", "geogan:generatedem", "geogan:evaluate"}
    assert "geogan:traingan" in model.shortHelpString()


def test_shipped_model_matches_the_script_that_builds_it(geogan_plugin):
    """resources/models/*.model3 is written by scripts/build_example_model.py; a stale file is caught here."""
    from build_example_model import build_model

    shipped = QgsApplication.processingRegistry().algorithmById(MODEL_ID)
    rebuilt = build_model()

    def inputs(model):
        # The outputs' destination parameters are named by QGIS ("evaluate:Realism report" in 3.22, "realism_report"
        # in 3.40+ when built, the stored name when loaded): the outputs are compared through the children below.
        return sorted(p.name() for p in model.parameterDefinitions() if not p.isDestination())

    assert inputs(rebuilt) == inputs(shipped)
    for child_id in rebuilt.childAlgorithms():
        assert shipped.childAlgorithm(child_id).parameterSources().keys() == \
            rebuilt.childAlgorithm(child_id).parameterSources().keys()
        assert shipped.childAlgorithm(child_id).modelOutputs().keys() == \
            rebuilt.childAlgorithm(child_id).modelOutputs().keys()


def test_example_model_trains_generates_and_evaluates(geogan_plugin, sample_dem, tmp_path):
    import processing
    from osgeo import gdal

    # A 160 px corner of the sample DEM: the drainage measures skip rasters under 256 px, which keeps this quick.
    dem = str(tmp_path / "dem.tif")
    gdal.Translate(dem, sample_dem, srcWin=[0, 0, 160, 160])

    outputs = {
        "train:Trained model": str(tmp_path / "model.pt"),
        "generate:Synthetic DEM": str(tmp_path / "synthetic.tif"),
        "evaluate:Realism report": str(tmp_path / "report.html"),
    }
    results = processing.run(MODEL_ID, {"dem": dem, "iterations": 20, "tile_size": 32, "size": 128,
                                        "seed": 5, "batch_size": 4, **outputs})
    for key, path in outputs.items():
        assert results[key] == path and os.path.getsize(path) > 0, key
    synthetic = QgsRasterLayer(outputs["generate:Synthetic DEM"], "synthetic")
    assert synthetic.isValid() and (synthetic.width(), synthetic.height()) == (128, 128)
    with open(outputs["evaluate:Realism report"], encoding="utf-8") as report:
        assert "<html" in report.read(2000).lower()
