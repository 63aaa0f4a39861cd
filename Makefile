# GeoGAN: set-up, demo, tests and packaging on Debian 12. `make demo` and `make test` do everything they need.
SHELL := /bin/bash
SYSTEM_PYTHON := /usr/bin/python3
VENV := .venv
PYTHON := $(VENV)/bin/python
# python3-pip: the PyTorch installer runs pip with Debian's Python (its tests too).
APT_PACKAGES := qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-scipy python3-venv python3-pip xvfb xauth
BENCH_APT_PACKAGES := grass-core
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PLUGIN_SOURCES := $(shell find geogan_qgis core resources -type f -not -path '*/__pycache__/*') metadata.txt README.md LICENSE scripts/build_plugin.py

export QT_QPA_PLATFORM := offscreen
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: setup system-packages demo test test-matrix check-qt6 package install uninstall screenshots sample-model bench clean

setup: system-packages $(VENV)/.installed

# Installs only what is missing, so a second `make setup` does nothing.
system-packages:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: requirements-dev.txt constraints.txt | system-packages
	@[ -x $(PYTHON) ] || $(SYSTEM_PYTHON) -m venv --system-site-packages $(VENV)
	$(PYTHON) -m pip install -q -c constraints.txt -r requirements-dev.txt
	@$(PYTHON) -c "import numpy, scipy, torch, qgis.core, osgeo.gdal; assert numpy.__version__.startswith('1.'), numpy.__version__"
	@touch $@

package: dist/geogan_qgis.zip

dist/geogan_qgis.zip: $(PLUGIN_SOURCES) | system-packages
	$(SYSTEM_PYTHON) scripts/build_plugin.py

# Into the user's default QGIS profile on Linux (another one: make install QGIS_PROFILE_DIR=/path/to/profile).
QGIS_PROFILE_DIR ?= $(or $(XDG_DATA_HOME),$(HOME)/.local/share)/QGIS/QGIS3/profiles/default

install:
	$(SYSTEM_PYTHON) scripts/install_plugin.py install --profile "$(QGIS_PROFILE_DIR)"

uninstall:
	$(SYSTEM_PYTHON) scripts/install_plugin.py uninstall --profile "$(QGIS_PROFILE_DIR)"

# Retakes docs/screenshots/*.png in the real QGIS desktop under Xvfb (the test that checks the dialogs), and the
# training monitor's mid-training picture (tests/test_monitor_dock.py).
# The sample model shipped in the plugin (resources/sample_model/), the default MODEL of generatedem and
# realismmap: the default settings trained twice the default steps on the sample DEM (about 37 minutes). Committed;
# rebuild it when the defaults or networks change.
sample-model: setup
	$(PYTHON) scripts/build_sample_model.py

screenshots: setup
	GEOGAN_UPDATE_SCREENSHOTS=1 $(PYTHON) -m pytest -q tests/test_desktop.py tests/test_monitor_dock.py

demo: setup package
	$(PYTHON) scripts/demo.py --output demo_output

# No build step: the tests load the plugin from the repository (geogan_qgis/ links core/ and resources/ in).
# The linter first (ruff, configured in pyproject.toml): a finding fails the run in seconds, before the tests.
test: setup
	$(PYTHON) -m ruff check .
	$(PYTHON) -m pytest

# The test suite on a clone of the committed HEAD in chroots of Debian 13 and unstable, with Debian's own QGIS,
# numpy 2 and python3-torch (issue 13); needs root. The chroot bases are built once under /tmp/geogan-matrix.
# Another set: make test-matrix MATRIX_DISTS="bookworm trixie sid" (bookworm runs `make test` as it is).
MATRIX_DISTS ?= trixie sid
test-matrix:
	MATRIX_DISTS="$(MATRIX_DISTS)" scripts/test_matrix.sh

# QGIS's own PyQt5-to-PyQt6 migration checker in check mode (issue 13), PyQt6 from pip in build/qt6check/venv. The
# checker (GPL, QGIS's) is saved by hand as build/qt6check/pyqt5_to_pyqt6.py first: README, "Qt 6 check".
# QT6_QGIS=sid (root) also introspects Debian unstable's QGIS, in a copy of the test matrix's chroot.
check-qt6:
	QT6_QGIS="$(QT6_QGIS)" scripts/check_qt6.sh

# GRASS GIS for the r.surf.fractal baseline of the realism and landscape benchmarks; installed only by `make bench`.
# Options go through BENCH_ARGS, e.g. make bench BENCH_ARGS="--quick" or BENCH_ARGS="--model my.pt".
bench: setup package
	@missing=$$(for p in $(BENCH_APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the benchmarks: $$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	$(PYTHON) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf build dist demo_output .pytest_cache .qgis-settings
