"""Filesystem primitives: atomic writes and temporary names that `cache prune` can recognise."""

from __future__ import annotations

import os
from pathlib import Path

# Every temporary path yurt creates starts with this, so leftovers of a crashed writer are
# recognisable and never mistaken for finished entries.
TEMPORARY_PREFIX = ".yurt-tmp-"


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
