"""Raster outputs keep their style when opened by hand (a sidecar .qml), and each styler lives as long as the plugin."""

import os

import processing
import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsRasterLayer

from rasters import hills, write_raster


class ErrorFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.errors = []

    def reportError(self, error, fatalError=False):  # noqa: N802, N803
        self.errors.append(error)
        super().reportError(error, fatalError)


def opened_by_hand(path) -> QgsRasterLayer:
    """The raster as the Browser or drag and drop opens it: a fresh layer that loads name.qml if there is one."""
    layer = QgsRasterLayer(str(path), "opened by hand")
    assert layer.isValid()
    return layer


def test_generated_dem_opens_with_its_hillshade_style(trained_model, tmp_path):
    output = tmp_path / "synthetic.tif"
    processing.run("geogan:generatedem", {"MODEL": trained_model, "DEVICE": 1, "OUTPUT": str(output)})
    assert (tmp_path / "synthetic.qml").is_file()
    layer = opened_by_hand(output)  # kept referenced: its renderer dies with it
    renderer = layer.renderer()
    assert renderer.type() == "hillshade"
    assert renderer.zFactor() < 1e-4  # geographic CRS: metres of height scaled to degrees of ground


def test_realism_map_opens_red_to_green_with_a_legend_about_the_training_data(trained_model, sample_corner, tmp_path):
    output = tmp_path / "realism.tif"
    processing.run("geogan:realismmap", {"MODEL": trained_model, "INPUT": sample_corner, "DEVICE": 1,
                                         "OUTPUT": str(output)})
    layer = opened_by_hand(output)
    renderer = layer.renderer()
    assert renderer.type() == "singlebandpseudocolor"
    labels = [item.label for item in renderer.shader().rasterShaderFunction().colorRampItemList()]
    assert labels[0] == "0 (unlike the training data)" and labels[-1] == "1 (like the training data)"


def test_failing_runs_leave_no_style_file(trained_model, tmp_path):
    small = write_raster(tmp_path / "small.tif", hills(16))
    output = tmp_path / "out" / "map.tif"
    output.parent.mkdir()
    with pytest.raises(QgsProcessingException, match="smaller than the model's"):
        processing.run("geogan:realismmap", {"MODEL": trained_model, "INPUT": small, "BAND": 1, "DEVICE": 1,
                                             "OUTPUT": str(output)})
    with pytest.raises(QgsProcessingException, match="WIDTH must be between"):
        processing.run("geogan:generatedem", {"MODEL": trained_model, "WIDTH": 0, "OUTPUT": str(output)})
    assert os.listdir(output.parent) == []


def test_a_style_that_cannot_be_written_costs_a_warning_not_the_raster(trained_model, tmp_path):
    (tmp_path / "synthetic.qml").mkdir()  # where the style would go: nothing can be written there
    feedback = ErrorFeedback()
    processing.run("geogan:generatedem",
                   {"MODEL": trained_model, "DEVICE": 1, "OUTPUT": str(tmp_path / "synthetic.tif")},
                   feedback=feedback)
    assert (tmp_path / "synthetic.tif").is_file()
    assert any("style file" in error for error in feedback.errors)
    assert sorted(os.listdir(tmp_path)) == ["synthetic.qml", "synthetic.tif"]  # no half-written .part left


def test_each_styler_has_one_instance_for_the_plugin_life(geogan_plugin):
    """Processing holds stylers by a C++ pointer until it loads the layer: a later run must not free an earlier
    one's."""
    from qgis.PyQt import sip

    from geogan_qgis.layers import FilledDemStyler, RealismMapStyler, SharpenedDemStyler, SyntheticDemStyler

    first_run = SyntheticDemStyler.create()
    second_run = SyntheticDemStyler.create()
    assert second_run is first_run and not sip.isdeleted(first_run)
    assert RealismMapStyler.create() is RealismMapStyler.create()
    assert type(RealismMapStyler.create()) is RealismMapStyler
    for styler in (FilledDemStyler, SharpenedDemStyler):  # each its own instance, not SyntheticDemStyler's
        assert styler.create() is styler.create() and type(styler.create()) is styler
