"""tr(): user-visible strings go through Qt's translation lookup, the QGIS plugin convention.

The context is the class name, as pylupdate expects for `self.tr("...")` calls inside a class. Translations
would ship as i18n/geogan_<language>.qm in the plugin folder; none exist yet.
"""

import os

from qgis.PyQt.QtCore import QCoreApplication


def translate(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def install_translator(i18n_dir: str):
    """Load i18n/geogan_<language>.qm for QGIS's user locale, when one ships; returns it (or None) for unload."""
    from qgis.core import QgsSettings
    from qgis.PyQt.QtCore import QTranslator

    locale = str(QgsSettings().value("locale/userLocale", "") or "")[:2]
    path = os.path.join(i18n_dir, f"geogan_{locale}.qm")
    if not locale or not os.path.exists(path):
        return None
    translator = QTranslator()
    if not translator.load(path):
        return None
    QCoreApplication.installTranslator(translator)
    return translator


def remove_translator(translator) -> None:
    if translator is not None:
        QCoreApplication.removeTranslator(translator)
