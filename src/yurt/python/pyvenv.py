"""Find a venv, read its pyvenv.cfg and name it for the user, with built-in modules only (the fast path uses them)."""

from __future__ import annotations

import os


def read_pyvenv_cfg(path: str) -> dict[str, str] | None:
    """The `key = value` pairs of a pyvenv.cfg, keys lower-cased; None if it cannot be read."""
    values = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            for line in stream:
                key, separator, value = line.partition("=")
                if separator:
                    values[key.strip().lower()] = value.strip()
    except OSError:
        return None
    return values


def find_venv(start: str) -> str | None:
    """`.venv` in the folder `start` or the nearest parent that has one."""
    directory = start
    while True:
        candidate = os.path.join(directory, ".venv")
        if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def display_root(root: str, here: str) -> str:
    """A venv's path as the user would write it: relative when it lies below the working folder."""
    if root == here:
        return "."
    if root.startswith(here.rstrip(os.sep) + os.sep):
        return root[len(here.rstrip(os.sep)) + 1:]
    return root
