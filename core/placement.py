"""Where a generated DEM goes: an area of the model's grid, chosen by size, by extent or by a reference raster.

The model's grid is the training data's CRS and pixel size, with its origin at the first training
raster's top-left corner. Generation noise is a function of the position in that grid, so an area
placed on it has the same terrain as any larger raster that covers it.
"""

import math
import os
from dataclasses import dataclass

from osgeo import osr

from .errors import InputError
from .gdal_errors import gdal_raises
from .raster_io import MAX_OUTPUT_SIDE, Grid, grid_of, open_raster, same_crs

# Coordinates a millionth of a pixel off a grid line count as on it: float noise never adds a row.
SNAP_TOLERANCE = 1e-6
# Model pixels generated around a reference raster's area, so bilinear warping never reads past the edge.
REFERENCE_MARGIN = 2


@dataclass
class Placement:
    """An area of the model's grid: its top-left pixel (row, col) counted from the grid's origin, and its grid."""

    row: int
    col: int
    grid: Grid

    @property
    def width(self) -> int:
        return self.grid.width

    @property
    def height(self) -> int:
        return self.grid.height


def check_placement_choice(width: int, height: int, extent_given: bool, reference_given: bool) -> None:
    """Refuse ways of placing the output that contradict each other."""
    if extent_given and reference_given:
        raise InputError("Give either an extent or a reference raster to place the output, not both.")
    if (extent_given or reference_given) and (width or height):
        what = "extent" if extent_given else "reference raster"
        raise InputError(f"The {what} sets the output's size, so leave width and height empty when giving one.")


def model_placement(model_grid: Grid, width: int, height: int, row: int = 0, col: int = 0) -> Placement:
    """width x height pixels of the model's grid, starting row/col pixels from its origin."""
    x0, pixel_w, _, y0, _, pixel_h = model_grid.geotransform
    geotransform = (x0 + col * pixel_w, pixel_w, 0.0, y0 + row * pixel_h, 0.0, pixel_h)
    return Placement(row, col, Grid(model_grid.crs_wkt, geotransform, width, height))


@gdal_raises
def _srs(definition: str) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    try:
        srs.SetFromUserInput(definition)
    except RuntimeError as error:
        raise InputError(f"{definition[:60]!r} is not a coordinate reference system GDAL knows ({error}); "
                         f"give one such as EPSG:4326.") from error
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


@gdal_raises
def transform_bounds(bounds, source_crs: str, target_crs: str) -> tuple:
    """(xmin, ymin, xmax, ymax) in source_crs to the smallest box in target_crs that holds the whole area.

    An empty CRS on either side means the coordinates are already in the other one.
    """
    bounds = tuple(float(v) for v in bounds)
    if same_crs(source_crs, target_crs):
        return bounds
    source, target = _srs(source_crs), _srs(target_crs)
    try:
        # Densified edges: a straight edge in one CRS is a curve in the other.
        result = tuple(osr.CoordinateTransformation(source, target).TransformBounds(*bounds, 21))
    except RuntimeError as error:
        raise InputError(f"The area {bounds} cannot be transformed to the model's CRS ({error}); "
                         f"choose an area inside the training data's CRS's domain.") from error
    if not all(math.isfinite(v) for v in result):
        raise InputError(f"The area {bounds} lies outside the domain of the model's CRS; choose an area nearer "
                         f"to the training data.")
    return result


def snap_to_model_grid(model_grid: Grid, bounds, what: str = "The extent") -> Placement:
    """The smallest area of the model's grid that holds bounds (xmin, ymin, xmax, ymax in the model's CRS)."""
    xmin, ymin, xmax, ymax = bounds
    if not all(math.isfinite(v) for v in bounds) or xmax <= xmin or ymax <= ymin:
        raise InputError(f"{what} has no area ({xmin:g}, {ymin:g}, {xmax:g}, {ymax:g}); "
                         f"give an extent whose maximum x and y are larger than its minimum x and y.")
    x0, pixel_w, _, y0, _, pixel_h = model_grid.geotransform
    col_a, col_b = sorted(((xmin - x0) / pixel_w, (xmax - x0) / pixel_w))
    row_a, row_b = sorted(((ymax - y0) / pixel_h, (ymin - y0) / pixel_h))
    col, row = math.floor(col_a + SNAP_TOLERANCE), math.floor(row_a + SNAP_TOLERANCE)
    width = max(1, math.ceil(col_b - SNAP_TOLERANCE) - col)
    height = max(1, math.ceil(row_b - SNAP_TOLERANCE) - row)
    if max(width, height) > MAX_OUTPUT_SIDE:
        raise InputError(f"{what} would need {width} x {height} pixels at the model's pixel size "
                         f"({abs(pixel_w):g} x {abs(pixel_h):g} CRS units), more than the {MAX_OUTPUT_SIDE} pixels "
                         f"allowed per side; choose a smaller area.")
    return model_placement(model_grid, width, height, row, col)


def grid_bounds(grid: Grid) -> tuple:
    """(xmin, ymin, xmax, ymax) of a north-up grid."""
    x0, pixel_w, _, y0, _, pixel_h = grid.geotransform
    xs, ys = (x0, x0 + grid.width * pixel_w), (y0, y0 + grid.height * pixel_h)
    return (min(xs), min(ys), max(xs), max(ys))


@gdal_raises
def reference_grid(path: str) -> Grid:
    """The grid of a raster whose grid the output must match."""
    dataset = open_raster(path)
    name = os.path.basename(path)
    geotransform = dataset.GetGeoTransform(can_return_null=True)
    if geotransform is None or geotransform[2] or geotransform[4]:
        raise InputError(f"The reference raster {name} has no north-up georeferencing; "
                         f"choose a georeferenced, unrotated raster.")
    if not dataset.GetProjection():
        raise InputError(f"The reference raster {name} has no CRS; assign one "
                         f"(for example with gdal_edit.py -a_srs) and try again.")
    return grid_of(dataset)


def _whole(value: float) -> int:
    """value as an integer if it is one (within the snapping tolerance), else None."""
    nearest = round(value)
    return nearest if abs(value - nearest) < SNAP_TOLERANCE else None


def aligned_placement(model_grid: Grid, grid: Grid) -> Placement:
    """grid's place in the model's grid when it is an area of it (same CRS, pixel size and alignment), else None."""
    x0, pixel_w, _, y0, _, pixel_h = model_grid.geotransform
    gx, gw, _, gy, _, gh = grid.geotransform
    if not model_grid.crs_wkt or not same_crs(model_grid.crs_wkt, grid.crs_wkt):
        return None
    if abs(gw - pixel_w) > SNAP_TOLERANCE * abs(pixel_w) or abs(gh - pixel_h) > SNAP_TOLERANCE * abs(pixel_h):
        return None
    col, row = _whole((gx - x0) / pixel_w), _whole((gy - y0) / pixel_h)
    if col is None or row is None:
        return None
    return Placement(row, col, grid)


def reference_placement(model_grid: Grid, grid: Grid) -> Placement:
    """The area of the model's grid that covers grid's area with a margin: generated there, then warped to grid."""
    xmin, ymin, xmax, ymax = transform_bounds(grid_bounds(grid), grid.crs_wkt, model_grid.crs_wkt)
    margin_x = REFERENCE_MARGIN * model_grid.pixel_size[0]
    margin_y = REFERENCE_MARGIN * model_grid.pixel_size[1]
    return snap_to_model_grid(model_grid, (xmin - margin_x, ymin - margin_y, xmax + margin_x, ymax + margin_y),
                              what="The reference raster's area")
