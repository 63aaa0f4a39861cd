"""Reading elevation bands and writing GeoTIFFs through GDAL, with nodata kept as NaN in memory."""

import contextlib
import os
import traceback
from dataclasses import dataclass

import numpy as np
from osgeo import gdal, osr

from .errors import InputError
from .gdal_errors import gdal_message, gdal_raises, quiet_gdal_errors
from .output_files import check_output_folder, move_into_place, remove_quietly, temporary_beside, write_failure

OUTPUT_NODATA = -9999.0
# GeoTIFF itself has no practical limit with BigTIFF; this bound keeps a typo from filling a disk.
MAX_OUTPUT_SIDE = 65536


@dataclass
class Grid:
    """Where a raster sits: CRS, geotransform and size."""

    crs_wkt: str
    geotransform: tuple
    width: int
    height: int

    @property
    def pixel_size(self) -> tuple:
        return (abs(self.geotransform[1]), abs(self.geotransform[5]))

    @property
    def origin(self) -> tuple:
        return (self.geotransform[0], self.geotransform[3])

    @gdal_raises
    def is_geographic(self) -> bool:
        srs = osr.SpatialReference()
        try:
            return bool(self.crs_wkt) and srs.ImportFromWkt(self.crs_wkt) == 0 and bool(srs.IsGeographic())
        except RuntimeError:  # a CRS GDAL cannot read is taken as projected, as before
            return False


def grid_record(grid: Grid) -> dict:
    """A checkpoint's "grid" entry: where the first training raster lies, as plain data. Its pixel_size is for
    readers of the file; recorded_grid takes it from the geotransform."""
    return {"crs_wkt": grid.crs_wkt, "geotransform": list(grid.geotransform), "pixel_size": list(grid.pixel_size)}


def recorded_grid(record: dict) -> Grid:
    """The model's grid from a checkpoint's "grid" entry (any model file GeoGAN wrote): the CRS, origin and pixel
    size of its training data. It has no extent of its own, so its width and height are 0."""
    return Grid(record.get("crs_wkt", ""), tuple(record["geotransform"]), 0, 0)


@dataclass
class ElevationRaster:
    """One band of a raster in memory, float32, with every nodata pixel as NaN."""

    name: str
    values: np.ndarray
    grid: Grid


@gdal_raises
def open_raster(path: str) -> gdal.Dataset:
    if not os.path.exists(path) and not path.startswith("/vsi"):
        raise InputError(f"The raster {path} does not exist (any more); check the path.")
    try:
        dataset = gdal.Open(path, gdal.GA_ReadOnly)
    except RuntimeError:
        dataset = None
    if dataset is None or dataset.RasterCount == 0:
        raise InputError(f"{path} is not a raster that GDAL can read; choose a raster such as a GeoTIFF DEM.")
    return dataset


# Rasters up to this many pixels (64 MB as float32) are read once and kept in memory; larger ones
# are read window by window, so a national mosaic never has to fit in memory.
IN_MEMORY_PIXELS = 4096 * 4096


