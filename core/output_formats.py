"""Raster outputs in the format their file name asks for: GeoTIFF as written, cloud-optimised GeoTIFF or another
GDAL format.

GeoGAN writes every raster as a float32 GeoTIFF, window by window. For a GeoTIFF that is the output itself. For a
cloud-optimised GeoTIFF (GDAL's COG driver) or another GDAL format chosen by the output's extension (.img, .asc,
.nc, ...), the GeoTIFF is written to a scratch folder beside the output and copied into that format with
gdal.Translate, which keeps the georeferencing and the metadata (the GEOGAN_SYNTHETIC tag among them) wherever the
format can hold them, or in a .aux.xml beside it where it cannot. Either way the output appears only when complete:
the copy goes to temporary files that are moved into place last, main file after its side files.
"""

import contextlib
import os
import tempfile

from osgeo import gdal

from .errors import InputError
from .gdal_errors import gdal_message, gdal_raises
from .output_files import check_output_folder, move_into_place, output_folder, remove_quietly, write_failure

GEOTIFF_EXTENSIONS = ("tif", "tiff")
# Drivers that have an extension and can write float32 but are no place for a DEM: they would refer to the scratch
# file (VRT), render it as a picture or tile pyramid, or need a server.
UNSUITABLE_DRIVERS = {"VRT", "KMLSUPEROVERLAY", "PDF", "MBTiles", "Rasterlite", "WMS", "WMTS", "PostGISRaster",
                      "NGW", "MEM", "PDS4", "R", "FITS",
                      "NTv2", "MRF"}  # a datum shift grid of four bands; MRF fails to create its index beside the data
UNSUITABLE_EXTENSIONS = {"sg-grd-z"}  # SAGA's zipped grid: GDAL writes it only through /vsizip/
# Creation options of the cloud-optimised GeoTIFF (GDAL's COG driver, GDAL 3.1+): overviews averaged, as a DEM's are.
COG_OPTIONS = ["COMPRESS=DEFLATE", "PREDICTOR=YES", "BIGTIFF=IF_SAFER", "RESAMPLING=AVERAGE", "OVERVIEWS=AUTO"]


def extension_of(path: str) -> str:
    """The file name's extension, lower case and without the dot ("" when there is none)."""
    return os.path.splitext(path)[1].lower().lstrip(".")


def _raster_drivers():
    for index in range(gdal.GetDriverCount()):
        driver = gdal.GetDriver(index)
        metadata = driver.GetMetadata() or {}
        if metadata.get("DCAP_RASTER") != "YES" or driver.ShortName in UNSUITABLE_DRIVERS:
            continue
        if "YES" not in (metadata.get("DCAP_CREATE"), metadata.get("DCAP_CREATECOPY")):
            continue
        extensions = (metadata.get("DMD_EXTENSIONS") or "").lower().split()
        if extensions:
            yield driver, extensions, "Float32" in (metadata.get("DMD_CREATIONDATATYPES") or "").split()


def float_formats() -> dict:
    """{extension: GDAL driver short name} of every format GeoGAN can write its float32 rasters to.

    Where several drivers share an extension, the first GDAL registers wins (GTiff for .tif, as GDAL itself picks)."""
    formats = {}
    for driver, extensions, holds_float in _raster_drivers():
        if holds_float:
            for extension in extensions:
                if extension not in UNSUITABLE_EXTENSIONS:
                    formats.setdefault(extension, driver.ShortName)
    return formats


def supported_extensions() -> list:
    """The extensions a GeoGAN raster output may end in: tif and tiff first, then the others in alphabetical order."""
    others = sorted(set(float_formats()) - set(GEOTIFF_EXTENSIONS))
    return list(GEOTIFF_EXTENSIONS) + others


def _supported_sentence() -> str:
    return ", ".join(f".{extension}" for extension in supported_extensions())


