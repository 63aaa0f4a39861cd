"""Faults a user can cause or meet end in a sentence that says what happened and what to do, and leave no file behind.

The faults are real where the machine allows (see faults.py): a disk that fills up, a folder that cannot be
written, an input that changes while it is read. Nothing of QGIS is mocked.
"""

import os
import shutil

import processing
import pytest
from qgis.core import QgsProcessingException

from faults import full_disk, read_only_folder
from feedback import LogFeedback
from rasters import hills, write_raster

QUICK = {"TILE_SIZE": 32, "ITERATIONS": 2, "BATCH_SIZE": 2, "DEVICE": 1}


def _sentence(call) -> str:
    """The message of the QgsProcessingException that `call` must raise: a sentence, not a traceback."""
    with pytest.raises(QgsProcessingException) as refused:
        call()
    message = str(refused.value)
    assert "Traceback" not in message and "Unable to execute" not in message
    return message


def _runs(name, folder, trained_model, sample_dem):
    """Each algorithm writing its output into `folder`."""
    return {
        "generatedem": lambda: processing.run("geogan:generatedem", {
            "MODEL": trained_model, "WIDTH": 512, "HEIGHT": 512, "OUTPUT": str(folder / "dem.tif")}),
        "realismmap": lambda: processing.run("geogan:realismmap", {
            "MODEL": trained_model, "INPUT": sample_dem, "DEVICE": 1, "OUTPUT": str(folder / "realism.tif")}),
        "traingan": lambda: processing.run("geogan:traingan", {
            "INPUT_LAYERS": [sample_dem], **QUICK, "OUTPUT_MODEL": str(folder / "model.pt")}),
        "evaluate": lambda: processing.run("geogan:evaluate", {
            "REAL_LAYERS": [sample_dem], "SYNTHETIC_LAYERS": [sample_dem], "TILE_SIZE": 32,
            "OUTPUT_REPORT": str(folder / "report.html")}),
    }[name]


@pytest.mark.parametrize("algorithm", ["generatedem", "realismmap", "traingan"])
def test_a_full_disk_is_named_and_nothing_is_left_on_it(trained_model, sample_dem, tmp_path, algorithm):
    disk = tmp_path / "disk"
    with full_disk(disk) as real_disk:
        message = _sentence(_runs(algorithm, disk, trained_model, sample_dem))
        assert os.listdir(disk) == []
    assert "nothing was written" in message
    if real_disk:
        assert f"The disk holding {disk} is full" in message and "Free some space" in message


@pytest.mark.parametrize("algorithm", ["generatedem", "realismmap", "traingan", "evaluate"])
def test_an_output_folder_that_cannot_be_written_is_named(trained_model, sample_dem, tmp_path, algorithm):
    folder = tmp_path / "locked"
    with read_only_folder(folder):
        message = _sentence(_runs(algorithm, folder, trained_model, sample_dem))
        assert os.listdir(folder) == []
    assert f"{folder} cannot be written" in message and "folder you can write to" in message


@pytest.mark.parametrize("algorithm, parameters, clash", [
    ("realismmap", lambda dem, model: {"MODEL": model, "INPUT": dem, "OUTPUT": dem},
     "OUTPUT is the same file as INPUT"),
    ("generatedem", lambda dem, model: {"MODEL": model, "REFERENCE_LAYER": dem, "OUTPUT": dem},
     "OUTPUT is the same file as REFERENCE_LAYER"),
    ("evaluate", lambda dem, model: {"REAL_LAYERS": [dem], "SYNTHETIC_LAYERS": [dem], "OUTPUT_REPORT": dem},
     "OUTPUT_REPORT is the same file as REAL_LAYERS"),
    ("traingan", lambda dem, model: {"INPUT_LAYERS": [dem], **QUICK, "OUTPUT_MODEL": dem},
     "OUTPUT_MODEL is the same file as INPUT_LAYERS"),
    ("traingan", lambda dem, model: {"INPUT_LAYERS": [dem], **QUICK, "OUTPUT_MODEL": model, "OUTPUT_REPORT": model},
     "OUTPUT_REPORT is the same file as OUTPUT_MODEL"),
    ("trainfill", lambda dem, model: {"INPUT_LAYERS": [dem], **QUICK, "OUTPUT_MODEL": dem},
     "OUTPUT_MODEL is the same file as INPUT_LAYERS"),
    ("trainsuperres", lambda dem, model: {"INPUT_LAYERS": [dem], **QUICK, "OUTPUT_MODEL": dem},
     "OUTPUT_MODEL is the same file as INPUT_LAYERS"),
    # The clash is refused before the model is read, so the terrain GAN stands in for models of these kinds.
    ("fillvoids", lambda dem, model: {"MODEL": model, "INPUT": dem, "OUTPUT": dem}, "OUTPUT is the same file as INPUT"),
    ("fillvoids", lambda dem, model: {"MODEL": model, "INPUT": dem, "MASK_LAYER": dem,
                                      "OUTPUT": dem[:-4] + "_filled.tif", "FILLED_MASK": dem},
     "FILLED_MASK is the same file as INPUT"),
    ("superresolve", lambda dem, model: {"MODEL": model, "INPUT": dem, "OUTPUT": dem},
     "OUTPUT is the same file as INPUT"),
])
def test_an_output_that_is_an_input_is_refused_and_the_input_kept(trained_model, sample_dem, tmp_path, algorithm,
                                                                  parameters, clash):
    dem, model = str(tmp_path / "dem.tif"), str(tmp_path / "model.pt")
    shutil.copy(sample_dem, dem)
    shutil.copy(trained_model, model)
    before = {path: open(path, "rb").read() for path in (dem, model)}
    message = _sentence(lambda: processing.run(f"geogan:{algorithm}", parameters(dem, model)))
    assert clash in message and "Choose another file" in message
    assert {path: open(path, "rb").read() for path in (dem, model)} == before


class TruncatesInputOnFirstProgress(LogFeedback):
    """Processing feedback that, like another program would, truncates the input while the algorithm reads it."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def setProgress(self, progress):  # noqa: N802
        if os.path.getsize(self.path) > 4096:
            os.truncate(self.path, 4096)
        super().setProgress(progress)


def test_an_input_that_changes_while_it_is_read_is_named(trained_model, tmp_path, monkeypatch):
    import geogan_qgis.core.raster_io as plugin_raster_io

    monkeypatch.setattr(plugin_raster_io, "IN_MEMORY_PIXELS", 0)  # read window by window, as large rasters are
    dem = write_raster(tmp_path / "dem.tif", hills(256))
    feedback = TruncatesInputOnFirstProgress(dem)
    output = tmp_path / "realism.tif"
    message = _sentence(lambda: processing.run("geogan:realismmap", {
        "MODEL": trained_model, "INPUT": dem, "DEVICE": 1, "OUTPUT": str(output)}, feedback=feedback))
    assert "Reading dem.tif failed" in message and "changed, moved or deleted" in message
    assert sorted(os.listdir(tmp_path)) == ["dem.tif"]

