"""What the user sees: status lines on stderr, data on stdout, colour only when wanted."""

from __future__ import annotations

import sys
from io import TextIOBase

RESET = "\x1b[0m"
STYLES = {
    "error": "\x1b[1;31m",
    "warning": "\x1b[1;33m",
    "hint": "\x1b[1;36m",
    "bold": "\x1b[1m",
    "green": "\x1b[32m",
    "red": "\x1b[31m",
    "dim": "\x1b[2m",
}


class Output:
    """Writes status to stderr and data to stdout; `-q` silences status, `-qq` data too."""

    __slots__ = ("color", "quiet", "status_stream", "data_stream", "live")

    def __init__(self, color: bool = False, quiet: int = 0,
                 status_stream: TextIOBase | None = None, data_stream: TextIOBase | None = None) -> None:
        self.color = color
        self.quiet = quiet
        self.status_stream = status_stream or sys.stderr
        self.data_stream = data_stream or sys.stdout
        # A rich console while progress bars are on screen (see progress.py): status lines then go
        # through it, above the bars, instead of being written into them.
        self.live = None

    def _write_status(self, text: str) -> None:
        live = self.live
        if live is not None:
            from rich.text import Text

            live.print(Text.from_ansi(text.rstrip("\n")), soft_wrap=True)
        else:
            self.status_stream.write(text)

    def style(self, text: str, name: str) -> str:
        return f"{STYLES[name]}{text}{RESET}" if self.color else text

    def status(self, line: str) -> None:
        if self.quiet < 1:
            self._write_status(line + "\n")

    def waiting_for_cache(self) -> None:
        """Said when another process holds the cache lock this one needs."""
        self.status("Waiting for another yurt process to release the cache...")

    def data(self, line: str) -> None:
        if self.quiet < 2:
            self.data_stream.write(line + "\n")

    def warning(self, message: str) -> None:
        if self.quiet < 2:
            self._write_status(f"{self.style('warning', 'warning')}: {message}\n")

    def error(self, message: str, hints: tuple[str, ...] = ()) -> None:
        # Errors are shown even with -qq: a failure must never be silent.
        lines = [f"{self.style('error', 'error')}: {message}"]
        for hint in hints:
            lines.append("")
            lines.append(f"{self.style('hint', 'hint')}: {hint}")
        self.status_stream.write("\n".join(lines) + "\n")

    def duration(self, seconds: float) -> str:
        return self.style(format_duration(seconds), "dim")


def format_duration(seconds: float) -> str:
    """`3ms`, `0.42s` style, as the summary lines show it."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    return f"{seconds:.2f}s"


def format_size(byte_count: int) -> str:
    """`512B`, `12.3KiB`, `56.7MiB`: binary units, one decimal, as `cache size -H` prints."""
    if byte_count < 1024:
        return f"{byte_count}B"
    value = float(byte_count)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        # Choose the unit after rounding, so 1023.96 KiB reads 1.0MiB rather than 1024.0KiB.
        if round(value, 1) < 1024 or unit == "TiB":
            return f"{value:.1f}{unit}"
    raise AssertionError("unreachable")
