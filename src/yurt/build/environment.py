"""Isolated build environments: one cached venv per set of build requirements and interpreter."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from yurt import log
from yurt.cache import BUILDS, Cache
from yurt.fs import temporary_sibling
from yurt.install.wheel import Scheme
from yurt.python.interpreter import Interpreter
from yurt.venv.create import VenvOptions, create


@dataclass(frozen=True, slots=True)
class BuildEnvironment:
    """A venv that holds a build's requirements: its interpreter and its scripts folder."""

    root: Path
    python: Path
    scripts: Path
    requirements: tuple[str, ...]


def environment_key(requirements: Sequence[str], interpreter: Interpreter) -> str:
    """The same requirements for the same interpreter share one environment, in any order."""
    text = "\n".join([str(interpreter.base_executable), interpreter.version_text, *sorted(set(requirements))])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def venv_scheme(root: Path, final: Path, interpreter: Interpreter) -> Scheme:
    """Where packages go in a venv being built at `root`; scripts name the interpreter at `final`."""
    relative = interpreter.venv_scheme
    major, minor = interpreter.version[:2]
    return Scheme(
        prefix=root,
        purelib=root / relative["purelib"],
        platlib=root / relative["platlib"],
        scripts=root / relative["scripts"],
        data=root,
        include=root / "include" / "site" / f"python{major}.{minor}",
        python=final / relative["scripts"] / "python",
    )


def ensure_build_environment(
    cache: Cache,
    interpreter: Interpreter,
    requirements: Sequence[str],
    populate: Callable[[Sequence[str], Scheme], None],
) -> BuildEnvironment:
    """The cached environment for these requirements, created if missing.

    It is built in a temporary folder and renamed in, so a half-filled environment is never used;
    two processes that build the same one at once both succeed and the first rename wins.
    `populate` installs the requirements into the scheme it is given.
    """
    requirements = tuple(sorted(set(requirements)))
    folder = cache.prepare_bucket(BUILDS) / "environments"
    final = folder / environment_key(requirements, interpreter)
    scripts = final / interpreter.venv_scheme["scripts"]
    environment = BuildEnvironment(final, scripts / "python", scripts, requirements)
    if (final / "pyvenv.cfg").is_file():
        log.debug("build environment %s reused for %s", final.name, ", ".join(requirements) or "nothing")
        return environment
    folder.mkdir(parents=True, exist_ok=True)
    staging = temporary_sibling(final)
    try:
        create(staging, interpreter, VenvOptions(prompt="yurt-build"), final_path=final)
        if requirements:
            populate(requirements, venv_scheme(staging, final, interpreter))
        try:
            os.rename(staging, final)
        except OSError:
            if not (final / "pyvenv.cfg").is_file():
                raise
    finally:
        if os.path.lexists(staging):
            shutil.rmtree(staging, ignore_errors=True)
    log.debug("build environment %s created for %s", final.name, ", ".join(requirements) or "nothing")
    return environment
