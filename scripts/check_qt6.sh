#!/bin/bash
# QGIS's own PyQt5-to-PyQt6 migration checker over the plugin, in check mode (issue 13): `make check-qt6`.
#
# The checker (scripts/pyqt5_to_pyqt6/pyqt5_to_pyqt6.py of the QGIS repository, GPL) and the Qt 6 enum table are
# other projects' files: they are not in this repository and nothing here downloads them. Save them first (README,
# "Qt 6 check", says which commits were used), then:
#
#   make check-qt6                         # PyQt6 (pip) only: Qt's enums, plus QGIS's from the table if it is there
#   sudo make check-qt6 QT6_QGIS=sid       # also introspect Debian unstable's QGIS 3.44 in a chroot: a copy (made
#                                          # once, /tmp/geogan-qt6check/sid) of the test matrix's sid base
#
# QT6_CHECKER (default build/qt6check/pyqt5_to_pyqt6.py), QT6_ENUM_TABLE (default build/qt6check/enums.json, used
# if present) and QT6_DIRS (default "geogan_qgis scripts tests") change what is run where. scripts/run_qt6_checker.py
# runs the checker's own main() with --dry_run and says what it adds around it; exit status 1 on any finding.
set -euo pipefail
PROJECT=$(cd "$(dirname "$0")/.." && pwd)
cd "$PROJECT"
CHECKER=${QT6_CHECKER:-build/qt6check/pyqt5_to_pyqt6.py}
TABLE=${QT6_ENUM_TABLE:-build/qt6check/enums.json}
DIRS=${QT6_DIRS:-geogan_qgis scripts tests}
QGIS_DIST=${QT6_QGIS:-}
PACKAGES="PyQt6 PyQt6-QScintilla tokenize-rt"

if [ ! -f "$CHECKER" ]; then
  cat >&2 <<EOF
No checker at $CHECKER. Save QGIS's scripts/pyqt5_to_pyqt6/pyqt5_to_pyqt6.py there (README, "Qt 6 check", names
the commit), or point QT6_CHECKER at it. Optionally save a Qt 6 enum table as $TABLE.
EOF
  exit 2
fi
table_args=()
[ -f "$TABLE" ] && table_args=(--enum-table "$TABLE")

if [ -z "$QGIS_DIST" ]; then
  venv=build/qt6check/venv
  if [ ! -x $venv/bin/python ] || ! $venv/bin/python -c "import PyQt6.Qsci, tokenize_rt" 2>/dev/null; then
    /usr/bin/python3 -m venv $venv
    $venv/bin/pip install -q $PACKAGES
  fi
  # the checker imports PyQt6 only; a QGIS on the path would bring PyQt5 in, so it is kept out
  exec env QT_QPA_PLATFORM=offscreen PYTHONDONTWRITEBYTECODE=1 PYTHONNOUSERSITE=1 \
    $venv/bin/python scripts/run_qt6_checker.py --checker "$CHECKER" "${table_args[@]}" $DIRS
fi

# A copy of the test matrix's base of $QGIS_DIST (Debian's QGIS on Qt 5, Python enums for its scoped enums),
# made once, with a venv that sees Debian's QGIS and has PyQt6 from pip.
[ "$(id -u)" = 0 ] || { echo "QT6_QGIS=$QGIS_DIST enters a chroot: run as root" >&2; exit 2; }
MATRIX_ROOT=${MATRIX_ROOT:-/tmp/geogan-matrix}
base=$MATRIX_ROOT/$QGIS_DIST.base
root=${QT6_CHROOT:-/tmp/geogan-qt6check/$QGIS_DIST}
[ -d "$base" ] || { echo "no $base: make test-matrix MATRIX_DISTS=$QGIS_DIST builds it" >&2; exit 2; }
MOUNTS="/opt/wheels /opt/pypi /opt/pypi-more /proc /dev"
umount_all() { local d; for d in $(echo $MOUNTS | tr ' ' '\n' | tac); do umount "$root$d" 2>/dev/null || true; done; }
trap umount_all EXIT
[ -d "$root" ] || { mkdir -p "$(dirname "$root")"; cp -a "$base" "$root"; }
for d in $MOUNTS; do
  [ -d "$d" ] || continue
  mkdir -p "$root$d"; mountpoint -q "$root$d" || mount --bind "$d" "$root$d"
done
run=(chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen
  PYTHONDONTWRITEBYTECODE=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-1})
"${run[@]}" sh -c "/opt/qt6check/bin/python -c 'import PyQt6.Qsci, tokenize_rt, qgis.core' 2>/dev/null || {
  python3 -m venv --system-site-packages /opt/qt6check && /opt/qt6check/bin/pip install -q $PACKAGES; }"
rm -rf "$root/opt/qt6check-run"; mkdir -p "$root/opt/qt6check-run/src"
cp "$CHECKER" "$root/opt/qt6check-run/pyqt5_to_pyqt6.py"
cp scripts/run_qt6_checker.py "$root/opt/qt6check-run/"
if [ -f "$TABLE" ]; then
  cp "$TABLE" "$root/opt/qt6check-run/enums.json"
  table_args=(--enum-table /opt/qt6check-run/enums.json)
fi
# the plugin's links (core, resources) resolved, as in the zip
cp -rL $DIRS "$root/opt/qt6check-run/src/"
"${run[@]}" sh -c "cd /opt/qt6check-run/src && /opt/qt6check/bin/python /opt/qt6check-run/run_qt6_checker.py \
  --checker /opt/qt6check-run/pyqt5_to_pyqt6.py ${table_args[*]} $DIRS"
