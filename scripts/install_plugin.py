"""Install GeoGAN into a QGIS profile (and enable it there), or remove it again: `make install` / `make uninstall`.

The default profile is the Linux one, $XDG_DATA_HOME/QGIS/QGIS3/profiles/default (XDG_DATA_HOME defaults to
~/.local/share), where QGIS looks for it. Restart QGIS afterwards; a QGIS that is running while this runs
writes its own settings back when it quits, so close it first.
"""

import argparse
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_plugin import PLUGIN, build_plugin_folder  # noqa: E402

SECTION = "PythonPlugins"


def default_profile_dir() -> str:
    data_home = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data_home, "QGIS", "QGIS3", "profiles", "default")


def settings_file(profile_dir: str) -> str:
    return os.path.join(profile_dir, "QGIS", "QGIS3.ini")


def set_plugin_enabled(ini_path: str, enabled: bool) -> None:
    """Set (or, with enabled False, remove) `geogan_qgis=true` under [PythonPlugins], leaving every other line
    as it was: QGIS's ini holds binary @Variant values that a parse-and-rewrite could mangle."""
    lines = []
    if os.path.exists(ini_path):
        with open(ini_path, encoding="utf-8") as ini:
            lines = ini.read().splitlines()
    key = re.compile(rf"^\s*{PLUGIN}\s*=")
    start = next((i for i, line in enumerate(lines) if line.strip() == f"[{SECTION}]"), None)
    if start is None:
        if not enabled:
            return
        lines += ([""] if lines and lines[-1].strip() else []) + [f"[{SECTION}]", f"{PLUGIN}=true"]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
        section = [line for line in lines[start + 1:end] if not key.match(line)]
        if enabled:
            section.insert(0, f"{PLUGIN}=true")
        lines[start + 1:end] = section
    os.makedirs(os.path.dirname(ini_path), exist_ok=True)
    with open(ini_path, "w", encoding="utf-8") as ini:
        ini.write("\n".join(lines) + "\n")


def install(profile_dir: str) -> str:
    plugins_dir = os.path.join(profile_dir, "python", "plugins")
    os.makedirs(plugins_dir, exist_ok=True)
    folder = build_plugin_folder(plugins_dir)  # replaces an older copy
    set_plugin_enabled(settings_file(profile_dir), True)
    return folder


def uninstall(profile_dir: str) -> str:
    folder = os.path.join(profile_dir, "python", "plugins", PLUGIN)
    shutil.rmtree(folder, ignore_errors=True)
    set_plugin_enabled(settings_file(profile_dir), False)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("install", "uninstall"))
    parser.add_argument("--profile", default="", help="QGIS profile folder (default: %(default)s, see above)")
    args = parser.parse_args()
    profile_dir = args.profile or default_profile_dir()
    if args.action == "install":
        print(f"Installed and enabled {install(profile_dir)}\nRestart QGIS to load it.")
    else:
        print(f"Removed {uninstall(profile_dir)} and its entry in {settings_file(profile_dir)}")


if __name__ == "__main__":
    main()
