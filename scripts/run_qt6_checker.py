"""Run QGIS's own PyQt5-to-PyQt6 migration checker over the plugin in check mode; exit 1 on any finding (issue 13).

The checker is scripts/pyqt5_to_pyqt6/pyqt5_to_pyqt6.py of the QGIS repository (GPL-2.0-or-later, another
project's code: it is not in this repository, nor fetched here; pass its path). plugins.qgis.org runs it as
`pyqt5_to_pyqt6.py DIR --dry_run` in a Qt 6 build of QGIS (the qgis/pyqgis4-checker image). Here it runs the same way
through its own main(), in a Python that has PyQt6 (pip) and, where there is one, a QGIS to introspect. Without a
Qt 6 QGIS, three things are done around it, each said in the output:

- a Qt 5 QGIS (Debian's) star-exports its PyQt5 QtCore module over the checker's PyQt6 one, so the checker would
  introspect PyQt5's Qt enums (it warns "PyQt5 has been found. It may result in wrong behavior."): PyQt6's are put
  back after its imports;
- on Qt 5, QGIS's unscoped C++ enums (QgsTask.Flag, Qgis.MessageLevel) are not Python enums, so the checker's
  introspection misses them: --enum-table adds the QGIS entries (Qgs*/Qgis classes only) of an enum table that
  the checker's --update-enum-file variant wrote from a Qt 6 build of QGIS (keys "Class:Value");
- a class of that table that this Python cannot import gets a stand-in, and the enum name for a finding on it is
  the table's (the checker would evaluate Class.Enum.Value).

    python scripts/run_qt6_checker.py --checker /tmp/qt6check/pyqt5_to_pyqt6.py \
        [--enum-table /tmp/qt6check/enums.json] geogan_qgis [scripts tests]

`make check-qt6` runs it; README's developer section says how the recorded run was made.
"""

import argparse
import glob
import importlib
import importlib.util
import json
import logging
import os
import sys

PYQT6_MODULES = ("Qsci", "QtCore", "QtGui", "QtNetwork", "QtPrintSupport", "QtQuickWidgets", "QtSql", "QtSvg",
                 "QtTest", "QtWidgets", "QtXml")
NOTES = ("=== dry_run mode | Start Logs ===", "WARNING: PyQt5 has been found. It may result in wrong behavior.",
         "QGIS classes not available for introspection, only a partial upgrade will be performed")


class Recorder(logging.Handler):
    """Keeps every line the checker logs (its findings in check mode are logging.warning lines)."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage().strip())


class Tee:
    """The checker also writes some warnings (ambiguous enums, fragile calls) straight to sys.stderr."""

    def __init__(self, stream):
        self.stream, self.lines = stream, []

    def write(self, text):
        self.lines.extend(line for line in text.splitlines() if line.strip())
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()


def load_checker(path):
    spec = importlib.util.spec_from_file_location("pyqt5_to_pyqt6", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def restore_pyqt6_names(checker):
    """Undo a Qt 5 QGIS's star-exported PyQt5 names; returns the names put back."""
    restored = []
    for name in PYQT6_MODULES:
        try:
            module = importlib.import_module("PyQt6." + name)
        except ImportError:
            continue
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for attr in names:
            current = checker.__dict__.get(attr)
            origin = getattr(current, "__module__", None) or getattr(current, "__name__", "") or ""
            if current is not getattr(module, attr) and origin.startswith(("PyQt5", "qgis.PyQt")):
                checker.__dict__[attr] = getattr(module, attr)
                restored.append(attr)
        if checker.__dict__[name] is not module:
            checker.__dict__[name] = module
            restored.append(name)
    checker.target_modules[:] = [
        importlib.import_module("PyQt6." + m.__name__.rsplit(".", 1)[-1])
        if m.__name__.startswith(("PyQt5.", "qgis.PyQt.")) else m
        for m in checker.target_modules]
    return restored


