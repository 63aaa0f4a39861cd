"""The oldest PyTorch GeoGAN supports (issue 13): older ones are refused with a sentence naming the minimum, checked
with a fake version function (Debian 12's python3-torch 1.13.1 is not installed for this); the one under test is
accepted; README and metadata.txt state the same minimum the code checks and the installer asks for."""

import os
import re

import pytest

from conftest import ROOT


@pytest.fixture()
def dependencies(geogan_plugin):
    from geogan_qgis import dependencies

    return dependencies


def test_minimum_is_the_installers_requirement(dependencies):
    minimum = ".".join(map(str, dependencies.MINIMUM_TORCH))
    assert dependencies.TORCH_REQUIREMENT == f"torch>={minimum}"


@pytest.mark.parametrize("version", ["1.13.1", "1.13.1+debian", "2.0.1+cu118", "1.8.1"])
def test_older_torch_is_refused_naming_the_minimum(dependencies, version):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException) as refused:
        dependencies.require_torch(installed_version=lambda: version)
    message = str(refused.value.args[0] if refused.value.args else refused.value)
    minimum = ".".join(map(str, dependencies.MINIMUM_TORCH))
    assert f"needs PyTorch {minimum} or newer" in message
    assert version in message and "restart QGIS" in message


@pytest.mark.parametrize("version", ["2.1.0", "2.6.0+debian", "2.13.0+cpu", "2.14.1", "10.0.0"])
def test_supported_torch_is_accepted(dependencies, version):
    dependencies.require_torch(installed_version=lambda: version)


def test_missing_torch_still_gets_the_install_hint(dependencies):
    from qgis.core import QgsProcessingException

    def no_torch():
        raise ImportError("No module named 'torch'")

    with pytest.raises(QgsProcessingException, match="PyTorch"):
        dependencies.require_torch(installed_version=no_torch)


def test_the_torch_under_test_is_accepted(dependencies):
    dependencies.require_torch()


def test_readme_and_metadata_state_the_minimum(dependencies):
    minimum = ".".join(map(str, dependencies.MINIMUM_TORCH))
    with open(os.path.join(ROOT, "metadata.txt"), encoding="utf-8") as metadata:
        about = re.search(r"^about=(.*?)^\w+=", metadata.read(), re.S | re.M).group(1)
    assert f"PyTorch {minimum} or newer" in about
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as readme:
        assert f"PyTorch {minimum} or newer" in readme.read()


def test_missing_torch_message_offers_the_installer(geogan_plugin, monkeypatch):
    """QGIS started without PyTorch: a warning in the message bar (the scoped Qgis.MessageLevel.Warning, which QGIS 4's
    Qt 6 needs and QGIS 3.22 has) whose button opens the installer."""
    from qgis.core import Qgis
    from qgis.gui import QgsMessageBar
    from qgis.PyQt.QtWidgets import QPushButton

    from geogan_qgis import installer_dialog

    monkeypatch.setattr(installer_dialog, "torch_missing", lambda: True)
    bar, opened = QgsMessageBar(), []

    class Iface:
        def messageBar(self):  # noqa: N802
            return bar

    installer_dialog.show_missing_torch_message(Iface(), lambda *args: opened.append(True))
    item = bar.currentItem()
    assert item is not None and item.level() == Qgis.MessageLevel.Warning
    assert "PyTorch is missing" in item.text()
    item.findChild(QPushButton).click()
    assert opened == [True]
