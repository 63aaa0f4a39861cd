"""Reading elevation bands and writing GeoTIFFs through GDAL, with nodata kept as NaN in memory."""

import os
import uuid
from dataclasses import dataclass

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

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

    def is_geographic(self) -> bool:
        srs = osr.SpatialReference()
        return bool(self.crs_wkt) and srs.ImportFromWkt(self.crs_wkt) == 0 and bool(srs.IsGeographic())


@dataclass
class ElevationRaster:
    """One band of a raster in memory, float32, with every nodata pixel as NaN."""

    name: str
    values: np.ndarray
    grid: Grid


def open_raster(path: str) -> gdal.Dataset:
    if not os.path.exists(path) and not path.startswith("/vsi"):
        raise ValueError(f"The raster {path} does not exist; check the path.")
    try:
        dataset = gdal.Open(path, gdal.GA_ReadOnly)
    except RuntimeError:
        dataset = None
    if dataset is None or dataset.RasterCount == 0:
        raise ValueError(f"{path} is not a raster that GDAL can read; choose a raster layer such as a GeoTIFF DEM.")
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

    def __init__(self, path: str, band: int = 1, match: Grid = None, resampling: str = "bilinear"):
        dataset = open_raster(path)
        if not 1 <= band <= dataset.RasterCount:
            raise ValueError(
                f"{os.path.basename(path)} has {dataset.RasterCount} band(s), so band {band} does not exist; "
                f"choose a band between 1 and {dataset.RasterCount}."
            )
        self.name = os.path.basename(path)
        self.warped = match is not None and not _same_ground(_grid_of(dataset), match)
        self._datasets = [dataset]  # every dataset in the chain stays open while its bands are read
        if self.warped:
            self._datasets += _warped_vrt(dataset, band, match, resampling)
            dataset, band = self._datasets[-1], 1
        self._band = dataset.GetRasterBand(band)
        nodata = self._band.GetNoDataValue()
        self._nodata = None if nodata is None else np.float32(nodata)
        # A per-dataset or alpha mask has to be read and honoured too.
        self._use_mask = not self._band.GetMaskFlags() & (gdal.GMF_ALL_VALID | gdal.GMF_NODATA)
        self.grid = _grid_of(dataset)
        self._values = None
        if self.grid.width * self.grid.height <= IN_MEMORY_PIXELS:
            self._values = self._read_from_gdal(0, 0, self.grid.height, self.grid.width)

    @property
    def shape(self) -> tuple:
        return (self.grid.height, self.grid.width)

    def _read_from_gdal(self, row: int, col: int, rows: int, cols: int) -> np.ndarray:
        values = self._band.ReadAsArray(col, row, cols, rows).astype(np.float32, copy=False)
        if self._nodata is not None:
            values[values == self._nodata] = np.nan
        if self._use_mask:
            values[self._band.GetMaskBand().ReadAsArray(col, row, cols, rows) == 0] = np.nan
        return values

    def read(self, row: int, col: int, rows: int, cols: int) -> np.ndarray:
        """A (rows, cols) float32 window whose top-left pixel is (row, col); callers must not modify it."""
        if self._values is not None:
            return self._values[row:row + rows, col:col + cols]
        return self._read_from_gdal(row, col, rows, cols)

    def release_cache(self) -> None:
        """Drop this raster's blocks from GDAL's block cache. Random tiles from a huge raster seldom hit the
        cache again, and left alone it grows to GDAL_CACHEMAX (5 % of the RAM) for every training run."""
        if self._values is None:
            for dataset in reversed(self._datasets):
                dataset.FlushCache()


def _grid_of(dataset: gdal.Dataset) -> Grid:
    return Grid(dataset.GetProjection(), tuple(dataset.GetGeoTransform()), dataset.RasterXSize, dataset.RasterYSize)


def _same_ground(grid: Grid, other: Grid) -> bool:
    same_crs = True
    if grid.crs_wkt and other.crs_wkt:
        a, b = osr.SpatialReference(), osr.SpatialReference()
        a.ImportFromWkt(grid.crs_wkt)
        b.ImportFromWkt(other.crs_wkt)
        same_crs = bool(a.IsSame(b))
    return same_crs and np.allclose(grid.pixel_size, other.pixel_size, rtol=1e-6)


