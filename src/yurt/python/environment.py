"""The environment a pip command changes: `--python`, else VIRTUAL_ENV, else `.venv` here or above."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from yurt.cache import Cache
from yurt.errors import YurtError
from yurt.python.discovery import executable_at, find_interpreter
from yurt.python.interpreter import Interpreter, probe
from yurt.python.pyvenv import display_root, find_venv as find_dot_venv


class Environment(NamedTuple):
    """An interpreter and the folders packages are installed into."""

    interpreter: Interpreter
    # The venv folder, or the interpreter's prefix for `--system`.
    root: Path
    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    include: Path
    is_virtual: bool

    @property
    def site_packages(self) -> tuple[Path, ...]:
        return (self.purelib,) if self.purelib == self.platlib else (self.purelib, self.platlib)

    def display(self, working_directory: Path | None = None) -> str:
        """The root as the user would write it: relative when it is below the working folder."""
        return display_root(str(self.root), str(working_directory or Path.cwd()))


class NoEnvironment(YurtError):
    """No virtual environment to install into."""


def environment_of(interpreter: Interpreter) -> Environment:
    paths = interpreter.paths
    return Environment(
        interpreter=interpreter,
        root=interpreter.prefix,
        purelib=Path(paths["purelib"]),
        platlib=Path(paths["platlib"]),
        scripts=Path(paths["scripts"]),
        data=Path(paths["data"]),
        include=Path(paths["include"]),
        is_virtual=interpreter.is_virtual_environment,
    )


def venv_interpreter(root: Path, cache: Cache | None) -> Interpreter:
    return probe(executable_at(root), cache)


def find_venv(start: Path) -> Path | None:
    """`.venv` in the working folder or the nearest parent that has one."""
    found = find_dot_venv(str(start))
    return None if found is None else Path(found)


def find_environment(
    python: str | None,
    cache: Cache | None,
    *,
    system: bool = False,
    break_system_packages: bool = False,
    environ=None,
    working_directory: Path | None = None,
) -> Environment:
    """The environment to change, refusing an externally managed interpreter unless told otherwise."""
    environ = os.environ if environ is None else environ
    working_directory = working_directory or Path.cwd()
    if python is not None:
        interpreter = find_interpreter(python, cache)
    elif system:
        interpreter = find_interpreter("python3", cache)
    else:
        root = None
        for variable in ("VIRTUAL_ENV", "CONDA_PREFIX"):
            if environ.get(variable):
                root = Path(environ[variable])
                break
        if root is None:
            root = find_venv(working_directory)
        if root is None:
            raise NoEnvironment(
                "no virtual environment found",
                "run `yurt venv` to create an environment, or pass `--system` to install into a"
                " non-virtual environment",
            )
        interpreter = venv_interpreter(root.absolute(), cache)
    environment = environment_of(interpreter)
    if not environment.is_virtual and not system and python is None:
        raise NoEnvironment(f"{interpreter.executable} is not in a virtual environment",
                            "pass `--system` to install into it anyway")
    if not environment.is_virtual and interpreter.externally_managed and not break_system_packages:
        raise YurtError(
            f"the interpreter at {interpreter.executable} is externally managed (by the operating system)",
            "use a virtual environment (`yurt venv`), or pass `--break-system-packages`",
        )
    return environment


def directory_environment(interpreter: Interpreter, *, target: Path | None = None,
                          prefix: Path | None = None) -> Environment:
    """`--target DIR` (packages and scripts straight into one folder) or `--prefix DIR` (the
    interpreter's own layout under another root), as pip lays them out."""
    if target is not None:
        root = target.absolute()
        return Environment(interpreter, root, root, root, root / "bin", root, root / "include", False)
    root = prefix.absolute()
    scheme = interpreter.venv_scheme
    return Environment(
        interpreter=interpreter,
        root=root,
        purelib=root / scheme["purelib"],
        platlib=root / scheme["platlib"],
        scripts=root / scheme["scripts"],
        data=root / scheme["data"],
        include=root / scheme["include"],
        is_virtual=False,
    )
