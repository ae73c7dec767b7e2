"""Find the dists installed in site-packages, reading only what a decision needs."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import NamedTuple

from yurt import log
from yurt.fs import TEMPORARY_PREFIX
from yurt.spec.headers import parse_headers
from yurt.spec.names import normalize_name

# This module is on the no-op install path: standard library only, NamedTuple records, and no
# file is opened until a caller asks for what is in it.

DIST_INFO = "dist-info"
EGG_INFO = "egg-info"
EGG_INFO_FILE = "egg-info file"
EGG_LINK = "egg-link"
METADATA_SUFFIXES = (".dist-info", ".egg-info", ".egg-link")
# pip renames what it uninstalls to `~name`; yurt's own temporary entries carry TEMPORARY_PREFIX.
LEFTOVER_PREFIXES = (TEMPORARY_PREFIX, "~")


class Metadata(NamedTuple):
    """The fields of core metadata that installing and checking an environment use."""

    name: str
    version: str
    requires_python: str | None
    requires_dist: tuple[str, ...]
    provides_extra: tuple[str, ...]


def parse_metadata(text: str) -> Metadata:
    name = version = ""
    requires_python = None
    requires_dist: list[str] = []
    provides_extra: list[str] = []
    for key, value in parse_headers(text):
        lowered = key.lower()
        if lowered == "name":
            name = value
        elif lowered == "version":
            version = value
        elif lowered == "requires-python":
            requires_python = value
        elif lowered == "requires-dist":
            requires_dist.append(value)
        elif lowered == "provides-extra":
            provides_extra.append(value)
    return Metadata(name, version, requires_python, tuple(requires_dist), tuple(provides_extra))


def requirements_from_requires_txt(text: str) -> tuple[list[str], list[str]]:
    """Requires-Dist and Provides-Extra values from setuptools' `requires.txt`.

    Its sections read `[extra]`, `[:marker]` or `[extra:marker]`; the lines below each are
    requirements that hold only for that extra and marker.
    """
    requirements: list[str] = []
    extras: list[str] = []
    condition = ""
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, marker = line[1:-1].partition(":")
            extra, marker = extra.strip(), marker.strip()
            if extra and extra not in extras:
                extras.append(extra)
            if extra and marker:
                condition = f'({marker}) and extra == "{extra}"'
            elif extra:
                condition = f'extra == "{extra}"'
            else:
                condition = marker
            continue
        requirements.append(f"{line}; {condition}" if condition else line)
    return requirements, extras


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def read_egg_link(path: Path) -> tuple[Path | None, Path | None]:
    """The project folder an `.egg-link` points at, and the `.egg-info` found there (either may be None)."""
    text = _read_text(path)
    if not text or not text.strip():
        return None, None
    project = Path(text.splitlines()[0].strip())
    if not project.is_absolute():
        project = path.parent / project
    wanted = normalize_name(path.name[: -len(".egg-link")])
    try:
        with os.scandir(project) as entries:
            for entry in entries:
                if entry.name.endswith(".egg-info") and normalize_name(entry.name[:-9].split("-")[0]) == wanted:
                    return project, Path(entry.path)
    except OSError:
        pass
    return project, None


class InstalledDistribution(NamedTuple):
    """A dist found in site-packages; the files behind it are read only when a method asks."""

    name: str  # as spelled in the entry's file name
    normalized_name: str
    version: str
    path: Path  # the .dist-info folder, the .egg-info folder or file, or the .egg-link file
    kind: str  # DIST_INFO, EGG_INFO, EGG_INFO_FILE or EGG_LINK

    @property
    def site_packages(self) -> Path:
        return self.path.parent

    def metadata_path(self) -> Path | None:
        if self.kind == DIST_INFO:
            return self.path / "METADATA"
        if self.kind == EGG_INFO:
            return self.path / "PKG-INFO"
        if self.kind == EGG_INFO_FILE:
            return self.path
        egg_info = read_egg_link(self.path)[1]
        if egg_info is None:
            return None
        return egg_info / "PKG-INFO" if egg_info.is_dir() else egg_info

    def metadata_text(self) -> str | None:
        path = self.metadata_path()
        return _read_text(path) if path is not None else None

    def metadata(self) -> Metadata | None:
        """Name, version, Requires-Python, Requires-Dist and Provides-Extra; None if unreadable.

        Eggs keep their requirements in `requires.txt`, which is read when PKG-INFO has none.
        """
        text = self.metadata_text()
        if text is None:
            return None
        metadata = parse_metadata(text)
        if self.kind != DIST_INFO and not metadata.requires_dist:
            path = self.metadata_path()
            requires = _read_text(path.parent / "requires.txt") if path is not None and path.name == "PKG-INFO" else None
            if requires:
                requirements, extras = requirements_from_requires_txt(requires)
                extras = list(metadata.provides_extra) + [extra for extra in extras if extra not in metadata.provides_extra]
                metadata = metadata._replace(requires_dist=tuple(requirements), provides_extra=tuple(extras))
        return metadata

    def installer(self) -> str | None:
        """The tool named in INSTALLER, if the dist has that file."""
        if self.kind != DIST_INFO:
            return None
        text = _read_text(self.path / "INSTALLER")
        if text is None:
            return None
        return text.strip() or None

    def direct_url(self) -> dict | None:
        """PEP 610's `direct_url.json`: where a dist installed from a URL or a folder came from."""
        if self.kind != DIST_INFO:
            return None
        text = _read_text(self.path / "direct_url.json")
        if text is None:
            return None
        import json

        try:
            data = json.loads(text)
        except ValueError:
            log.debug("ignoring unreadable %s", self.path / "direct_url.json")
            return None
        return data if isinstance(data, dict) else None

    def editable(self) -> bool:
        if self.kind == EGG_LINK:
            return True
        direct_url = self.direct_url()
        directory_info = direct_url.get("dir_info") if direct_url else None
        return isinstance(directory_info, dict) and directory_info.get("editable") is True

    def files(self) -> list[str] | None:
        """Absolute paths of the installed files its RECORD or `installed-files.txt` lists.

        None when the dist keeps no such list (a bare egg-info, an egg-link).
        """
        if self.kind == DIST_INFO:
            text = _read_text(self.path / "RECORD")
            if text is None:
                return None
            import csv

            base = str(self.path.parent)
            return [os.path.normpath(os.path.join(base, row[0])) for row in csv.reader(text.splitlines()) if row and row[0]]
        if self.kind == EGG_INFO:
            text = _read_text(self.path / "installed-files.txt")
            if text is None:
                return None
            base = str(self.path)
            return [os.path.normpath(os.path.join(base, line.strip())) for line in text.splitlines() if line.strip()]
        return None