class RasterSource:
    """One band of a raster, read window by window as float32 with nodata, NaN and mask pixels as NaN.

    Given a `match` grid with another CRS or pixel size, the raster is warped on the fly (a GDAL
    warped VRT) to that CRS and pixel size, so tiles from several rasters share one ground scale;
    `resampling` is GDAL's ("average" to downsample, as the coarse stage of training does).
    """

    @gdal_raises
    def __init__(self, path: str, band: int = 1, match: Grid = None, resampling: str = "bilinear"):
        dataset = open_raster(path)
        if not 1 <= band <= dataset.RasterCount:
            raise InputError(
                f"{os.path.basename(path)} has {dataset.RasterCount} band(s), so band {band} does not exist; "
                f"choose a band between 1 and {dataset.RasterCount}."
            )
        self.name = os.path.basename(path)
        self.warped = match is not None and not _same_ground(grid_of(dataset), match)
        self._datasets = [dataset]  # every dataset in the chain stays open while its bands are read
        if self.warped:
            self._datasets += _warped_vrt(dataset, band, match, resampling)
            dataset, band = self._datasets[-1], 1
        self._band = dataset.GetRasterBand(band)
        nodata = self._band.GetNoDataValue()
        self._nodata = None if nodata is None else np.float32(nodata)
        # A per-dataset or alpha mask has to be read and honoured too.
        self._use_mask = not self._band.GetMaskFlags() & (gdal.GMF_ALL_VALID | gdal.GMF_NODATA)
        self.grid = grid_of(dataset)
        self._values = None
        if self.grid.width * self.grid.height <= IN_MEMORY_PIXELS:
            self._values = self._read_from_gdal(0, 0, self.grid.height, self.grid.width)

    @property
    def shape(self) -> tuple:
        return (self.grid.height, self.grid.width)

    @gdal_raises  # also on the tile loader's thread, where GDAL 3.7+ keeps a mode of its own
    def _read_from_gdal(self, row: int, col: int, rows: int, cols: int) -> np.ndarray:
        try:
            values = self._band.ReadAsArray(col, row, cols, rows).astype(np.float32, copy=False)
            mask = self._band.GetMaskBand().ReadAsArray(col, row, cols, rows) if self._use_mask else None
        except RuntimeError as error:
            raise InputError(f"Reading {self.name} failed ({gdal_message(error)}); the file may have been changed, "
                             f"moved or deleted while GeoGAN was reading it. Check the file and run again.") from error
        if self._nodata is not None:
            values[values == self._nodata] = np.nan
        if mask is not None:
            values[mask == 0] = np.nan
        return values

    def read(self, row: int, col: int, rows: int, cols: int) -> np.ndarray:
        """A (rows, cols) float32 window whose top-left pixel is (row, col); callers must not modify it."""
        if self._values is not None:
            return self._values[row:row + rows, col:col + cols]
        return self._read_from_gdal(row, col, rows, cols)

    @gdal_raises
    def release_cache(self) -> None:
        """Drop this raster's blocks from GDAL's block cache. Random tiles from a huge raster seldom hit the
        cache again, and left alone it grows to GDAL_CACHEMAX (5 % of the RAM) for every training run."""
        if self._values is None:
            for dataset in reversed(self._datasets):
                dataset.FlushCache()


def grid_of(dataset: gdal.Dataset) -> Grid:
    """Where an open GDAL dataset lies."""
    return Grid(dataset.GetProjection(), tuple(dataset.GetGeoTransform()), dataset.RasterXSize, dataset.RasterYSize)


@gdal_raises
def same_crs(crs: str, other: str) -> bool:
    """Whether two CRS definitions (WKT, or whatever else GDAL reads, such as "EPSG:4326") are the same CRS.
    An empty one (a raster without a CRS) matches any; two that GDAL cannot read match only as the same text."""
    if not crs or not other:
        return True
    a, b = osr.SpatialReference(), osr.SpatialReference()
    try:
        a.SetFromUserInput(crs)
        b.SetFromUserInput(other)
    except RuntimeError:
        return crs == other
    return bool(a.IsSame(b))


def _same_ground(grid: Grid, other: Grid) -> bool:
    return same_crs(grid.crs_wkt, other.crs_wkt) and np.allclose(grid.pixel_size, other.pixel_size, rtol=1e-6)


@gdal_raises
def _warped_vrt(dataset: gdal.Dataset, band: int, match: Grid, resampling: str) -> list:
    """[one-band VRT, warped VRT]: an in-memory warped VRT of one band in `match`'s CRS and pixel size
    (nodata as NaN)."""
    source_nodata = dataset.GetRasterBand(band).GetNoDataValue()
    try:
        one_band = gdal.Translate("", dataset, format="VRT", bandList=[band])
        warped = gdal.Warp("", one_band, format="VRT", dstSRS=match.crs_wkt or None,
                           xRes=match.pixel_size[0], yRes=match.pixel_size[1], resampleAlg=resampling,
                           outputType=gdal.GDT_Float32, srcNodata=source_nodata, dstNodata=float("nan"))
    except RuntimeError as error:
        raise InputError(f"Cannot warp {dataset.GetDescription()} to the first raster's CRS: "
                         f"{gdal_message(error)}. "
                         f"Reproject it to that CRS first (for example with gdalwarp).") from error
    return [one_band, warped]


