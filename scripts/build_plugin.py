"""Assemble the installable plugin folder and zip: geogan_qgis/ with core/ and resources/ inside.

In the repository `core/` is a top-level library; in the plugin it becomes `geogan_qgis.core`, so QGIS's
sys.path never gets a generic module named `core`.
"""

import argparse
import os
import shutil
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGIN = "geogan_qgis"
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.aux.xml")


def build_plugin_folder(destination_parent: str) -> str:
    """Write <destination_parent>/geogan_qgis as a complete plugin and return its path."""
    target = os.path.join(destination_parent, PLUGIN)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, PLUGIN), target, ignore=IGNORED)
    shutil.copytree(os.path.join(ROOT, "core"), os.path.join(target, "core"), ignore=IGNORED)
    shutil.copytree(os.path.join(ROOT, "resources"), os.path.join(target, "resources"), ignore=IGNORED)
    # All three are required: QGIS reads metadata.txt, the Help buttons open README.md, and plugins.qgis.org
    # refuses a zip without LICENSE.
    for name in ("metadata.txt", "README.md", "LICENSE"):
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
