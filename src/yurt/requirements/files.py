"""pip's requirements-file format, and requirement arguments, read into a Manifest."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from yurt.requirements.manifest import (
    ALL_PACKAGES,
    NO_PACKAGES,
    DirectReference,
    Manifest,
    ManifestBuilder,
    Origin,
    RequirementLine,
    RequirementsError,
)
from yurt.spec.names import is_valid_name, normalize_name

if TYPE_CHECKING:
    from packaging.markers import Marker
    from packaging.requirements import Requirement

    # What one requirement's text yields: requirement (if named), reference, extras, marker.
    ParsedRequirement = tuple[Requirement | None, DirectReference | None, frozenset[str], Marker | None]

# What a file's requirement lines become; a nested `-r` keeps its file's role, `-c` makes constraints.
REQUIREMENT = "requirement"
CONSTRAINT = "constraint"
OVERRIDE = "override"

STDIN_LABEL = "<stdin>"

SHORT_OPTIONS = {
    "-r": "--requirement",
    "-c": "--constraint",
    "-e": "--editable",
    "-i": "--index-url",
    "-f": "--find-links",
}
VALUE_OPTIONS = frozenset({
    "--requirement", "--constraint", "--editable", "--index-url", "--extra-index-url", "--find-links",
    "--only-binary", "--no-binary", "--trusted-host", "--hash", "--config-settings",
})
FLAG_OPTIONS = frozenset({"--no-index", "--pre", "--prefer-binary", "--require-hashes"})
# Options that belong to the requirement on their line; every other option applies to the whole run.
LINE_OPTIONS = frozenset({"--hash", "--config-settings"})
# pip accepts these in requirements files, but they mean nothing to yurt.
PIP_ONLY_OPTIONS = frozenset({"--use-feature", "--global-option", "--install-option"})

# A full-line comment, or whitespace then `#`: a `#` glued to a URL (`#egg=`, `#sha256=`) stays.
COMMENT = re.compile(r"(?:^|\s+)#.*$")
# Only the `${NAME}` form, with the uppercase names pip allows.
ENVIRONMENT_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")
# Options start at the first word that begins with `-`.
OPTIONS_START = re.compile(r"\s-")
URL_START = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
NAMED_REFERENCE = re.compile(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(\[[^\]]*\])?\s*@")
# A marker after a URL or path: URLs may hold `;`, so it needs whitespace on one side.
MARKER_SEPARATOR = re.compile(r"\s;|;\s")
TRAILING_EXTRAS = re.compile(r"(.*?)\[([^\[\]]*)\]")
PIP_INSTALL = re.compile(r"\s*(?:python[\d.]*\s+-m\s+)?(?:uv\s+|yurt\s+)?pip[\d.]*\s+install\b\s*")
SINGLE_EQUALS = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*(?:\s*\[[^\]]*\])?)\s*=\s*([^=\s].*)")
MISSING_VERSION = re.compile(r"(===|==|!=|~=|>=|<=|<|>)\s*(?:$|[,;])")
HEXADECIMAL = re.compile(r"[0-9a-fA-F]+")
HASH_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
# PEP 263, as pip honours it in the first two lines.
CODING_COMMENT = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
# UTF-32 first: its little-endian mark starts with UTF-16's.
BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# The suffixes of yurt.spec.filenames (wheel, then sdist formats), repeated because importing that
# module costs `dataclasses` on the no-op path; a test keeps the two in step.
ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar.lzma", ".tar")
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")
GIT_TRANSPORTS = frozenset({"https", "http", "ssh", "git", "file"})
OTHER_VCS = frozenset({"hg", "svn", "bzr"})
SUPPORTED_OPTIONS_HINT = (
    "requirements files accept -r, -c, -e, -i/--index-url, --extra-index-url, -f/--find-links, "
    "--no-index, --pre, --only-binary, --no-binary, --prefer-binary, --require-hashes, "
    "--trusted-host, and --hash or --config-settings after a requirement"
)


class RequirementProblem(Exception):
    """Why a requirement's text cannot be used: the hints of the error that names its line."""


