"""Parse an HTTP Range header into one byte range (RFC 9110, section 14)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RANGE_SPEC = re.compile(r"\s*(\d*)\s*-\s*(\d*)\s*")


class RangeNotSatisfiable(Exception):
    """The range is well formed but lies outside the representation (answer 416)."""


@dataclass(frozen=True, slots=True)
class ByteRange:
    """An inclusive byte range, as HTTP counts them."""

    start: int
    end: int

    def slice(self, body: bytes) -> bytes:
        return body[self.start:self.end + 1]

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """Return the requested range, None to send the whole body, or raise RangeNotSatisfiable.

    Multi-range and malformed headers are ignored (None), which RFC 9110
    allows: a server may always answer a Range request with the full 200.
    """
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    match = _RANGE_SPEC.fullmatch(spec)
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":
        # Suffix range: the last N bytes.
        length = int(last)
        if length == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return ByteRange(max(0, size - length), size - 1)
    start = int(first)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable(header)
    end = size - 1 if last == "" else min(int(last), size - 1)
    return ByteRange(start, end)
