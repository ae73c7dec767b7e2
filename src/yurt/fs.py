"""Filesystem primitives: atomic writes, temporary names that `cache prune` can recognise, clones and copies."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

# Every temporary path yurt creates starts with this, so leftovers of a crashed writer are
# recognisable and never mistaken for finished entries.
TEMPORARY_PREFIX = ".yurt-tmp-"

# _IOW(0x94, 9, int) from linux/fs.h: make the destination share the source's blocks (copy on write).
FICLONE = 0x40049409
# Kernel copies move at most this much per call; the loops ask again until they get 0.
COPY_CHUNK = 1 << 30


def temporary_sibling(path: Path) -> Path:
    """A unique temporary path in the same directory, so the final rename stays on one filesystem."""
    return path.with_name(f"{TEMPORARY_PREFIX}{os.getpid()}-{os.urandom(4).hex()}-{path.name}")


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write a file so that readers see either the old content or the whole new content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_sibling(path)
    try:
        with open(temporary, "xb") as stream:
            stream.write(data)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str, mode: int | None = None) -> None:
    atomic_write(path, text.encode("utf-8"), mode)


def atomic_symlink(target: str, link: Path) -> None:
    """Point `link` at `target`, replacing whatever was there in one rename."""
    temporary = temporary_sibling(link)
    os.symlink(target, temporary)
    try:
        os.replace(temporary, link)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create_exclusive(destination: str | Path, mode: int) -> int:
    return os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)


def clone_file(source: str | Path, destination: str | Path) -> None:
    """Make `destination` a copy-on-write clone of `source`; OSError where the filesystem cannot.

    The destination must not exist. Only Linux has the ioctl; elsewhere this fails with EOPNOTSUPP.
    """
    if not sys.platform.startswith("linux"):
        raise OSError(errno.EOPNOTSUPP, "cloning files is only implemented on Linux", str(destination))
    import fcntl

    reader = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = _create_exclusive(destination, os.fstat(reader).st_mode & 0o777)
        try:
            fcntl.ioctl(target, FICLONE, reader)
        except BaseException:
            os.close(target)
            os.unlink(destination)
            raise
        os.close(target)
    finally:
        os.close(reader)


def _send_file(reader: int, target: int, count: int) -> int:
    return os.sendfile(target, reader, None, count)


# Kernel copies to try in order, as (reader, target, count) -> bytes copied, 0 at the end.
KERNEL_COPIES = ((os.copy_file_range,) if hasattr(os, "copy_file_range") else ()) + (
    (_send_file,) if hasattr(os, "sendfile") else ()
)


def _kernel_copy(reader: int, target: int, size: int) -> bool:
    """Copy between open files inside the kernel; False when it offers no way for this pair."""
    for function in KERNEL_COPIES:
        copied = 0
        try:
            while count := function(reader, target, COPY_CHUNK):
                copied += count
        except OSError:
            pass
        # Some kernels answer 0 instead of an error for pairs of filesystems they cannot
        # offload, so a short count falls through as well.
        if copied == size:
            return True
        # Start the next way over from the first byte.
        os.lseek(reader, 0, os.SEEK_SET)
        os.lseek(target, 0, os.SEEK_SET)
        os.ftruncate(target, 0)
    return False


def copy_file(source: str | Path, destination: str | Path) -> None:
    """Copy `source` to a new `destination` with its permission bits, letting the kernel move the bytes.

    `copy_file_range` copies inside the kernel (and shares blocks on filesystems that can); where it
    is refused (across filesystems on older kernels, some network filesystems) sendfile does, on the
    files already open; shutil covers systems with neither.
    """
    reader = os.open(source, os.O_RDONLY | os.O_CLOEXEC)
    try:
        status = os.fstat(reader)
        target = _create_exclusive(destination, status.st_mode & 0o777)
        try:
            try:
                copied = _kernel_copy(reader, target, status.st_size)
            finally:
                os.close(target)
            if not copied:
                import shutil

                shutil.copyfile(source, destination)
        except BaseException:
            os.unlink(destination)
            raise
    finally:
        os.close(reader)
