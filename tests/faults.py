"""Faults a user meets, injected for real where the machine allows: a full disk, a folder that cannot be written.

As root (containers, CI), a tiny tmpfs is mounted: a disk that really fills up, or a read-only one. Elsewhere the
same faults are made without mounting: the process's file size limit (RLIMIT_FSIZE) makes writes past a few
kilobytes fail as they would on a full disk, and a folder without write permission cannot be written.
"""

import contextlib
import os
import resource
import signal
import subprocess

SMALL_DISK_BYTES = 16 * 1024  # less than any output GeoGAN writes


def _mount(folder, options: str) -> bool:
    if os.geteuid() != 0:
        return False
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    return result.returncode == 0


def _unmount(folder) -> None:
    subprocess.run(["umount", str(folder)], check=True)


@contextlib.contextmanager
def full_disk(folder):
    """Yields True when `folder` is a real 16 KiB disk, False when writes are only limited to 16 KiB per file."""
    os.makedirs(folder, exist_ok=True)
    if _mount(folder, f"size={SMALL_DISK_BYTES}"):
        try:
            yield True
        finally:
            _unmount(folder)
        return
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (SMALL_DISK_BYTES, limits[1]))
    try:
        yield False
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, previous)


@contextlib.contextmanager
def read_only_folder(folder):
    """`folder`, which cannot be written: a read-only mount as root (root ignores permissions), else mode 0555."""
    os.makedirs(folder, exist_ok=True)
    if _mount(folder, "ro,size=64k"):
        try:
            yield
        finally:
            _unmount(folder)
        return
    os.chmod(folder, 0o555)
    try:
        yield
    finally:
        os.chmod(folder, 0o755)