def _warped_vrt(dataset: gdal.Dataset, band: int, match: Grid, resampling: str) -> list:
    """[one-band VRT, warped VRT]: an in-memory warped VRT of one band in `match`'s CRS and pixel size (nodata as NaN)."""
    source_nodata = dataset.GetRasterBand(band).GetNoDataValue()
    try:
        one_band = gdal.Translate("", dataset, format="VRT", bandList=[band])
        warped = gdal.Warp("", one_band, format="VRT", dstSRS=match.crs_wkt or None,
                           xRes=match.pixel_size[0], yRes=match.pixel_size[1], resampleAlg=resampling,
                           outputType=gdal.GDT_Float32, srcNodata=source_nodata, dstNodata=float("nan"))
    except RuntimeError as error:
        raise ValueError(f"Cannot warp {dataset.GetDescription()} to the first layer's CRS: {error}. "
                         f"Reproject it first (Raster > Projections > Warp).") from error
    return [one_band, warped]


def read_band(path: str, band: int = 1) -> ElevationRaster:
    """Read a whole band as float32 with its nodata value, NaNs and mask all turned into NaN."""
    source = RasterSource(path, band)
    values = np.array(source.read(0, 0, *source.shape), dtype=np.float32)
    return ElevationRaster(source.name, values, source.grid)


def check_output_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if not 1 <= value <= MAX_OUTPUT_SIDE:
            raise ValueError(
                f"The output {name} must be between 1 and {MAX_OUTPUT_SIDE} pixels (got {value})."
            )


class GeoTiffWriter:
    """Writes a float32 GeoTIFF window by window into a temporary file that becomes the output only on commit().

    Used as a context manager: leaving the block without commit() (an error, a cancel) deletes the
    temporary file, so a failed run never leaves a half-written raster behind.
    """

    def __init__(self, path: str, width: int, height: int, grid: Grid, metadata: dict, description: str = ""):
        check_output_size(width, height)
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ValueError(f"The folder {folder} does not exist; choose an output in an existing folder.")
        self.path = path
        self._temporary = os.path.join(folder, f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}.part.tif")
        options = ["TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=3", "BIGTIFF=IF_SAFER"]
        driver = gdal.GetDriverByName("GTiff")
        try:
            self._dataset = driver.Create(self._temporary, width, height, 1, gdal.GDT_Float32, options)
        except RuntimeError as error:
            raise ValueError(f"Cannot create {path}: {error}. Check that the folder is writable.") from error
        self._dataset.SetGeoTransform(grid.geotransform)
        if grid.crs_wkt:
            self._dataset.SetProjection(grid.crs_wkt)
        self._dataset.SetMetadata({key: str(value) for key, value in metadata.items()})
        band = self._dataset.GetRasterBand(1)
        band.SetNoDataValue(OUTPUT_NODATA)
        if description:
            band.SetDescription(description)
        self._band = band

    def write(self, values: np.ndarray, row: int, col: int) -> None:
        values = np.where(np.isfinite(values), values, OUTPUT_NODATA).astype(np.float32)
        self._band.WriteArray(values, xoff=col, yoff=row)

    def commit(self) -> None:
        self._band.ComputeStatistics(False)
        self._band = None
        self._dataset.FlushCache()
        self._dataset = None
        # Statistics land in a .aux.xml beside the temporary file; keep them with the output.
        aux = self._temporary + ".aux.xml"
        os.replace(self._temporary, self.path)
        if os.path.exists(aux):
            os.replace(aux, self.path + ".aux.xml")

    def discard(self) -> None:
        self._band = None
        self._dataset = None
        for leftover in (self._temporary, self._temporary + ".aux.xml"):
            if os.path.exists(leftover):
                os.remove(leftover)

    def __enter__(self) -> "GeoTiffWriter":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None or self._dataset is not None:
            self.discard()