def read_requirements(path: str, environment: Mapping[str, str] | None = None) -> Manifest:
    """Read a requirements file and the files it includes; `environment` fills `${NAME}`."""
    builder = ManifestBuilder()
    RequirementsReader(builder, environment).read_file(path)
    return builder.build()


def parse_requirements_text(text: str, source: str = STDIN_LABEL,
                            environment: Mapping[str, str] | None = None) -> Manifest:
    """Read requirements-file text that has no file of its own (stdin); includes are found from the current directory."""
    builder = ManifestBuilder()
    RequirementsReader(builder, environment).read_text(text, source, "")
    return builder.build()


def parse_requirement_arguments(arguments: Iterable[str], editables: Iterable[str] = ()) -> Manifest:
    """Requirements given on the command line: `-e VALUE` may sit among them or come separately."""
    builder = ManifestBuilder()
    add_requirement_arguments(builder, arguments, editables)
    return builder.build()


def add_requirement_arguments(builder: ManifestBuilder, arguments: Iterable[str],
                              editables: Iterable[str] = ()) -> None:
    """Add command-line requirements to `builder`, in the order given."""
    expecting_editable = False
    for argument in arguments:
        if expecting_editable:
            builder.add_requirement(parse_requirement(argument, editable=True))
            expecting_editable = False
        elif argument in ("-e", "--editable"):
            expecting_editable = True
        elif argument.startswith("--editable="):
            builder.add_requirement(parse_requirement(argument.partition("=")[2], editable=True))
        elif argument.startswith("-e"):
            builder.add_requirement(parse_requirement(argument[2:], editable=True))
        elif argument.startswith("-"):
            raise RequirementsError(
                f"unexpected option among the requirements: '{argument}'",
                "only `-e PATH` may appear among the requirements",
            )
        else:
            builder.add_requirement(parse_argument(argument))
    if expecting_editable:
        raise RequirementsError("`-e` needs a value", "write `-e ./path/to/project`")
    for editable in editables:
        builder.add_requirement(parse_requirement(editable, editable=True))


def parse_argument(argument: str) -> RequirementLine:
    line = parse_requirement(argument)
    requirement = line.requirement
    # `requirements.txt` is a valid project name, but nobody means it as one.
    if (requirement is not None and not requirement.specifier and requirement.url is None
            and argument.strip().lower().endswith((".txt", ".in", ".toml"))):
        raise RequirementsError(
            f"invalid requirement: '{argument}'",
            f"to read requirements from a file, use `-r {argument.strip()}`",
        )
    return line


