"""Why resolution failed, in sentences: PubGrub's error reporting over the derivation graph."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from yurt.resolve.solver import (
    ROOT,
    DependencyCause,
    DerivedCause,
    Incompatibility,
    NoVersionsCause,
    RequirementCause,
    UnavailableCause,
)
from yurt.resolve.version_set import VersionSet

UNSATISFIABLE = "your requirements are unsatisfiable"


def explain(failure: Incompatibility) -> str:
    """The report for the incompatibility that ended resolution, one sentence a line."""
    return Report(failure).text()


def is_derived(incompatibility: Incompatibility) -> bool:
    return isinstance(incompatibility.cause, DerivedCause)


class Report:
    """Writes the derivation graph of one failure from its leaves to its conclusion.

    Each line concludes one derived incompatibility from its two causes. A derived incompatibility
    that is cited by several others, or whose derivation is written far from where it is used, gets
    a line number so that later lines can point back at it instead of repeating the derivation.
    """

    def __init__(self, failure: Incompatibility) -> None:
        self.failure = failure
        self.uses = count_uses(failure)
        self.line_numbers: dict[Incompatibility, int] = {}
        self.lines: list[str] = []
        # Work still to do, last item first. A stack instead of recursion: a long chain of
        # backtracking derives more incompatibilities than Python's recursion limit allows.
        self.pending: list[Callable[[], None]] = []

    def text(self) -> str:
        if not is_derived(self.failure):
            return f"Because {external(self.failure)}, we can conclude that {describe(self.failure)}."
        self.pending.append(lambda: self.visit(self.failure))
        while self.pending:
            self.pending.pop()()
        return "\n".join(self.lines)

    def then(self, *steps: Callable[[], None]) -> None:
        """Schedule steps to run in the order given, before anything scheduled earlier."""
        self.pending.extend(reversed(steps))

    def visit(self, incompatibility: Incompatibility, conclusion: bool = False) -> None:
        """Write the lines that derive `incompatibility` (the PubGrub report's cases, in order)."""
        cause = incompatibility.cause
        assert isinstance(cause, DerivedCause)
        numbered = conclusion or self.uses.get(incompatibility, 0) > 1
        # A numbered line closes a block of reasoning; so does the last line of the report.
        conjunction = "So," if numbered or incompatibility is self.failure else "And"
        first, second = cause.conflict, cause.other

        conclusion_text = f"we can conclude that {describe(incompatibility)}."

        def write(because: Callable[[], str]) -> Callable[[], None]:
            return lambda: self.write(incompatibility, f"{because()}, {conclusion_text}", numbered)

        if is_derived(first) and is_derived(second):
            if first in self.line_numbers and second in self.line_numbers:
                self.then(write(lambda: f"Because {self.cited(first)} and {self.cited(second)}"))
            elif first in self.line_numbers or second in self.line_numbers:
                cited, other = (first, second) if first in self.line_numbers else (second, first)
                self.then(lambda: self.visit(other), write(lambda: f"{conjunction} because {self.cited(cited)}"))
            elif self.is_single_line(first) or self.is_single_line(second):
                # Write the longer derivation first, so the one-line one sits right above the conclusion.
                earlier, later = (first, second) if self.is_single_line(second) else (second, first)
                self.then(
                    lambda: self.visit(earlier),
                    lambda: self.visit(later),
                    lambda: self.write(incompatibility, f"Thus, {conclusion_text}", numbered),
                )
            else:
                self.then(
                    lambda: self.visit(first, conclusion=True),
                    lambda: self.lines.append(""),
                    lambda: self.visit(second),
                    write(lambda: f"{conjunction} because {self.cited(first)}"),
                )
        elif is_derived(first) or is_derived(second):
            derived, leaf = (first, second) if is_derived(first) else (second, first)
            if derived in self.line_numbers:
                self.then(write(lambda: f"Because {external(leaf)} and {self.cited(derived)}"))
            elif self.is_collapsible(derived):
                # Skip the line for `derived`: state both of the facts it adds to its own derived cause at once.
                inner = derived.cause
                assert isinstance(inner, DerivedCause)
                inner_derived, inner_leaf = (
                    (inner.conflict, inner.other) if is_derived(inner.conflict) else (inner.other, inner.conflict)
                )
                self.then(
                    lambda: self.visit(inner_derived),
                    write(lambda: f"{conjunction} because {external_pair(inner_leaf, leaf)}"),
                )
            else:
                self.then(lambda: self.visit(derived), write(lambda: f"{conjunction} because {external(leaf)}"))
        else:
            self.then(write(lambda: f"Because {external_pair(first, second)}"))

    def write(self, incompatibility: Incompatibility, sentence: str, numbered: bool) -> None:
        if numbered:
            number = len(self.line_numbers) + 1
            self.line_numbers[incompatibility] = number
            sentence = f"{sentence} ({number})"
        self.lines.append(sentence)

    def cited(self, incompatibility: Incompatibility) -> str:
        return f"{describe(incompatibility)} ({self.line_numbers[incompatibility]})"

    def is_single_line(self, incompatibility: Incompatibility) -> bool:
        """True for a derived incompatibility whose two causes are both external facts."""
        cause = incompatibility.cause
        return isinstance(cause, DerivedCause) and not is_derived(cause.conflict) and not is_derived(cause.other)

    def is_collapsible(self, incompatibility: Incompatibility) -> bool:
        """True when `incompatibility`, cited once, derives from one external fact and one unwritten derivation."""
        if self.uses.get(incompatibility, 0) > 1:
            return False
        cause = incompatibility.cause
        assert isinstance(cause, DerivedCause)
        if is_derived(cause.conflict) == is_derived(cause.other):
            return False
        derived = cause.conflict if is_derived(cause.conflict) else cause.other
        return derived not in self.line_numbers


def count_uses(failure: Incompatibility) -> dict[Incompatibility, int]:
    """How many derived incompatibilities cite each derived incompatibility of the graph."""
    uses: dict[Incompatibility, int] = {}
    seen = {failure}
    stack = [failure]
    while stack:
        cause = stack.pop().cause
        assert isinstance(cause, DerivedCause)
        for parent in (cause.conflict, cause.other):
            if is_derived(parent):
                uses[parent] = uses.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    return uses


def named(package: Hashable, versions: VersionSet) -> str:
    """A set as the object of a sentence: the bare name stands for every version."""
    if versions.label is None and versions.is_full:
        return str(package)
    return versions.render(str(package))


def subject(package: Hashable, versions: VersionSet) -> tuple[str, bool]:
    """A set as the subject of a sentence, and whether its verb is plural ("all versions of b depend")."""
    if versions.label is None and versions.is_full and not versions.is_empty:
        return versions.render(str(package)), True
    return named(package, versions), False


def join(words: list[str], conjunction: str) -> str:
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def origin_note(origin: str | None) -> str:
    return f" (from {origin})" if origin else ""


def external(incompatibility: Incompatibility) -> str:
    """An external fact: a requirement, a dependency, or something the provider could not offer."""
    cause = incompatibility.cause
    if isinstance(cause, RequirementCause):
        return f"you require {named(cause.package, cause.versions)}{origin_note(cause.origin)}"
    if isinstance(cause, DependencyCause):
        text, plural = subject(cause.package, cause.versions)
        verb = "depend on" if plural else "depends on"
        return f"{text} {verb} {named(cause.dependency, cause.dependency_versions)}"
    if isinstance(cause, NoVersionsCause):
        if cause.reason:
            return f"there is no usable version of {named(cause.package, cause.versions)} ({cause.reason})"
        return f"there is no version of {named(cause.package, cause.versions)}"
    if isinstance(cause, UnavailableCause):
        return f"{cause.package}=={cause.version} cannot be used ({cause.reason})"
    raise TypeError(f"not an external incompatibility: {cause!r}")


def external_pair(first: Incompatibility, second: Incompatibility) -> str:
    """Two external facts in one clause, chained with "which depends on" when one leads to the other."""
    for leading, following in ((first, second), (second, first)):
        lead, follow = leading.cause, following.cause
        if not isinstance(follow, DependencyCause):
            continue
        if isinstance(lead, DependencyCause) and lead.dependency == follow.package:
            if lead.dependency_versions.is_subset_of(follow.versions):
                return f"{external(leading)} which depends on {named(follow.dependency, follow.dependency_versions)}"
        if isinstance(lead, RequirementCause) and lead.package == follow.package:
            if lead.versions.is_subset_of(follow.versions):
                return (
                    f"you require {named(lead.package, lead.versions)}{origin_note(lead.origin)}"
                    f" which depends on {named(follow.dependency, follow.dependency_versions)}"
                )
    one, other = first.cause, second.cause
    if isinstance(one, RequirementCause) and isinstance(other, RequirementCause):
        return (
            f"you require {named(one.package, one.versions)}{origin_note(one.origin)}"
            f" and {named(other.package, other.versions)}{origin_note(other.origin)}"
        )
    if isinstance(one, DependencyCause) and isinstance(other, DependencyCause):
        if one.package == other.package and one.versions == other.versions:
            return f"{external(first)} and {named(other.dependency, other.dependency_versions)}"
    return f"{external(first)} and {external(second)}"


def describe(incompatibility: Incompatibility) -> str:
    """What a derived incompatibility means for the user, such as "a==1.0.0 requires b>=2"."""
    # The root is always selected, so a positive root term adds nothing but "you".
    terms = [term for term in incompatibility.terms if term.package is not ROOT]
    mentions_root = len(terms) != len(incompatibility.terms)
    if not terms:
        return UNSATISFIABLE
    positives = [term for term in terms if term.positive]
    negatives = [named(term.package, term.versions) for term in terms if not term.positive]
    if len(terms) == 1:
        name = named(terms[0].package, terms[0].versions)
        if positives:
            return f"you cannot install {name}" if mentions_root else f"{name} cannot be used"
        return f"you require {name}" if mentions_root else f"{name} is required"
    if not negatives:
        return f"{join([named(term.package, term.versions) for term in positives], 'and')} are incompatible"
    if not positives:
        return f"you require {join(negatives, 'or')}" if mentions_root else f"{join(negatives, 'or')} is required"
    if len(positives) == 1:
        text, plural = subject(positives[0].package, positives[0].versions)
        return f"{text} {'require' if plural else 'requires'} {join(negatives, 'or')}"
    together = join([named(term.package, term.versions) for term in positives], "and")
    return f"{together} together require {join(negatives, 'or')}"
