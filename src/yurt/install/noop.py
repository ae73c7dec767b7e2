"""Remember that an environment satisfied an input, so an unchanged re-run answers from stat calls.

This module is read before argparse on the fast path: it imports only built-in modules (`os`,
`sys`, `marshal`) and does its own atomic write.
"""

from __future__ import annotations

import marshal
import os
import sys

from yurt import __version__

# Kept in the environment itself: it describes that environment, and it survives where the
# environment does (a bind-mounted project folder), even when the cache does not.
STATE_FILE = ".yurt-state"
METADATA_SUFFIXES = (".dist-info", ".egg-info", ".egg-link")


def fingerprint(directories) -> list:
    """A cheap summary that changes when dists are added, removed or changed.

    Each folder's own modification time moves when an entry is added, renamed or removed; each
    metadata entry's moves when files inside it are (RECORD and INSTALLER are replaced by rename).
    """
    summary = []
    for directory in dict.fromkeys(str(directory) for directory in directories):
        try:
            summary.append([directory, os.stat(directory).st_mtime_ns])
            with os.scandir(directory) as entries:
                summary.extend(sorted(
                    [entry.name, entry.stat(follow_symlinks=False).st_mtime_ns]
                    for entry in entries
                    if entry.name.endswith(METADATA_SUFFIXES)
                ))
        except FileNotFoundError:
            summary.append([directory, None])
    return summary


def file_stats(paths) -> list:
    stats = []
    for path in paths:
        try:
            status = os.stat(path)
            stats.append([path, status.st_size, status.st_mtime_ns])
        except OSError:
            stats.append([path, None, None])
    return stats


def identity() -> str:
    # marshal's format belongs to one Python version; the state is yurt's alone.
    return f"yurt {__version__} on {sys.version}"


def read_state(root: str) -> dict | None:
    try:
        with open(os.path.join(root, STATE_FILE), "rb") as stream:
            state = marshal.loads(stream.read())
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(state, dict) or state.get("identity") != identity():
        return None
    return state


def recall(root: str, request: dict) -> dict | None:
    """The stored verdict if the request, its files and the environment are exactly as then."""
    state = read_state(root)
    if state is None or state.get("request") != request:
        return None
    if state.get("files") != file_stats(entry[0] for entry in state.get("files", [])):
        return None
    if state.get("environment") != fingerprint(state.get("site_packages", [])):
        return None
    return state


def remember(root: str, request: dict, site_packages, source_files, checked: int, python_version: str) -> None:
    """Store the verdict; skipped when an input reads environment variables, which stat cannot see."""
    if reads_variables(source_files):
        return
    site_packages = [str(path) for path in site_packages]
    state = {
        "identity": identity(),
        "request": request,
        # pyvenv.cfg's stat tells a venv made anew at the same path.
        "files": file_stats([*source_files, os.path.join(root, "pyvenv.cfg")]),
        "site_packages": site_packages,
        "environment": fingerprint(site_packages),
        "checked": checked,
        "python_version": python_version,
    }
    write_atomically(os.path.join(root, STATE_FILE), marshal.dumps(state))


def reads_variables(paths) -> bool:
    """True when a file uses `${NAME}` (or cannot be read): its meaning can change with no stat change."""
    for path in paths:
        try:
            with open(path, "rb") as stream:
                if b"${" in stream.read():
                    return True
        except OSError:
            return True
    return False


def write_atomically(path: str, data: bytes) -> None:
    """Write through a temporary file and a rename; a failure only loses the speed-up."""
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        with open(temporary, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def forget(root) -> None:
    try:
        os.unlink(os.path.join(root, STATE_FILE))
    except OSError:
        pass


def install_request(packages=(), editables=(), requirement_files=(), constraint_files=(), override_files=(),
                    extras=(), all_extras=False, groups=()) -> dict:
    """What a `pip install` verdict depends on besides files and the environment: its command line.

    The files it names (and those they include) are compared by stat; nothing is parsed.
    """
    def real(paths):
        return [os.path.realpath(path) for path in paths]

    return {
        "command": "install",
        "directory": os.getcwd(),
        "packages": list(packages),
        "editables": list(editables),
        "requirements": real(requirement_files),
        "constraints": real(constraint_files),
        "overrides": real(override_files),
        "extras": sorted(extras),
        "all_extras": bool(all_extras),
        "groups": sorted(groups),
    }
