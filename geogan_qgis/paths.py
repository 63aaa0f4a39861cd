"""Where the plugin's own files are: its folder, its resources, and the sample model it ships."""

import os

PLUGIN_DIR = os.path.dirname(os.path.abspath(__file__))
RESOURCES_DIR = os.path.join(PLUGIN_DIR, "resources")
ICONS_DIR = os.path.join(RESOURCES_DIR, "icons")
MODELS_DIR = os.path.join(RESOURCES_DIR, "models")  # example Graphical Modeler models
# The small model trained on the sample DEM (scripts/build_sample_model.py writes it): the default MODEL, so
# terrain can be generated right after installing, before training a model of one's own.
SAMPLE_MODEL = os.path.join(RESOURCES_DIR, "sample_model", "jacksboro_gan.pt")
