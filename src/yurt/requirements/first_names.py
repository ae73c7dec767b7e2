"""The project names a requirements input plainly starts with, read without parsing it, to fetch early.

An install into an empty venv needs the index pages of its requirements first, and the network
can start on them while yurt still imports and parses (a TLS handshake here takes some 25 ms).
This reads only what is sure: lines that begin with a project name and carry no marker. An input
that names other indexes or link locations gives nothing, since the pages would come from
elsewhere; a wrong guess would only cost one page the resolver does not read. The full parse
comes later and decides everything.
"""

from __future__ import annotations

import re

LEADING_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?=\s*(?:$|[\[<>=!~,\s]))")
# Options that change where pages come from: with any of them, nothing is fetched early.
SOURCE_OPTIONS = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index",
                  "--trusted-host")


def first_names(requirement_files, packages=()) -> list[str] | None:
    """Names to fetch pages for, or None when the input may use another index or cannot be read."""
    names = []
    for path in requirement_files:
        if path == "-":
            return None
        try:
            with open(path, encoding="utf-8") as stream:
                lines = stream.read().splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        for line in lines:
            text = line.split(" #", 1)[0].strip()
            if text.startswith(SOURCE_OPTIONS):
                return None
            names.extend(plain_name(text))
    for package in packages:
        names.extend(plain_name(package.strip()))
    return list(dict.fromkeys(names))


def plain_name(text: str) -> list[str]:
    """The name a requirement starts with, if it has no marker, URL, path or variable."""
    if not text or text.startswith(("-", "#", ".", "/")) or any(mark in text for mark in (";", "@", "${", "://")):
        return []
    match = LEADING_NAME.match(text)
    return [match.group(0)] if match else []
