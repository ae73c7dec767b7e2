"""Build small but real wheels, sdists and source trees from plain data."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from . import archives

SUPPORT_DIRECTORY = Path(__file__).resolve().parent
SOURCE_KINDS = ("in-tree", "setuptools", "legacy")
GENERATOR = "yurt-test-builders 1"


def normalize_name(name: str) -> str:
    """PEP 503 normalization: runs of -, _ and . become one -, lowercased."""
    return re.sub(r"[-_.]+", "-", name).lower()


def escape_name(name: str) -> str:
    """Distribution name as it appears in wheel and sdist filenames and .dist-info (PEP 427/491/625)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def escape_version(version: str) -> str:
    # Only the escaping the filename spec requires; callers should pass PEP 440 normal form.
    return version.replace("-", "_")


def _frozen_mapping(value: Mapping | None) -> Mapping:
    return MappingProxyType(dict(value or {}))


def _as_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


@dataclass(frozen=True, slots=True)
class Package:
    """Plain data describing one release of a test project.

    ``Package("a", "1.0", dependencies=("b>=1",))`` is a complete, installable
    description; every other field has a sensible default.
    """

    name: str
    version: str = "1.0"
    dependencies: tuple[str, ...] = ()
    # extra name -> requirements; each becomes Provides-Extra plus Requires-Dist with an extra marker.
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    requires_python: str | None = None
    # Relative install path -> content. None means one module, <import_name>/__init__.py.
    files: Mapping[str, str | bytes] | None = None
    # Group -> {name: "module:function"}, e.g. {"console_scripts": {"a-cli": "a:main"}}.
    entry_points: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # Wheel .data category ("scripts", "data", "headers", "purelib", ...) -> {path: content}.
    data_files: Mapping[str, Mapping[str, str | bytes]] = field(default_factory=dict)
    tag: str = "py3-none-any"
    build_tag: str | None = None
    metadata_version: str = "2.1"
    # Field names for Metadata-Version 2.2+ "Dynamic:" lines.
    dynamic: tuple[str, ...] = ()
    summary: str | None = None
    description: str = ""
    description_content_type: str | None = None
    # Any further (field, value) metadata lines, e.g. (("Project-URL", "Home, https://x"),).
    extra_metadata: tuple[tuple[str, str], ...] = ()
    # None derives it from the tag: pure only for "none-any" wheels.
    root_is_purelib: bool | None = None

    def __post_init__(self) -> None:
        # Freeze the containers so a Package really is immutable plain data, and
        # accept lists from callers for convenience.
        object.__setattr__(self, "dependencies", tuple(self.dependencies))
        object.__setattr__(self, "dynamic", tuple(self.dynamic))
        object.__setattr__(self, "extra_metadata", tuple(tuple(pair) for pair in self.extra_metadata))
        object.__setattr__(self, "extras", MappingProxyType(
            {extra: tuple(requirements) for extra, requirements in self.extras.items()}))
        if self.files is not None:
            object.__setattr__(self, "files", _frozen_mapping(self.files))
        object.__setattr__(self, "entry_points", MappingProxyType(
            {group: _frozen_mapping(names) for group, names in self.entry_points.items()}))
        object.__setattr__(self, "data_files", MappingProxyType(
            {category: _frozen_mapping(paths) for category, paths in self.data_files.items()}))

    @property
    def normalized_name(self) -> str:
        return normalize_name(self.name)

    @property
    def import_name(self) -> str:
        return escape_name(self.name)

    @property
    def distribution_stem(self) -> str:
        """``<escaped-name>-<escaped-version>``, shared by .dist-info, .data and sdist roots."""
        return f"{escape_name(self.name)}-{escape_version(self.version)}"

    @property
    def dist_info(self) -> str:
        return f"{self.distribution_stem}.dist-info"

    @property
    def data_directory(self) -> str:
        return f"{self.distribution_stem}.data"

    @property
    def wheel_filename(self) -> str:
        build = f"-{self.build_tag}" if self.build_tag else ""
        return f"{self.distribution_stem}{build}-{self.tag}.whl"

    @property
    def sdist_filename(self) -> str:
        return f"{self.distribution_stem}.tar.gz"

    @property
    def summary_text(self) -> str:
        return self.summary if self.summary is not None else f"The {self.name} test package"

    @property
    def payload_files(self) -> Mapping[str, str | bytes]:
        """The files installed into site-packages, defaulting to one importable module."""
        if self.files is not None:
            return self.files
        # main() lets console-script tests point at the default module without writing code.
        module = (f'__version__ = "{self.version}"\n\n\n'
                  f"def main():\n    print(\"{self.name} {self.version}\")\n")
        return MappingProxyType({f"{self.import_name}/__init__.py": module})

    @property
    def tags(self) -> tuple[str, ...]:
        """Expand a compressed tag set like ``py2.py3-none-any`` into single tags."""
        interpreters, abis, platforms = self.tag.split("-")
        return tuple(f"{interpreter}-{abi}-{platform}"
                     for interpreter in interpreters.split(".")
                     for abi in abis.split(".")
                     for platform in platforms.split("."))

    @property
    def purelib(self) -> bool:
        if self.root_is_purelib is not None:
            return self.root_is_purelib
        return self.tag.endswith("-none-any")

    def requirement_headers(self) -> list[tuple[str, str]]:
        """Requires-Dist and Provides-Extra lines, extras folded into markers."""
        headers = [("Requires-Dist", requirement) for requirement in self.dependencies]
        for extra, requirements in self.extras.items():
            headers.append(("Provides-Extra", extra))
            headers += [("Requires-Dist", _with_extra_marker(requirement, extra))
                        for requirement in requirements]
        return headers

    def metadata_headers(self, metadata_version: str | None = None, *,
                         include_requirements: bool = True,
                         extra_dynamic: tuple[str, ...] = ()) -> list[tuple[str, str]]:
        """Core metadata lines in a fixed order, requirements last (so appending them later is identical)."""
        headers = [
            ("Metadata-Version", metadata_version or self.metadata_version),
            ("Name", self.name),
            ("Version", self.version),
            ("Summary", self.summary_text),
        ]
        if self.description_content_type:
            headers.append(("Description-Content-Type", self.description_content_type))
        if self.requires_python:
            headers.append(("Requires-Python", self.requires_python))
        headers += [("Dynamic", name) for name in self.dynamic + extra_dynamic]
        headers += list(self.extra_metadata)
        if include_requirements:
            headers += self.requirement_headers()
        return headers

    def metadata_text(self, metadata_version: str | None = None) -> str:
        """The METADATA file exactly as build_wheel writes it."""
        return archives.render_headers(self.metadata_headers(metadata_version), self.description).decode("utf-8")

    def wheel_headers(self, wheel_version: str = "1.0") -> list[tuple[str, str]]:
        headers = [
            ("Wheel-Version", wheel_version),
            ("Generator", GENERATOR),
            ("Root-Is-Purelib", "true" if self.purelib else "false"),
        ]
        headers += [("Tag", tag) for tag in self.tags]
        if self.build_tag:
            headers.append(("Build", self.build_tag))
        return headers

    def entry_points_text(self) -> str:
        sections = []
        for group, names in self.entry_points.items():
            lines = [f"[{group}]"] + [f"{name} = {target}" for name, target in names.items()]
            sections.append("\n".join(lines) + "\n")
        return "\n".join(sections)