class SitePackages(NamedTuple):
    """The dists of an environment's site-packages folders, by normalized name."""

    directories: tuple[Path, ...]
    by_name: dict[str, list[InstalledDistribution]]

    def find(self, name: str) -> list[InstalledDistribution]:
        """Every dist of that name: usually one, more when an environment holds duplicates."""
        return self.by_name.get(normalize_name(name), [])

    def distributions(self) -> list[InstalledDistribution]:
        return [distribution for distributions in self.by_name.values() for distribution in distributions]


def _name_and_version(entry_name: str, suffix_length: int) -> tuple[str, str]:
    """`name-version[-pyX.Y[-platform]]` as dist-info and egg-info names spell them (escaped: no `-` inside)."""
    parts = entry_name[:-suffix_length].split("-")
    return parts[0], parts[1] if len(parts) > 1 else ""


def _distribution(directory: Path, entry: os.DirEntry, wanted: Collection[str] | None) -> InstalledDistribution | None:
    entry_name = entry.name
    if entry_name.endswith(".dist-info"):
        name, version = _name_and_version(entry_name, 10)
        kind = DIST_INFO
    elif entry_name.endswith(".egg-info"):
        name, version = _name_and_version(entry_name, 9)
        kind = EGG_INFO if entry.is_dir() else EGG_INFO_FILE
    else:
        name, version = entry_name[:-9], ""
        kind = EGG_LINK
    normalized = normalize_name(name)
    if wanted is not None and normalized not in wanted:
        return None
    distribution = InstalledDistribution(name, normalized, version, directory / entry_name, kind)
    if not version:
        # An egg-link names no version, nor does an egg-info made by `setup.py develop`.
        metadata = distribution.metadata()
        if metadata is None:
            log.debug("%s has no readable metadata; its version is unknown", distribution.path)
        else:
            distribution = distribution._replace(version=metadata.version)
    return distribution


def scan(directories: Iterable[Path], names: Collection[str] | None = None) -> SitePackages:
    """List `*.dist-info`, `*.egg-info` and `*.egg-link` entries; only `names` (normalized) if given."""
    unique = tuple(dict.fromkeys(Path(directory) for directory in directories))
    wanted = frozenset(normalize_name(name) for name in names) if names is not None else None
    by_name: dict[str, list[InstalledDistribution]] = {}
    for directory in unique:
        try:
            entries = os.scandir(directory)
        except FileNotFoundError:
            continue
        with entries:
            for entry in entries:
                if not entry.name.endswith(METADATA_SUFFIXES):
                    continue
                if entry.name.startswith(LEFTOVER_PREFIXES):
                    log.debug("ignoring %s, left behind by an interrupted install or uninstall", entry.path)
                    continue
                distribution = _distribution(directory, entry, wanted)
                if distribution is not None:
                    by_name.setdefault(distribution.normalized_name, []).append(distribution)
    return SitePackages(unique, by_name)
