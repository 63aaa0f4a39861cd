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
    """The README inside the plugin folder (in the repository a link to the top-level one, in the zip a copy)."""
    path = os.path.join(PLUGIN_DIR, "README.md")
    return path if os.path.exists(path) else ""


def help_url() -> str:
    """A file:// URL of the shipped README: the plugin has no website, and this works offline.

    No #fragment: a Markdown file opens in a text editor, and Windows fails to open file URLs that carry one.
    """
    path = readme_path()
    return QUrl.fromLocalFile(path).toString() if path else ""
