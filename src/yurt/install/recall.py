"""Remember the wheels a fresh environment received for a request, so the next fresh one just links them.

A container rebuilt over a cache volume runs the same `yurt pip install -r requirements.txt` into
a new, empty venv every time. While the resolution it used is fresh (the resolution memo's TTL),
the answer is the same list of wheels, already unpacked in the cache. That list is kept here
under the exact request: the command line, the settings, the environment's interpreter and paths,
and the stats of the requirement files. A later run into an empty environment compares those with
stat calls and links at once, without parsing a requirement or importing the index client or the
resolver. Only built-in modules are imported here.
"""

from __future__ import annotations

import marshal
import os
import time
import zlib
from typing import NamedTuple

from yurt.cache import INSTALLS
from yurt.install.noop import METADATA_SUFFIXES, file_stats, identity, reads_variables


class RecalledDist(NamedTuple):
    """A dist of a recalled install: what linking and the change report read of a ResolvedDist
    (yurt.dists), without that module's imports (dataclasses, packaging's versions)."""

    name: str
    version: str
    source: None = None


class RecalledPlan(NamedTuple):
    """The plan of a recalled install (see yurt.install.plan.Plan): link everything, remove nothing."""

    install: tuple[RecalledDist, ...]
    remove: tuple = ()


# Flags and settings that change what is printed, not what is installed.
DISPLAY_ONLY = frozenset({"sources", "verbosity", "quiet", "color"})


def install_request(arguments, settings, environment) -> dict:
    """Everything the answer depends on that stat calls cannot see: the full command line (in
    the working folder that relative paths start from), the settings, and the environment."""
    return {
        "identity": identity(),
        "directory": os.getcwd(),
        "arguments": sorted((name, repr(value)) for name, value in vars(arguments).items()
                            if name not in DISPLAY_ONLY),
        "settings": sorted((name, repr(value)) for name, value in settings._asdict().items()
                           if name not in DISPLAY_ONLY),
        "environment": repr(environment),
    }


def entry_path(cache_root, request: dict) -> str:
    # The name only spreads requests over files: the stored request is compared in full.
    return os.path.join(str(cache_root), INSTALLS, f"{zlib.crc32(marshal.dumps(request)):08x}.marshal")


def is_empty(site_packages) -> bool:
    """No dist of any kind is installed in these folders."""
    for directory in site_packages:
        try:
            with os.scandir(directory) as entries:
                if any(entry.name.endswith(METADATA_SUFFIXES) for entry in entries):
                    return False
        except FileNotFoundError:
            continue
    return True


def recall(cache_root, request: dict, site_packages, ttl: float) -> dict | None:
    """The wheels to link if the request, its files, the resolution it used and the cache are as
    they were, and the environment holds no dist; else None."""
    if not is_empty(site_packages):
        return None
    try:
        with open(entry_path(cache_root, request), "rb") as stream:
            entry = marshal.loads(stream.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(entry, dict) or entry.get("request") != request:
        return None
    if entry["files"] != file_stats(path for path, _, _ in entry["files"]):
        return None
    # The resolution memo this list came from: unchanged since, and still fresh.
    memo_path, memo_size, memo_time = entry["memo"]
    try:
        memo = os.stat(memo_path)
    except OSError:
        return None
    if (memo.st_size, memo.st_mtime_ns) != (memo_size, memo_time) or time.time() - memo_time / 1e9 >= ttl:
        return None
    if not all(os.path.isdir(dist["archive"]) for dist in entry["dists"]):
        return None
    return entry


def remember(cache_root, request: dict, source_files, memo_path, dists: list[dict], resolved: int) -> None:
    """Store what was linked; skipped when an input file reads environment variables (`${NAME}`),
    which stat calls cannot see change. `dists` hold name, version, filename, archive, sha256,
    size and requested, in the order they were installed."""
    if reads_variables(source_files):
        return
    try:
        memo = os.stat(memo_path)
    except OSError:
        return
    entry = {
        "request": request,
        "files": file_stats(source_files),
        "memo": [str(memo_path), memo.st_size, memo.st_mtime_ns],
        "resolved": resolved,
        "dists": dists,
    }
    # Through yurt.fs (imported here: relinking never writes), so that a write cut short leaves
    # a temporary name `cache prune` removes. A failure only loses the speed-up.
    from pathlib import Path

    from yurt.fs import atomic_write

    try:
        atomic_write(Path(entry_path(cache_root, request)), marshal.dumps(entry))
    except OSError:
        return
