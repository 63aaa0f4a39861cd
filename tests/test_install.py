"""`make install` / `make uninstall` put the plugin into (and take it out of) the default QGIS profile on Linux."""

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A QGIS3.ini as QGIS writes it: other plugins, a binary value, sections before and after [PythonPlugins].
EXISTING_SETTINGS = """[General]
geometry=@ByteArray(\\x1\\xd9\\xd0\\xcb\\0\\x3)

[PythonPlugins]
processing=true
otherplugin=false

[qgis]
checkVersion=false
"""


def run_make(target: str, home) -> str:
    env = {key: value for key, value in os.environ.items() if key not in ("XDG_DATA_HOME", "QGIS_PROFILE_DIR")}
    done = subprocess.run(["make", "--no-print-directory", "-C", ROOT, target], env={**env, "HOME": str(home)},
                          check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_make_install_and_uninstall_use_the_default_profile(tmp_path):
    profile = tmp_path / ".local" / "share" / "QGIS" / "QGIS3" / "profiles" / "default"
    ini = profile / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text(EXISTING_SETTINGS)

    run_make("install", tmp_path)
    plugin = profile / "python" / "plugins" / "geogan_qgis"
    for required in ("metadata.txt", "LICENSE", "__init__.py", "core/train.py", "resources/geogan.svg"):
        assert (plugin / required).is_file(), required
    installed = ini.read_text()
    assert installed.replace("[PythonPlugins]\ngeogan_qgis=true\n", "[PythonPlugins]\n") == EXISTING_SETTINGS

    run_make("install", tmp_path)  # again: replaces the copy, enables it once
    assert ini.read_text() == installed

    run_make("uninstall", tmp_path)
    assert not plugin.exists() and (profile / "python" / "plugins").is_dir()
    assert ini.read_text() == EXISTING_SETTINGS


def test_make_install_into_a_profile_qgis_never_started(tmp_path):
    run_make("install", tmp_path)
    profile = tmp_path / ".local" / "share" / "QGIS" / "QGIS3" / "profiles" / "default"
    assert (profile / "python" / "plugins" / "geogan_qgis" / "metadata.txt").is_file()
    assert (profile / "QGIS" / "QGIS3.ini").read_text() == "[PythonPlugins]\ngeogan_qgis=true\n"