def _with_extra_marker(requirement: str, extra: str) -> str:
    """Attach ``extra == "name"`` to a requirement, keeping any marker it already has."""
    # Splitting on the first ";" is enough for the requirements tests write
    # (URL requirements with ";" inside the URL are not supported here).
    base, _, marker = requirement.partition(";")
    if marker.strip():
        return f'{base.strip()}; ({marker.strip()}) and extra == "{extra}"'
    return f'{base.strip()}; extra == "{extra}"'


# ---------------------------------------------------------------- wheels


def _payload_members(package: Package) -> list[archives.Member]:
    members = [archives.Member(path, _as_bytes(content)) for path, content in package.payload_files.items()]
    for category, paths in package.data_files.items():
        mode = archives.EXECUTABLE_MODE if category == "scripts" else archives.REGULAR_MODE
        members += [archives.Member(f"{package.data_directory}/{category}/{path}", _as_bytes(content), mode)
                    for path, content in paths.items()]
    return members


def _dist_info_members(package: Package, wheel_version: str) -> list[archives.Member]:
    members = [
        archives.Member(f"{package.dist_info}/METADATA", package.metadata_text().encode("utf-8")),
        archives.Member(f"{package.dist_info}/WHEEL",
                        archives.render_headers(package.wheel_headers(wheel_version))),
    ]
    if package.entry_points:
        members.append(archives.Member(f"{package.dist_info}/entry_points.txt",
                                       package.entry_points_text().encode("utf-8")))
    return members


