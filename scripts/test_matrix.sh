#!/bin/bash
# The test suite on newer Debian stacks (issue 13): a clone of the committed HEAD, in chroots of Debian 13 (trixie)
# and Debian unstable (sid) with Debian's own QGIS, GDAL, numpy 2 and PyTorch (python3-torch). Needs root.
#
#   make test-matrix                                  # trixie and sid
#   make test-matrix MATRIX_DISTS="bookworm trixie sid"  # also Debian 12, through the project's own `make test`
#   MATRIX_PYTEST_ARGS="tests/test_core_noise.py" scripts/test_matrix.sh   # a part of the suite
#
# Each distribution's base (debootstrap minbase + the Debian packages + a venv with pytest) is built once under
# $MATRIX_ROOT (default /tmp/geogan-matrix) and reused; every run starts from a fresh copy of the base with a fresh
# clone of HEAD. Delete $MATRIX_ROOT/<dist>.base to rebuild one (e.g. to pick up newer packages).
#
# What comes from where in trixie and sid: everything from Debian's mirror (qgis python3-qgis qgis-providers
# python3-gdal gdal-bin python3-scipy python3-torch python3-matplotlib xvfb xauth), except pytest and pytest-qgis,
# which Debian does not package at the pinned versions (pytest-qgis not at all): they are pip-installed into a venv
# made with --system-site-packages, so Debian's numpy, torch and QGIS are the ones tested (checked after install).
# bookworm runs `make test` unchanged: Debian's QGIS 3.22 with the pinned pip torch from constraints.txt, since
# Debian 12's python3-torch 1.13.1 is older than the plugin supports.
set -euo pipefail
PROJECT=${PROJECT:-$(git rev-parse --show-toplevel)}
ROOT=${MATRIX_ROOT:-/tmp/geogan-matrix}
DISTS=${MATRIX_DISTS:-trixie sid}
PYTEST_ARGS=${MATRIX_PYTEST_ARGS:-}
RESULTS=${MATRIX_RESULTS:-$PROJECT/build/matrix}
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
# The Makefile's APT_PACKAGES are in both, so `make package` / `make setup` find nothing to install.
DEBIAN_PACKAGES="qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-scipy python3-torch python3-matplotlib
  python3-venv python3-pip xvfb xauth make git ca-certificates"
BOOKWORM_PACKAGES="qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-scipy python3-venv python3-pip xvfb
  xauth make git ca-certificates"
VENV=/opt/geogan-venv
MOUNTS="/opt/wheels /opt/pypi /opt/pypi-more /proc /sys /dev /dev/pts"
CHROOT_ENV=(/usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
  QT_QPA_PLATFORM=offscreen)
[ -z "${OMP_NUM_THREADS:-}" ] || CHROOT_ENV+=("OMP_NUM_THREADS=$OMP_NUM_THREADS")

[ "$(id -u)" = 0 ] || { echo "test-matrix builds chroots: run it as root" >&2; exit 2; }
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
mkdir -p "$ROOT" "$RESULTS"

mount_all() {  # the machine's local package folders (as pip.conf names them), /proc, /sys and /dev
  local d
  for d in $MOUNTS; do
    [ -d "$d" ] || continue
    mkdir -p "$1$d"; mountpoint -q "$1$d" || mount --bind "$d" "$1$d"
  done
}
umount_all() {
  local d
  for d in $(echo $MOUNTS | tr ' ' '\n' | tac); do umount "$1$d" 2>/dev/null || true; done
}
safe_remove() {  # never into a bind mount that is still mounted (it would delete the host's files)
  if [ -e "$1" ] && findmnt -rn -o TARGET | grep -q "^$1/"; then
    echo "still mounted under $1; not removing it" >&2; return 1
  fi
  rm -rf "$1"
}
CURRENT=""
trap '[ -z "$CURRENT" ] || umount_all "$CURRENT"' EXIT

copy_machine_settings() {  # apt sources, DNS, certificates and pip settings, as every machine of this project has
  local dist=$1 root=$2
  rm -f "$root/etc/apt/sources.list"
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$MIRROR" "$dist" > "$root/etc/apt/sources.list.d/debian.sources"
  # the mirror may be a snapshot whose Release file is past its Valid-Until date (sid's is)
  echo 'Acquire::Check-Valid-Until "false";' > "$root/etc/apt/apt.conf.d/99geogan-matrix"
  cp /etc/resolv.conf "$root/etc/" 2>/dev/null || true
  mkdir -p "$root/etc/ssl/certs"; cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
  local f
  for f in /etc/pip.conf /root/.config/pip/pip.conf; do
    [ -f $f ] && mkdir -p "$root$(dirname $f)" && cp $f "$root$f"
  done
  if [ -d /etc/xdg/pip ]; then mkdir -p "$root/etc/xdg"; cp -r /etc/xdg/pip "$root/etc/xdg/"; fi
  return 0
}

