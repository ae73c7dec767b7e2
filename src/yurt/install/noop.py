"""Remember that an environment satisfied an input, so an unchanged re-run answers from stat calls."""

from __future__ import annotations

import json
import os
from pathlib import Path

from yurt import __version__, log
from yurt.fs import atomic_write

# Kept in the environment itself: it describes that environment, and it survives where the
# environment does (a bind-mounted project folder), even when the cache does not.
STATE_FILE = ".yurt-state.json"


def file_stats(paths) -> list[list]:
    stats = []
    for path in paths:
        try:
            status = os.stat(path)
            stats.append([path, status.st_size, status.st_mtime_ns])
        except OSError:
            stats.append([path, None, None])
    return stats


def request_key(request: dict, fingerprint: str) -> dict:
    return {"yurt": __version__, "request": request, "environment": fingerprint}


def read_state(root: Path) -> dict | None:
    try:
        return json.loads((root / STATE_FILE).read_bytes())
    except (OSError, ValueError):
        return None


def recall(root: Path, request: dict, fingerprint: str) -> int | None:
    """The count of the last check, if the input files and the environment are exactly as then."""
    state = read_state(root)
    if state is None or state.get("key") != request_key(request, fingerprint):
        return None
    if state.get("files") != file_stats(path for path, _, _ in state.get("files", [])):
        log.debug("no-op state: an input file changed")
        return None
    return state.get("checked")


def remember(root: Path, request: dict, fingerprint: str, source_files, checked: int) -> None:
    """Store the verdict; skipped when an input reads environment variables, which stat cannot see."""
    for path in source_files:
        try:
            if b"${" in Path(path).read_bytes():
                return
        except OSError:
            return
    state = {"key": request_key(request, fingerprint), "files": file_stats(source_files), "checked": checked}
    try:
        atomic_write(root / STATE_FILE, json.dumps(state).encode())
    except OSError as error:
        log.debug("cannot write the no-op state: %s", error)


def forget(root: Path) -> None:
    try:
        (root / STATE_FILE).unlink()
    except OSError:
        pass
