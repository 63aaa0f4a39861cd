"""Heightmaps for game engines and 3D tools: python -m core.heightmap --help.

An elevation band is scaled linearly from its lowest to its highest elevation onto 0..65535 and written as a
16-bit greyscale PNG (.png) or as RAW 16-bit little-endian integers (.raw or .r16, what Unity and Unreal import),
rows from the northern edge down, optionally resampled to a square size that the engines accept. Beside it goes
<name>.json: the elevation scaling (elevation = min_elevation + value * metres_per_unit), pixel and terrain size in
metres, the source's CRS and extent, and the numbers to type into Unity's and Unreal's import dialogs.

Sizes: Unity's terrain takes square heightmaps of 2^n + 1 pixels (33 to 4097); Unreal's recommended landscape sizes
are 127, 253, 505, 1009, 2017, 4033 and 8129 (whole components, no wasted vertices); most other tools take any size.
"""

import argparse
import json
import os
import sys

import numpy as np
from osgeo import gdal, osr

from . import __version__
from .errors import InputError
from .gdal_errors import gdal_message, gdal_raises
from .output_files import check_output_folder, remove_quietly, write_atomically
from .raster_io import grid_of, open_raster, read_band
from .terrain import pixel_size_metres, row_latitude

# 0 is "as is": the raster's own size. Unity's (2^n + 1), then Unreal's recommended landscape sizes.
UNITY_SIZES = (257, 513, 1025, 2049, 4097)
UNREAL_SIZES = (505, 1009, 2017, 4033, 8129)
SIZES = (0,) + UNITY_SIZES + UNREAL_SIZES
MAX_SIDE = 16385  # "as is" beyond this is more than any engine imports; choose a size instead
LEVELS = 65535
FORMATS = {"png": "16-bit greyscale PNG", "raw": "RAW 16-bit little-endian", "r16": "RAW 16-bit little-endian"}
# Unreal: with a Z scale of 100 a landscape spans 512 m over the 65536 levels (value 32768 at the actor's height).
UNREAL_METRES_AT_Z_SCALE_100 = 65536 / 128.0


def heightmap_format(path: str) -> str:
    """"png" or "raw" from the output's extension; anything else is refused."""
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in FORMATS:
        raise InputError(f"A heightmap is a 16-bit PNG (.png) or RAW file (.raw or .r16); choose an output ending in "
                         f"one of those (got {os.path.basename(path)}).")
    return "png" if extension == "png" else "raw"


def scaling_path(path: str) -> str:
    """Where the scaling goes: name.json beside name.png or name.raw."""
    return os.path.splitext(path)[0] + ".json"


@gdal_raises
def _resampled(path: str, band: int, size: int) -> tuple:
    """(float32 values with NaN for nodata, resampling used) of the band, resampled to size x size (0: as it is)."""
    if size == 0:
        return read_band(path, band).values, "none"
    dataset = open_raster(path)
    shrinking = size <= min(dataset.RasterXSize, dataset.RasterYSize)
    resampling = "average" if shrinking else "bilinear"
    try:
        one_band = gdal.Translate("", dataset, format="VRT", bandList=[band])
        resized = gdal.Warp("", one_band, format="MEM", width=size, height=size, resampleAlg=resampling,
                            outputType=gdal.GDT_Float32, dstNodata=float("nan"))
        values = resized.GetRasterBand(1).ReadAsArray().astype(np.float32)
    except RuntimeError as error:
        raise InputError(f"GDAL could not resample {os.path.basename(path)} to {size} x {size} pixels "
                         f"({gdal_message(error)}).") from error
    return values, resampling


@gdal_raises
def _crs_description(crs_wkt: str) -> tuple:
    """(authority code such as "EPSG:32616" or "", geographic?, metres per horizontal unit)."""
    if not crs_wkt:
        return "", False, 1.0
    srs = osr.SpatialReference()
    try:
        srs.ImportFromWkt(crs_wkt)
        srs.AutoIdentifyEPSG()
    except RuntimeError:
        return "", False, 1.0
    name, code = srs.GetAuthorityName(None), srs.GetAuthorityCode(None)
    authority = f"{name}:{code}" if name and code else ""
    if srs.IsGeographic():
        return authority, True, 1.0
    return authority, False, float(srs.GetLinearUnits() or 1.0)


