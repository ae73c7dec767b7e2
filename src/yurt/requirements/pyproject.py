"""pyproject.toml as a requirement source: `[project]` dependencies, extras and PEP 735 dependency groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from yurt.requirements.files import parse_requirement
from yurt.requirements.manifest import Origin, RequirementLine, RequirementsError
from yurt.spec.names import normalize_name

if TYPE_CHECKING:
    from packaging.markers import Marker

DEPENDENCIES = "dependencies"
INCLUDE_GROUP = "include-group"


def read_pyproject(path: str, extras: Iterable[str] = (), all_extras: bool = False,
                   groups: Iterable[str] = (), project_dependencies: bool = True) -> tuple[RequirementLine, ...]:
    """The requirements a pyproject.toml declares: its dependencies, the chosen extras and groups.

    A requirement on the project itself (`name[test]` in a group or an extra) stands for the
    project's own dependencies and those extras, so it is replaced by them.
    """
    source = PyprojectSource(path, load_document(path))
    if project_dependencies:
        source.add_part(DEPENDENCIES, None)
    chosen = list(source.optional_dependencies()) if all_extras else [normalize_name(extra) for extra in extras]
    for extra in chosen:
        source.add_part(extra_part(extra), None)
    for group in groups:
        source.add_lines(source.group_lines(group, ()), None)
    return tuple(source.lines)


def load_document(path: str) -> dict[str, Any]:
    import tomllib

    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise RequirementsError(f"file not found: '{path}'") from None
    except OSError as error:
        raise RequirementsError(f"cannot read '{path}': {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise RequirementsError(f"{path}: invalid TOML: {error}") from None


def extra_part(normalized_extra: str) -> str:
    return f"extra:{normalized_extra}"


class PyprojectSource:
    """One parsed pyproject.toml and the requirement lines gathered from it so far."""

    __slots__ = ("path", "document", "project_name", "lines", "included")

    def __init__(self, path: str, document: dict[str, Any]) -> None:
        self.path = path
        self.document = document
        project = document.get("project")
        name = project.get("name") if isinstance(project, dict) else None
        self.project_name = normalize_name(name) if isinstance(name, str) else None
        self.lines: list[RequirementLine] = []
        # (part, marker text or None) already added; a part added without a marker covers every marker.
        self.included: set[tuple[str, str | None]] = set()

    def error(self, message: str, *hints: str) -> RequirementsError:
        return RequirementsError(f"{self.path}: {message}", *hints)

    def project(self) -> dict[str, Any]:
        project = self.document.get("project")
        if project is None:
            raise self.error("no `[project]` table", "yurt reads a project's requirements from `[project]` (PEP 621)")
        if not isinstance(project, dict):
            raise self.error("`project` must be a table")
        return project

    def is_dynamic(self, key: str) -> bool:
        dynamic = self.project().get("dynamic", [])
        return isinstance(dynamic, list) and key in dynamic

    def optional_dependencies(self) -> dict[str, tuple[str, Any]]:
        """Each extra by its normalized name (PEP 685): (name as written, entries)."""
        if self.is_dynamic("optional-dependencies"):
            raise self.error(
                "`project.optional-dependencies` is dynamic",
                "yurt cannot build a project to learn its extras yet: list them in `[project.optional-dependencies]`",
            )
        table = self.project().get("optional-dependencies", {})
        if not isinstance(table, dict):
            raise self.error("`project.optional-dependencies` must be a table")
        return {normalize_name(name): (name, entries) for name, entries in table.items()}

    def part_lines(self, part: str) -> list[RequirementLine]:
        """The lines of `project.dependencies` or of one extra."""
        if part == DEPENDENCIES:
            if self.is_dynamic(DEPENDENCIES):
                raise self.error(
                    "`project.dependencies` is dynamic",
                    "yurt cannot build a project to learn its dependencies yet: "
                    "list them in `[project] dependencies` or in a requirements file",
                )
            return self.parse_entries(self.project().get(DEPENDENCIES, []), "project.dependencies")
        extra = part.removeprefix("extra:")
        extras = self.optional_dependencies()
        if extra not in extras:
            available = ", ".join(name for name, _ in extras.values())
            raise self.error(
                f"no extra '{extra}' in `project.optional-dependencies`",
                f"the extras are: {available}" if available else "the project defines no extras",
            )
        name, entries = extras[extra]
        return self.parse_entries(entries, f"project.optional-dependencies.{name}")

    def parse_entries(self, entries: Any, key: str) -> list[RequirementLine]:
        if not isinstance(entries, list) or not all(isinstance(entry, str) for entry in entries):
            raise self.error(f"`{key}` must be an array of requirement strings")
        origin = Origin(f"{self.path} ({key})")
        return [parse_requirement(entry, origin) for entry in entries]

    def dependency_groups(self) -> dict[str, tuple[str, Any]]:
        """Each group by its normalized name (PEP 735): (name as written, entries)."""
        table = self.document.get("dependency-groups", {})
        if not isinstance(table, dict):
            raise self.error("`dependency-groups` must be a table")
        groups: dict[str, tuple[str, Any]] = {}
        for name, entries in table.items():
            normalized = normalize_name(name)
            if normalized in groups:
                raise self.error(
                    f"`dependency-groups` has both '{groups[normalized][0]}' and '{name}', one name once normalized",
                    "rename or merge one of the two groups",
                )
            groups[normalized] = (name, entries)
        return groups

    def group_lines(self, group: str, including: tuple[str, ...]) -> list[RequirementLine]:
        """A group's lines with its `include-group` entries replaced by theirs; `including` is the chain so far."""
        groups = self.dependency_groups()
        normalized = normalize_name(group)
        if normalized not in groups:
            available = ", ".join(name for name, _ in groups.values())
            hint = f"the groups are: {available}" if available else "the file has no `[dependency-groups]` table"
            if including:
                raise self.error(
                    f"`dependency-groups.{groups[including[-1]][0]}` includes unknown group '{group}'", hint
                )
            raise self.error(f"no dependency group '{group}' in `dependency-groups`", hint)
        if normalized in including:
            chain = " -> ".join(groups[name][0] for name in (*including[including.index(normalized):], normalized))
            raise self.error(f"dependency groups include each other: {chain}",
                             "remove one of the `include-group` entries that close the cycle")
        name, entries = groups[normalized]
        key = f"dependency-groups.{name}"
        if not isinstance(entries, list):
            raise self.error(f"`{key}` must be an array")
        origin = Origin(f"{self.path} ({key})")
        lines: list[RequirementLine] = []
        for index, entry in enumerate(entries):
            if isinstance(entry, str):
                lines.append(parse_requirement(entry, origin))
            elif isinstance(entry, dict) and list(entry) == [INCLUDE_GROUP] and isinstance(entry[INCLUDE_GROUP], str):
                lines.extend(self.group_lines(entry[INCLUDE_GROUP], (*including, normalized)))
            else:
                raise self.error(
                    f"`{key}[{index}]` must be a requirement string or an `{{include-group = \"NAME\"}}` table"
                )
        return lines

    def add_part(self, part: str, marker: Marker | None) -> None:
        marker_text = None if marker is None else str(marker)
        if (part, None) in self.included or (part, marker_text) in self.included:
            return
        # Marked before its lines are read, so extras that name each other end here.
        self.included.add((part, marker_text))
        self.add_lines(self.part_lines(part), marker)

    def add_lines(self, lines: list[RequirementLine], marker: Marker | None) -> None:
        for line in lines:
            if self.is_self_reference(line):
                condition = combine_markers(marker, line.marker)
                self.add_part(DEPENDENCIES, condition)
                for extra in sorted(line.extras):
                    self.add_part(extra_part(normalize_name(extra)), condition)
            else:
                self.lines.append(with_marker(line, marker))

    def is_self_reference(self, line: RequirementLine) -> bool:
        requirement = line.requirement
        return (requirement is not None and line.reference is None
                and normalize_name(requirement.name) == self.project_name)


def combine_markers(outer: Marker | None, inner: Marker | None) -> Marker | None:
    if outer is None or inner is None:
        return inner if outer is None else outer
    from packaging.markers import Marker

    return Marker(f"({outer}) and ({inner})")


def with_marker(line: RequirementLine, marker: Marker | None) -> RequirementLine:
    """The line, applying only where `marker` holds too (it came through a marked self-reference)."""
    if marker is None:
        return line
    combined = combine_markers(marker, line.marker)
    requirement = line.requirement
    if requirement is not None:
        from packaging.requirements import Requirement

        requirement = Requirement(str(requirement))
        requirement.marker = combined
    return line._replace(requirement=requirement, marker=combined)