class RequirementsReader:
    """Reads requirements files into one ManifestBuilder, following includes and refusing cycles."""

    __slots__ = ("builder", "environment", "open_files")

    def __init__(self, builder: ManifestBuilder, environment: Mapping[str, str] | None = None) -> None:
        self.builder = builder
        self.environment = os.environ if environment is None else environment
        # (real path, path as shown) of each file being read, outermost first.
        self.open_files: list[tuple[str, str]] = []

    def read_file(self, path: str, role: str = REQUIREMENT, included_from: Origin | None = None) -> None:
        """Read the file at `path` (relative to the current directory) in the given role."""
        where = f"{included_from}: " if included_from else ""
        if URL_START.match(path) and not path.startswith("file:"):
            raise RequirementsError(
                f"{where}remote requirement files are not supported yet: '{path}'",
                "download the file first (for example with `curl -O`) and pass its local path",
            )
        if path.startswith("file:"):
            path = file_url_to_path(path)
        shown = os.path.normpath(path)
        real_path = os.path.realpath(path)
        for index, (open_path, _) in enumerate(self.open_files):
            if open_path == real_path:
                chain = " -> ".join([shown_path for _, shown_path in self.open_files[index:]] + [shown])
                raise RequirementsError(
                    f"{where}requirements files include each other: {chain}",
                    "remove one of the `-r`/`-c` lines that close the cycle",
                )
        text = read_text_file(path, shown, where, role)
        self.builder.source_files.append(real_path)
        self.open_files.append((real_path, shown))
        try:
            self.read_text(text, shown, os.path.dirname(path), role)
        finally:
            self.open_files.pop()

    def read_text(self, text: str, source: str, directory: str, role: str = REQUIREMENT) -> None:
        """Read requirements-file text; `directory` anchors its includes and find-links ("" for the current one)."""
        for line_number, line in logical_lines(text):
            self.read_line(line, Origin(source, line_number), directory, role)

    def read_line(self, line: str, origin: Origin, directory: str, role: str) -> None:
        where = f"{origin}: "
        pasted = PIP_INSTALL.match(line)
        if pasted:
            rest = line[pasted.end():].strip()
            raise RequirementsError(
                f"{where}invalid requirement: '{line}'",
                f"remove `{pasted.group(0).strip()}`" + (f": write `{rest}`" if rest else ""),
            )
        if line.startswith("-"):
            requirement_text, option_text = "", line
        else:
            split = OPTIONS_START.search(line)
            requirement_text, option_text = (line[:split.start()], line[split.start():]) if split else (line, "")
        options = parse_options(split_options(option_text, where), where)
        editables = [value for name, value in options if name == "--editable"]
        line_options = [(name, value) for name, value in options if name in LINE_OPTIONS]
        run_options = [name for name, _ in options if name not in LINE_OPTIONS and name != "--editable"]
        if requirement_text or editables:
            if run_options:
                raise RequirementsError(
                    f"{where}`{run_options[0]}` must be on a line of its own",
                    f"options other than --hash and --config-settings apply to the whole run, "
                    f"not to one requirement: move `{run_options[0]}` to its own line",
                )
            if len(editables) + bool(requirement_text) > 1:
                raise RequirementsError(f"{where}more than one requirement on a line: '{line}'",
                                        "write one requirement per line")
            hashes = tuple(parse_hash(self.expand(value), where) for name, value in line_options if name == "--hash")
            config_settings = tuple(self.expand(value) for name, value in line_options if name == "--config-settings")
            requirement = parse_requirement(
                requirement_text or editables[0], origin, editable=bool(editables),
                environment=self.environment, hashes=hashes, config_settings=config_settings,
            )
            self.add(requirement, role)
            return
        if line_options:
            raise RequirementsError(
                f"{where}`{line_options[0][0]}` must follow a requirement on the same line",
                f"write it as `name==1.0 {line_options[0][0]}=...`",
            )
        for name, value in options:
            self.apply_option(name, None if value is None else self.expand(value), origin, directory, role)

    def add(self, line: RequirementLine, role: str) -> None:
        if role == REQUIREMENT:
            self.builder.add_requirement(line)
            return
        where = f"{line.origin}: " if line.origin else ""
        hint = None
        if line.editable:
            hint = f"{role}s cannot be editable: move the `-e` line to a requirements file"
        elif line.requirement is None:
            article = "an" if role == OVERRIDE else "a"
            hint = f"{article} {role} must name its project: write `name @ {line.text}`"
        elif role == CONSTRAINT and line.extras:
            hint = "constraints cannot have extras: constrain the project alone (`name==1.0`) and ask for the extras in the requirements"
        if hint:
            raise RequirementsError(f"{where}invalid {role}: '{line.text}'", hint)
        (self.builder.constraints if role == CONSTRAINT else self.builder.overrides).append(line)

    def apply_option(self, name: str, value: str | None, origin: Origin, directory: str, role: str) -> None:
        builder = self.builder
        if name == "--requirement":
            self.read_file(include_path(value, directory), role, origin)
        elif name == "--constraint":
            self.read_file(include_path(value, directory), CONSTRAINT, origin)
        elif name == "--index-url":
            builder.index_url = value
        elif name == "--extra-index-url":
            builder.extra_index_urls.append(value)
        elif name == "--find-links":
            # A local folder is found from the file that names it, wherever yurt runs.
            is_url = URL_START.match(value) is not None
            builder.find_links.append(value if is_url else os.path.abspath(os.path.join(directory, value)))
        elif name == "--trusted-host":
            builder.insecure_hosts.append(value)
        elif name in ("--only-binary", "--no-binary"):
            builder.restrict_formats(name == "--only-binary", binary_option_names(name, value, origin))
        elif name == "--no-index":
            builder.no_index = True
        elif name == "--pre":
            builder.pre = True
        elif name == "--prefer-binary":
            builder.prefer_binary = True
        elif name == "--require-hashes":
            builder.require_hashes = True

    def expand(self, text: str) -> str:
        return expand_variables(text, self.environment)


