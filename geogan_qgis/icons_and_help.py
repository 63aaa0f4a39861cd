"""Icons of each algorithm and the help page that every algorithm's Help button opens."""

import os

from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtGui import QIcon

from .paths import ICONS_DIR, PLUGIN_DIR, RESOURCES_DIR


def algorithm_icon(algorithm_name: str) -> QIcon:
    """resources/icons/<name>.svg, or the plugin's icon for an algorithm without its own."""
    path = os.path.join(ICONS_DIR, f"{algorithm_name}.svg")
    if not os.path.exists(path):
        path = os.path.join(RESOURCES_DIR, "geogan.svg")
    return QIcon(path)


def readme_path() -> str:
    """The README shipped inside the plugin folder (build_plugin.py copies it); in a source checkout, the repo's."""
    for candidate in (os.path.join(PLUGIN_DIR, "README.md"), os.path.join(os.path.dirname(PLUGIN_DIR), "README.md")):
        if os.path.exists(candidate):
            return candidate
    return ""


def help_url() -> str:
    """A file:// URL of the shipped README: the plugin has no website, and this works offline.

    No #fragment: a Markdown file opens in a text editor, and Windows fails to open file URLs that carry one.
    """
    path = readme_path()
    return QUrl.fromLocalFile(path).toString() if path else ""
