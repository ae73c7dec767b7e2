"""The cache root: versioned buckets and the CACHEDIR.TAG that keeps backups out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from yurt.fs import atomic_write

if TYPE_CHECKING:
    from collections.abc import Callable

    from yurt.cache.lock import CacheLock

# A bucket's version changes whenever its format does, so a new yurt never misreads old data.
#
# Layout (see docs/cache.md):
#   interpreters-v1/<executable name>-<crc>.json          interpreter probes
#   simple-v1/<index key>/<name>.msgpack                  parsed index pages + HTTP cache policy
#   metadata-v1/<index key>/<name>/<file name>.metadata   core metadata of remote files (immutable)
#   wheels-v1/<index key>/<name>/<wheel file name>.json   pointer: {"archive": <sha256 of the wheel>}
#   archives-v1/<sha256 of the wheel>/                    the unzipped wheel that installs link from
#   builds-v1/...                                         build environments and built wheels
#   resolutions-v1/<digest of the question>.msgpack       resolutions reused while pages are fresh
#   installs-v1/<crc of the request>.marshal              wheels a fresh environment got, relinked
# <index key> names the index or find-links source (see `index_key`); <name> is normalized.
INTERPRETERS = "interpreters-v1"
SIMPLE = "simple-v1"
METADATA = "metadata-v1"
WHEELS = "wheels-v1"
ARCHIVES = "archives-v1"
BUILDS = "builds-v1"
# Resolutions reused while the pages they came from are fresh (see yurt/resolve/memo.py).
RESOLUTIONS = "resolutions-v1"
# The wheels an empty environment received for a request (see yurt/install/recall.py).
INSTALLS = "installs-v1"
BUCKETS = (INTERPRETERS, SIMPLE, METADATA, WHEELS, ARCHIVES, BUILDS, RESOLUTIONS, INSTALLS)
# Held shared by every process that uses the cache, exclusively by `cache clean` and `cache prune`.
LOCK_FILE = ".lock"
CACHEDIR_TAG_FILE = "CACHEDIR.TAG"

CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This file is a cache directory tag created by yurt.\n"
    b"# For information about cache directory tags see https://bford.info/cachedir/\n"
)


class CachedWheel(NamedTuple):
    """A wheel unpacked in the cache: the tree installs link from, and its digest."""

    filename: str
    archive: Path
    sha256: str
    # The wheel file's size when known (0 if not): the larger go first when linking is shared.
    size: int = 0


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

    def prepare_root(self) -> Path:
        """The root, created with its CACHEDIR.TAG and lock file if the lock file is missing."""
        lock = self.root / LOCK_FILE
        # One stat on every run: the lock file is the last thing made, so its presence means done.
        if not lock.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            tag = self.root / CACHEDIR_TAG_FILE
            if not tag.exists():
                atomic_write(tag, CACHEDIR_TAG)
            # Created in place, never by rename: a process may already be locking this very file.
            lock.touch(exist_ok=True)
        return self.root

    def shared_lock(self, timeout: float | None = None, on_wait: Callable[[], None] | None = None) -> CacheLock:
        """A context manager held by every command that reads or writes the cache, for its whole run.

        `timeout` in seconds (None: 300); `on_wait` is called once if another process makes it wait.
        """
        from yurt.cache.lock import DEFAULT_TIMEOUT, shared_lock

        return shared_lock(self.root, DEFAULT_TIMEOUT if timeout is None else timeout, on_wait)

    def exclusive_lock(self, timeout: float | None = None, on_wait: Callable[[], None] | None = None) -> CacheLock:
        """A context manager for `cache clean` and `cache prune`: no other yurt uses the cache meanwhile."""
        from yurt.cache.lock import DEFAULT_TIMEOUT, exclusive_lock

        return exclusive_lock(self.root, DEFAULT_TIMEOUT if timeout is None else timeout, on_wait)


def index_key(url: str) -> str:
    """A short, stable folder name for an index or find-links URL: its host, then a digest."""
    import hashlib
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    # Credentials never reach a folder name; the digest keeps two paths on one host apart.
    host = (parts.hostname or "local").replace(":", "_")
    digest = hashlib.sha256(f"{parts.scheme}://{host}:{parts.port}{parts.path}".encode()).hexdigest()[:16]
    return f"{host}-{digest}"