def read_band(path: str, band: int = 1) -> ElevationRaster:
    """Read a whole band as float32 with its nodata value, NaNs and mask all turned into NaN."""
    source = RasterSource(path, band)
    values = np.array(source.read(0, 0, *source.shape), dtype=np.float32)
    return ElevationRaster(source.name, values, source.grid)


def check_output_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if not 1 <= value <= MAX_OUTPUT_SIDE:
            raise InputError(
                f"The output {name} must be between 1 and {MAX_OUTPUT_SIDE} pixels (got {value})."
            )


class GeoTiffWriter:
    """Writes a float32 GeoTIFF window by window into a temporary file that becomes the output only on commit().

    Used as a context manager: leaving the block without commit() (an error, a cancel) deletes the
    temporary file, so a failed run never leaves a half-written raster behind. A failed write (a full
    disk, a folder that cannot be written) is an InputError that says so.
    """

    @gdal_raises
    def __init__(self, path: str, width: int, height: int, grid: Grid, metadata: dict, description: str = ""):
        check_output_size(width, height)
        check_output_folder(path)
        self.path = path
        self._temporary = temporary_beside(path, ".part.tif")
        self._dataset = self._band = None
        options = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=3",
                   "BIGTIFF=IF_SAFER"]
        with self._writing():
            self._dataset = gdal.GetDriverByName("GTiff").Create(
                self._temporary, width, height, 1, gdal.GDT_Float32, options)
            self._dataset.SetGeoTransform(grid.geotransform)
            if grid.crs_wkt:
                self._dataset.SetProjection(grid.crs_wkt)
            self._dataset.SetMetadata({key: str(value) for key, value in metadata.items()})
            band = self._dataset.GetRasterBand(1)
            band.SetNoDataValue(OUTPUT_NODATA)
            if description:
                band.SetDescription(description)
            self._band = band

    @contextlib.contextmanager
    def _writing(self):
        """GDAL's write errors (RuntimeError) become an InputError about the output, and the writer is discarded."""
        try:
            yield
        except RuntimeError as error:
            failure = write_failure(self.path, error)  # before discarding: it measures the free space
            traceback.clear_frames(error.__traceback__)  # they hold the dataset, and so the file, open
            self.discard()
            raise failure from error

    @gdal_raises
    def write(self, values: np.ndarray, row: int, col: int) -> None:
        values = np.where(np.isfinite(values), values, OUTPUT_NODATA).astype(np.float32)
        with self._writing():
            self._band.WriteArray(values, xoff=col, yoff=row)

    @gdal_raises
    def commit(self) -> None:
        with self._writing():
            self._band.ComputeStatistics(False)
            self._band = None
            self._dataset.FlushCache()  # every block on disk now, so a full disk fails here and not silently
            if hasattr(self._dataset, "Close"):  # GDAL 3.8+: errors while closing raise too
                self._dataset.Close()
            self._dataset = None
        # Statistics land in a .aux.xml beside the temporary file; keep them with the output.
        aux = self._temporary + ".aux.xml"
        move_into_place(self._temporary, self.path)
        if os.path.exists(aux):
            move_into_place(aux, self.path + ".aux.xml")

    def discard(self) -> None:
        with quiet_gdal_errors():  # the failure, if any, is already being reported
            self._band = None
            self._dataset = None
        for leftover in (self._temporary, self._temporary + ".aux.xml"):
            remove_quietly(leftover)

    def __enter__(self) -> "GeoTiffWriter":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None or self._dataset is not None:
            self.discard()