def build_wheel(package: Package, directory: Path, *, wheel_version: str = "1.0",
                extra_members: Mapping[str, str | bytes] | None = None,
                tamper_record: tuple[str, ...] = (), include_record: bool = True,
                filename: str | None = None) -> Path:
    """Write a valid (unless asked otherwise) wheel for ``package`` into ``directory``.

    For refusal and security tests:
    ``wheel_version="2.0"`` writes a wheel an installer must refuse;
    ``extra_members`` adds raw archive entries verbatim, e.g. ``{"../evil.py": "x"}``
    or ``{"/tmp/absolute.py": "x"}`` (they are listed in RECORD with real hashes);
    ``tamper_record`` names members whose RECORD hash is wrong;
    ``include_record=False`` leaves RECORD out; ``filename`` overrides the file name.
    """
    members = _payload_members(package) + _dist_info_members(package, wheel_version)
    members += [archives.Member(path, _as_bytes(content)) for path, content in (extra_members or {}).items()]
    target = Path(directory) / (filename or package.wheel_filename)
    return archives.write_wheel(target, members, package.dist_info, include_record=include_record,
                                tampered_paths=frozenset(tamper_record))


# ---------------------------------------------------------------- source trees and sdists


@dataclass(frozen=True, slots=True)
class SourceOptions:
    """How a source tree builds: which build system, and what the build does."""

    kind: str = "in-tree"
    # Requirements that are only known at build time: left out of PKG-INFO
    # (and marked Dynamic when its Metadata-Version allows) and out of pyproject's static table.
    dynamic_dependencies: bool = False
    # A message the build prints to stderr before failing; None builds normally.
    build_failure: str | None = None
    build_requires: tuple[str, ...] = ()
    # PKG-INFO's Metadata-Version; None uses the package's own.
    metadata_version: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ValueError(f"unknown source kind {self.kind!r}; expected one of {SOURCE_KINDS}")
        object.__setattr__(self, "build_requires", tuple(self.build_requires))


def pkg_info_text(package: Package, options: SourceOptions) -> str:
    """PKG-INFO for an sdist; requirements are omitted (and marked Dynamic) when they are dynamic."""
    version = options.metadata_version or package.metadata_version
    extra_dynamic: tuple[str, ...] = ()
    if options.dynamic_dependencies and _version_tuple(version) >= (2, 2):
        extra_dynamic = ("Requires-Dist",) + (("Provides-Extra",) if package.extras else ())
    headers = package.metadata_headers(version, include_requirements=not options.dynamic_dependencies,
                                       extra_dynamic=extra_dynamic)
    return archives.render_headers(headers, package.description).decode("utf-8")


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def source_tree(package: Package, options: SourceOptions) -> dict[str, archives.Member]:
    """Every file of the unpacked project (no PKG-INFO), keyed by relative path."""
    if options.kind != "in-tree" and package.data_files:
        raise ValueError("data_files are only supported by the in-tree backend")
    tree = {path: archives.Member(path, _as_bytes(content)) for path, content in package.payload_files.items()}
    if options.kind == "in-tree":
        tree.update(_in_tree_files(package, options))
    elif options.kind == "setuptools":
        tree.update(_setuptools_files(package, options))
    else:
        tree.update(_legacy_files(package, options))
    return tree


def write_project(package: Package, directory: Path, kind: str = "in-tree", *,
                  dynamic_dependencies: bool = False, build_failure: str | None = None,
                  build_requires: tuple[str, ...] = (), metadata_version: str | None = None) -> Path:
    """Write the unpacked source tree of ``package`` into ``directory`` and return it.

    Takes the same build options as build_sdist; the tree has no PKG-INFO, like a checkout.
    """
    options = SourceOptions(kind, dynamic_dependencies, build_failure, build_requires, metadata_version)
    directory = Path(directory)
    for path, member in source_tree(package, options).items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(member.content)
        target.chmod(member.mode)
    return directory


