"""A cross-process reader/writer lock on the cache root's `.lock` file.

Every yurt process that reads or writes the cache holds the lock shared for its whole run;
`cache clean` and `cache prune` hold it exclusively, so they never pull an archive from under an
install that is linking it, and an install never sees a half-pruned cache.

Why `fcntl.flock` rather than the `filelock` package: filelock offers exclusive locks only, so two
installs sharing one cache (the common case in CI and containers) would run one after the other.
Ordinary cache use does not need that: writers publish entries by renaming unique temporary
paths, so any number of them can work side by side, and only removal needs to be alone. flock
gives exactly that (LOCK_SH for users, LOCK_EX for removal), and the kernel drops the lock when its
holder dies, so a crashed yurt never leaves a stale lock behind. Where fcntl does not exist
(Windows), filelock is used and every holder is exclusive: correct, only less concurrent.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from yurt.cache import LOCK_FILE, Cache
from yurt.errors import YurtError

# As long as uv waits (`UV_LOCK_TIMEOUT`): long enough for a big install to finish.
DEFAULT_TIMEOUT = 300.0
TIMEOUT_VARIABLE = "YURT_LOCK_TIMEOUT"

# Polling, not a blocking flock, is what makes a timeout possible without signals (which only
# work in the main thread); the interval grows so that a long wait costs next to nothing.
FIRST_POLL_INTERVAL = 0.005
LONGEST_POLL_INTERVAL = 0.1

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class LockTimeout(YurtError):
    """Other yurt processes held the cache lock for longer than the caller was willing to wait."""


def format_seconds(seconds: float) -> str:
    return f"{seconds:g} s"


class CacheLock:
    """The lock on one cache root: shared or exclusive, released on exit or when the process dies.

    `on_wait` is called once, before the first wait, so a command can tell the user why it
    pauses; `acquire` also returns whether it had to wait. One process should not take the lock
    twice on the same root: flock treats two opens of the file like two processes.
    """

    __slots__ = ("root", "exclusive", "timeout", "on_wait", "handle")

    def __init__(self, root: Path, *, exclusive: bool = False, timeout: float = DEFAULT_TIMEOUT,
                 on_wait: Callable[[], None] | None = None) -> None:
        self.root = root
        self.exclusive = exclusive
        self.timeout = timeout
        self.on_wait = on_wait
        self.handle: object = None

    @property
    def path(self) -> Path:
        return self.root / LOCK_FILE

    @property
    def held(self) -> bool:
        return self.handle is not None

    def acquire(self) -> bool:
        """Take the lock, waiting up to `timeout` seconds; True when another process made it wait."""
        if self.handle is not None:
            raise RuntimeError("the cache lock is already held by this object")
        Cache(self.root).prepare_root()
        if fcntl is None:
            return self._acquire_with_filelock()
        descriptor = open_lock_file(self.path)
        operation = fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH
        try:
            waited = self._poll(lambda: try_flock(descriptor, operation))
        except BaseException:
            os.close(descriptor)
            raise
        self.handle = descriptor
        return waited

    def release(self) -> None:
        handle, self.handle = self.handle, None
        if handle is None:
            return
        if fcntl is None:
            handle.release()  # type: ignore[attr-defined]
        else:
            # Closing the only descriptor of the open file drops the flock too; unlocking first
            # makes the release immediate even if a forked child inherited the descriptor.
            try:
                fcntl.flock(handle, fcntl.LOCK_UN)  # type: ignore[arg-type]
            finally:
                os.close(handle)  # type: ignore[arg-type]

    def __enter__(self) -> CacheLock:
        self.acquire()
        return self

    def __exit__(self, *exception: object) -> None:
        self.release()

    def _poll(self, attempt: Callable[[], bool]) -> bool:
        if attempt():
            return False
        if self.on_wait is not None:
            self.on_wait()
        deadline = time.monotonic() + self.timeout
        interval = FIRST_POLL_INTERVAL
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timeout_error()
            time.sleep(min(interval, remaining))
            interval = min(interval * 2, LONGEST_POLL_INTERVAL)
            if attempt():
                return True

    def _acquire_with_filelock(self) -> bool:
        import filelock

        lock = filelock.FileLock(str(self.path))
        try:
            lock.acquire(timeout=0)
            waited = False
        except filelock.Timeout:
            if self.on_wait is not None:
                self.on_wait()
            try:
                lock.acquire(timeout=self.timeout)
            except filelock.Timeout:
                raise self._timeout_error() from None
            waited = True
        self.handle = lock
        return waited

    def _timeout_error(self) -> LockTimeout:
        return LockTimeout(
            f"timed out after {format_seconds(self.timeout)} waiting for other yurt processes"
            f" using the cache at {self.root}",
            f"set {TIMEOUT_VARIABLE} (seconds) to wait longer",
        )


def open_lock_file(path: Path) -> int:
    """A descriptor on the lock file, creating it if needed; read-only if the cache is."""
    flags = getattr(os, "O_CLOEXEC", 0)
    try:
        # Never replaced or truncated: every process must lock the same inode.
        return os.open(path, os.O_RDWR | os.O_CREAT | flags, 0o666)
    except PermissionError:
        # A cache shared read-only (another user's, a read-only mount) can still be locked.
        return os.open(path, os.O_RDONLY | flags)
    except OSError as error:
        import errno

        if error.errno != errno.EROFS:
            raise
        return os.open(path, os.O_RDONLY | flags)


def try_flock(descriptor: int, operation: int) -> bool:
    try:
        fcntl.flock(descriptor, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def shared_lock(root: Path, timeout: float = DEFAULT_TIMEOUT,
                on_wait: Callable[[], None] | None = None) -> CacheLock:
    """The lock every process that uses the cache holds for its whole run (a context manager)."""
    return CacheLock(root, exclusive=False, timeout=timeout, on_wait=on_wait)


def exclusive_lock(root: Path, timeout: float = DEFAULT_TIMEOUT,
                   on_wait: Callable[[], None] | None = None) -> CacheLock:
    """The lock `cache clean` and `cache prune` hold while they remove entries (a context manager)."""
    return CacheLock(root, exclusive=True, timeout=timeout, on_wait=on_wait)
