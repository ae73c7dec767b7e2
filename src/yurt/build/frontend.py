"""PEP 517/660 hook calls: read a project's build system, run each hook in a subprocess, report failures."""

from __future__ import annotations

import os
import subprocess
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyproject_hooks

from yurt import log
from yurt.errors import YurtError

# What pip assumes for a project without pyproject.toml, or one without a [build-system] table.
LEGACY_BACKEND = "setuptools.build_meta:__legacy__"
LEGACY_REQUIRES = ("setuptools>=40.8.0",)
# Lines of backend output shown with a failure unless `-v` asks for all of them.
FAILURE_TAIL = 20


# pyproject_hooks re-raises the backend's warnings in this process; they would reach the user's
# terminal as noise about someone else's project, so they are dropped (the backend's own output
# is kept for failures).
warnings.filterwarnings("ignore", category=pyproject_hooks.BuildBackendWarning)


class BuildFailure(YurtError):
    """A build backend failed, or a project's build setup cannot be used."""


@dataclass(frozen=True, slots=True)
class BuildSystem:
    """A project's `[build-system]`: what to install, and which backend to call."""

    requires: tuple[str, ...]
    backend: str
    backend_path: tuple[str, ...] = ()


def read_build_system(source: Path, label: str) -> BuildSystem:
    """The build system of the project in `source`, with pip's fallbacks for older projects."""
    import tomllib

    pyproject = source / "pyproject.toml"
    if not pyproject.is_file():
        if not (source / "setup.py").is_file() and not (source / "setup.cfg").is_file():
            raise BuildFailure(f"{label} has no pyproject.toml, setup.py or setup.cfg: it cannot be built")
        return BuildSystem(LEGACY_REQUIRES, LEGACY_BACKEND)
    try:
        table = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("build-system")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BuildFailure(f"the pyproject.toml of {label} is not valid TOML: {error}") from None
    if table is None:
        return BuildSystem(LEGACY_REQUIRES, LEGACY_BACKEND)
    requires = table.get("requires")
    if not isinstance(requires, list) or not all(isinstance(item, str) for item in requires):
        raise BuildFailure(f"the pyproject.toml of {label} has no list of strings at `build-system.requires`",
                           "PEP 518 requires it, e.g. `requires = [\"setuptools>=61\"]`")
    backend = table.get("build-backend")
    if backend is None:
        # PEP 517: without a backend, the legacy setuptools path applies, with the requires given.
        return BuildSystem(tuple(requires), LEGACY_BACKEND)
    backend_path = table.get("backend-path", [])
    if not isinstance(backend, str) or not isinstance(backend_path, list):
        raise BuildFailure(f"the pyproject.toml of {label} has an invalid `build-backend` or `backend-path`")
    return BuildSystem(tuple(requires), backend, tuple(str(item) for item in backend_path))


def parse_config_settings(items: Sequence[str]) -> dict[str, str | list[str]]:
    """`KEY=VALUE` strings as the dict PEP 517 passes on; a key given twice gets a list."""
    settings: dict[str, str | list[str]] = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key:
            raise YurtError(f"invalid config setting {item!r}", "write it as `KEY=VALUE`")
        previous = settings.get(key)
        if previous is None:
            settings[key] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            settings[key] = [previous, value]
    return settings


def failure_hints(output: str) -> list[str]:
    """Hints for the causes of build failures that are common and easy to name."""
    hints = []
    lowered = output.lower()
    if "python.h: no such file" in lowered:
        hints.append("the Python headers are missing: install your distribution's python3-dev"
                     " (or python3-devel) package")
    compilers = ("'gcc' failed", "'cc' failed", "gcc: not found", "cc: not found", "command 'gcc'",
                 "command 'cc'", "unable to execute 'gcc'", "unable to execute 'cc'", "no such file or directory: 'gcc'",
                 "no such file or directory: 'cc'", "could not find a c compiler", "no acceptable c compiler")
    if any(text in lowered for text in compilers):
        hints.append("a C compiler is needed: install gcc (e.g. `apt-get install build-essential`)")
    return hints


class HookRunner:
    """Runs a hook's subprocess with its output captured, so a failure can show what the backend said."""

    def __init__(self, path_prefix: Path | None) -> None:
        self.path_prefix = path_prefix
        self.output = ""

    def __call__(self, command: Sequence[str], cwd: str | None = None,
                 extra_environ: Mapping[str, str] | None = None) -> None:
        environment = dict(os.environ)
        # A build must not pick up the user's packages or an activated environment's settings.
        for variable in ("PYTHONPATH", "PYTHONHOME", "PIP_REQUIRE_VIRTUALENV"):
            environment.pop(variable, None)
        environment["PYTHONNOUSERSITE"] = "1"
        if self.path_prefix is not None:
            # Tools the build environment installs (cmake, ninja, cython) are found first.
            environment["PATH"] = f"{self.path_prefix}{os.pathsep}{environment.get('PATH', '')}"
            environment["VIRTUAL_ENV"] = str(self.path_prefix.parent)
        environment.update(extra_environ or {})
        completed = subprocess.run(
            list(command), cwd=cwd, env=environment, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
        )
        text = completed.stdout.decode("utf-8", errors="replace")
        self.output += text
        for line in text.splitlines():
            log.trace("backend: %s", line)
        if completed.returncode != 0:
            raise subprocess.CalledProcessError(completed.returncode, command, completed.stdout)


@dataclass(frozen=True, slots=True)
class HookContext:
    """One project's source folder, its build system and the interpreter its hooks run with."""

    source: Path
    system: BuildSystem
    python: Path
    # The `bin` folder of the build environment, put first on PATH; None without isolation.
    scripts: Path | None
    label: str


def call_hook(context: HookContext, hook: str, *arguments, **keywords):
    """Call one hook in a fresh subprocess; a failure becomes a BuildFailure with the backend's output."""
    runner = HookRunner(context.scripts)
    caller = pyproject_hooks.BuildBackendHookCaller(
        str(context.source), context.system.backend, backend_path=list(context.system.backend_path) or None,
        runner=runner, python_executable=str(context.python),
    )
    log.debug("build %s: calling %s of %s", context.label, hook, context.system.backend)
    try:
        return getattr(caller, hook)(*arguments, **keywords)
    except pyproject_hooks.BackendUnavailable as error:
        raise BuildFailure(
            f"failed to build {context.label}: its build backend `{context.system.backend}` cannot be imported",
            *tail_hint(runner.output or (error.traceback or "")),
            "the backend must be listed in `build-system.requires`" if context.scripts is not None else
            "with `--no-build-isolation` the backend must already be installed in the environment",
        ) from None
    except subprocess.CalledProcessError:
        raise BuildFailure(
            f"failed to build {context.label}: `{hook}` of `{context.system.backend}` failed"
            + describe_output(runner.output),
            *failure_hints(runner.output),
        ) from None


def describe_output(output: str) -> str:
    """The backend's output for an error message: the last lines, or all of them with `-v`."""
    lines = output.rstrip().splitlines()
    if not lines:
        return ""
    if not log.enabled(log.DEBUG) and len(lines) > FAILURE_TAIL:
        shown = lines[-FAILURE_TAIL:]
        heading = f"\n  [last {FAILURE_TAIL} of {len(lines)} lines of output; `-v` shows all]"
    else:
        shown = lines
        heading = "\n  [output]"
    return heading + "".join(f"\n  | {line}" for line in shown)


def tail_hint(output: str) -> list[str]:
    text = describe_output(output)
    return [f"the backend said:{text}"] if text else []
