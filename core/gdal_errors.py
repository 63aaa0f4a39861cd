"""GDAL and OSR failures as Python exceptions inside GeoGAN's own calls, and only there.

GDAL's error mode (exceptions or return codes) belongs to the whole process: in QGIS, every plugin and
script shares it. GeoGAN therefore never sets it for good; each function of core that calls GDAL runs
under `raising_gdal_errors`, which turns exceptions on for that call and leaves the mode as it found it.

GDAL 3.7 and later keep a per-thread override (`ExceptionMgr`), so other threads never see a change.
Older GDAL (Debian 12 has 3.6) has one process-wide switch per module (and, while it is on, a process-wide
error handler): there it is switched on while any GeoGAN call runs (a count, so the tile loader's thread
and the training thread can overlap) and switched back when the last one ends. Scoping each call rather
than each run keeps that window short.
"""

import contextlib
import functools
import threading

from osgeo import gdal, osr

_MODULES = (gdal, osr)
_THREAD_LOCAL_MODE = all(hasattr(module, "ExceptionMgr") for module in _MODULES)

# GDAL < 3.7 only: how many GeoGAN calls are running with exceptions on, and the mode found before the first.
_lock = threading.RLock()
_active = 0
_found = ()


@contextlib.contextmanager
def _process_wide_exceptions():
    global _active, _found
    with _lock:
        if _active == 0:
            _found = tuple(module.GetUseExceptions() for module in _MODULES)
            for module in _MODULES:
                module.UseExceptions()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                _restore(_found)


def _restore(modes: tuple) -> None:
    # GDAL < 3.7 chains one error handler per module that uses exceptions, and a module may only leave
    # the chain from its top: so off in the reverse order of on.
    pairs = list(zip(_MODULES, modes))
    for module, was_on in reversed(pairs):
        if module.GetUseExceptions() and not was_on:
            module.DontUseExceptions()
    for module, was_on in pairs:
        if was_on and not module.GetUseExceptions():
            module.UseExceptions()


@contextlib.contextmanager
def _thread_exceptions(enabled: bool):
    with contextlib.ExitStack() as stack:
        for module in _MODULES:
            stack.enter_context(module.ExceptionMgr(useExceptions=enabled))
        yield


def raising_gdal_errors():
    """Within the block, a failing GDAL or OSR call in this thread raises RuntimeError."""
    return _thread_exceptions(True) if _THREAD_LOCAL_MODE else _process_wide_exceptions()


def gdal_raises(function):
    """Decorator: the function runs under raising_gdal_errors()."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with raising_gdal_errors():
            return function(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def quiet_gdal_errors():
    """Within the block, GDAL failures neither raise nor print: for closing files after a failure was reported."""
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        if _THREAD_LOCAL_MODE:
            with _thread_exceptions(False):
                yield
        else:
            with _lock:  # no other GeoGAN call switches the mode meanwhile
                found = tuple(module.GetUseExceptions() for module in _MODULES)
                _restore((False,) * len(_MODULES))
                try:
                    yield
                finally:
                    _restore(found)
    finally:
        gdal.PopErrorHandler()


def gdal_message(error: Exception) -> str:
    """A GDAL exception's text on one line: newer GDAL (Debian 13's 3.10 and later) appends the errors behind
    the failure on lines of their own ("\\nMay be caused by: ..."), which would break a sentence shown to users."""
    return " ".join(str(error).split())
