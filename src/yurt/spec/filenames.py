"""Distribution filenames: wheels and sdists split into name, version, build tag and tags."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from packaging.tags import Tag, parse_tag
from packaging.version import InvalidVersion, Version

from yurt.spec.names import is_valid_name, normalize_name

WHEEL_EXTENSION = ".whl"

# The sdist archive formats pip accepts, minus the lzip ones (`.tar.lz`, `.tlz`) that pip lists
# but Python's tarfile cannot open. `.tar.gz` is the only format PEP 625 allows for new uploads,
# `.zip` the old alternative; the rest still turn up on indexes and in find-links folders.
SDIST_EXTENSIONS = (".tar.gz", ".zip", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar.lzma", ".tar")

# One component of a compressed tag set: dot-separated tags of letters, digits and `_`.
TAG_SET = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*", re.IGNORECASE)
BUILD_TAG = re.compile(r"(\d+)(.*)")
WHEEL_LAYOUT = "name-version[-build]-python-abi-platform.whl"


class InvalidFilename(ValueError):
    """A filename that is not a well-formed wheel or sdist name."""


@dataclass(frozen=True, slots=True)
class WheelFilename:
    """The parts of a wheel's filename (binary distribution format spec)."""

    name: str
    version: Version
    build_tag: tuple[int, str] | tuple[()]
    tags: frozenset[Tag]
    filename: str


@dataclass(frozen=True, slots=True)
class SdistFilename:
    """The parts of a source distribution's filename."""

    name: str
    version: Version
    extension: str
    filename: str


def parse_wheel_filename(filename: str) -> WheelFilename:
    """Split a wheel filename; raise InvalidFilename naming the faulty part."""
    if not filename.lower().endswith(WHEEL_EXTENSION):
        raise InvalidFilename(f"invalid wheel filename {filename!r}: it does not end in `.whl`")
    parts = filename[: -len(WHEEL_EXTENSION)].split("-")
    if len(parts) not in (5, 6):
        raise InvalidFilename(
            f"invalid wheel filename {filename!r}: expected {WHEEL_LAYOUT}, "
            f"found {len(parts)} dash-separated parts"
        )
    name, version_text = parts[0], parts[1]
    if not is_valid_name(name):
        raise InvalidFilename(f"invalid wheel filename {filename!r}: {name!r} is not a valid project name")
    version = parse_version(version_text, filename, "wheel")
    build_tag: tuple[int, str] | tuple[()] = ()
    if len(parts) == 6:
        match = BUILD_TAG.fullmatch(parts[2])
        if match is None:
            raise InvalidFilename(
                f"invalid wheel filename {filename!r}: build tag {parts[2]!r} must start with a digit"
            )
        build_tag = (int(match.group(1)), match.group(2))
    tag_sets = parts[-3:]
    for tag_set in tag_sets:
        if TAG_SET.fullmatch(tag_set) is None:
            raise InvalidFilename(f"invalid wheel filename {filename!r}: {tag_set!r} is not a valid tag")
    return WheelFilename(
        name=normalize_name(name),
        version=version,
        build_tag=build_tag,
        tags=parse_tag("-".join(tag_sets)),
        filename=filename,
    )


def sdist_extension(filename: str) -> str | None:
    """The archive extension of an sdist filename, or None when it is not an sdist format."""
    lowered = filename.lower()
    for extension in SDIST_EXTENSIONS:
        if lowered.endswith(extension):
            return extension
    return None


def parse_sdist_filename(filename: str, project_name: str | None = None) -> SdistFilename:
    """Split an sdist filename into name and version.

    With `project_name`, the name is the prefix that normalizes to it, so names holding `-` split
    right whatever their spelling. Without it, the split is at the last `-` that starts a version
    which parses: sdist versions are normalized and dash-free in practice, while names may hold
    digit-led parts (`flake8-2020-1.6.0`). `foo-1.0-1` is ambiguous without the project name.
    """
    extension = sdist_extension(filename)
    if extension is None:
        raise InvalidFilename(
            f"invalid sdist filename {filename!r}: expected one of {', '.join(SDIST_EXTENSIONS)}"
        )
    stem = filename[: -len(extension)]
    if project_name is not None:
        wanted = normalize_name(project_name)
        for index, character in enumerate(stem):
            if character == "-" and normalize_name(stem[:index]) == wanted:
                version = parse_version(stem[index + 1 :], filename, "sdist")
                return SdistFilename(wanted, version, extension, filename)
        raise InvalidFilename(
            f"invalid sdist filename {filename!r}: it does not start with project name {project_name!r}"
        )
    index = stem.rfind("-")
    while index > 0:
        name, version_text = stem[:index], stem[index + 1 :]
        if version_text[:1].isdigit() and is_valid_name(name):
            try:
                return SdistFilename(normalize_name(name), Version(version_text), extension, filename)
            except InvalidVersion:
                pass
        index = stem.rfind("-", 0, index)
    raise InvalidFilename(f"invalid sdist filename {filename!r}: expected name-version{extension}")


def distribution_kind(filename: str) -> Literal["wheel", "sdist"] | None:
    """Whether a filename names a wheel, an sdist, or neither, judged by its extension only."""
    if filename.lower().endswith(WHEEL_EXTENSION):
        return "wheel"
    if sdist_extension(filename) is not None:
        return "sdist"
    return None


def parse_version(text: str, filename: str, kind: str) -> Version:
    """The version part of a filename, or InvalidFilename quoting it."""
    try:
        return Version(text)
    except InvalidVersion:
        raise InvalidFilename(
            f"invalid {kind} filename {filename!r}: {text!r} is not a valid version (PEP 440)"
        ) from None