@gdal_raises
def output_driver(path: str, cloud_optimised: bool = False) -> str:
    """The GDAL driver (short name) that writes `path`: GTiff, COG, or the float32 format its extension names.

    An extension that no such format has is refused with a sentence naming the ones that work."""
    extension = extension_of(path)
    name = os.path.basename(path)
    if cloud_optimised:
        if extension not in GEOTIFF_EXTENSIONS:
            raise InputError(f"A cloud-optimised GeoTIFF is a GeoTIFF: choose an output ending in .tif (got {name}), "
                             f"or turn cloud-optimised off to write another format.")
        if gdal.GetDriverByName("COG") is None:
            raise InputError(f"This GDAL ({gdal.__version__}) has no COG driver (GDAL 3.1 and later have it), so it "
                             f"cannot write a cloud-optimised GeoTIFF; turn cloud-optimised off to write a GeoTIFF.")
        return "COG"
    if extension in GEOTIFF_EXTENSIONS:
        return "GTiff"
    formats = float_formats()
    if extension in formats:
        return formats[extension]
    if not extension:
        raise InputError(f"{name} has no extension, so its format is unknown; end it in .tif for a GeoTIFF or in one "
                         f"of {_supported_sentence()}.")
    picture = next((driver for driver, extensions, _ in _raster_drivers() if extension in extensions), None)
    if picture is not None:
        raise InputError(
            f"GDAL does not write float32 elevations as {picture.GetMetadataItem('DMD_LONGNAME') or picture.ShortName} "
            f"(.{extension}), so GeoGAN does not write {name}. Write a GeoTIFF (.tif) or another format that holds "
            f"them ({_supported_sentence()}); for a 16-bit heightmap (PNG or RAW) for game engines and 3D tools, run "
            f"'Export heightmap' (geogan:exportheightmap) on the raster.")
    raise InputError(f"GeoGAN writes no raster format whose files end in .{extension}, so it cannot write {name}. "
                     f"Choose an output ending in one of {_supported_sentence()}.")


def _long_name(driver_name: str) -> str:
    driver = gdal.GetDriverByName(driver_name)
    return (driver.GetMetadataItem("DMD_LONGNAME") if driver is not None else None) or driver_name


@gdal_raises
def _translate(geotiff: str, path: str, driver_name: str) -> None:
    """Copy `geotiff` into `path` in `driver_name`'s format; the files appear only when the copy is complete."""
    folder, stem = output_folder(path), os.path.splitext(os.path.basename(path))[0]
    scratch_stem = os.path.join(folder, f".{stem}.{os.urandom(4).hex()}.part")
    temporary = scratch_stem + os.path.splitext(path)[1]
    options = COG_OPTIONS if driver_name == "COG" else []
    files = []
    try:
        try:
            copied = gdal.Translate(temporary, geotiff, format=driver_name, creationOptions=options)
            if copied is None:
                raise RuntimeError(gdal.GetLastErrorMsg() or "no reason given")
            files = [name for name in (copied.GetFileList() or []) if os.path.exists(name)]
            if hasattr(copied, "Close"):  # GDAL 3.8+: errors while closing raise too
                copied.Close()
            copied = None
        except RuntimeError as error:
            failure = write_failure(path, error)
            if str(failure).startswith("Writing "):  # no known cause (disk, folder): the format's own complaint
                failure = InputError(f"GDAL could not write {os.path.basename(path)} as {_long_name(driver_name)} "
                                     f"({gdal_message(error)}); choose another format, such as a GeoTIFF (.tif). "
                                     f"Nothing was written.")
            raise failure from error
        # Every file of the dataset (a .prj, .aux.xml, .hdr beside it) is named after the temporary one, which may
        # have been written beside the main file after GetFileList: list the scratch files again.
        files = sorted(set(files) | set(_named_after(scratch_stem)))
        output_stem = os.path.join(folder, stem)
        side_files = [name for name in files if name != temporary]
        for name in side_files + [temporary]:  # the main file last: it appears when everything beside it is there
            move_into_place(name, output_stem + name[len(scratch_stem):])
    finally:
        for name in set(files) | set(_named_after(scratch_stem)):
            remove_quietly(name)


def _named_after(stem: str) -> list:
    """The files whose path starts with `stem` (a temporary dataset's main and side files)."""
    folder = os.path.dirname(stem)
    try:
        return [os.path.join(folder, name) for name in os.listdir(folder)
                if os.path.join(folder, name).startswith(stem)]
    except OSError:
        return []


@contextlib.contextmanager
def raster_output(path: str, cloud_optimised: bool = False):
    """Yield the path to write the GeoTIFF to, so that `path` is written in the format its name asks for.

    For a GeoTIFF that is `path` itself. For a cloud-optimised GeoTIFF or another format, it is a GeoTIFF in a
    scratch folder beside `path`, copied into `path`'s format when the block ends without an error; the scratch
    folder is removed either way. The format is checked before the block runs, so a refused name costs no work."""
    driver_name = output_driver(path, cloud_optimised)
    if driver_name == "GTiff":
        yield path
        return
    check_output_folder(path)
    with tempfile.TemporaryDirectory(prefix=".geogan-", dir=output_folder(path)) as scratch:
        geotiff = os.path.join(scratch, "raster.tif")
        yield geotiff
        _translate(geotiff, path, driver_name)
