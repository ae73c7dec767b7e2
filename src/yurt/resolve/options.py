"""The resolver's policies, as the command line and configuration set them (imported without the resolver)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from packaging.requirements import Requirement
from packaging.version import Version


@dataclass(frozen=True, slots=True)
class ResolveOptions:
    """Policies the user chose for picking versions."""

    prerelease: str = "if-necessary-or-explicit"
    resolution: str = "highest"
    exclude_newer: datetime | None = None
    upgrade: bool = False
    upgrade_packages: frozenset[str] = frozenset()
    # Versions to keep when they still fit: installed ones, or pins of the `-o` file.
    preferences: Mapping[str, Version] = field(default_factory=dict)
    # Normalized name -> extra requirements intersected into every requirement on that name.
    constraints: Mapping[str, tuple[Requirement, ...]] = field(default_factory=dict)
    # Normalized name -> requirements that replace every declared requirement on that name.
    overrides: Mapping[str, tuple[Requirement, ...]] = field(default_factory=dict)
    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    # `--no-deps`: only what was asked for, none of its dependencies.
    no_deps: bool = False
