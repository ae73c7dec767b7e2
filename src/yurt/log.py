"""Debug and trace logging to stderr, cheaper to import than the logging module."""

from __future__ import annotations

import os
import sys
import time

WARNING = 30
DEBUG = 10
TRACE = 5

_level = WARNING
_start = time.perf_counter()


def configure(verbosity: int) -> None:
    """Set the level from `-v` counts; `YURT_LOG=debug|trace` raises it too."""
    global _level
    level = {0: WARNING, 1: DEBUG}.get(verbosity, TRACE)
    requested = os.environ.get("YURT_LOG", "").strip().lower()
    if requested == "debug":
        level = min(level, DEBUG)
    elif requested == "trace":
        level = min(level, TRACE)
    _level = level


def enabled(level: int) -> bool:
    return level >= _level


def _write(label: str, message: str, arguments: tuple) -> None:
    # Format only when the line is shown, so disabled logging costs one comparison.
    text = message % arguments if arguments else message
    elapsed = time.perf_counter() - _start
    sys.stderr.write(f"{label} {elapsed:7.3f}s {text}\n")


def debug(message: str, *arguments: object) -> None:
    if DEBUG >= _level:
        _write("DEBUG", message, arguments)


def trace(message: str, *arguments: object) -> None:
    if TRACE >= _level:
        _write("TRACE", message, arguments)
