"""`yurt cache dir | clean | prune | size`: where the cache lives, emptying it, and its size."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from yurt.cache import Cache
from yurt.cli.output import Output, format_size
from yurt.errors import YurtError
from yurt.settings import Settings


def run(arguments: argparse.Namespace, settings: Settings, output: Output) -> int:
    cache = Cache(settings.cache_dir.absolute())
    if arguments.cache_command == "dir":
        output.data(str(cache.root))
        return 0
    if arguments.cache_command == "clean":
        return clean(cache, arguments.names, arguments.force, settings.lock_timeout, output)
    if arguments.cache_command == "prune":
        return prune(cache, settings.lock_timeout, output)
    if arguments.cache_command == "size":
        return size(cache, arguments.human, output)
    raise AssertionError(f"unknown cache command {arguments.cache_command!r}")


def clean(cache: Cache, names: list[str], force: bool, timeout: float, output: Output) -> int:
    from yurt.cache import maintenance

    if not cache.root.is_dir():
        output.status(f"No cache found at: {cache.root}")
        return 0
    # The same package spelled twice (`Foo_Bar foo-bar`) is cleaned and reported once.
    packages = list(dict.fromkeys(maintenance.checked_name(name) for name in names))
    if not packages:
        output.status(f"Clearing cache at: {cache.root}")
    if force:
        # The user's explicit choice, as with uv: processes using the cache may fail.
        return report_clean(cache, packages, output)
    hint = "pass `--force` to clean without waiting; yurt processes using the cache may then fail"
    with exclusive_lock(cache, timeout, output, hint):
        return report_clean(cache, packages, output)


def report_clean(cache: Cache, packages: list[str], output: Output) -> int:
    from yurt.cache import maintenance

    if not packages:
        report = maintenance.clean(cache)
        if report.entries == 0:
            output.status("No cache entries found")
        else:
            output.status(f"Removed {count(report.files, 'file')} ({format_size(report.bytes)})")
        return 0
    for package in packages:
        report = maintenance.clean(cache, [package])
        if report.entries == 0:
            output.status(f"No cache entries found for {package}")
        else:
            output.status(
                f"Removed {count(report.files, 'file')} for {package} ({format_size(report.bytes)})"
            )
    return 0


def prune(cache: Cache, timeout: float, output: Output) -> int:
    from yurt.cache import maintenance

    if not cache.root.is_dir():
        output.status(f"No cache found at: {cache.root}")
        return 0
    output.status(f"Pruning cache at: {cache.root}")
    with exclusive_lock(cache, timeout, output, "try again when the other yurt processes are done"):
        report = maintenance.prune(cache)
    if report.entries == 0:
        output.status("No unused entries found")
    else:
        output.status(
            f"Removed {count(report.entries, 'unused entry', 'unused entries')}"
            f" ({format_size(report.bytes)})"
        )
    return 0


def size(cache: Cache, human: bool, output: Output) -> int:
    from yurt.cache import maintenance

    # No lock: a read-only walk that tolerates entries vanishing, so it never waits on a clean.
    total = maintenance.size(cache)
    output.data(format_size(total) if human else str(total))
    return 0


@contextmanager
def exclusive_lock(cache: Cache, timeout: float, output: Output, hint: str) -> Iterator[None]:
    """Hold the cache's exclusive lock, telling the user once if it has to wait; `hint` on timeout."""
    from yurt.cache.lock import LockTimeout

    def announce() -> None:
        output.status("Waiting for other yurt processes to finish using the cache...")

    lock = cache.exclusive_lock(timeout, on_wait=announce)
    try:
        lock.acquire()
    except LockTimeout as error:
        raise YurtError(error.message, hint, *error.hints) from None
    try:
        yield
    finally:
        lock.release()

def count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
