"""Sets of versions of one package, exact under PEP 440, over the finite list of versions it has."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

from packaging.specifiers import Specifier, SpecifierSet
from packaging.version import Version


@dataclass(frozen=True, slots=True, eq=False)
class VersionUniverse:
    """Every version a package has (as far as the provider knows), sorted ascending.

    One object per package, shared by all the sets of that package: sets compare their universe
    by identity, so a provider must build each universe once and hand out the same object.
    """

    package: Hashable
    versions: tuple[Version, ...]
    positions: dict[Version, int] = field(init=False, repr=False)
    # Bit i of a set's mask stands for `versions[i]`; this mask has them all.
    full_mask: int = field(init=False, repr=False)
    # Specifier text -> (bitmask, label): the same specifier turns up in many releases' dependencies,
    # and testing it against every version of a long-lived package is the expensive part.
    specifier_sets: dict[str, tuple[int, str | None]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # A set of Versions drops spellings of one version (`1.0` and `1.0.0` are equal in PEP 440).
        ordered = tuple(sorted(set(self.versions)))
        object.__setattr__(self, "versions", ordered)
        object.__setattr__(self, "positions", {version: position for position, version in enumerate(ordered)})
        object.__setattr__(self, "full_mask", (1 << len(ordered)) - 1)
        object.__setattr__(self, "specifier_sets", {})


@dataclass(frozen=True, slots=True)
class VersionSet:
    """A subset of a universe, stored as a bitmask; `label` is the text it was built from.

    The label (such as `<3`) is what a user wrote, so it is shown for as long as operations leave
    the set unchanged; any other set is rendered as ranges over its universe.
    """

    universe: VersionUniverse
    mask: int
    label: str | None = field(default=None, compare=False)

    @classmethod
    def full(cls, universe: VersionUniverse) -> VersionSet:
        return cls(universe, universe.full_mask)

    @classmethod
    def empty(cls, universe: VersionUniverse) -> VersionSet:
        return cls(universe, 0)

    @classmethod
    def from_specifier(cls, universe: VersionUniverse, specifier_text: str) -> VersionSet:
        """The versions a PEP 440 specifier admits, pre-releases included (their policy is the provider's)."""
        known = universe.specifier_sets.get(specifier_text)
        if known is None:
            specifier_set = SpecifierSet(specifier_text)
            mask = 0
            for position, version in enumerate(universe.versions):
                if specifier_set.contains(version, prereleases=True):
                    mask |= 1 << position
            # The clauses in the order written (str(SpecifierSet) would sort them), spaces removed.
            clauses = [str(Specifier(clause.strip())) for clause in specifier_text.split(",") if clause.strip()]
            known = universe.specifier_sets[specifier_text] = (mask, ",".join(clauses) or None)
        return cls(universe, *known)

    @classmethod
    def exact(cls, universe: VersionUniverse, version: Version) -> VersionSet:
        """The set holding `version` alone; empty when the universe lacks it (but labelled with it)."""
        position = universe.positions.get(version)
        return cls(universe, 0 if position is None else 1 << position, f"=={version}")

    def _check_universe(self, other: VersionSet) -> None:
        if other.universe is not self.universe:
            raise ValueError(
                f"cannot combine versions of {self.universe.package!r} with versions of {other.universe.package!r}"
            )

    def _combined(self, other: VersionSet, mask: int) -> VersionSet:
        self._check_universe(other)
        # An operation that gives back one of its operands has not changed that set: keep its label.
        if mask == self.mask:
            return self
        if mask == other.mask:
            return other
        return VersionSet(self.universe, mask)

    def __and__(self, other: VersionSet) -> VersionSet:
        return self._combined(other, self.mask & other.mask)

    def __or__(self, other: VersionSet) -> VersionSet:
        return self._combined(other, self.mask | other.mask)

    def __invert__(self) -> VersionSet:
        return VersionSet(self.universe, self.universe.full_mask & ~self.mask)

    def is_subset_of(self, other: VersionSet) -> bool:
        self._check_universe(other)
        return self.mask & ~other.mask == 0

    def is_disjoint(self, other: VersionSet) -> bool:
        self._check_universe(other)
        return self.mask & other.mask == 0

    def contains(self, version: Version) -> bool:
        position = self.universe.positions.get(version)
        return position is not None and bool(self.mask >> position & 1)

    def versions(self) -> list[Version]:
        """The versions in the set, ascending."""
        return [version for position, version in enumerate(self.universe.versions) if self.mask >> position & 1]

    @property
    def is_empty(self) -> bool:
        return self.mask == 0

    @property
    def is_full(self) -> bool:
        return self.mask == self.universe.full_mask

    def render(self, package_display_name: str) -> str:
        """The set for people: its label, or ranges such as `b>=2.0.0,<3.0.0 | b==4.1.0`.

        A run of consecutive versions is written with the first version in it and the first
        version of the universe after it; several runs are joined with ` | ` and each repeats the
        name, so that no part reads like a `,`-joined clause of one specifier. A set missing fewer
        versions than it has runs reads better as exclusions (`b!=1.5.0`).
        """
        name = package_display_name
        if self.label is not None:
            return f"{name}{self.label}"
        if self.is_empty:
            return f"no versions of {name}"
        if self.is_full:
            return f"all versions of {name}"
        runs = self._runs()
        missing = [version for position, version in enumerate(self.universe.versions) if not self.mask >> position & 1]
        if len(missing) < len(runs):
            return name + ",".join(f"!={version}" for version in missing)
        return " | ".join(name + self._run_text(first, last) for first, last in runs)

    def _runs(self) -> list[tuple[int, int]]:
        """The maximal runs of consecutive positions in the set, as (first, last) inclusive."""
        runs: list[tuple[int, int]] = []
        start = None
        for position in range(len(self.universe.versions) + 1):
            inside = bool(self.mask >> position & 1)
            if inside and start is None:
                start = position
            elif not inside and start is not None:
                runs.append((start, position - 1))
                start = None
        return runs

    def _run_text(self, first: int, last: int) -> str:
        versions = self.universe.versions
        if first == last:
            return f"=={versions[first]}"
        if first == 0:
            return f"<{versions[last + 1]}"
        if last == len(versions) - 1:
            return f">={versions[first]}"
        return f">={versions[first]},<{versions[last + 1]}"
