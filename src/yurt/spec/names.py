"""Project names: validity (PEP 508) and the normalized form used as a key (PEP 503)."""

from __future__ import annotations

# PEP 508: letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit.
VALID_NAME_PATTERN = r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?"
_valid_name = None


def normalize_name(name: str) -> str:
    """The PEP 503 form of a project name: lowercase, each run of `-`, `_`, `.` turned into `-`.

    Written without `re`: the no-op install path normalizes names and must not import it.
    """
    name = name.lower().replace("_", "-").replace(".", "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name


def is_valid_name(name: str) -> bool:
    """True when `name` is a project name that PEP 508 allows."""
    global _valid_name
    if _valid_name is None:
        import re

        _valid_name = re.compile(VALID_NAME_PATTERN, re.IGNORECASE)
    return _valid_name.fullmatch(name) is not None