def read_text_file(path: str, shown: str, where: str, role: str) -> str:
    """The decoded text of a requirements file: a byte-order mark, a PEP 263 comment, or UTF-8."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise RequirementsError(f"{where}file not found: '{shown}'") from None
    except IsADirectoryError:
        raise RequirementsError(
            f"{where}'{shown}' is a directory, not a {role}s file",
            f"to install the project in `{shown}`, name it as a requirement (`{shown}`), without -r" if role == REQUIREMENT else "",
        ) from None
    except OSError as error:
        raise RequirementsError(f"{where}cannot read '{shown}': {error.strerror}") from None
    encoding = "utf-8"
    for mark, name in BYTE_ORDER_MARKS:
        if data.startswith(mark):
            encoding = name
            break
    else:
        for first_line in data.splitlines()[:2]:
            declared = CODING_COMMENT.match(first_line)
            if declared:
                encoding = declared.group(1).decode("ascii")
                break
    try:
        return data.decode(encoding)
    except LookupError:
        raise RequirementsError(f"{where}'{shown}' declares an unknown encoding: '{encoding}'") from None
    except UnicodeDecodeError as error:
        raise RequirementsError(
            f"{where}'{shown}' is not valid {encoding}: {error.reason} at byte {error.start}",
            "save the file as UTF-8, or declare its encoding with a `# -*- coding: NAME -*-` first line",
        ) from None


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """The non-blank lines of a file with continuations joined and comments removed, each numbered by its first physical line."""
    parts: list[str] = []
    first_number = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        if physical.lstrip().startswith("#"):
            # A comment line ends a continuation and never continues itself, as in pip.
            if parts:
                yield from finish_line(first_number, parts)
                parts = []
            continue
        if not parts:
            first_number = number
        if physical.endswith("\\"):
            parts.append(physical[:-1])
            continue
        parts.append(physical)
        yield from finish_line(first_number, parts)
        parts = []
    if parts:
        yield from finish_line(first_number, parts)


def finish_line(number: int, parts: list[str]) -> Iterator[tuple[int, str]]:
    # Comments go only once the line is whole, so a continued line may end in one.
    line = COMMENT.sub("", "".join(parts)).strip()
    if line:
        yield number, line


def split_options(text: str, where: str) -> list[str]:
    # shlex is a pure-Python lexer and a hash-pinned file has thousands of option words: plain
    # splitting serves unless quotes or escapes need shell rules.
    if not any(character in text for character in "'\"\\"):
        return text.split()
    import shlex

    try:
        return shlex.split(text)
    except ValueError as error:
        raise RequirementsError(f"{where}cannot split '{text.strip()}': {error}") from None


def parse_options(words: list[str], where: str) -> list[tuple[str, str | None]]:
    """Options as (long name, value as written); a flag's value is None."""
    options: list[tuple[str, str | None]] = []
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        if word.startswith("--"):
            name, equals, value = word.partition("=")
            if name in FLAG_OPTIONS:
                if equals:
                    raise RequirementsError(f"{where}`{name}` takes no value: '{word}'")
                options.append((name, None))
                continue
            if name not in VALUE_OPTIONS:
                raise unknown_option(name, where)
        elif word.startswith("-") and len(word) > 1:
            name = SHORT_OPTIONS.get(word[:2], "")
            if not name:
                raise unknown_option(word, where)
            value, equals = word[2:], ""
        else:
            raise RequirementsError(f"{where}unexpected '{word}'", "write one requirement or option per line")
        if not value and not equals and position < len(words):
            value = words[position]
            position += 1
        if not value:
            raise RequirementsError(f"{where}`{name}` needs a value")
        options.append((name, value))
    return options


