"""geogan:exportheightmap — a 16-bit PNG or RAW heightmap of an elevation raster for game engines and 3D tools."""

from qgis.core import (
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBand,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterRasterLayer,
)

from .algorithm_support import GeoGanAlgorithm, core_errors, raster_layer_path, refuse_output_over_inputs


def _size_label(size: int) -> str:
    from .core.heightmap import UNITY_SIZES

    if size == 0:
        return "As is (the raster's own size)"
    return f"{size} x {size} ({'Unity, Unreal and others' if size in UNITY_SIZES else 'Unreal landscape'})"


class ExportHeightmapAlgorithm(GeoGanAlgorithm):
    INPUT = "INPUT"
    BAND = "BAND"
    SIZE = "SIZE"
    OUTPUT = "OUTPUT"
    SCALING = "SCALING"
    MIN_ELEVATION = "MIN_ELEVATION"
    MAX_ELEVATION = "MAX_ELEVATION"

    def name(self) -> str:
        return "exportheightmap"

    def displayName(self) -> str:  # noqa: N802
        return self.tr("Export heightmap")

    def shortHelpString(self) -> str:  # noqa: N802
        return self.tr(
            "Writes an elevation raster (a synthetic DEM or any other) as a 16-bit heightmap for game engines and 3D "
            "tools: Unity, Unreal, Godot, Blender, World Machine and the like.\n\n"
            "<b>Output</b>: the extension chooses the format: .png for a 16-bit greyscale PNG, .raw or .r16 for RAW "
            "16-bit little-endian integers (Unity's byte order 'Windows'). Elevations are scaled linearly from the "
            "lowest (0) to the highest (65535); nodata becomes 0. Rows run from the northern edge down.\n"
            "<b>Scaling file</b>: name.json is written beside the heightmap: min and max elevation, metres per unit "
            "(elevation = min + value x metres per unit), pixel and terrain size in metres, the source's CRS and "
            "extent, and what to type into the engines: Unity's terrain size (height = max - min) and position, "
            "Unreal's X/Y/Z scale (Z = (max - min) x 100 / 512) and Z location.\n"
            "<b>Size</b>: as is, or a square of 257, 513, 1025, 2049 or 4097 pixels (Unity needs 2^n + 1; Unreal "
            "and others accept them too) or 505, 1009, 2017, 4033 or 8129 (Unreal's recommended landscape sizes). "
            "The raster is resampled (averaged when shrinking, bilinear when growing) to cover its whole extent, so "
            "a raster that is not square gets pixels that are not square: the JSON gives both pixel sizes."
        )

    def initAlgorithm(self, config=None):  # noqa: N802
        from .core.heightmap import SIZES

        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, "Elevation raster"))
        # Optional with a default, as in realismmap: QGIS 3.22 refuses a band parameter that is left out.
        self.addParameter(QgsProcessingParameterBand(self.BAND, "Band", 1, self.INPUT, optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.SIZE, "Heightmap size (pixels)", options=[self.tr(_size_label(size)) for size in SIZES],
            defaultValue=0))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT, "Heightmap",
            fileFilter="16-bit PNG heightmap (*.png);;RAW 16-bit little-endian heightmap (*.raw *.r16)"))
        self.addOutput(QgsProcessingOutputFile(self.SCALING, "Heightmap scaling (JSON)"))
        self.addOutput(QgsProcessingOutputNumber(self.MIN_ELEVATION, "Lowest elevation (heightmap value 0)"))
        self.addOutput(QgsProcessingOutputNumber(self.MAX_ELEVATION, "Highest elevation (heightmap value 65535)"))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        from .core.heightmap import SIZES, export_heightmap, scaling_path

        input_path = raster_layer_path(self, parameters, self.INPUT, context)
        output_path = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        refuse_output_over_inputs({self.OUTPUT: output_path, self.SCALING: scaling_path(output_path)},
                                  {self.INPUT: input_path})
        size = SIZES[self.parameterAsEnum(parameters, self.SIZE, context)]
        with core_errors("The heightmap export was cancelled; nothing was written."):
            document = export_heightmap(input_path, output_path,
                                        band=self.parameterAsInt(parameters, self.BAND, context), size=size)
        feedback.pushInfo(
            f"Wrote a {document['width']} x {document['height']} heightmap: elevations {document['min_elevation']:.2f} "
            f"to {document['max_elevation']:.2f} ({document['metres_per_unit']:.5f} per unit); terrain "
            f"{document['terrain_size_m']['x']:.0f} x {document['terrain_size_m']['y']:.0f} m. Unreal scale "
            f"X {document['unreal']['scale']['x']:.2f}, Y {document['unreal']['scale']['y']:.2f}, "
            f"Z {document['unreal']['scale']['z']:.3f}; Unity terrain height {document['elevation_range']:.2f} m. "
            f"The scaling is in {scaling_path(output_path)}.")
        return {self.OUTPUT: output_path, self.SCALING: scaling_path(output_path),
                self.MIN_ELEVATION: document["min_elevation"], self.MAX_ELEVATION: document["max_elevation"]}
