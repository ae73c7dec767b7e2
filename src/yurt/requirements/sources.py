"""The entry point the CLI calls: every requirement source the user named, read into one Manifest."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from yurt.requirements.files import (
    CONSTRAINT,
    OVERRIDE,
    REQUIREMENT,
    STDIN_LABEL,
    RequirementsReader,
    add_requirement_arguments,
)
from yurt.requirements.manifest import Manifest, ManifestBuilder, RequirementsError
from yurt.requirements.pyproject import read_pyproject

PYPROJECT = "pyproject.toml"
STDIN = "-"
# Sources pip or uv read that yurt does not read yet.
UNSUPPORTED_SOURCES = frozenset({"setup.py", "setup.cfg", "pylock.toml"})


def load_manifest(requirement_files: Iterable[str] = (), constraint_files: Iterable[str] = (),
                  override_files: Iterable[str] = (), arguments: Iterable[str] = (),
                  editables: Iterable[str] = (), extras: Iterable[str] = (), all_extras: bool = False,
                  groups: Iterable[str] = (), stdin_text: str | None = None,
                  environment: Mapping[str, str] | None = None) -> Manifest:
    """Read arguments, then requirement files in order, then constraints and overrides.

    A file named `pyproject.toml` is read as a project, any other as a requirements file; `-` is
    `stdin_text`. `environment` fills `${NAME}` in requirements files (default: os.environ).
    """
    requirement_files, extras, groups = tuple(requirement_files), tuple(extras), tuple(groups)
    builder = ManifestBuilder()
    reader = RequirementsReader(builder, environment)
    add_requirement_arguments(builder, arguments, editables)
    has_pyproject = any(is_pyproject(path) for path in requirement_files)
    if (extras or all_extras) and not has_pyproject:
        raise RequirementsError(
            "`--extra` and `--all-extras` need a pyproject.toml to take the extras from",
            "pass it as a requirements source: `-r pyproject.toml`",
        )
    for path in requirement_files:
        if is_pyproject(path):
            builder.source_files.append(os.path.realpath(path))
            for line in read_pyproject(path, extras, all_extras, groups):
                builder.add_requirement(line)
        else:
            read_requirements_file(reader, path, REQUIREMENT, stdin_text)
    if groups and not has_pyproject:
        # As in uv, `--group` alone means the groups of the project in the current directory,
        # without the project's own dependencies.
        builder.source_files.append(os.path.realpath(PYPROJECT))
        for line in read_pyproject(PYPROJECT, groups=groups, project_dependencies=False):
            builder.add_requirement(line)
    for path in constraint_files:
        read_requirements_file(reader, path, CONSTRAINT, stdin_text)
    for path in override_files:
        read_requirements_file(reader, path, OVERRIDE, stdin_text)
    return builder.build()


def is_pyproject(path: str) -> bool:
    return os.path.basename(path) == PYPROJECT


def read_requirements_file(reader: RequirementsReader, path: str, role: str, stdin_text: str | None) -> None:
    if path == STDIN:
        if stdin_text is None:
            raise ValueError("`-` names stdin: the caller must read it and pass stdin_text")
        reader.read_text(stdin_text, STDIN_LABEL, "", role)
        return
    name = os.path.basename(path)
    if is_pyproject(path):
        raise RequirementsError(
            f"{role}s cannot be read from '{path}'",
            f"write the {role}s in a requirements file (`name==1.0` per line)",
        )
    if name in UNSUPPORTED_SOURCES or name.endswith(".py"):
        raise RequirementsError(
            f"yurt cannot read requirements from '{path}' yet",
            "list them in a requirements file, or in `[project] dependencies` of a pyproject.toml",
        )
    reader.read_file(path, role)
