"""Project names: validity (PEP 508) and the normalized form used as a key (PEP 503)."""

from __future__ import annotations

import re

# PEP 508: letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit.
VALID_NAME = re.compile(r"[a-z0-9]([a-z0-9._-]*[a-z0-9])?", re.IGNORECASE)
SEPARATOR_RUN = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """The PEP 503 form of a project name: lowercase, each run of `-`, `_`, `.` turned into `-`."""
    return SEPARATOR_RUN.sub("-", name).lower()


def is_valid_name(name: str) -> bool:
    """True when `name` is a project name that PEP 508 allows."""
    return VALID_NAME.fullmatch(name) is not None
