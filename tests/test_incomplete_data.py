"""Issue 10 through Processing: geogan:trainfill and geogan:fillvoids fill the voids of a DEM and change nothing
else; geogan:trainsuperres and geogan:superresolve sharpen a coarse DEM to a grid FACTOR times finer whose block
averages are the input. Real QGIS, real GDAL files and real (tiny) trainings: 32-pixel tiles, a few steps.

The block-average tolerance is BLOCK_MEAN_TOLERANCE_M (1 mm): the generator keeps block means exactly in float32
arithmetic, and float32 rounding of elevations of a few hundred metres is about 0.05 mm."""

import json
import os

import numpy as np
import processing
import pytest
import torch
from osgeo import gdal, osr
from qgis.core import QgsApplication, QgsProcessingException, QgsRasterLayer

from conftest import QUICK_TRAINING
from feedback import LogFeedback
from test_qgis_process import _qgis_process, qgis_process_ready  # noqa: F401 (a fixture: enables the plugin there)

NODATA = -9999.0
TILE = 32  # the models' tile size: they fill voids up to 16 pixels across
FACTOR = 4
BLOCK_MEAN_TOLERANCE_M = 1e-3
QUICK = {"TILE_SIZE": TILE, "ITERATIONS": 3, "BATCH_SIZE": 2, "SEED": QUICK_TRAINING["SEED"], "DEVICE": 1}
# (rows, columns) of the voids cut into the sample DEM's 96 x 96 corner: all smaller than the models' 16 pixels.
VOIDS = [(slice(20, 30), slice(20, 30)), (slice(60, 68), slice(70, 74)), (slice(85, 86), slice(10, 11))]


def _float_copy(source: str, path, **translate) -> str:
    """`source` as a float32 GeoTIFF with nodata NODATA (optionally resampled by gdal.Translate's options)."""
    gdal.Translate(str(path), source, outputType=gdal.GDT_Float32, noData=NODATA, **translate)
    return str(path)


def _cut(path: str, mask: np.ndarray) -> np.ndarray:
    """Set the cells of `mask` to nodata in the raster at `path`; returns the raster's values afterwards."""
    dataset = gdal.Open(path, gdal.GA_Update)
    values = dataset.GetRasterBand(1).ReadAsArray()
    values[mask] = NODATA
    dataset.GetRasterBand(1).WriteArray(values)
    dataset = None
    return values


def _read(path) -> np.ndarray:
    dataset = gdal.Open(str(path))  # kept: Debian 12's GDAL frees a band with its dataset
    return dataset.GetRasterBand(1).ReadAsArray()


def _void_mask(shape, voids) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for rows, cols in voids:
        mask[rows, cols] = True
    return mask


@pytest.fixture(scope="session")
def fill_training(geogan_plugin, sample_dem, tmp_path_factory) -> dict:
    path = str(tmp_path_factory.mktemp("fill_model") / "fill.pt")
    return processing.run("geogan:trainfill", {"INPUT_LAYERS": [sample_dem], **QUICK, "OUTPUT_MODEL": path})


@pytest.fixture(scope="session")
def superres_training(geogan_plugin, sample_dem, tmp_path_factory) -> dict:
    path = str(tmp_path_factory.mktemp("superres_model") / "superres.pt")
    return processing.run("geogan:trainsuperres", {"INPUT_LAYERS": [sample_dem], **QUICK, "FACTOR": 1,  # 4
                                                   "OUTPUT_MODEL": path})


@pytest.fixture(scope="session")
def fill_model(fill_training) -> str:
    return fill_training["OUTPUT_MODEL"]


@pytest.fixture(scope="session")
def superres_model(superres_training) -> str:
    return superres_training["OUTPUT_MODEL"]


@pytest.fixture(scope="session")
def dem_with_voids(sample_corner, tmp_path_factory) -> str:
    """The sample DEM's 96 x 96 corner, float32, with VOIDS cut into it."""
    path = _float_copy(sample_corner, tmp_path_factory.mktemp("voids") / "with_voids.tif")
    _cut(path, _void_mask((96, 96), VOIDS))
    return path


