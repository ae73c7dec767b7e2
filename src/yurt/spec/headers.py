"""The `Key: value` header block of core metadata and WHEEL files, read without the email package."""

from __future__ import annotations


def parse_headers(text: str) -> list[tuple[str, str]]:
    """The `Key: value` lines of core metadata or WHEEL, up to the blank line before the body."""
    headers: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line:
            break
        if line[0] in " \t" and headers:
            # A continuation line belongs to the previous field.
            key, value = headers[-1]
            headers[-1] = (key, f"{value}\n{line.strip()}")
            continue
        key, separator, value = line.partition(":")
        if separator:
            headers.append((key.strip(), value.strip()))
    return headers
