"""Dists along their lifecycle: resolved (a version and the file to use), then the whole resolution."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

from yurt.index.client import DistFile


@dataclass(frozen=True, slots=True)
class ResolvedDist:
    """One package of a resolution: its version, the file to install, and why it is there."""

    name: str
    version: Version
    dist: DistFile
    is_wheel: bool
    # Extras of this package that something asked for.
    extras: frozenset[str]
    # Resolved packages that depend on this one, and the requirement sources that name it directly.
    parents: tuple[str, ...]
    origins: tuple[str, ...]
    # `sha256:<hex>` of every file of this version on the index, for `compile --generate-hashes`.
    hashes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Resolution:
    """The resolver's answer: one version of every package needed, sorted by name."""

    dists: tuple[ResolvedDist, ...]

    def get(self, name: str) -> ResolvedDist | None:
        for dist in self.dists:
            if dist.name == name:
                return dist
        return None