def build_sdist(package: Package, directory: Path, kind: str = "in-tree", *,
                metadata_version: str | None = None, dynamic_dependencies: bool = False,
                build_failure: str | None = None, build_requires: tuple[str, ...] = (),
                extra_members: Mapping[str, str | bytes] | None = None,
                filename: str | None = None) -> Path:
    """Write ``<name>-<version>.tar.gz`` with PKG-INFO and a build setup of the given kind.

    ``metadata_version`` sets PKG-INFO's Metadata-Version (2.2+ makes its static
    requirements trustworthy); ``extra_members`` adds raw tar entries verbatim
    (no root prefix), e.g. ``{"../evil.py": "x"}`` for security tests.
    """
    options = SourceOptions(kind, dynamic_dependencies, build_failure, build_requires, metadata_version)
    root = package.distribution_stem
    members = [archives.Member(f"{root}/PKG-INFO", pkg_info_text(package, options).encode("utf-8"))]
    members += [archives.Member(f"{root}/{path}", member.content, member.mode)
                for path, member in source_tree(package, options).items()]
    members += [archives.Member(path, _as_bytes(content)) for path, content in (extra_members or {}).items()]
    return archives.write_sdist(Path(directory) / (filename or package.sdist_filename), members)


# ---------------------------------------------------------------- build setups


def _toml_value(value) -> str:
    # JSON strings and arrays of strings are valid TOML basic strings and arrays.
    return json.dumps(value)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _project_table(package: Package, options: SourceOptions) -> list[str]:
    """A PEP 621 [project] table matching the package's metadata."""
    lines = ["[project]", f"name = {_toml_value(package.name)}", f"version = {_toml_value(package.version)}"]
    lines.append(f"description = {_toml_value(package.summary_text)}")
    if package.requires_python:
        lines.append(f"requires-python = {_toml_value(package.requires_python)}")
    if options.dynamic_dependencies:
        lines.append(f"dynamic = {_toml_value(['dependencies', 'optional-dependencies'])}")
    else:
        lines.append(f"dependencies = {_toml_value(list(package.dependencies))}")
    tables = []
    if package.extras and not options.dynamic_dependencies:
        tables += ["", "[project.optional-dependencies]"]
        tables += [f"{_toml_key(extra)} = {_toml_value(list(requirements))}"
                   for extra, requirements in package.extras.items()]
    for group, names in package.entry_points.items():
        header = {"console_scripts": "[project.scripts]", "gui_scripts": "[project.gui-scripts]"}.get(
            group, f"[project.entry-points.{_toml_key(group)}]")
        tables += ["", header] + [f"{_toml_key(name)} = {_toml_value(target)}" for name, target in names.items()]
    return lines + tables


def _in_tree_files(package: Package, options: SourceOptions) -> dict[str, archives.Member]:
    pyproject = [
        "[build-system]",
        f"requires = {_toml_value(list(options.build_requires))}",
        'build-backend = "backend"',
        'backend-path = ["."]',
        "",
        *_project_table(package, options),
    ]
    files = {
        "pyproject.toml": "\n".join(pyproject) + "\n",
        "backend/__init__.py": (SUPPORT_DIRECTORY / "sdist_backend.py").read_text(encoding="utf-8"),
        "backend/archives.py": (SUPPORT_DIRECTORY / "archives.py").read_text(encoding="utf-8"),
    }
    for category, paths in package.data_files.items():
        for path, content in paths.items():
            files[f"wheel_data/{category}/{path}"] = content
    requirement_headers = package.requirement_headers()
    static_requirements = [] if options.dynamic_dependencies else requirement_headers
    dynamic_requirements = requirement_headers if options.dynamic_dependencies else []
    config = {
        "dist_info": package.dist_info,
        "data_dir": package.data_directory,
        "wheel_filename": package.wheel_filename,
        "sdist_filename": package.sdist_filename,
        "sdist_root": package.distribution_stem,
        "metadata_headers": package.metadata_headers(include_requirements=False) + static_requirements,
        "dynamic_headers": dynamic_requirements,
        "description": package.description,
        "wheel_headers": package.wheel_headers(),
        "entry_points": package.entry_points_text(),
        "files": sorted(package.payload_files),
        "data_files": {category: sorted(paths) for category, paths in package.data_files.items()},
        "build_failure": options.build_failure,
        "build_requires": list(options.build_requires),
        "pkg_info": pkg_info_text(package, options),
    }
    # project.json lists every file of the tree so the backend's build_sdist can reproduce it.
    config["sdist_paths"] = sorted([*files, *package.payload_files, "backend/project.json"])
    files["backend/project.json"] = json.dumps(config, indent=2, sort_keys=True) + "\n"
    return {path: archives.Member(path, _as_bytes(content)) for path, content in files.items()}