def _ground_size(grid, geographic: bool, metres_per_unit: float) -> tuple:
    """(width, height) of the raster's extent in metres (in a geographic CRS, at its centre latitude)."""
    width = abs(grid.geotransform[1]) * grid.width
    height = abs(grid.geotransform[5]) * grid.height
    if geographic:
        return pixel_size_metres((width, height), True, row_latitude(grid))
    return width * metres_per_unit, height * metres_per_unit


def scale_to_levels(values: np.ndarray) -> tuple:
    """(uint16 levels, lowest, highest): values scaled linearly onto 0..65535; NaN (nodata) becomes 0."""
    valid = np.isfinite(values)
    if not valid.any():
        raise InputError("The raster holds only nodata (or NaN) in this band; choose a band with elevations.")
    low, high = float(values[valid].min()), float(values[valid].max())
    span = high - low
    levels = np.zeros(values.shape, dtype=np.uint16)
    if span > 0:
        levels[valid] = np.clip(np.rint((values[valid] - low) / span * LEVELS), 0, LEVELS).astype(np.uint16)
    return levels, low, high


@gdal_raises
def _png_bytes(levels: np.ndarray) -> bytes:
    """A 16-bit greyscale PNG of levels, made in memory (no georeferencing: the JSON beside it holds that)."""
    height, width = levels.shape
    memory = gdal.GetDriverByName("MEM").Create("", width, height, 1, gdal.GDT_UInt16)
    memory.GetRasterBand(1).WriteArray(levels)
    name = f"/vsimem/geogan_heightmap_{os.getpid()}_{id(levels)}.png"
    try:
        png = gdal.GetDriverByName("PNG").CreateCopy(name, memory, options=["ZLEVEL=6"])
        png = None  # noqa: F841 (closing it writes the file)
        handle = gdal.VSIFOpenL(name, "rb")
        try:
            gdal.VSIFSeekL(handle, 0, 2)
            size = gdal.VSIFTellL(handle)
            gdal.VSIFSeekL(handle, 0, 0)
            return bytes(gdal.VSIFReadL(1, size, handle))
        finally:
            gdal.VSIFCloseL(handle)
    finally:
        for leftover in (name, name + ".aux.xml"):
            if gdal.VSIStatL(leftover) is not None:
                gdal.Unlink(leftover)


