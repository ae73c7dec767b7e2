"""Dists along their lifecycle: resolved (a version and the file to use), then the whole resolution."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import Version

if TYPE_CHECKING:
    # For annotations only: the index client is a heavy import that a recalled install skips.
    from yurt.index.client import DistFile


@dataclass(frozen=True, slots=True)
class DirectSource:
    """A dist named by path, URL or VCS reference, already fetched to a local wheel, sdist or folder."""

    # "wheel", "sdist" or "directory": what `path` holds.
    kind: str
    path: Path
    # The location as `compile` pins it and PEP 610 records it (a VCS URL without `git+`).
    url: str
    editable: bool = False
    vcs: str | None = None
    commit: str | None = None
    requested_revision: str | None = None
    subdirectory: str | None = None
    # The sha256 of a fetched archive, for direct_url.json's archive_info.
    sha256: str | None = None
    # A local folder named on the command line is rebuilt on every run.
    rebuild: bool = False
    # `KEY=VALUE` strings the requirement line passes to the build backend.
    config_settings: tuple[str, ...] = ()

    def direct_url(self) -> dict:
        """The PEP 610 direct_url.json content for a dist installed from here."""
        if self.vcs is not None:
            info: dict = {"url": self.url, "vcs_info": {"vcs": self.vcs, "commit_id": self.commit}}
            if self.requested_revision:
                info["vcs_info"]["requested_revision"] = self.requested_revision
        elif self.kind == "directory":
            info = {"url": self.url, "dir_info": {"editable": True} if self.editable else {}}
        else:
            info = {"url": self.url, "archive_info": {"hashes": {"sha256": self.sha256}} if self.sha256 else {}}
        if self.subdirectory:
            info["subdirectory"] = self.subdirectory
        return info

    def pin(self) -> str:
        """The URL that names exactly this source again: VCS URLs carry the resolved commit."""
        if self.vcs is None:
            return self.url
        fragment = f"#subdirectory={self.subdirectory}" if self.subdirectory else ""
        return f"{self.vcs}+{self.url}@{self.commit}{fragment}"


@dataclass(frozen=True, slots=True)
class ResolvedDist:
    """One package of a resolution: its version, the file to install, and why it is there."""

    name: str
    version: Version
    # The index file to install; None for a direct reference, which `source` describes.
    dist: DistFile | None
    is_wheel: bool
    # Extras of this package that something asked for.
    extras: frozenset[str]
    # Resolved packages that depend on this one, and the requirement sources that name it directly.
    parents: tuple[str, ...]
    origins: tuple[str, ...]
    # `sha256:<hex>` of every file of this version on the index, for `compile --generate-hashes`.
    hashes: tuple[str, ...] = ()
    source: DirectSource | None = None

    @property
    def editable(self) -> bool:
        return self.source is not None and self.source.editable


@dataclass(frozen=True, slots=True)
class Resolution:
    """The resolver's answer: one version of every package needed, sorted by name."""

    dists: tuple[ResolvedDist, ...]

    def get(self, name: str) -> ResolvedDist | None:
        for dist in self.dists:
            if dist.name == name:
                return dist
        return None