def unknown_option(name: str, where: str) -> RequirementsError:
    if name in PIP_ONLY_OPTIONS:
        return RequirementsError(f"{where}unsupported option '{name}'",
                                 f"`{name}` is a pip option that yurt does not use: remove it")
    return RequirementsError(f"{where}unknown option '{name}'", SUPPORTED_OPTIONS_HINT)


def include_path(value: str, directory: str) -> str:
    # Included files are found from the including file, as pip does (local packages are not).
    if URL_START.match(value) or os.path.isabs(value):
        return value
    return os.path.join(directory, value)


def binary_option_names(name: str, value: str, origin: Origin) -> list[str]:
    names = []
    for item in value.split(","):
        item = item.strip()
        if item in (ALL_PACKAGES, NO_PACKAGES):
            names.append(item)
        elif is_valid_name(item):
            names.append(normalize_name(item))
        else:
            raise RequirementsError(
                f"{origin}: invalid value for `{name}`: '{value}'",
                "give project names separated by commas, `:all:` or `:none:`",
            )
    return names


def parse_hash(value: str, where: str) -> str:
    """A `--hash` value as `algorithm:hexdigest`, lowercased."""
    algorithm, colon, digest = value.partition(":")
    algorithm = algorithm.lower()
    if not colon or HASH_LENGTHS.get(algorithm) != len(digest) or not HEXADECIMAL.fullmatch(digest):
        raise RequirementsError(
            f"{where}invalid hash: '{value}'",
            "write `--hash=sha256:` and 64 hexadecimal digits (sha384 and sha512 digests are accepted too)",
        )
    return f"{algorithm}:{digest.lower()}"


def expand_variables(text: str, environment: Mapping[str, str]) -> str:
    """Replace `${NAME}` with the variable's value; an unset variable stays as written."""
    if "${" not in text:
        return text
    return ENVIRONMENT_VARIABLE.sub(lambda match: environment.get(match.group(1), match.group(0)), text)


def parse_requirement(text: str, origin: Origin | None = None, *, editable: bool = False,
                      environment: Mapping[str, str] | None = None, hashes: tuple[str, ...] = (),
                      config_settings: tuple[str, ...] = ()) -> RequirementLine:
    """One requirement in any form pip allows: PEP 508, `name @ url`, a URL, a VCS URL or a local path.

    Local paths are taken from the current directory, as pip does. With `environment`, `${NAME}`
    is expanded; the line keeps its text as written, so secrets stay out of messages.
    """
    text = text.strip()
    expanded = text if environment is None else expand_variables(text, environment)
    try:
        if NAMED_REFERENCE.match(expanded) or not (
            editable or URL_START.match(expanded) or looks_like_path(expanded)
        ):
            parts = parse_pep508(expanded, editable)
        else:
            parts = parse_location(expanded, editable)
    except RequirementProblem as problem:
        kind = "editable requirement" if editable else "requirement"
        where = f"{origin}: " if origin else ""
        raise RequirementsError(f"{where}invalid {kind}: '{text}'", *problem.args) from None
    requirement, reference, extras, marker = parts
    return RequirementLine(
        text=text, requirement=requirement, reference=reference, extras=extras, marker=marker,
        editable=editable, hashes=hashes, config_settings=config_settings, origin=origin,
    )


def parse_pep508(text: str, editable: bool) -> ParsedRequirement:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise RequirementProblem(*requirement_hints(text, str(error))) from None
    reference = None
    if requirement.url is not None:
        reference, _ = locate(requirement.url)
    if editable and (reference is None or reference.kind not in ("directory", "vcs")):
        raise RequirementProblem(*editable_hints(text, reference))
    return requirement, reference, frozenset(requirement.extras), requirement.marker


