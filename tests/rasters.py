"""Small GeoTIFFs made on the fly for tests."""

import numpy as np
from osgeo import gdal, osr


def write_raster(path, values, nodata=None, epsg=32616, origin=(500000.0, 4000000.0), pixel=30.0,
                 dtype=gdal.GDT_Float32):
    values = np.asarray(values)
    bands = values if values.ndim == 3 else values[None]
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), bands.shape[2], bands.shape[1], bands.shape[0], dtype)
    dataset.SetGeoTransform((origin[0], pixel, 0.0, origin[1], 0.0, -pixel))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    dataset.SetProjection(srs.ExportToWkt())
    for index, band_values in enumerate(bands, start=1):
        band = dataset.GetRasterBand(index)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        band.WriteArray(band_values)
    dataset = None
    return str(path)


def hills(size=96, seed=0):
    """A smooth random surface with a few hundred metres of relief."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    surface = np.zeros((size, size))
    for _ in range(6):
        fx, fy, phase = rng.uniform(1, 4), rng.uniform(1, 4), rng.uniform(0, 6.3)
        surface += rng.uniform(20, 80) * np.sin(2 * np.pi * (fx * x + fy * y) + phase)
    return (surface + 300.0).astype(np.float32)
