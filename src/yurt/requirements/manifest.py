"""The typed result of reading requirements: lines with their origin, gathered into a Manifest."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from yurt.errors import YurtError
from yurt.spec.names import normalize_name

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.requirements import Requirement

# The `--no-binary` / `--only-binary` values that stand for every package and for none.
ALL_PACKAGES = ":all:"
NO_PACKAGES = ":none:"


class RequirementsError(YurtError):
    """A requirements file, pyproject.toml or argument that cannot be read as a requirement."""


class Origin(NamedTuple):
    """Where a requirement was written: a file (or a label such as `<stdin>`) and a line number."""

    source: str
    line_number: int | None = None

    def __str__(self) -> str:
        if self.line_number is None:
            return self.source
        return f"{self.source}:{self.line_number}"


class DirectReference(NamedTuple):
    """Where a requirement is taken from instead of an index: a URL, a VCS repository or a local path."""

    # "url" (a remote archive), "vcs", "directory" or "archive" (a local wheel or sdist).
    kind: str
    # The URL as written for remote sources; a `file://` URL of `path` for local ones.
    url: str
    # The absolute local path of a directory or archive.
    path: str | None = None
    vcs: str | None = None
    # The repository URL that the VCS tool is given: no `git+` prefix, no revision, no fragment.
    repository: str | None = None
    revision: str | None = None
    subdirectory: str | None = None


class RequirementLine(NamedTuple):
    """One requirement as the user wrote it, parsed, with its per-line options and its origin.

    `requirement` is present whenever the project name is known: for every PEP 508 line, and for a
    path or URL whose name comes from `#egg=` or from a wheel or sdist filename. A local directory's
    name is known only once its metadata is read, so it has none here. `extras` and `marker` are
    filled for every form, named or not.
    """

    text: str
    requirement: Requirement | None
    reference: DirectReference | None = None
    extras: frozenset[str] = frozenset()
    marker: Marker | None = None
    editable: bool = False
    # `algorithm:hexdigest`, from `--hash` options on the line.
    hashes: tuple[str, ...] = ()
    # `KEY=VALUE` strings from `--config-settings`, kept raw for the build frontend.
    config_settings: tuple[str, ...] = ()
    # None for a command-line argument.
    origin: Origin | None = None

    @property
    def name(self) -> str | None:
        return None if self.requirement is None else self.requirement.name


class Manifest(NamedTuple):
    """Everything the user asked for, with the index options that requirements files may carry."""

    requirements: tuple[RequirementLine, ...] = ()
    editables: tuple[RequirementLine, ...] = ()
    constraints: tuple[RequirementLine, ...] = ()
    overrides: tuple[RequirementLine, ...] = ()
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    pre: bool = False
    # Normalized project names, or `:all:`; pip's rules decide a name found in both sets.
    no_binary: frozenset[str] = frozenset()
    only_binary: frozenset[str] = frozenset()
    prefer_binary: bool = False
    require_hashes: bool = False
    # Hosts from `--trusted-host`: served over plain HTTP or with an unverified certificate.
    insecure_hosts: tuple[str, ...] = ()
    # The real path of every file read (nested includes and pyproject.toml too), so that a later
    # run can tell from their stat alone whether its input changed.
    source_files: tuple[str, ...] = ()


class ManifestBuilder:
    """Gathers the lines and options of every source, in the order they are read, into a Manifest."""

    __slots__ = (
        "requirements", "editables", "constraints", "overrides", "index_url", "extra_index_urls",
        "find_links", "no_index", "pre", "no_binary", "only_binary", "prefer_binary",
        "require_hashes", "insecure_hosts", "source_files",
    )

    def __init__(self) -> None:
        self.requirements: list[RequirementLine] = []
        self.editables: list[RequirementLine] = []
        self.constraints: list[RequirementLine] = []
        self.overrides: list[RequirementLine] = []
        self.index_url: str | None = None
        self.extra_index_urls: list[str] = []
        self.find_links: list[str] = []
        self.no_index = False
        self.pre = False
        self.no_binary: set[str] = set()
        self.only_binary: set[str] = set()
        self.prefer_binary = False
        self.require_hashes = False
        self.insecure_hosts: list[str] = []
        self.source_files: list[str] = []

    def add_requirement(self, line: RequirementLine) -> None:
        (self.editables if line.editable else self.requirements).append(line)

    def restrict_formats(self, binary: bool, names: list[str]) -> None:
        """Apply one `--only-binary` (binary=True) or `--no-binary` value, already split and normalized.

        As pip does: items apply left to right, `:all:` replaces the set with everything, `:none:`
        empties it, and a name added to one set leaves the other.
        """
        target, other = (self.only_binary, self.no_binary) if binary else (self.no_binary, self.only_binary)
        for name in names:
            if name == ALL_PACKAGES:
                target.clear()
                target.add(ALL_PACKAGES)
            elif name == NO_PACKAGES:
                target.clear()
            else:
                other.discard(name)
                target.add(name)

    def build(self) -> Manifest:
        return Manifest(
            requirements=tuple(self.requirements),
            editables=tuple(self.editables),
            constraints=tuple(self.constraints),
            overrides=tuple(self.overrides),
            index_url=self.index_url,
            # The same URL from several files is one index, searched once.
            extra_index_urls=tuple(dict.fromkeys(self.extra_index_urls)),
            find_links=tuple(dict.fromkeys(self.find_links)),
            no_index=self.no_index,
            pre=self.pre,
            no_binary=frozenset(self.no_binary),
            only_binary=frozenset(self.only_binary),
            prefer_binary=self.prefer_binary,
            require_hashes=self.require_hashes,
            insecure_hosts=tuple(dict.fromkeys(self.insecure_hosts)),
            source_files=tuple(dict.fromkeys(self.source_files)),
        )


def requirements_by_name(lines: tuple[RequirementLine, ...]) -> dict[str, tuple[Requirement, ...]]:
    """Named requirements grouped by normalized name (constraints and overrides are looked up so)."""
    grouped: dict[str, list[Requirement]] = {}
    for line in lines:
        if line.requirement is not None:
            grouped.setdefault(normalize_name(line.requirement.name), []).append(line.requirement)
    return {name: tuple(items) for name, items in grouped.items()}
