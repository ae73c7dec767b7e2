"""Cache upkeep: clean (all, or some packages), prune unused entries, and measure the size."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from yurt.cache import (
    ARCHIVES,
    BUCKETS,
    BUILDS,
    CACHEDIR_TAG_FILE,
    LOCK_FILE,
    METADATA,
    SIMPLE,
    WHEELS,
    Cache,
)
from yurt.errors import YurtError
from yurt.spec.names import is_valid_name, normalize_name
from yurt.fs import TEMPORARY_PREFIX, temporary_sibling

# Kept by `clean`: processes waiting for the lock hold the lock file open, and a root that stays
# should stay tagged, so backup tools keep skipping whatever is written into it next.
KEPT_BY_CLEAN = frozenset({LOCK_FILE, CACHEDIR_TAG_FILE})
# A bucket of any format version, ours or another yurt's: `simple-v0`, `wheels-v12`.
VERSIONED_BUCKET = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*-v[0-9]+")
# Buckets whose pointer files (`{"archive": "<id>"}`) keep trees in `archives-v1` alive.
POINTER_BUCKETS = (WHEELS, BUILDS)
POINTER_SUFFIX = ".json"
# Removing a folder retries when a writer that ignored the lock (`clean --force`) refills it.
REMOVAL_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class CleanReport:
    """What `clean` removed: top-level entries, files (each link counted) and bytes (each inode once)."""

    entries: int
    files: int
    bytes: int


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What `prune` removed: unused entries, the files inside them, and their bytes."""

    entries: int
    files: int
    bytes: int


@dataclass(slots=True)
class Tally:
    """Running totals of one clean or prune; inodes already counted, so hardlinks count once."""

    entries: int = 0
    files: int = 0
    bytes: int = 0
    inodes: set[tuple[int, int]] = field(default_factory=set)

    def count_file(self, status: os.stat_result) -> None:
        self.files += 1
        key = (status.st_dev, status.st_ino)
        if key not in self.inodes:
            self.inodes.add(key)
            self.bytes += status.st_size

    def clean_report(self) -> CleanReport:
        return CleanReport(self.entries, self.files, self.bytes)

    def prune_report(self) -> PruneReport:
        return PruneReport(self.entries, self.files, self.bytes)


def checked_name(name: str) -> str:
    """A project name as PEP 503 compares it, refused unless PEP 508 allows it: the name becomes part
    of the paths that are removed, and anything else could never have made a cache entry."""
    if not is_valid_name(name):
        raise YurtError(
            f"{name!r} is not a valid package name",
            "a name is letters and digits, with `-`, `_` or `.` between them",
        )
    return normalize_name(name)


def clean(cache: Cache, names: Iterable[str] = ()) -> CleanReport:
    """Remove everything (no names) or every entry of the named packages, in all buckets.

    Call with the exclusive lock held (or on the user's explicit `--force`). Without names the root,
    its lock file and its CACHEDIR.TAG stay, so processes waiting on the lock keep a valid file.
    """
    tally = Tally()
    names = [checked_name(name) for name in names]
    if not cache.root.is_dir():
        return tally.clean_report()
    if not names:
        for entry in list_directory(cache.root):
            if entry.name not in KEPT_BY_CLEAN:
                remove_entry(Path(entry.path), tally)
        return tally.clean_report()
    for name in names:
        clean_package(cache, name, tally)
    return tally.clean_report()


def clean_package(cache: Cache, name: str, tally: Tally) -> None:
    """Remove one package's entries in every bucket, with the archives its pointers name."""
    for index_folder in subdirectories(cache.bucket(SIMPLE)):
        remove_entry(index_folder / f"{name}.msgpack", tally)
    for index_folder in subdirectories(cache.bucket(METADATA)):
        remove_entry(index_folder / name, tally)
    archive_ids: set[str] = set()
    for bucket in POINTER_BUCKETS:
        for index_folder in subdirectories(cache.bucket(bucket)):
            package_folder = index_folder / name
            if package_folder.is_dir():
                archive_ids.update(archive_id for _, archive_id in pointers_under(package_folder))
                remove_entry(package_folder, tally)
    if archive_ids:
        # Another package's pointer naming the same archive is unlikely (a wheel's digest covers
        # its name) but cheap to rule out, and removing a live archive would break that package.
        still_used = referenced_archive_ids(cache)
        for archive_id in sorted(archive_ids - still_used):
            remove_entry(cache.bucket(ARCHIVES) / archive_id, tally)


def prune(cache: Cache) -> PruneReport:
    """Remove what no current yurt can use: old bucket versions, temporary leftovers, orphaned
    archives, and pointers whose archive is gone.

    Only ever call with the exclusive lock held: a temporary path is a leftover only when no
    writer can be working on it.
    """
    tally = Tally()
    if not cache.root.is_dir():
        return tally.prune_report()
    for entry in list_directory(cache.root):
        if VERSIONED_BUCKET.fullmatch(entry.name) and entry.name not in BUCKETS:
            remove_entry(Path(entry.path), tally)
    for leftover in temporary_leftovers(cache.root):
        remove_entry(leftover, tally)
    archives = cache.bucket(ARCHIVES)
    referenced: set[str] = set()
    for pointer, archive_id in all_pointers(cache):
        if (archives / archive_id).is_dir():
            referenced.add(archive_id)
        else:
            remove_entry(pointer, tally)
            remove_empty_parents(pointer.parent, stop=cache.root)
    for archive in subdirectories(archives):
        if archive.name not in referenced:
            remove_entry(archive, tally)
    return tally.prune_report()


