"""The cache root: versioned buckets and the CACHEDIR.TAG that keeps backups out."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from yurt.fs import atomic_write

# A bucket's version changes whenever its format does, so a new yurt never misreads old data.
INTERPRETERS = "interpreters-v1"

CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This file is a cache directory tag created by yurt.\n"
    b"# For information about cache directory tags see https://bford.info/cachedir/\n"
)


class Cache(NamedTuple):
    """A cache root on disk; buckets are created when first written."""

    root: Path

    def bucket(self, name: str) -> Path:
        return self.root / name

    def prepare_bucket(self, name: str) -> Path:
        """The bucket's directory, created (with the root's CACHEDIR.TAG) if needed."""
        path = self.root / name
        if not path.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
            tag = self.root / "CACHEDIR.TAG"
            if not tag.exists():
                atomic_write(tag, CACHEDIR_TAG)
            path.mkdir(exist_ok=True)
        return path
