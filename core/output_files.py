"""Writing outputs so that a failed run leaves nothing half-written, and saying why a write failed.

Every output is written to a hidden temporary file beside it and moved into place only when complete.
When writing fails (a full disk, a folder that cannot be written, a folder that vanished), the temporary
file is removed and the failure becomes an InputError that says what happened and what to do.
"""

import errno
import os
import shutil
import uuid

from .errors import InputError

# A failed write that leaves less than this free on the disk is taken as a full disk: GDAL's errors carry no
# errno, and a write fails for lack of space only when the disk is (all but) full.
FULL_DISK_BYTES = 1024 * 1024
_FULL = {errno.ENOSPC, errno.EDQUOT}
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


def output_folder(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def temporary_beside(path: str, suffix: str = ".part") -> str:
    """A hidden, unique file name in the output's folder (same disk, so the final move is atomic)."""
    return os.path.join(output_folder(path), f".{os.path.basename(path)}.{uuid.uuid4().hex[:8]}{suffix}")


def _free_bytes(folder: str):
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def write_failure(path: str, error: BaseException) -> InputError:
    """The sentence for a failed write of `path`. Call it before removing the temporary file: it measures free space."""
    folder, name = output_folder(path), os.path.basename(path)
    code = getattr(error, "errno", None)
    free = _free_bytes(folder)
    if code in _FULL or (code is None and free is not None and free < FULL_DISK_BYTES):
        return InputError(f"The disk holding {folder} is full, so {name} could not be written. Free some space "
                          f"there, or choose an output on another disk, and run again; nothing was written.")
    if code == errno.EFBIG:
        return InputError(f"{name} is larger than the disk holding {folder} (or this process) allows for one "
                          f"file. Choose an output on another disk; nothing was written.")
    if code in _NOT_WRITABLE:
        return InputError(f"{folder} cannot be written ({os.strerror(code)}), so {name} could not be written. "
                          f"Choose an output in a folder you can write to; nothing was written.")
    if not os.path.isdir(folder):
        return InputError(f"The folder {folder} does not exist (any more), so {name} could not be written. "
                          f"Choose an output in an existing folder; nothing was written.")
    reason = os.strerror(code) if code else str(error) or error.__class__.__name__
    return InputError(f"Writing {name} in {folder} failed ({reason}). Check that the disk is connected and "
                      f"healthy, or choose another output, and run again; nothing was written.")


def check_output_folder(path: str, what: str = "output") -> None:
    """Refuse an output whose folder is missing or cannot be written, before any work is done.

    Creating a file is the only reliable test (permissions, read-only disks, root on a network share)."""
    folder = output_folder(path)
    if not os.path.isdir(folder):
        raise InputError(f"The folder {folder} does not exist; choose a {what} in an existing folder.")
    probe = temporary_beside(path, ".probe")
    try:
        with open(probe, "wb"):
            pass
    except OSError as error:
        raise write_failure(path, error) from error
    finally:
        remove_quietly(probe)


def remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def move_into_place(temporary: str, path: str) -> None:
    try:
        os.replace(temporary, path)
    except OSError as error:
        raise write_failure(path, error) from error


def write_atomically(path: str, data) -> None:
    """Write bytes or text to `path`: the file appears only when complete, or not at all."""
    check_output_folder(path)
    temporary = temporary_beside(path)
    try:
        with open(temporary, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())  # a full disk must fail here, not after the move
        move_into_place(temporary, path)
    except OSError as error:
        raise write_failure(path, error) from error
    finally:
        remove_quietly(temporary)


def check_output_folders(*paths: str) -> None:
    """check_output_folder for each output given (None and "" are outputs not asked for)."""
    for path in paths:
        if path:
            check_output_folder(path)