def size(cache: Cache) -> int:
    """Bytes in the cache, counting a file hardlinked several times once."""
    total = 0
    seen: set[tuple[int, int]] = set()
    if not cache.root.is_dir():
        return 0
    pending = [cache.root]
    while pending:
        for entry in list_directory(pending.pop()):
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                    continue
                status = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # removed meanwhile by a `clean --force`
            key = (status.st_dev, status.st_ino)
            if key not in seen:
                seen.add(key)
                total += status.st_size
    return total


# Pointers and archives


def pointers_under(folder: Path) -> Iterator[tuple[Path, str]]:
    """Every wheel pointer below `folder`, with the archive id it names."""
    pending = [folder]
    while pending:
        for entry in list_directory(pending.pop()):
            if entry.name.startswith(TEMPORARY_PREFIX):
                continue  # half-written; prune removes it as a leftover
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
            elif entry.name.endswith(POINTER_SUFFIX):
                archive_id = read_pointer(Path(entry.path))
                if archive_id is not None:
                    yield Path(entry.path), archive_id


def all_pointers(cache: Cache) -> Iterator[tuple[Path, str]]:
    for bucket in POINTER_BUCKETS:
        yield from pointers_under(cache.bucket(bucket))


def referenced_archive_ids(cache: Cache) -> set[str]:
    return {archive_id for _, archive_id in all_pointers(cache)}


def read_pointer(path: Path) -> str | None:
    """The archive id in a pointer file, or None for any other JSON (never guessed at)."""
    try:
        record = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    archive_id = record.get("archive") if isinstance(record, dict) else None
    # An id is one plain folder name: a crafted pointer must never steer a removal elsewhere.
    if not isinstance(archive_id, str) or not is_plain_name(archive_id):
        return None
    return archive_id


def is_plain_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def temporary_leftovers(root: Path) -> Iterator[Path]:
    """Every path below `root` whose name marks it as an unfinished temporary (not descended into)."""
    pending = [root]
    while pending:
        for entry in list_directory(pending.pop()):
            if entry.name.startswith(TEMPORARY_PREFIX):
                yield Path(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))


def remove_empty_parents(folder: Path, stop: Path) -> None:
    """Remove `folder` and its parents while they are empty, never `stop` or a bucket itself."""
    while folder != stop and folder.parent != stop:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


# Removal


def remove_entry(path: Path, tally: Tally) -> None:
    """Remove a file or a whole tree and count it; a missing path is not an error.

    A folder is first renamed to a temporary name beside it, so readers (of a `--force` clean)
    see the whole entry or none of it, and a removal cut short leaves a leftover `prune` finds.
    """
    try:
        status = path.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(status.st_mode):
        unlink(path)
        tally.entries += 1
        tally.count_file(status)
        return
    doomed = path
    if not path.name.startswith(TEMPORARY_PREFIX):
        doomed = temporary_sibling(path)
        try:
            rename(path, doomed)
        except FileNotFoundError:
            return
    remove_tree(doomed, tally)
    tally.entries += 1


def rename(source: Path, target: Path) -> None:
    try:
        os.rename(source, target)
    except PermissionError:
        # Renaming a folder needs write access to it on some systems (its `..` entry changes).
        make_writable(source)
        make_writable(source.parent)
        os.rename(source, target)


def remove_tree(folder: Path, tally: Tally) -> None:
    """Delete a folder bottom-up, making read-only files and folders writable on the way."""
    for attempt in range(REMOVAL_ATTEMPTS):
        make_writable(folder)
        for entry in list_directory(folder):
            entry_path = Path(entry.path)
            try:
                status = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(status.st_mode):
                remove_tree(entry_path, tally)
            else:
                unlink(entry_path)
                tally.count_file(status)
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            # Refilled by a writer meanwhile: list it again; give up only after a few rounds.
            if attempt == REMOVAL_ATTEMPTS - 1:
                raise


def unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except PermissionError:
        # Windows refuses to delete a read-only file; POSIX needs the folder writable.
        make_writable(path.parent)
        if not path.is_symlink():
            make_writable(path)
        path.unlink(missing_ok=True)


def make_writable(path: Path) -> None:
    try:
        mode = path.lstat().st_mode
        wanted = mode | stat.S_IWUSR | (stat.S_IRUSR | stat.S_IXUSR if stat.S_ISDIR(mode) else 0)
        if stat.S_IMODE(mode) != stat.S_IMODE(wanted) and not stat.S_ISLNK(mode):
            os.chmod(path, stat.S_IMODE(wanted))
    except OSError:
        pass  # not ours to change; the removal that follows reports the real problem


# Listing


def list_directory(folder: Path) -> list[os.DirEntry]:
    """A folder's entries, or none when it is missing or not a folder."""
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except (FileNotFoundError, NotADirectoryError):
        return []


def subdirectories(folder: Path) -> list[Path]:
    return [Path(entry.path) for entry in list_directory(folder) if entry.is_dir(follow_symlinks=False)]
