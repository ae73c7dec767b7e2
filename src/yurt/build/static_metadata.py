"""An sdist's metadata without building it: PKG-INFO at 2.2+, or pyproject.toml's static [project]."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from yurt.spec.metadata import CoreMetadata, parse_core_metadata

# The fields resolution needs; if any is dynamic, only a build can tell.
RESOLUTION_FIELDS = ("requires-dist", "requires-python", "provides-extra")


def read_sdist_member(path: Path, member_suffix: str) -> bytes | None:
    """`<top>/<member_suffix>` of a .tar.gz or .zip sdist, or None."""
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                parts = name.split("/")
                if len(parts) == 2 and parts[1] == member_suffix:
                    return archive.read(name)
        return None
    with tarfile.open(path) as archive:
        for member in archive:
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] == member_suffix and member.isfile():
                stream = archive.extractfile(member)
                return stream.read() if stream else None
    return None


def static_sdist_metadata(path: Path) -> CoreMetadata | None:
    """Metadata an sdist states for certain, or None when only a build can produce it."""
    pkg_info = read_sdist_member(path, "PKG-INFO")
    if pkg_info is not None:
        metadata = parse_core_metadata(pkg_info)
        version = tuple(int(part) for part in metadata.metadata_version.split(".")[:2] if part.isdigit())
        if version >= (2, 2) and not any(field in metadata.dynamic for field in RESOLUTION_FIELDS):
            return metadata
    pyproject = read_sdist_member(path, "pyproject.toml")
    if pyproject is not None:
        return project_table_metadata(pyproject)
    return None


def project_table_metadata(pyproject: bytes) -> CoreMetadata | None:
    """PEP 621 metadata when `dependencies`, `optional-dependencies` and `requires-python` are static."""
    import tomllib

    try:
        project = tomllib.loads(pyproject.decode("utf-8")).get("project")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if not isinstance(project, dict) or not project.get("name") or "version" not in project:
        return None
    dynamic = {str(field) for field in project.get("dynamic", [])}
    if dynamic & {"dependencies", "optional-dependencies", "requires-python"}:
        return None
    requires = [str(item) for item in project.get("dependencies", [])]
    extras = []
    for extra, items in (project.get("optional-dependencies") or {}).items():
        extras.append(extra)
        for item in items:
            requirement, separator, condition = str(item).partition(";")
            marker = f'extra == "{extra}"'
            requires.append(f"{requirement}; ({condition.strip()}) and {marker}" if separator else f"{item}; {marker}")
    return CoreMetadata(
        name=str(project["name"]),
        version=str(project["version"]),
        metadata_version="2.4",
        requires_dist=tuple(requires),
        requires_python=project.get("requires-python"),
        provides_extra=tuple(extras),
        dynamic=(),
    )