@pytest.fixture(scope="session")
def coarse_dem(sample_corner, tmp_path_factory) -> str:
    """The corner averaged over FACTOR x FACTOR blocks (24 x 24 cells at FACTOR times the sample DEM's pixel size:
    what the superres model learned to sharpen), with one nodata cell."""
    path = _float_copy(sample_corner, tmp_path_factory.mktemp("coarse") / "coarse.tif", width=96 // FACTOR,
                       height=96 // FACTOR, resampleAlg="average")
    _cut(path, _void_mask((24, 24), [(slice(5, 6), slice(7, 8))]))
    return path


def _refused(call, message, folder) -> str:
    """The sentence `call` is refused with; nothing is left in `folder` but what was there before."""
    before = set(os.listdir(folder))
    with pytest.raises(QgsProcessingException, match=message) as refused:
        call()
    assert "Traceback" not in str(refused.value)
    assert set(os.listdir(folder)) == before
    return str(refused.value)


def test_the_four_algorithms_have_their_public_parameters_help_and_icons(geogan_plugin):
    registry = QgsApplication.processingRegistry()
    expected = {
        "trainfill": ["INPUT_LAYERS", "BAND", "TILE_SIZE", "ITERATIONS", "BATCH_SIZE", "DEVICE", "SEED",
                      "OUTPUT_MODEL"],
        "trainsuperres": ["INPUT_LAYERS", "BAND", "FACTOR", "TILE_SIZE", "ITERATIONS", "BATCH_SIZE", "DEVICE", "SEED",
                          "OUTPUT_MODEL"],
        "fillvoids": ["MODEL", "INPUT", "BAND", "DEVICE", "SEED", "MASK_LAYER", "MAX_VOID_SIZE", "OUTPUT",
                      "FILLED_MASK"],
        "superresolve": ["MODEL", "INPUT", "BAND", "DEVICE", "SEED", "OUTPUT"],
    }
    outputs = {"trainfill": {"OUTPUT_MODEL", "RECONSTRUCTION_ERROR"},
               "trainsuperres": {"OUTPUT_MODEL", "RECONSTRUCTION_ERROR"},
               "fillvoids": {"OUTPUT", "FILLED_MASK", "FILLED_CELLS", "VOIDS_FILLED"}, "superresolve": {"OUTPUT"}}
    # kept: they own the definitions
    algorithms = {name: registry.createAlgorithmById(f"geogan:{name}") for name in expected}
    for name, algorithm in algorithms.items():
        assert [p.name() for p in algorithm.parameterDefinitions()] == expected[name], name
        assert {o.name() for o in algorithm.outputDefinitions()} == outputs[name], name
        assert algorithm.shortHelpString().count("<b>") >= 4, name
        assert os.path.isfile(os.path.join(os.path.dirname(__file__), os.pardir, "resources", "icons", f"{name}.svg"))
        assert not algorithm.icon().isNull()
    assert algorithms["trainsuperres"].parameterDefinition("FACTOR").options() == ["2", "4", "8"]
    assert algorithms["trainsuperres"].parameterDefinition("FACTOR").defaultValue() == 1  # 4
    assert not algorithms["fillvoids"].parameterDefinition("FILLED_MASK").createByDefault()


@pytest.mark.parametrize("name, settings_class", [("trainfill", "FillSettings"),
                                                  ("trainsuperres", "SuperResolutionSettings")])
def test_training_defaults_are_the_settings_classes(geogan_plugin, sample_dem, tmp_path, name, settings_class):
    """With only its required parameters, training is accepted and gets exactly its settings class's defaults."""
    from qgis.core import QgsProcessingContext

    import core.settings

    algorithm = QgsApplication.processingRegistry().createAlgorithmById(f"geogan:{name}")
    parameters = {"INPUT_LAYERS": [sample_dem], "OUTPUT_MODEL": str(tmp_path / "model.pt")}
    context = QgsProcessingContext()
    accepted, message = algorithm.checkParameterValues(parameters, context)
    assert accepted, message
    defaults = getattr(core.settings, settings_class)()
    assert algorithm.training_settings(parameters, context).to_dict() == defaults.to_dict()


def test_trainings_write_models_of_their_kind(fill_training, superres_training):
    fill = torch.load(fill_training["OUTPUT_MODEL"], weights_only=True)
    superres = torch.load(superres_training["OUTPUT_MODEL"], weights_only=True)
    assert fill["architecture"] == "void filling" and superres["architecture"] == "super-resolution"
    assert fill["settings"]["tile_size"] == superres["settings"]["tile_size"] == TILE
    assert fill["iterations_done"] == superres["iterations_done"] == QUICK["ITERATIONS"]
    assert superres["settings"]["factor"] == FACTOR
    for training in (fill_training, superres_training):
        assert np.isfinite(training["RECONSTRUCTION_ERROR"]) and training["RECONSTRUCTION_ERROR"] > 0


def test_fillvoids_fills_the_voids_and_keeps_every_other_cell_bit_for_bit(fill_model, dem_with_voids, tmp_path):
    output, filled_mask = tmp_path / "filled.tif", tmp_path / "filled_cells.tif"
    results = processing.run("geogan:fillvoids", {"MODEL": fill_model, "INPUT": dem_with_voids, "DEVICE": 1,
                                                  "OUTPUT": str(output), "FILLED_MASK": str(filled_mask)})
    before, after = _read(dem_with_voids), _read(output)
    voids = _void_mask(before.shape, VOIDS)
    assert np.array_equal(before == NODATA, voids)
    assert after.dtype == before.dtype == np.float32
    assert np.array_equal(after[~voids].view(np.uint32), before[~voids].view(np.uint32))  # bit-identical
    assert np.isfinite(after).all() and (after != NODATA).all()  # no nodata left inside the voids
    assert np.array_equal(_read(filled_mask) == 1, voids) and set(np.unique(_read(filled_mask))) == {0.0, 1.0}
    assert results["FILLED_CELLS"] == voids.sum() and results["VOIDS_FILLED"] == len(VOIDS)
    assert results["OUTPUT"] == str(output) and results["FILLED_MASK"] == str(filled_mask)
    dataset, source = gdal.Open(str(output)), gdal.Open(dem_with_voids)
    assert dataset.GetGeoTransform() == source.GetGeoTransform()
    assert osr.SpatialReference(dataset.GetProjection()).IsSame(osr.SpatialReference(source.GetProjection()))
    tags = dataset.GetMetadata()
    assert tags["GEOGAN_SYNTHETIC"] == "PARTIAL" and tags["GEOGAN_MODEL"] == "fill.pt"
    assert tags["GEOGAN_FILLED_CELLS"] == str(voids.sum())
    layer = QgsRasterLayer(str(output), "opened by hand")  # its style file beside it: the hillshade (layer kept)
    assert (tmp_path / "filled.qml").is_file() and layer.renderer().type() == "hillshade"


def test_fillvoids_without_a_filled_mask_writes_only_the_dem(fill_model, dem_with_voids, tmp_path):
    """Only MODEL, INPUT and OUTPUT given: the other parameters have defaults or are optional."""
    results = processing.run("geogan:fillvoids", {"MODEL": fill_model, "INPUT": dem_with_voids,
                                                  "OUTPUT": str(tmp_path / "filled.tif")})
    written = sorted(name for name in os.listdir(tmp_path) if not name.endswith(".aux.xml"))
    assert written == ["filled.qml", "filled.tif"]
    assert "FILLED_MASK" not in results or not results["FILLED_MASK"]


def test_a_void_larger_than_the_model_fills_is_refused_unless_the_size_limit_leaves_it(fill_model, sample_corner,
                                                                                      tmp_path):
    dem = _float_copy(sample_corner, tmp_path / "large_void.tif")
    large, small = (slice(40, 60), slice(30, 47)), (slice(8, 14), slice(70, 76))  # 20 x 17 and 6 x 6 pixels
    _cut(dem, _void_mask((96, 96), [large, small]))
    message = _refused(lambda: processing.run("geogan:fillvoids", {
        "MODEL": fill_model, "INPUT": dem, "DEVICE": 1, "OUTPUT": str(tmp_path / "filled.tif")}),
        "larger than this model can fill", tmp_path)
    assert "17 x 20 pixels" in message and "up to 16 x 16 pixels" in message and "maximum void size" in message

    results = processing.run("geogan:fillvoids", {"MODEL": fill_model, "INPUT": dem, "DEVICE": 1, "MAX_VOID_SIZE": 16,
                                                  "OUTPUT": str(tmp_path / "filled.tif")})
    after = _read(results["OUTPUT"])
    assert (after[large] == NODATA).all()  # left as it was
    assert (after[small] != NODATA).all() and results["VOIDS_FILLED"] == 1 and results["FILLED_CELLS"] == 36


def test_nodata_outside_the_mask_layer_stays_nodata(fill_model, sample_corner, tmp_path):
    """A 24-pixel collar of nodata (too wide to fill) outside the area to fill, and a void inside it."""
    dem = _float_copy(sample_corner, tmp_path / "collar.tif")
    collar, void = (slice(0, 96), slice(0, 24)), (slice(40, 48), slice(50, 58))
    _cut(dem, _void_mask((96, 96), [collar, void]))
    area = _float_copy(sample_corner, tmp_path / "area.tif")
    dataset = gdal.Open(area, gdal.GA_Update)
    dataset.GetRasterBand(1).WriteArray(np.where(_void_mask((96, 96), [collar]), 0, 1).astype(np.float32))
    dataset = None
    results = processing.run("geogan:fillvoids", {"MODEL": fill_model, "INPUT": dem, "MASK_LAYER": area, "DEVICE": 1,
                                                  "OUTPUT": str(tmp_path / "filled.tif")})
    after = _read(results["OUTPUT"])
    assert (after[collar] == NODATA).all() and (after[void] != NODATA).all()
    assert results["VOIDS_FILLED"] == 1 and results["FILLED_CELLS"] == 64


def test_a_void_with_no_known_cell_around_it_is_left_as_nodata(fill_model, sample_corner, tmp_path):
    """A void inside the area to fill whose whole window is nodata outside that area: nothing to fill it from."""
    dem = _float_copy(sample_corner, tmp_path / "island.tif")
    _cut(dem, _void_mask((96, 96), [(slice(0, 70), slice(0, 96))]))
    area = _float_copy(sample_corner, tmp_path / "area.tif")
    dataset = gdal.Open(area, gdal.GA_Update)
    dataset.GetRasterBand(1).WriteArray(_void_mask((96, 96), [(slice(20, 24), slice(20, 24))]).astype(np.float32))
    dataset = None
    _refused(lambda: processing.run("geogan:fillvoids", {
        "MODEL": fill_model, "INPUT": dem, "MASK_LAYER": area, "OUTPUT": str(tmp_path / "filled.tif"),
        "FILLED_MASK": str(tmp_path / "cells.tif")}),
        "1 void.s. with no known cell within 16 pixels are left", tmp_path)


def test_an_input_without_voids_is_refused(fill_model, sample_corner, tmp_path):
    _refused(lambda: processing.run("geogan:fillvoids", {
        "MODEL": fill_model, "INPUT": sample_corner, "OUTPUT": str(tmp_path / "filled.tif"),
        "FILLED_MASK": str(tmp_path / "cells.tif")}), "corner.tif has no voids .nodata cells. to fill", tmp_path)


@pytest.mark.parametrize("algorithm, model, message", [
    ("fillvoids", "superres", "superres.pt is a model for sharpening coarse DEMs .super-resolution., not for filling "
                              "voids in DEMs"),
    ("superresolve", "fill", "fill.pt is a model for filling voids in DEMs, not for sharpening coarse DEMs"),
    ("fillvoids", "terrain", "quick.pt is a model for generating synthetic terrain, not for filling voids"),
    ("superresolve", "missing", "does not exist"),
])
def test_a_model_of_the_wrong_kind_is_refused(fill_model, superres_model, trained_model, dem_with_voids, tmp_path,
                                             algorithm, model, message):
    path = {"fill": fill_model, "superres": superres_model, "terrain": trained_model,
            "missing": str(tmp_path / "nowhere.pt")}[model]
    _refused(lambda: processing.run(f"geogan:{algorithm}", {"MODEL": path, "INPUT": dem_with_voids, "DEVICE": 1,
                                                            "OUTPUT": str(tmp_path / "out.tif")}), message, tmp_path)


@pytest.mark.parametrize("algorithm, extra, message", [
    ("trainfill", {"TILE_SIZE": 40}, "tile size must be a multiple of 16"),
    ("trainsuperres", {"ITERATIONS": 0}, "Iterations must be at least 1"),
    ("trainsuperres", {"BAND": 2}, "band 2 does not exist"),
])
def test_bad_training_parameters_are_refused(geogan_plugin, sample_dem, tmp_path, algorithm, extra, message):
    _refused(lambda: processing.run(f"geogan:{algorithm}", {"INPUT_LAYERS": [sample_dem], **QUICK, **extra,
                                                            "OUTPUT_MODEL": str(tmp_path / "model.pt")}),
             message, tmp_path)


def test_superresolve_is_factor_times_finer_on_the_same_extent_and_keeps_block_averages(superres_model, coarse_dem,
                                                                                       tmp_path):
    """Only MODEL, INPUT and OUTPUT given. The input's pixels are what the model learned: no warning."""
    feedback = LogFeedback()
    output = tmp_path / "sharp.tif"
    results = processing.run("geogan:superresolve", {"MODEL": superres_model, "INPUT": coarse_dem,
                                                     "OUTPUT": str(output)}, feedback=feedback)
    assert results["OUTPUT"] == str(output) and feedback.warnings == []
    coarse, fine = gdal.Open(coarse_dem), gdal.Open(str(output))
    assert (fine.RasterXSize, fine.RasterYSize) == (coarse.RasterXSize * FACTOR, coarse.RasterYSize * FACTOR)
    x0, width, _, y0, _, height = coarse.GetGeoTransform()
    assert fine.GetGeoTransform() == pytest.approx((x0, width / FACTOR, 0, y0, 0, height / FACTOR), rel=1e-12)
    assert osr.SpatialReference(fine.GetProjection()).IsSame(osr.SpatialReference(coarse.GetProjection()))
    values = _read(output).astype(np.float64)
    inputs = _read(coarse_dem).astype(np.float64)
    blocks = values.reshape(24, FACTOR, 24, FACTOR).transpose(0, 2, 1, 3)  # (row, column, FACTOR, FACTOR)
    valid = inputs != NODATA
    assert (blocks[~valid] == NODATA).all()  # the nodata cell's block
    assert np.abs(blocks[valid].mean(axis=(1, 2)) - inputs[valid]).max() <= BLOCK_MEAN_TOLERANCE_M
    assert (blocks[valid].std(axis=(1, 2)) > 0).all()  # detail added in every block
    tags = fine.GetMetadata()
    assert tags["GEOGAN_SYNTHETIC"] == "DETAIL" and tags["GEOGAN_FACTOR"] == str(FACTOR)
    layer = QgsRasterLayer(str(output), "opened by hand")  # kept referenced: its renderer dies with it
    assert layer.renderer().type() == "hillshade"


def test_superresolve_warns_when_the_input_pixels_are_far_from_the_models(superres_model, sample_corner, tmp_path):
    """The corner at the training rasters' own pixel size: 4 times finer than the model learned to sharpen."""
    feedback = LogFeedback()
    results = processing.run("geogan:superresolve", {"MODEL": superres_model, "INPUT": sample_corner, "DEVICE": 1,
                                                     "SEED": 2, "OUTPUT": str(tmp_path / "sharp.tif")},
                             feedback=feedback)
    assert len(feedback.warnings) == 1 and "extrapolation" in feedback.warnings[0]
    assert gdal.Open(results["OUTPUT"]).RasterXSize == 96 * FACTOR


def test_qgis_process_fills_voids_and_sharpens(qgis_process_ready, fill_model, superres_model, dem_with_voids,  # noqa: F811 (the fixture)
                                               coarse_dem, tmp_path):
    filled, sharp = str(tmp_path / "filled.tif"), str(tmp_path / "sharp.tif")
    done = _qgis_process(qgis_process_ready, "--json", "run", "geogan:fillvoids", "--", f"MODEL={fill_model}",
                         f"INPUT={dem_with_voids}", "MAX_VOID_SIZE=16", f"OUTPUT={filled}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(done.stdout)["results"]
    assert results["OUTPUT"] == filled and results["VOIDS_FILLED"] == len(VOIDS)
    assert (_read(filled) != NODATA).all()
    done = _qgis_process(qgis_process_ready, "--json", "run", "geogan:superresolve", "--", f"MODEL={superres_model}",
                         f"INPUT={coarse_dem}", f"OUTPUT={sharp}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert json.loads(done.stdout)["results"]["OUTPUT"] == sharp
    assert gdal.Open(sharp).RasterXSize == 24 * FACTOR



def test_tasks_add_the_outputs_as_styled_layers_that_say_what_is_synthetic(fill_model, superres_model, dem_with_voids,
                                                                          coarse_dem, tmp_path, qgis_new_project):
    from qgis.core import QgsHillshadeRenderer, QgsProject

    from geogan_qgis.compat import layer_abstract
    from geogan_qgis.layers import FILLED_ABSTRACT, SHARPENED_ABSTRACT

    from test_task import _run, _wait_for

    runs = [_run("geogan:fillvoids", {"MODEL": fill_model, "INPUT": dem_with_voids, "DEVICE": 1,
                                      "OUTPUT": str(tmp_path / "filled.tif"),
                                      "FILLED_MASK": str(tmp_path / "cells.tif")}),
            _run("geogan:superresolve", {"MODEL": superres_model, "INPUT": coarse_dem, "DEVICE": 1,
                                         "OUTPUT": str(tmp_path / "sharp.tif")})]
    _wait_for(lambda: all("ok" in outcome for _, outcome in runs))
    assert all(outcome["ok"] for _, outcome in runs)
    project = QgsProject.instance()
    for name, path, abstract in (("DEM with voids filled", "filled.tif", FILLED_ABSTRACT),
                                 (f"Sharpened DEM ({FACTOR} x finer)", "sharp.tif", SHARPENED_ABSTRACT)):
        layers = project.mapLayersByName(name)
        assert len(layers) == 1 and layers[0].source() == str(tmp_path / path)
        assert isinstance(layers[0].renderer(), QgsHillshadeRenderer) and layer_abstract(layers[0]) == abstract
    cells = project.mapLayersByName("Filled cells (1: filled by GeoGAN)")
    assert len(cells) == 1 and cells[0].source() == str(tmp_path / "cells.tif")
