"""The real QGIS desktop, under Xvfb, with the plugin installed into a throwaway profile: every GeoGAN dialog
opens with a widget for each parameter, the Raster > GeoGAN menu and the toolbar hold every algorithm, the
training monitor dock opens, and screenshots are taken (GEOGAN_UPDATE_SCREENSHOTS=1, or `make screenshots`, copies
them to docs/screenshots)."""

import json
import os
import shutil
import subprocess

from qgis.PyQt.QtCore import QUrl
from qgis.PyQt.QtGui import QImage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SESSION_SCRIPT = os.path.join(ROOT, "tests", "desktop", "qgis_session.py")
DOCS_SCREENSHOTS = os.path.join(ROOT, "docs", "screenshots")
ALGORITHMS = {"geogan:traingan": "Train terrain GAN", "geogan:generatedem": "Generate synthetic DEM",
              "geogan:evaluate": "Evaluate terrain realism", "geogan:realismmap": "Realism map",
              "geogan:exportheightmap": "Export heightmap", "geogan:trainfill": "Train void filling",
              "geogan:fillvoids": "Fill DEM voids", "geogan:trainsuperres": "Train DEM super-resolution",
              "geogan:superresolve": "Sharpen coarse DEM"}
EXAMPLE_MODEL = "geogan:Synthetic terrain from a DEM (example model)"
# What a first start would otherwise show or fetch: the version check and the news feed of the welcome page.
QUIET_FIRST_START = """[qgis]
checkVersion=false

[core]
NewsFeed\\httpsfeedqgisorg\\disabled=true
"""
# The ones the README shows (the monitor dock's picture there comes from tests/test_monitor_dock.py, mid-training).
README_SCREENSHOTS = ("menu_and_toolbar.png", "processing_toolbox.png", "traingan.png", "generatedem.png",
                      "evaluate.png", "realismmap.png", "fillvoids.png", "superresolve.png", "example_model.png")
QGIS_TIMEOUT_S = 90  # QGIS starts, opens every dialog and quits in about 10 s; the session's own watchdog is 45 s


def start_qgis(profiles_root, home, result_path, screenshots_dir) -> subprocess.CompletedProcess:
    # No QGIS_PLUGINPATH and the like from the caller; an empty HOME, so that no ~/.qgis2 of the user makes QGIS
    # offer its settings-migration dialog on this first start.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("QGIS_", "XDG_"))}
    env.update(HOME=str(home), QT_QPA_PLATFORM="xcb", GEOGAN_DESKTOP_RESULT=str(result_path),
               GEOGAN_SCREENSHOTS=str(screenshots_dir))
    command = ["xvfb-run", "-a", "-s", "-screen 0 1280x900x24", "qgis", "--profiles-path", str(profiles_root),
               "--nologo", "--noversioncheck", "--code", SESSION_SCRIPT]
    try:
        return subprocess.run(command, env=env, check=False, capture_output=True, text=True,
                              timeout=QGIS_TIMEOUT_S)
    except subprocess.TimeoutExpired as timeout:
        raise AssertionError(f"QGIS did not quit within {QGIS_TIMEOUT_S} s; its output:\n{timeout.stdout}\n"
                             f"{timeout.stderr}") from timeout


def looks_like_a_picture(path: str) -> bool:
    """Saved, of a dialog's size, and not one flat colour (a black grab of an unmapped window)."""
    image = QImage(path)
    if image.isNull() or image.width() < 200 or image.height() < 200:
        return False
    colours = {image.pixel(x, y) for x in range(0, image.width(), 23) for y in range(0, image.height(), 23)}
    return len(colours) > 5


def test_qgis_desktop_shows_every_geogan_dialog_menu_entry_and_button(tmp_path):
    from install_plugin import install, settings_file

    profiles_root = tmp_path / "qgis"
    profile = profiles_root / "profiles" / "default"
    os.makedirs(os.path.dirname(settings_file(str(profile))))
    with open(settings_file(str(profile)), "w", encoding="utf-8") as ini:
        ini.write(QUIET_FIRST_START)
    install(str(profile))  # as `make install` does: copies the plugin and enables it in QGIS3.ini
    screenshots = tmp_path / "screenshots"
    screenshots.mkdir()
    result_path = tmp_path / "result.json"

    home = tmp_path / "home"
    home.mkdir()
    done = start_qgis(profiles_root, home, result_path, screenshots)
    log = f"exit code {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert result_path.exists(), f"the session script never reported back: {log}"
    result = json.loads(result_path.read_text())
    assert "error" not in result, result.get("error", "") + log
    assert done.returncode == 0, log

    assert result["plugin_loaded"]
    assert set(result["algorithms"]) == set(ALGORITHMS) | {EXAMPLE_MODEL}
    entries = [f"{name}…" for name in ALGORITHMS.values()]
    # The algorithms come first; tools added after them (installer, diagnostics) are fine.
    assert result["menu"][:len(entries)] == entries and result["toolbar"] == entries
    for algorithm_id, dialog in result["dialogs"].items():
        assert dialog["parameters"] and dialog["missing_widgets"] == [], (algorithm_id, dialog)
        assert looks_like_a_picture(dialog["screenshot"]), dialog["screenshot"]
        if algorithm_id in ALGORITHMS:
            # QGIS 3.22 titles the dialog with the algorithm's name; 3.40 and later put its group in front.
            assert dialog["title"] in (ALGORITHMS[algorithm_id], f"Terrain GAN - {ALGORITHMS[algorithm_id]}")
            help_page = QUrl(dialog["help_url"]).toLocalFile()
            assert help_page == str(profile / "python" / "plugins" / "geogan_qgis" / "README.md")
            assert os.path.isfile(help_page)
    for picture in (result["menu_screenshot"], result["toolbox_screenshot"]):
        assert looks_like_a_picture(picture), picture
    if os.path.exists(os.path.join(ROOT, "geogan_qgis", "monitor_dock.py")):  # the training monitor (issue 9)
        assert result["monitor_dock"]["visible"] and looks_like_a_picture(result["monitor_dock"]["screenshot"])

    if os.environ.get("GEOGAN_UPDATE_SCREENSHOTS"):
        os.makedirs(DOCS_SCREENSHOTS, exist_ok=True)
        for name in README_SCREENSHOTS:
            shutil.copy2(screenshots / name, DOCS_SCREENSHOTS)