def _python_layout(package: Package) -> tuple[list[str], list[str], dict[str, list[str]]]:
    """Packages, top-level modules and package data, as setuptools wants them listed."""
    packages: set[str] = set()
    modules: list[str] = []
    package_data: dict[str, list[str]] = {}
    for path in sorted(package.payload_files):
        parts = path.split("/")
        if len(parts) == 1:
            if path.endswith(".py"):
                modules.append(path[:-3])
            continue
        dotted = ".".join(parts[:-1])
        packages.add(dotted)
        if not path.endswith(".py"):
            package_data.setdefault(dotted, []).append(parts[-1])
    return sorted(packages), modules, package_data


def _failing_setup_py(message: str) -> str:
    return ("import sys\n\n"
            f"print({message!r}, file=sys.stderr, flush=True)\n"
            f"raise SystemExit(1)\n")


def _setuptools_files(package: Package, options: SourceOptions) -> dict[str, archives.Member]:
    packages, modules, package_data = _python_layout(package)
    pyproject = [
        "[build-system]",
        f"requires = {_toml_value(['setuptools', *options.build_requires])}",
        'build-backend = "setuptools.build_meta"',
        "",
        *_project_table(package, options),
        "",
        "[tool.setuptools]",
        f"packages = {_toml_value(packages)}",
        f"py-modules = {_toml_value(modules)}",
    ]
    files: dict[str, str] = {}
    if package_data:
        pyproject += ["", "[tool.setuptools.package-data]"]
        pyproject += [f"{_toml_key(name)} = {_toml_value(data)}" for name, data in package_data.items()]
    if options.dynamic_dependencies:
        # setuptools reads these files at build time, so the requirements are genuinely dynamic.
        pyproject += ["", "[tool.setuptools.dynamic]", 'dependencies = { file = ["requirements.in"] }']
        files["requirements.in"] = "".join(f"{requirement}\n" for requirement in package.dependencies)
        for extra, requirements in package.extras.items():
            pyproject.append(f'optional-dependencies.{_toml_key(extra)} = {{ file = ["extra-{extra}.in"] }}')
            files[f"extra-{extra}.in"] = "".join(f"{requirement}\n" for requirement in requirements)
    files["pyproject.toml"] = "\n".join(pyproject) + "\n"
    if options.build_failure:
        # setuptools.build_meta executes setup.py when present, so this breaks every build hook.
        files["setup.py"] = _failing_setup_py(options.build_failure)
    return {path: archives.Member(path, _as_bytes(content)) for path, content in files.items()}


def _legacy_files(package: Package, options: SourceOptions) -> dict[str, archives.Member]:
    if options.build_failure:
        return {"setup.py": archives.Member("setup.py", _failing_setup_py(options.build_failure).encode())}
    packages, modules, package_data = _python_layout(package)
    arguments = {
        "name": package.name,
        "version": package.version,
        "description": package.summary_text,
        "packages": packages,
        "py_modules": modules,
        "package_data": package_data,
        "install_requires": list(package.dependencies),
        "extras_require": {extra: list(requirements) for extra, requirements in package.extras.items()},
        "entry_points": {group: [f"{name} = {target}" for name, target in names.items()]
                         for group, names in package.entry_points.items()},
    }
    if package.requires_python:
        arguments["python_requires"] = package.requires_python
    body = ",\n".join(f"    {key}={value!r}" for key, value in arguments.items())
    # setup.py computes its requirements when run, which is why legacy sdists are always dynamic.
    setup_py = f"from setuptools import setup\n\nsetup(\n{body},\n)\n"
    return {"setup.py": archives.Member("setup.py", setup_py.encode("utf-8"))}
