"""PubGrub version solving: unit propagation, conflict-driven learning, decisions asked of a provider."""

from __future__ import annotations

import enum
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

from packaging.version import Version

from yurt.errors import YurtError
from yurt.resolve.version_set import VersionSet, VersionUniverse


class RootPackage:
    """The sentinel package standing for the user's requirements; never equal to a provider's name."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<root>"


ROOT = RootPackage()
ROOT_VERSION = Version("0")
ROOT_UNIVERSE = VersionUniverse(ROOT, (ROOT_VERSION,))


class Relation(enum.Enum):
    """How a term, or an incompatibility, stands against what the partial solution knows."""

    SATISFIED = "satisfied"
    CONTRADICTED = "contradicted"
    INCONCLUSIVE = "inconclusive"
    # Incompatibilities only: every term satisfied but one, which is inconclusive.
    ALMOST_SATISFIED = "almost satisfied"


@dataclass(frozen=True, slots=True)
class Term:
    """A statement about one package: selected within `versions` (positive), or not (negative).

    A negative term also holds when the package is not selected at all, which is why
    `not a in S` differs from `a in ~S`.
    """

    package: Hashable
    versions: VersionSet
    positive: bool = True

    def negate(self) -> Term:
        return Term(self.package, self.versions, not self.positive)

    def intersect(self, other: Term) -> Term:
        """The term that holds exactly when both hold (same package)."""
        if self.positive and other.positive:
            return Term(self.package, self.versions & other.versions, True)
        if self.positive:
            return Term(self.package, self.versions & ~other.versions, True)
        if other.positive:
            return Term(self.package, other.versions & ~self.versions, True)
        return Term(self.package, self.versions | other.versions, False)

    def difference(self, other: Term) -> Term:
        return self.intersect(other.negate())

    def satisfies(self, other: Term) -> bool:
        """True when every selection allowed by this term is allowed by `other`."""
        if self.positive and other.positive:
            return self.versions.is_subset_of(other.versions)
        if self.positive:
            return self.versions.is_disjoint(other.versions)
        if other.positive:
            return False
        return other.versions.is_subset_of(self.versions)

    def is_disjoint_from(self, other: Term) -> bool:
        """True when no selection is allowed by both terms."""
        if self.positive and other.positive:
            return self.versions.is_disjoint(other.versions)
        if self.positive:
            return self.versions.is_subset_of(other.versions)
        if other.positive:
            return other.versions.is_subset_of(self.versions)
        return False

    def relation_to(self, known: Term) -> Relation:
        """How this term fares when `known` is all that is known about its package."""
        if known.satisfies(self):
            return Relation.SATISFIED
        if known.is_disjoint_from(self):
            return Relation.CONTRADICTED
        return Relation.INCONCLUSIVE


@dataclass(frozen=True, slots=True)
class RootCause:
    """The root package must be selected."""


@dataclass(frozen=True, slots=True)
class RequirementCause:
    """The user asked for `package` within `versions`; `origin` says where (None: the command line)."""

    package: Hashable
    versions: VersionSet
    origin: str | None


@dataclass(frozen=True, slots=True)
class DependencyCause:
    """`package` within `versions` depends on `dependency` within `dependency_versions`."""

    package: Hashable
    versions: VersionSet
    dependency: Hashable
    dependency_versions: VersionSet


@dataclass(frozen=True, slots=True)
class NoVersionsCause:
    """The provider has no version of `package` within `versions` it can offer; `reason` may say why."""

    package: Hashable
    versions: VersionSet
    reason: str | None


@dataclass(frozen=True, slots=True)
class UnavailableCause:
    """The provider cannot give the dependencies of `package` at `version`, for `reason`."""

    package: Hashable
    version: Version
    reason: str


@dataclass(frozen=True, slots=True)
class DerivedCause:
    """Learned by resolving two incompatibilities against each other during conflict resolution."""

    conflict: Incompatibility
    other: Incompatibility


Cause = RootCause | RequirementCause | DependencyCause | NoVersionsCause | UnavailableCause | DerivedCause


# Compared by identity: the error report counts how often one incompatibility is used as a cause.
@dataclass(frozen=True, slots=True, eq=False)
class Incompatibility:
    """Terms that must not all hold at once (at most one per package), and why."""

    terms: tuple[Term, ...]
    cause: Cause

    @property
    def is_failure(self) -> bool:
        """True when this rules out the root itself: no solution exists."""
        return not self.terms or (len(self.terms) == 1 and self.terms[0].package is ROOT and self.terms[0].positive)


@dataclass(frozen=True, slots=True)
class RootRequirement:
    """One requirement of the user; `origin` is where it was written (`requirements.txt:3`), or None."""

    package: Hashable
    versions: VersionSet
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class Unavailable:
    """What a provider returns instead of dependencies when a version cannot be used."""

    reason: str


class Provider(Protocol):
    """What the solver asks about packages; implementations subclass it to inherit the defaults.

    Package names are whatever hashable values the provider chooses (extras can be packages of
    their own, such as "a[x]" depending on "a"). The solver never calls `universe` itself: the
    caller builds root requirements from it, and the provider builds dependency sets from it.
    """

    def universe(self, package: Hashable) -> VersionUniverse:
        """Every known version of `package`; all sets of `package` the provider hands out use this object."""
        ...

    def choose_version(self, package: Hashable, allowed: VersionSet) -> Version | None:
        """The preferred version within `allowed` (preferences and policies are the provider's), or None."""
        ...

    def dependencies(self, package: Hashable, version: Version) -> list[tuple[Hashable, VersionSet]] | Unavailable:
        """What `version` of `package` needs, as (package, allowed versions) pairs, or why it cannot be used."""
        ...

    def priority(self, package: Hashable, allowed: VersionSet) -> object:
        """A sortable key; the package with the lowest key is decided next."""
        ...

    def unavailable_reason(self, package: Hashable, allowed: VersionSet) -> str | None:
        """Why `choose_version` found nothing in `allowed`, to show the user."""
        return None

    def on_decision(self, package: Hashable, version: Version) -> None:
        """Hook: `version` of `package` was picked (a provider may prefetch its dependencies)."""

    def on_conflict(self, package: Hashable) -> None:
        """Hook: `package` took part in a conflict (a provider may prefetch more of its versions)."""


class NoSolution(YurtError):
    """No set of versions satisfies the requirements; `report` explains why in sentences."""

    def __init__(self, report: str, incompatibility: Incompatibility) -> None:
        super().__init__(report)
        self.report = report
        self.incompatibility = incompatibility


@dataclass(frozen=True, slots=True)
class Assignment:
    """One step of the partial solution: a decision (no cause) or a term derived from `cause`."""

    term: Term
    decision_level: int
    position: int
    cause: Incompatibility | None
    # The intersection of this package's assignments up to and including this one.
    accumulated: Term


class PartialSolution:
    """The assignments made so far, in order, with each package's accumulated term."""

    def __init__(self) -> None:
        self.assignments: list[Assignment] = []
        self.by_package: dict[Hashable, list[Assignment]] = {}
        self.decisions: dict[Hashable, Version] = {}
        self.decision_level = 0

    def decide(self, package: Hashable, version: Version, universe: VersionUniverse) -> None:
        self.decision_level += 1
        self.decisions[package] = version
        self._assign(Term(package, VersionSet.exact(universe, version)), None)

    def derive(self, term: Term, cause: Incompatibility) -> None:
        self._assign(term, cause)

    def _assign(self, term: Term, cause: Incompatibility | None) -> None:
        history = self.by_package.setdefault(term.package, [])
        accumulated = history[-1].accumulated.intersect(term) if history else term
        assignment = Assignment(term, self.decision_level, len(self.assignments), cause, accumulated)
        self.assignments.append(assignment)
        history.append(assignment)

    def backtrack(self, decision_level: int) -> None:
        """Drop every assignment made above `decision_level`."""
        while self.assignments and self.assignments[-1].decision_level > decision_level:
            assignment = self.assignments.pop()
            package = assignment.term.package
            history = self.by_package[package]
            history.pop()
            if not history:
                del self.by_package[package]
            if assignment.cause is None:
                del self.decisions[package]
        self.decision_level = decision_level

    def term_relation(self, term: Term) -> Relation:
        history = self.by_package.get(term.package)
        if not history:
            return Relation.INCONCLUSIVE
        return term.relation_to(history[-1].accumulated)

    def relation(self, incompatibility: Incompatibility) -> tuple[Relation, Term | None]:
        """The incompatibility's relation, and for ALMOST_SATISFIED the one term left inconclusive."""
        inconclusive = None
        for term in incompatibility.terms:
            relation = self.term_relation(term)
            if relation is Relation.CONTRADICTED:
                return Relation.CONTRADICTED, None
            if relation is Relation.INCONCLUSIVE:
                if inconclusive is not None:
                    return Relation.INCONCLUSIVE, None
                inconclusive = term
        if inconclusive is None:
            return Relation.SATISFIED, None
        return Relation.ALMOST_SATISFIED, inconclusive

    def undecided(self) -> list[tuple[Hashable, VersionSet]]:
        """Packages that must be selected but have no version yet, with the versions still allowed."""
        return [
            (package, history[-1].accumulated.versions)
            for package, history in self.by_package.items()
            if history[-1].accumulated.positive and package not in self.decisions
        ]

    def satisfier(self, incompatibility: Incompatibility) -> tuple[Assignment, Term, int]:
        """For a satisfied incompatibility: the assignment that first made it satisfied, its term there,
        and the decision level of the latest assignment the rest of it needs (at least 1)."""
        earliest = {term: self._earliest_satisfying(term) for term in incompatibility.terms}
        term, satisfier = max(earliest.items(), key=lambda item: item[1].position)
        previous_level = 1
        for other_term, assignment in earliest.items():
            if other_term is not term:
                previous_level = max(previous_level, assignment.decision_level)
        if not satisfier.term.satisfies(term):
            # The satisfier narrowed earlier knowledge of its package into `term`: that earlier
            # knowledge is needed too.
            for assignment in self.by_package[term.package]:
                if assignment.position >= satisfier.position:
                    break
                if assignment.accumulated.intersect(satisfier.term).satisfies(term):
                    previous_level = max(previous_level, assignment.decision_level)
                    break
        return satisfier, term, previous_level

    def _earliest_satisfying(self, term: Term) -> Assignment:
        for assignment in self.by_package[term.package]:
            if assignment.accumulated.satisfies(term):
                return assignment
        raise AssertionError(f"the partial solution does not satisfy {term}")


def merged_terms(terms: Sequence[Term]) -> tuple[Term, ...]:
    """One term per package, in order of first appearance: terms of one package are intersected."""
    by_package: dict[Hashable, Term] = {}
    for term in terms:
        known = by_package.get(term.package)
        by_package[term.package] = term if known is None else known.intersect(term)
    return tuple(by_package.values())


class Solver:
    """One run of PubGrub against a provider."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.solution = PartialSolution()
        self.incompatibilities: dict[Hashable, list[Incompatibility]] = {}
        # The dependency incompatibilities of each (package, version) tried so far, so that a version
        # tried again after backtracking costs no provider call and adds no duplicates.
        self.known_versions: dict[tuple[Hashable, Version], list[Incompatibility]] = {}

    def solve(self, root_requirements: Sequence[RootRequirement]) -> dict[Hashable, Version]:
        root_full = VersionSet.full(ROOT_UNIVERSE)
        self.add(Incompatibility((Term(ROOT, root_full, positive=False),), RootCause()))
        self.propagate(ROOT)
        for requirement in root_requirements:
            cause = RequirementCause(requirement.package, requirement.versions, requirement.origin)
            terms = (Term(ROOT, root_full), Term(requirement.package, requirement.versions, positive=False))
            self.add(self.checked(Incompatibility(terms, cause), requirement.package, requirement.versions))
        self.solution.decide(ROOT, ROOT_VERSION, ROOT_UNIVERSE)
        package: Hashable | None = ROOT
        while package is not None:
            self.propagate(package)
            package = self.decide_next()
        return {package: version for package, version in self.solution.decisions.items() if package is not ROOT}

    def checked(self, requiring: Incompatibility, package: Hashable, versions: VersionSet) -> Incompatibility:
        """`requiring` (which asks for `package` within `versions`), or what follows from it at once
        when `versions` is empty.

        Propagation would derive "`package` in no versions", a term that satisfies every other term
        of its package, and the explanation would lose the reason. Resolving `requiring` against the
        fact that no such version exists, up front, keeps that fact in the derivation.
        """
        if not versions.is_empty:
            return requiring
        reason = self.provider.unavailable_reason(package, versions)
        no_versions = Incompatibility((Term(package, versions),), NoVersionsCause(package, versions, reason))
        terms = tuple(term for term in requiring.terms if term.package != package)
        return Incompatibility(terms, DerivedCause(no_versions, requiring))

    def add(self, incompatibility: Incompatibility) -> None:
        for term in incompatibility.terms:
            self.incompatibilities.setdefault(term.package, []).append(incompatibility)

    def propagate(self, package: Hashable) -> None:
        """Unit propagation: derive what the incompatibilities force, starting from `package`."""
        # A dict as an ordered set: the order packages are looked at must not depend on hashing.
        changed: dict[Hashable, None] = {package: None}
        while changed:
            current = next(iter(changed))
            del changed[current]
            # Newest first: learned incompatibilities are the most likely to bite.
            for incompatibility in reversed(self.incompatibilities.get(current, [])):
                relation, term = self.solution.relation(incompatibility)
                if relation is Relation.SATISFIED:
                    learned = self.resolve_conflict(incompatibility)
                    relation, term = self.solution.relation(learned)
                    assert relation is Relation.ALMOST_SATISFIED and term is not None
                    self.solution.derive(term.negate(), learned)
                    changed = {term.package: None}
                    break
                if relation is Relation.ALMOST_SATISFIED:
                    assert term is not None
                    self.solution.derive(term.negate(), incompatibility)
                    changed[term.package] = None

    def resolve_conflict(self, incompatibility: Incompatibility) -> Incompatibility:
        """Learn, from a satisfied incompatibility, one that backjumping turns into a derivation."""
        for term in incompatibility.terms:
            if term.package is not ROOT:
                self.provider.on_conflict(term.package)
        learned_something = False
        while not incompatibility.is_failure:
            satisfier, term, previous_level = self.solution.satisfier(incompatibility)
            if satisfier.cause is None or previous_level != satisfier.decision_level:
                if learned_something:
                    self.add(incompatibility)
                self.solution.backtrack(previous_level)
                return incompatibility
            terms = [other for other in incompatibility.terms if other.package != term.package]
            terms += [other for other in satisfier.cause.terms if other.package != term.package]
            if not satisfier.term.satisfies(term):
                terms.append(satisfier.term.difference(term).negate())
            incompatibility = Incompatibility(merged_terms(terms), DerivedCause(incompatibility, satisfier.cause))
            learned_something = True
        # Imported here: the explanation is built from this module's types, and only on failure.
        from yurt.resolve.explain import explain

        raise NoSolution(explain(incompatibility), incompatibility)

    def decide_next(self) -> Hashable | None:
        """Pick a version for the most urgent undecided package; return the package to propagate from."""
        undecided = self.solution.undecided()
        if not undecided:
            return None
        # min() keeps the first of equal keys, and `undecided` is in assignment order: deterministic.
        package, allowed = min(undecided, key=lambda item: self.provider.priority(*item))
        version = self.provider.choose_version(package, allowed)
        if version is None:
            reason = self.provider.unavailable_reason(package, allowed)
            self.add(Incompatibility((Term(package, allowed),), NoVersionsCause(package, allowed, reason)))
            return package
        if not allowed.contains(version):
            raise ValueError(f"the provider chose {package}=={version}, which is not among the allowed versions")
        conflict = False
        for incompatibility in self.version_incompatibilities(package, version, allowed.universe):
            conflict = conflict or all(
                term.package == package or self.solution.term_relation(term) is Relation.SATISFIED
                for term in incompatibility.terms
            )
        # A version that would at once satisfy one of its own incompatibilities is not decided:
        # propagation from `package` rules it out instead.
        if not conflict:
            self.solution.decide(package, version, allowed.universe)
            self.provider.on_decision(package, version)
        return package

    def version_incompatibilities(
        self, package: Hashable, version: Version, universe: VersionUniverse
    ) -> list[Incompatibility]:
        """The incompatibilities a version brings (its dependencies, or its unavailability), added once."""
        key = (package, version)
        known = self.known_versions.get(key)
        if known is not None:
            return known
        this_version = VersionSet.exact(universe, version)
        dependencies = self.provider.dependencies(package, version)
        if isinstance(dependencies, Unavailable):
            cause = UnavailableCause(package, version, dependencies.reason)
            known = [Incompatibility((Term(package, this_version),), cause)]
        else:
            known = []
            for dependency, dependency_versions in dependencies:
                cause = DependencyCause(package, this_version, dependency, dependency_versions)
                if dependency == package:
                    # Depending on itself: no constraint if this version is in range, else it rules itself out.
                    if not dependency_versions.contains(version):
                        known.append(Incompatibility((Term(package, this_version),), cause))
                    continue
                terms = (Term(package, this_version), Term(dependency, dependency_versions, positive=False))
                known.append(self.checked(Incompatibility(terms, cause), dependency, dependency_versions))
        for incompatibility in known:
            self.add(incompatibility)
        self.known_versions[key] = known
        return known


def solve(root_requirements: Sequence[RootRequirement], provider: Provider) -> dict[Hashable, Version]:
    """The chosen version of every package the requirements need; raise NoSolution with an explanation."""
    return Solver(provider).solve(root_requirements)