def add_enum_table(checker, path):
    """Adds the table's QGIS entries that the live introspection lacks; returns (entries added, stand-ins made)."""
    with open(path) as f:
        data = json.load(f)
    qgis = lambda cls: cls == "Qgis" or cls.startswith("Qgs")  # noqa: E731
    table = {tuple(k.split(":")): v for k, v in data["qt_enums"].items() if qgis(k.split(":")[0])}
    ambiguous = {tuple(k.split(":")): set(v) for k, v in data["ambiguous_enums"].items() if qgis(k.split(":")[0])}
    added, stand_ins = 0, set()
    for key, enum_name in table.items():
        if key not in checker.qt_enums and key not in checker.ambiguous_enums:
            checker.qt_enums[key] = enum_name
            added += 1
    for key, names in ambiguous.items():
        if key not in checker.qt_enums and key not in checker.ambiguous_enums:
            checker.ambiguous_enums[key] = names
            added += 1
    for cls, _ in list(table) + list(ambiguous):
        if cls not in checker.__dict__:
            checker.__dict__[cls] = type(cls, (), {})
            stand_ins.add(cls)
    original = checker.get_enum_name

    def get_enum_name(_class, enum_name, value):
        if _class in stand_ins:
            return enum_name
        try:
            return original(_class, enum_name, value)
        except AttributeError:  # the table's Qt 6 name, on a QGIS whose class lacks it
            return enum_name

    checker.get_enum_name = get_enum_name
    return added, len(stand_ins)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checker", required=True, help="path of QGIS's scripts/pyqt5_to_pyqt6/pyqt5_to_pyqt6.py")
    parser.add_argument("--enum-table", help="enums.json written by the checker's --update-enum-file on Qt 6 QGIS")
    parser.add_argument("directories", nargs="+")
    args = parser.parse_args()

    recorder = Recorder()
    logging.basicConfig(level=logging.DEBUG, format="%(message)s")  # the checker's own basicConfig is then a no-op
    logging.getLogger().addHandler(recorder)
    tee = Tee(sys.stderr)
    sys.stderr = tee
    sys.argv = [args.checker]
    checker = load_checker(args.checker)

    restored = restore_pyqt6_names(checker)
    modules = [m.__name__ for m in checker.target_modules]
    print(f"checker: {args.checker}; introspected modules: {', '.join(modules)}", file=sys.__stdout__)
    if restored:
        print(f"put back PyQt6's {', '.join(restored)}, which QGIS's Qt 5 imports had replaced", file=sys.__stdout__)
    if "qgis.core" in modules:
        qt_of_qgis = importlib.import_module("qgis.PyQt.QtCore").QT_VERSION_STR
        print(f"QGIS {sys.modules['qgis.core'].Qgis.QGIS_VERSION} on Qt {qt_of_qgis}", file=sys.__stdout__)

    original_fix_file, merged = checker.fix_file, []

    def fix_file(filename, *rest, **kw):
        if not merged:  # after main() has introspected the modules, before the first file
            merged.append(add_enum_table(checker, args.enum_table) if args.enum_table else (0, 0))
            print(f"enum table: {len(checker.qt_enums)} entries, {len(checker.ambiguous_enums)} ambiguous"
                  + (f"; {merged[0][0]} QGIS entries added from {args.enum_table}, {merged[0][1]} of its classes "
                     "not importable here (stand-ins)" if args.enum_table else ""), file=sys.__stdout__)
        return original_fix_file(filename, *rest, **kw)

    checker.fix_file = fix_file
    files = 0
    for directory in args.directories:
        files += sum(1 for _ in glob.glob(os.path.join(directory, "**/*.py"), recursive=True))
        checker.main([directory, "--dry_run"])
    sys.stderr = tee.stream
    findings = [line for line in recorder.lines + tee.lines
                if line and not any(line.endswith(note) or line == note for note in NOTES)]
    findings = list(dict.fromkeys(findings))
    print(f"{files} Python files checked, {len(findings)} findings", file=sys.__stdout__)
    for line in findings:
        print(line, file=sys.__stdout__)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