build_base() {
  local dist=$1 base=$ROOT/$1.base packages=$DEBIAN_PACKAGES
  [ "$dist" = bookworm ] && packages=$BOOKWORM_PACKAGES
  if [ -f "$base/.geogan-matrix-base" ]; then  # a base from before a package was added to the lists gets it
    local missing
    missing=$(chroot "$base" dpkg-query -W -f='${Package} ${Status}\n' $(echo $packages) 2>&1 | grep -v ' installed$' | cut -d' ' -f1 || true)
    [ -z "$missing" ] && return 0
    echo "== adding to the $dist base: $missing"
    CURRENT=$base; mount_all "$base"
    chroot "$base" "${CHROOT_ENV[@]}" DEBIAN_FRONTEND=noninteractive bash -ec "apt-get update -qq
      apt-get install -y -qq --no-install-recommends $(echo $packages) >> /var/log/geogan-matrix-apt.log; apt-get clean" \
      || { echo "apt failed: $base/var/log/geogan-matrix-apt.log" >&2; return 1; }
    umount_all "$base"; CURRENT=""
    return 0
  fi
  echo "== building the $dist base in $base (once)"
  local start=$SECONDS
  if [ ! -f "$base/.geogan-matrix-packages" ]; then
    umount_all "$base"; safe_remove "$base"
    debootstrap --variant=minbase --include=ca-certificates "$dist" "$base" "$MIRROR" > "$ROOT/$dist-debootstrap.log" 2>&1 \
      || { tail -n 20 "$ROOT/$dist-debootstrap.log"; return 1; }
    copy_machine_settings "$dist" "$base"
    CURRENT=$base; mount_all "$base"
    chroot "$base" "${CHROOT_ENV[@]}" DEBIAN_FRONTEND=noninteractive bash -ec "
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends $(echo $packages) > /var/log/geogan-matrix-apt.log
      apt-get clean" || { echo "apt failed: $base/var/log/geogan-matrix-apt.log" >&2; return 1; }
    touch "$base/.geogan-matrix-packages"
  fi
  CURRENT=$base; mount_all "$base"
  if [ "$dist" != bookworm ]; then
    # pytest and pytest-qgis at the versions requirements-dev.txt pins (Debian has no pytest-qgis)
    local pins
    pins=$(grep -E '^(pytest|pytest-qgis)[=<>~ ]' "$PROJECT/requirements-dev.txt" | tr '\n' ' ' || true)
    [ -n "$pins" ] || { echo "no pytest pins in requirements-dev.txt" >&2; return 1; }
    chroot "$base" "${CHROOT_ENV[@]}" bash -ec "
      /usr/bin/python3 -m venv --system-site-packages $VENV
      $VENV/bin/python -m pip install -q --disable-pip-version-check $pins
      $VENV/bin/python -c 'import numpy, torch; assert numpy.__file__.startswith(\"/usr/lib/python3/\"), numpy.__file__; assert torch.__file__.startswith(\"/usr/lib/python3/\"), torch.__file__'" \
      || { echo "the venv with pytest failed in $base" >&2; return 1; }
  fi
  umount_all "$base"; CURRENT=""
  touch "$base/.geogan-matrix-base"
  echo "$((SECONDS - start))" > "$ROOT/$dist-base-seconds"
  echo "== $dist base built in $((SECONDS - start)) s"
}

VERSIONS_PY='
import json, platform, sys
out = {"python": platform.python_version()}
try:
    from qgis.core import Qgis; out["qgis"] = Qgis.QGIS_VERSION.split("-")[0]
except Exception as e: out["qgis"] = "none (%s)" % e
for name in ("numpy", "torch"):
    try: out[name] = __import__(name).__version__.split("+")[0]
    except Exception as e: out[name] = "none"
try:
    from osgeo import gdal; out["gdal"] = gdal.__version__
except Exception: out["gdal"] = "none"
json.dump(out, sys.stdout)'

run_dist() {
  local dist=$1 base=$ROOT/$1.base run=$ROOT/$1.run log=$RESULTS/$1.log
  local start=$SECONDS
  umount_all "$run"; safe_remove "$run"
  cp -a "$base" "$run"
  git clone -q "$PROJECT" "$run/root/project"   # the committed HEAD, nothing uncommitted
  git -C "$run/root/project" log -1 --format=%h > "$RESULTS/$dist.commit"
  CURRENT=$run; mount_all "$run"
  local python=$VENV/bin/python tests
  [ "$dist" = bookworm ] && python=/root/project/.venv/bin/python
  if [ "$dist" = bookworm ]; then
    tests="make test"    # the project's own set-up: pinned pip torch and numpy 1.24
  else
    tests="make package && $VENV/bin/python -m pytest"
  fi
  echo "== $dist: $tests $PYTEST_ARGS  (log: $log)"
  set +e
  chroot "$run" "${CHROOT_ENV[@]}" PYTEST_ADDOPTS="--junitxml=/root/junit.xml -p no:cacheprovider $PYTEST_ARGS" \
    bash -c "cd /root/project && $tests" > "$log" 2>&1
  local rc=$?
  set -e
  tail -5 "$log"
  chroot "$run" "${CHROOT_ENV[@]}" /usr/bin/python3 -c "$VERSIONS_PY" > "$RESULTS/$dist.versions.json" 2>/dev/null \
    || echo '{}' > "$RESULTS/$dist.versions.json"
  [ "$dist" = bookworm ] && chroot "$run" "${CHROOT_ENV[@]}" "$python" -c "$VERSIONS_PY" > "$RESULTS/$dist.versions.json" 2>/dev/null
  cp "$run/root/junit.xml" "$RESULTS/$dist.junit.xml" 2>/dev/null || rm -f "$RESULTS/$dist.junit.xml"
  echo "$rc $((SECONDS - start))" > "$RESULTS/$dist.status"
  umount_all "$run"; CURRENT=""
  if [ -z "${MATRIX_KEEP_RUN:-}" ] && ! findmnt -rn -o TARGET | grep -q "^$run/"; then
    mv "$run" "$run.old.$$" && (rm -rf "$run.old.$$" &)   # removing gigabytes takes minutes: not on the way
  fi
}

overall=0
for dist in $DISTS; do build_base "$dist" || exit 1; done
[ -z "${MATRIX_BASES_ONLY:-}" ] || exit 0
for dist in $DISTS; do run_dist "$dist"; done
python3 "$PROJECT/scripts/matrix_table.py" "$RESULTS" $DISTS || overall=$?
exit $overall
