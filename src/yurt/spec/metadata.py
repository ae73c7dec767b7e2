"""Core metadata (METADATA, PKG-INFO): the fields resolution and installation read."""

from __future__ import annotations

from dataclasses import dataclass

from yurt.spec.headers import parse_headers


@dataclass(frozen=True, slots=True)
class CoreMetadata:
    """The parts of a dist's core metadata that yurt uses."""

    name: str
    version: str
    metadata_version: str
    requires_dist: tuple[str, ...]
    requires_python: str | None
    provides_extra: tuple[str, ...]
    # Metadata-Version 2.2+: fields an sdist's build may still change.
    dynamic: tuple[str, ...]


def parse_core_metadata(data: bytes) -> CoreMetadata:
    """Parse the RFC 822-style header block; the description body is never read."""
    fields: dict[str, list[str]] = {}
    for key, value in parse_headers(data.decode("utf-8", errors="replace")):
        fields.setdefault(key.lower(), []).append(value)

    def all_of(field: str) -> tuple[str, ...]:
        return tuple(fields.get(field.lower(), ()))

    def first(field: str) -> str | None:
        values = fields.get(field.lower())
        return values[0] if values else None

    requires_python = first("Requires-Python")
    return CoreMetadata(
        name=(first("Name") or "").strip(),
        version=(first("Version") or "").strip(),
        metadata_version=(first("Metadata-Version") or "1.0").strip(),
        requires_dist=all_of("Requires-Dist"),
        requires_python=requires_python.strip() if requires_python and requires_python.strip() else None,
        provides_extra=all_of("Provides-Extra"),
        dynamic=tuple(value.lower() for value in all_of("Dynamic")),
    )
