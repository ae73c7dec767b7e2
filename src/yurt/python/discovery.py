"""Turn a `--python` request into an interpreter: a path, a venv, a version or a name."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import NamedTuple

from yurt import log
from yurt.cache import Cache
from yurt.errors import InterpreterNotFound, YurtError
from yurt.python.interpreter import Interpreter, is_script, probe

OLDEST_SUPPORTED = (3, 8)
VERSION_REQUEST = re.compile(r"^(?:(?P<implementation>cpython|python|cp|py)[-@]?)?(?P<version>\d+(?:\.\d+){0,2})$")
VERSIONED_NAME = re.compile(r"^python(\d+)\.(\d+)$")


class PythonRequest(NamedTuple):
    """A parsed `--python` value."""

    text: str
    path: Path | None = None
    version: tuple[int, ...] = ()
    specifier: str | None = None
    name: str | None = None

    def matches(self, interpreter: Interpreter) -> bool:
        if interpreter.version[:2] < OLDEST_SUPPORTED:
            return False
        if self.version:
            return interpreter.version[: len(self.version)] == self.version
        if self.specifier:
            from packaging.specifiers import SpecifierSet

            return SpecifierSet(self.specifier).contains(interpreter.version_text, prereleases=True)
        return True


def parse_request(text: str) -> PythonRequest:
    text = text.strip()
    if not text:
        raise YurtError("`--python` is empty", "pass a version such as 3.12, or a path to an interpreter")
    # A bare word that names a venv folder here (`--python .venv`, `--python env`) is that venv.
    if os.sep in text or text.startswith((".", "~")) or os.path.isfile(os.path.join(text, "pyvenv.cfg")):
        return PythonRequest(text, path=Path(os.path.expanduser(text)))
    match = VERSION_REQUEST.match(text)
    if match:
        implementation = (match.group("implementation") or "").lower()
        digits = match.group("version")
        if implementation == "cp" and "." not in digits and len(digits) >= 2:
            # `cp312` is the wheel-tag spelling of 3.12.
            digits = f"{digits[0]}.{digits[1:]}"
        version = tuple(int(part) for part in digits.split("."))
        return PythonRequest(text, version=version)
    if text[0] in "<>=!~":
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(text)
        except InvalidSpecifier:
            raise YurtError(f"`--python {text}` is not a version, specifier, name or path") from None
        return PythonRequest(text, specifier=text)
    return PythonRequest(text, name=text)


def find_interpreter(request_text: str | None, cache: Cache | None) -> Interpreter:
    """The interpreter for a request; without one, the interpreter running yurt."""
    if request_text is None:
        return probe(Path(sys.executable), cache)
    request = parse_request(request_text)
    if request.path is not None:
        return probe(executable_at(request.path), cache)
    seen: set[str] = set()
    for candidate in candidate_executables(request):
        real = os.path.realpath(candidate)
        if real in seen:
            continue
        seen.add(real)
        try:
            interpreter = probe(candidate, cache)
        except YurtError as error:
            log.debug("skipping %s: %s", candidate, error.message)
            continue
        if request.matches(interpreter):
            log.debug("found %s at %s for request %r", interpreter.describe(), candidate, request.text)
            return interpreter
        log.trace("%s (%s) does not match %r", candidate, interpreter.describe(), request.text)
    found = list_known_interpreters()
    hints = []
    if found:
        hints.append("interpreters found: " + ", ".join(f"{name} ({path})" for name, path in found))
    hints.append("pass a path with `--python /path/to/python`; yurt supports CPython 3.8 and newer")
    raise InterpreterNotFound(
        f"no interpreter found for Python {request.text} in the search path or pyenv versions", *hints
    )


def executable_at(path: Path) -> Path:
    """A path may name an interpreter or a virtual environment folder."""
    if path.is_dir():
        for name in ("bin/python3", "bin/python", "Scripts/python.exe"):
            if (path / name).exists():
                return (path / name).absolute()
        raise InterpreterNotFound(f"no Python interpreter in {str(path)!r}", "pass an interpreter or a venv folder")
    if not path.exists():
        raise InterpreterNotFound(f"no Python interpreter at {str(path)!r}: the path does not exist")
    return path.absolute()


def search_directories() -> list[Path]:
    """PATH in order, with pyenv's shims replaced by the real version folders they stand for."""
    pyenv_versions = pyenv_version_directories()
    shims = pyenv_root() / "shims"
    directories: list[Path] = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not entry:
            continue
        directory = Path(entry)
        # A shim is a shell script: running it costs tens of ms and its target can change.
        directories.extend(pyenv_versions if directory == shims else [directory])
    directories.extend(pyenv_versions)
    unique: dict[Path, None] = {}
    for directory in directories:
        unique.setdefault(directory, None)
    return list(unique)


def candidate_executables(request: PythonRequest):
    """Executables worth probing, the most specific names first."""
    if request.name is not None:
        names = [request.name]
    elif len(request.version) >= 2:
        names = [f"python{request.version[0]}.{request.version[1]}", f"python{request.version[0]}", "python"]
    else:
        names = ["python3", "python"]
    directories = search_directories()
    for name in names:
        for directory in directories:
            path = directory / name
            if os.access(path, os.X_OK) and path.is_file() and not is_script(path):
                yield path


def pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


def pyenv_version_directories() -> list[Path]:
    versions = pyenv_root() / "versions"
    try:
        entries = [entry for entry in versions.iterdir() if (entry / "bin").is_dir()]
    except OSError:
        return []

    def sort_key(entry: Path):
        numbers = re.findall(r"\d+", entry.name)
        return tuple(int(number) for number in numbers)

    return [entry / "bin" for entry in sorted(entries, key=sort_key, reverse=True)]


def list_known_interpreters() -> list[tuple[str, Path]]:
    """Versioned interpreter names on the search path, without running any of them."""
    found: list[tuple[str, Path]] = []
    seen: set[str] = set()
    for directory in search_directories():
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            continue
        for name in names:
            path = directory / name
            if VERSIONED_NAME.match(name) and os.access(path, os.X_OK) and not is_script(path):
                real = os.path.realpath(path)
                if real not in seen:
                    seen.add(real)
                    found.append((name, path))
    return found
