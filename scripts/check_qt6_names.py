"""Qt 6 check: every Qt name the plugin uses through qgis.PyQt exists in PyQt6 as written.

QGIS 4 runs on Qt 6, where unscoped enums (Qt.AlignLeft) and moved classes (QAction) are gone. This looks up
every `from qgis.PyQt.X import Y` and every attribute chain rooted at such a name
(QDialogButtonBox.StandardButton.Close) in PyQt6. A lookup that only runs on Qt 5 (compat.py's fallback import) is
reported too: read the findings.

    python3 -m venv /tmp/qt6 && /tmp/qt6/bin/pip install PyQt6
    QT_QPA_PLATFORM=offscreen /tmp/qt6/bin/python scripts/check_qt6_names.py
"""

import ast
import glob
import importlib
import os
import sys

PLUGIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "geogan_qgis")

found, checked = [], 0  # findings; attribute lookups made
for path in sorted(glob.glob(os.path.join(PLUGIN, "**", "*.py"), recursive=True)):
    if os.sep + "core" + os.sep in path:  # a built copy of core: no Qt there
        continue
    tree = ast.parse(open(path).read())
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("qgis.PyQt"):
            module = importlib.import_module(node.module.replace("qgis.PyQt", "PyQt6"))
            for alias in node.names:
                if not hasattr(module, alias.name):
                    found.append(f"{path}:{node.lineno}: PyQt6 has no {node.module}.{alias.name}")
                else:
                    names[alias.asname or alias.name] = getattr(module, alias.name)
    for node in ast.walk(tree):
        # X.Y and X.Y.Z chains rooted at an imported Qt class
        if isinstance(node, ast.Attribute):
            chain, inner = [node.attr], node.value
            while isinstance(inner, ast.Attribute):
                chain.insert(0, inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name) and inner.id in names:
                obj = names[inner.id]
                for part in chain:
                    checked += 1
                    if not hasattr(obj, part):
                        found.append(f"{path}:{node.lineno}: PyQt6 has no {inner.id}.{'.'.join(chain)}")
                        break
                    obj = getattr(obj, part)
                    if callable(obj) and not isinstance(obj, type) and not hasattr(obj, "__members__"):
                        break
for line in sorted(set(found)):
    print(line)
print(f"{checked} attribute lookups checked, {len(set(found))} findings", file=sys.stderr)
