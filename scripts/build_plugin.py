"""Assemble the installable plugin folder and zip: geogan_qgis/ with core/ and resources/ inside.

In the repository `core/` is a top-level library; in the plugin it is `geogan_qgis.core`, so QGIS's sys.path
never gets a generic module named `core`. The checkout's geogan_qgis/ already holds core, resources and the three
files below as relative symlinks to the top-level ones (so QGIS can load the plugin straight from the repository);
the build copies the real files in their place, so the zip holds no links.
"""

import argparse
import os
import shutil
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN = "geogan_qgis"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.aux.xml")
# What geogan_qgis/ links to at the repository's top level; the build copies these from there.
LINKED_DIRS = ("core", "resources")
# All three are required: QGIS reads metadata.txt, the Help buttons open README.md, and plugins.qgis.org refuses a
# zip without LICENSE.
LINKED_FILES = ("metadata.txt", "README.md", "LICENSE")


def _ignore_links_and_builds(directory: str, names: list) -> set:
    """The plugin's own modules only: the linked names at its top (copied from the top level instead, which also
    works in a checkout without symlinks, where they are small text files) and what Python or GDAL write."""
    ignored = set(IGNORED(directory, names))
    if os.path.samefile(directory, os.path.join(ROOT, PLUGIN)):
        ignored |= set(LINKED_DIRS + LINKED_FILES) & set(names)
    return ignored


def build_plugin_folder(destination_parent: str) -> str:
    """Write <destination_parent>/geogan_qgis as a complete plugin and return its path."""
    target = os.path.join(destination_parent, PLUGIN)
    if os.path.realpath(target) == os.path.realpath(os.path.join(ROOT, PLUGIN)):  # it would delete the sources
        raise ValueError(f"{target} is the repository's own plugin folder: build the plugin somewhere else")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, PLUGIN), target, ignore=_ignore_links_and_builds)
    for name in LINKED_DIRS:
        shutil.copytree(os.path.join(ROOT, name), os.path.join(target, name), ignore=IGNORED)
    for name in LINKED_FILES:
        shutil.copy2(os.path.join(ROOT, name), target)
    return target


def zip_plugin_folder(folder: str, zip_path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(zip_path)), exist_ok=True)
    parent = os.path.dirname(folder)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for directory, _, files in os.walk(folder):
            for name in sorted(files):
                path = os.path.join(directory, name)
                archive.write(path, os.path.relpath(path, parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build", "plugins"))
    parser.add_argument("--zip", default=os.path.join(ROOT, "dist", f"{PLUGIN}.zip"))
    args = parser.parse_args()
    folder = build_plugin_folder(args.build_dir)
    zip_plugin_folder(folder, args.zip)
    print(f"Plugin folder: {folder}\nPlugin zip:    {args.zip}")


if __name__ == "__main__":
    main()