def parse_location(text: str, editable: bool) -> ParsedRequirement:
    """A bare URL or path, with optional `[extras]` (paths only) and `; marker`."""
    location, marker_text = text, None
    separator = MARKER_SEPARATOR.search(text)
    if separator:
        location, marker_text = text[:separator.start()].strip(), text[separator.end():].strip()
    marker = None
    if marker_text is not None:
        from packaging.markers import InvalidMarker, Marker

        try:
            marker = Marker(marker_text)
        except InvalidMarker as error:
            raise RequirementProblem(str(error)) from None
    extras: frozenset[str] = frozenset()
    with_extras = None if URL_START.match(location) else TRAILING_EXTRAS.fullmatch(location)
    if with_extras:
        location = with_extras.group(1)
        extras = frozenset(extra.strip() for extra in with_extras.group(2).split(",") if extra.strip())
        invalid = sorted(extra for extra in extras if not is_valid_name(extra))
        if invalid:
            raise RequirementProblem(f"'{invalid[0]}' is not a valid extra name")
    try:
        reference, name = locate(location)
    except RequirementProblem as problem:
        if editable:
            raise RequirementProblem(*problem.args, *editable_hints(location, None)) from None
        raise
    if editable and reference.kind not in ("directory", "vcs"):
        raise RequirementProblem(*editable_hints(location, reference))
    if name is None and reference.kind in ("url", "vcs"):
        # A remote source's name is known only after fetching it; the user knows it now.
        if editable:
            raise RequirementProblem("the project name is missing: add `#egg=NAME` to the URL")
        raise RequirementProblem(f"the project name is missing: write it as `NAME @ {location}`")
    requirement = None
    if name is not None:
        from packaging.requirements import Requirement

        extras_text = f"[{','.join(sorted(extras))}]" if extras else ""
        marker_suffix = f" ; {marker}" if marker is not None else ""
        requirement = Requirement(f"{name}{extras_text} @ {reference.url}{marker_suffix}")
    return requirement, reference, extras, marker


def looks_like_path(text: str) -> bool:
    location = MARKER_SEPARATOR.split(text, maxsplit=1)[0].strip()
    return (location.startswith(".") or "/" in location or os.sep in location
            or location.lower().endswith(ARCHIVE_SUFFIXES))


def locate(location: str) -> tuple[DirectReference, str | None]:
    """Where a URL or path points, and the project name it reveals (`#egg=`, a wheel or sdist filename)."""
    if not URL_START.match(location):
        return locate_path(location)
    from urllib.parse import unquote, urlsplit

    scheme = location.split(":", 1)[0].lower()
    if "+" in scheme:
        return locate_vcs(location, scheme)
    if scheme == "file":
        return locate_path(file_url_to_path(location))
    if scheme not in ("http", "https"):
        raise RequirementProblem(f"unsupported URL scheme `{scheme}`: use https://, http://, file:// or git+")
    split = urlsplit(location)
    fragment = parse_fragment(split.fragment)
    subdirectory = fragment.get("subdirectory")
    name = fragment.get("egg") or name_from_filename(unquote(split.path.rsplit("/", 1)[-1]))
    check_egg(fragment)
    return DirectReference("url", location, subdirectory=subdirectory), name


def locate_vcs(url: str, scheme: str) -> tuple[DirectReference, str | None]:
    from urllib.parse import urlsplit, urlunsplit

    vcs, _, transport = scheme.partition("+")
    if vcs in OTHER_VCS:
        raise RequirementProblem(f"yurt supports git repositories only, not {vcs}")
    if vcs != "git" or transport not in GIT_TRANSPORTS:
        raise RequirementProblem(f"unsupported URL scheme `{scheme}`: use git+https://, git+ssh:// or git+file://")
    split = urlsplit(url[len(vcs) + 1:])
    path, revision = split.path, None
    # `user@` sits in the host part; an `@` in the path starts the revision.
    if "@" in path:
        path, _, revision = path.rpartition("@")
        if not revision:
            raise RequirementProblem("the revision after `@` is empty: write `@TAG`, `@BRANCH` or `@COMMIT`, or drop the `@`")
    fragment = parse_fragment(split.fragment)
    check_egg(fragment)
    repository = urlunsplit((split.scheme, split.netloc, path, split.query, ""))
    reference = DirectReference(
        "vcs", url, vcs=vcs, repository=repository, revision=revision,
        subdirectory=fragment.get("subdirectory"),
    )
    return reference, fragment.get("egg")