def scaling_document(path: str, source_path: str, band: int, levels: np.ndarray, low: float, high: float,
                     grid, resampling: str, nodata_pixels: int, synthetic: bool) -> dict:
    """What the JSON beside a heightmap says: how to turn its levels back into elevations, and how big it is."""
    height, width = levels.shape
    span = high - low
    authority, geographic, metres_per_unit = _crs_description(grid.crs_wkt)
    ground_x, ground_y = _ground_size(grid, geographic, metres_per_unit)
    pixel_x, pixel_y = ground_x / width, ground_y / height
    xmin, ymax = grid.geotransform[0], grid.geotransform[3]
    xmax, ymin = xmin + grid.geotransform[1] * grid.width, ymax + grid.geotransform[5] * grid.height
    file_format = heightmap_format(path)
    return {
        "heightmap": os.path.basename(path),
        "format": "png-16-bit-greyscale" if file_format == "png" else "raw-16-bit-little-endian",
        "width": width,
        "height": height,
        "rows": "the first row is the raster's top (northern) edge",
        "min_elevation": low,
        "max_elevation": high,
        "elevation_range": span,
        "elevation_units": "those of the raster (GeoGAN assumes metres)",
        "metres_per_unit": span / LEVELS,
        "elevation_formula": "elevation = min_elevation + value * metres_per_unit",
        "nodata_pixels": nodata_pixels,
        "nodata_written_as": 0,
        "pixel_size_m": {"x": pixel_x, "y": pixel_y},
        "terrain_size_m": {"x": ground_x, "y": ground_y},
        "horizontal_metres": "approximate: measured at the centre latitude" if geographic else "from the CRS's unit",
        "resampling": resampling,
        "source": {
            "path": os.path.basename(source_path),
            "band": band,
            "width": grid.width,
            "height": grid.height,
            "crs": authority,
            "crs_wkt": grid.crs_wkt,
            "extent": {"xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax},
            "geotransform": list(grid.geotransform),
            "synthetic": synthetic,
        },
        "unity": {
            "heightmap_resolution": width if width == height else None,
            "accepted": width == height and width in (33, 65, 129) + UNITY_SIZES,
            "terrain_size": {"x": ground_x, "y": span, "z": ground_y},
            "position_y": low,
            "raw_byte_order": "Windows (little-endian)",
            "depth": "Bit 16",
        },
        "unreal": {
            "accepted": width == height and width in (127, 253) + UNREAL_SIZES,
            "scale": {"x": pixel_x * 100.0, "y": pixel_y * 100.0, "z": span * 100.0 / UNREAL_METRES_AT_Z_SCALE_100},
            "location_z_cm": 100.0 * (low + span * 32768.0 / LEVELS),
        },
        "software": f"GeoGAN {__version__}",
    }


def export_heightmap(input_path: str, output_path: str, band: int = 1, size: int = 0) -> dict:
    """Write a 16-bit heightmap (.png, .raw or .r16) of one band, and name.json beside it; returns the JSON's content.

    size: 0 keeps the raster's size; otherwise the heightmap is size x size pixels (resampled: averaged when
    shrinking, bilinear when growing), and its pixels are as wide and as tall as the extent asks."""
    file_format = heightmap_format(output_path)
    if size < 0 or size > MAX_SIDE:
        raise InputError(f"The heightmap size must be between 1 and {MAX_SIDE} pixels (got {size}).")
    check_output_folder(output_path)
    dataset = open_raster(input_path)
    if size == 0 and max(dataset.RasterXSize, dataset.RasterYSize) > MAX_SIDE:
        raise InputError(f"{os.path.basename(input_path)} is {dataset.RasterXSize} x {dataset.RasterYSize} pixels, "
                         f"more than the {MAX_SIDE} on a side that any engine imports; choose a heightmap size.")
    synthetic = (dataset.GetMetadataItem("GEOGAN_SYNTHETIC") or "").upper() == "YES"
    if not 1 <= band <= dataset.RasterCount:
        raise InputError(f"{os.path.basename(input_path)} has {dataset.RasterCount} band(s), so band {band} does not "
                         f"exist; choose a band between 1 and {dataset.RasterCount}.")
    grid = grid_of(dataset)
    dataset = None
    values, resampling = _resampled(input_path, band, size)
    levels, low, high = scale_to_levels(values)
    document = scaling_document(output_path, input_path, band, levels, low, high, grid, resampling,
                                int((~np.isfinite(values)).sum()), synthetic)
    data = _png_bytes(levels) if file_format == "png" else levels.astype("<u2").tobytes()
    write_atomically(output_path, data)
    try:
        write_atomically(scaling_path(output_path), json.dumps(document, indent=2) + "\n")
    except InputError:
        remove_quietly(output_path)  # a heightmap without its scaling cannot be imported at the right height
        raise
    return document


def read_heightmap(path: str) -> np.ndarray:
    """The elevations of a heightmap written by export_heightmap, from its levels and the JSON beside it."""
    with open(scaling_path(path), encoding="utf-8") as handle:
        document = json.load(handle)
    if heightmap_format(path) == "png":
        levels = gdal.Open(path).GetRasterBand(1).ReadAsArray()
    else:
        levels = np.fromfile(path, dtype="<u2").reshape(document["height"], document["width"])
    return document["min_elevation"] + levels.astype(np.float64) * document["metres_per_unit"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m core.heightmap",
        description="Export an elevation raster as a 16-bit heightmap (PNG or RAW) for game engines and 3D tools, "
                    "with its scaling in name.json beside it.")
    parser.add_argument("input", help="elevation raster (any format GDAL reads)")
    parser.add_argument("--output", "-o", required=True,
                        help="heightmap to write: .png (16-bit greyscale) or .raw/.r16 (16-bit little-endian)")
    parser.add_argument("--band", type=int, default=1, help="band number (default: %(default)s)")
    parser.add_argument("--size", type=int, default=0,
                        help="side of the square heightmap in pixels, e.g. 257, 513, 1025, 2049, 4097 (Unity) or "
                             "505, 1009, 2017, 4033, 8129 (Unreal); 0 keeps the raster's size (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        document = export_heightmap(args.input, args.output, args.band, args.size)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Wrote a {document['width']} x {document['height']} heightmap to {args.output} "
          f"({document['min_elevation']:.2f} to {document['max_elevation']:.2f}; scaling in "
          f"{scaling_path(args.output)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