def locate_path(location: str) -> tuple[DirectReference, str | None]:
    path = os.path.abspath(location)
    if os.path.isdir(path):
        if not any(os.path.exists(os.path.join(path, name)) for name in PROJECT_FILES):
            raise RequirementProblem(
                f"`{location}` is not a Python project: it has no pyproject.toml, setup.py or setup.cfg"
            )
        return DirectReference("directory", file_url(path), path=path), None
    if os.path.isfile(path):
        if not path.lower().endswith(ARCHIVE_SUFFIXES):
            raise RequirementProblem(
                f"`{location}` is neither a wheel nor a source archive; "
                f"to read it as a requirements file, write `-r {location}`"
            )
        return DirectReference("archive", file_url(path), path=path), name_from_filename(os.path.basename(path))
    raise RequirementProblem(
        f"`{location}` does not exist (a relative path is taken from the current directory, {os.getcwd()})"
    )


def parse_fragment(fragment: str) -> dict[str, str]:
    """`egg=name&subdirectory=dir` as a dict; other keys (such as `sha256`) are kept for the caller to ignore."""
    fields = {}
    for item in fragment.split("&"):
        key, equals, value = item.partition("=")
        if equals:
            fields[key] = value
    return fields


def check_egg(fragment: dict[str, str]) -> None:
    egg = fragment.get("egg")
    if egg is not None and not is_valid_name(egg):
        raise RequirementProblem(
            f"`#egg={egg}` is not a project name: write `NAME[extras] @ URL` without `#egg=`"
        )


def name_from_filename(filename: str) -> str | None:
    """The project name in a wheel or sdist filename; None for an sdist name that cannot be split."""
    if not filename.lower().endswith(ARCHIVE_SUFFIXES):
        return None
    # Imported here: the filename parser costs `dataclasses`, needed only for archive lines.
    from yurt.spec.filenames import InvalidFilename, parse_sdist_filename, parse_wheel_filename

    if filename.lower().endswith(".whl"):
        try:
            return parse_wheel_filename(filename).name
        except InvalidFilename as error:
            raise RequirementProblem(str(error)) from None
    try:
        return parse_sdist_filename(filename).name
    except InvalidFilename:
        return None


def file_url(path: str) -> str:
    from pathlib import Path

    return Path(path).as_uri()


def file_url_to_path(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    split = urlsplit(url)
    path = unquote(split.path)
    # `file:///C:/x` on Windows: the drive letter follows the slash.
    if os.name == "nt" and re.match(r"/[A-Za-z]:", path):
        path = path[1:]
    if split.netloc not in ("", "localhost"):
        path = f"//{split.netloc}{path}"
    return path


def requirement_hints(text: str, parser_message: str) -> list[str]:
    """Hints for a requirement that is not PEP 508: the usual slips first, else the parser's words."""
    pasted = PIP_INSTALL.match(text)
    if pasted:
        rest = text[pasted.end():].strip()
        return [f"remove `{pasted.group(0).strip()}`" + (f": write `{rest}`" if rest else "")]
    single_equals = SINGLE_EQUALS.fullmatch(text)
    if single_equals:
        return [f"did you mean `{single_equals.group(1).strip()}=={single_equals.group(2).strip()}`?"]
    missing_version = MISSING_VERSION.search(text)
    if missing_version:
        operator = missing_version.group(1)
        return [f"put a version after `{operator}`, or drop `{operator}` to accept any version"]
    return [parser_message]


def editable_hints(text: str, reference: DirectReference | None) -> list[str]:
    hints = ["`-e` takes a local project directory or a git URL: `-e ./path/to/project` or `-e git+https://host/repo.git#egg=NAME`"]
    if reference is not None and reference.kind in ("archive", "url"):
        hints.append("an archive cannot be installed in editable mode: drop `-e`")
    elif reference is None and not looks_like_path(text):
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            Requirement(text)
        except InvalidRequirement:
            return hints
        hints.append(f"to install `{text}` from the index, drop `-e`")
    return hints
