"""Create a virtual environment, or keep an intact one that is already there."""

from __future__ import annotations

import enum
import os
from pathlib import Path
from typing import NamedTuple

from yurt import __version__, log
from yurt.errors import VirtualEnvironmentError
from yurt.fs import atomic_symlink, atomic_write_text, temporary_sibling
from yurt.python.interpreter import Interpreter
from yurt.python.pyvenv import read_pyvenv_cfg


class State(enum.Enum):
    """What is at the requested path before yurt touches it."""

    ABSENT = "absent"
    EMPTY_DIRECTORY = "empty directory"
    FILE = "file"
    INTACT = "intact venv of this interpreter"
    OTHER = "venv of another interpreter or configuration"
    BROKEN = "broken venv"
    NOT_A_VENV = "directory that is not a venv"


class VenvOptions(NamedTuple):
    """What the user asked `yurt venv` for."""

    prompt: str | None = None
    system_site_packages: bool = False
    clear: bool = False
    allow_existing: bool = False
    force: bool = False
    seed: bool = False


class Inspection(NamedTuple):
    """The state of an existing path, with the reason a venv there is not usable as it is."""

    state: State
    reason: str = ""


class VenvOutcome(NamedTuple):
    """What `ensure_venv` did."""

    path: Path
    created: bool
    cleared: bool
    seeded: bool


def site_packages(venv: Path, interpreter: Interpreter) -> Path:
    return venv / interpreter.venv_scheme["purelib"]


def scripts_directory(venv: Path, interpreter: Interpreter) -> Path:
    return venv / interpreter.venv_scheme["scripts"]


def inspect(path: Path, interpreter: Interpreter, options: VenvOptions) -> Inspection:
    """Classify what is at `path`, reading as little as possible."""
    if not os.path.lexists(path):
        return Inspection(State.ABSENT)
    if not path.is_dir():
        return Inspection(State.FILE)
    config_path = path / "pyvenv.cfg"
    if not config_path.is_file():
        if looks_like_venv(path):
            return Inspection(State.BROKEN, "it has no pyvenv.cfg")
        try:
            next(path.iterdir())
        except StopIteration:
            return Inspection(State.EMPTY_DIRECTORY)
        return Inspection(State.NOT_A_VENV)
    config = read_pyvenv_cfg(str(config_path))
    if config is None:
        return Inspection(State.BROKEN, "its pyvenv.cfg cannot be read")
    scripts = scripts_directory(path, interpreter)
    if not any(os.path.exists(scripts / name) for name in ("python", "python3")):
        if any(os.path.lexists(scripts / name) for name in ("python", "python3")):
            return Inspection(State.BROKEN, "its interpreter link is dangling")
        return Inspection(State.BROKEN, "it has no interpreter")
    home = config.get("home", "")
    version = config.get("version_info") or config.get("version") or ""
    expected_home = interpreter.base_executable.parent
    if not home or os.path.realpath(home) != os.path.realpath(expected_home):
        return Inspection(State.OTHER, f"it was made from the interpreter in {home or 'an unknown place'}")
    if version.split(".")[:3] != interpreter.version_text.split(".")[:3]:
        return Inspection(State.OTHER, f"it was made for Python {version or 'of an unknown version'}")
    system_site = config.get("include-system-site-packages", "false").lower() == "true"
    if system_site != options.system_site_packages:
        wanted = "with" if options.system_site_packages else "without"
        return Inspection(State.OTHER, f"you asked for one {wanted} system site-packages")
    if not site_packages(path, interpreter).is_dir():
        return Inspection(State.BROKEN, "its site-packages folder is missing")
    return Inspection(State.INTACT)


def looks_like_venv(path: Path) -> bool:
    """A folder without pyvenv.cfg that still has a venv's parts: a broken venv, not user data."""
    bin_directory = path / "bin"
    if any(os.path.lexists(bin_directory / name) for name in ("python", "python3", "activate")):
        return True
    library = path / "lib"
    try:
        return any((entry / "site-packages").is_dir() for entry in library.glob("python3*"))
    except OSError:
        return False


def ensure_venv(path: Path, display: str, interpreter: Interpreter, options: VenvOptions) -> VenvOutcome:
    """Keep, create or rebuild the venv at `path`, refusing anything that would lose user data."""
    inspection = inspect(path, interpreter, options)
    log.debug("%s is: %s %s", path, inspection.state.value, inspection.reason)
    state = inspection.state
    cleared = False
    if state is State.FILE:
        raise VirtualEnvironmentError(
            f"a file already exists at: {display}", "choose another path for the virtual environment"
        )
    if state is State.INTACT and not options.clear:
        seeded = options.seed and seed_if_missing(path, interpreter)
        return VenvOutcome(path, created=False, cleared=False, seeded=seeded)
    if state is State.NOT_A_VENV:
        if options.clear and not options.force:
            raise VirtualEnvironmentError(
                f"yurt will not clear a directory that is not a virtual environment: {display}",
                "pass `--force` as well to delete everything in it",
            )
        if not options.clear and not options.allow_existing:
            raise VirtualEnvironmentError(
                f"a directory that is not a virtual environment already exists at: {display}",
                "choose another path, or pass `--allow-existing` to create the virtual environment inside it",
            )
    if state in (State.OTHER, State.BROKEN) and not options.clear and not options.allow_existing:
        kind = "a broken virtual environment" if state is State.BROKEN else "a virtual environment"
        raise VirtualEnvironmentError(
            f"{kind} already exists at: {display} ({inspection.reason})",
            "pass `--clear` to replace it",
        )
    if options.clear and state not in (State.ABSENT, State.EMPTY_DIRECTORY):
        clear_directory(path)
        cleared = True
    if state is State.ABSENT:
        if not create_atomically(path, interpreter, options):
            # Another process created it first: judge what it made like any existing path.
            return ensure_venv(path, display, interpreter, options)
    else:
        create(path, interpreter, options)
    seeded = options.seed and seed_if_missing(path, interpreter)
    return VenvOutcome(path, created=True, cleared=cleared, seeded=seeded)


def clear_directory(path: Path) -> None:
    """Empty the folder but keep it: it may be a mount point that cannot be removed or renamed."""
    import shutil

    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def create_atomically(path: Path, interpreter: Interpreter, options: VenvOptions) -> bool:
    """Build a new venv beside its final path and rename it in, so no half-made venv is ever seen.

    Returns False when something appeared at the path meanwhile (a concurrent yurt).
    """
    path = path.absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = temporary_sibling(path)
    try:
        create(staging, interpreter, options, final_path=path)
        try:
            os.rename(staging, path)
        except OSError as error:
            if os.path.lexists(path):
                return False
            raise VirtualEnvironmentError(f"failed to create the virtual environment at {path}: {error.strerror}")
    finally:
        if os.path.lexists(staging):
            # Only after a failure: shutil is not worth importing on the way that succeeds.
            import shutil

            shutil.rmtree(staging, ignore_errors=True)
    return True


def default_prompt(path: Path) -> str:
    return path.absolute().name


def create(path: Path, interpreter: Interpreter, options: VenvOptions, final_path: Path | None = None) -> None:
    """Lay out the venv in `path`, for use at `final_path` (default: `path` itself).

    pyvenv.cfg is written last, so a venv without it is known to be unfinished.
    """
    from yurt.venv.activation import write_activation_scripts

    path = path.absolute()
    final_path = final_path or path
    prompt = options.prompt
    if prompt == ".":
        prompt = Path.cwd().name
    prompt = prompt or default_prompt(final_path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path / ".gitignore", "# created by yurt automatically\n*\n")
        atomic_write_text(
            path / "CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n# This virtual environment was created by yurt.\n",
        )
        scripts = scripts_directory(path, interpreter)
        scripts.mkdir(parents=True, exist_ok=True)
        major, minor = interpreter.version[:2]
        atomic_symlink(str(interpreter.base_executable), scripts / "python")
        for alias in (f"python{major}", f"python{major}.{minor}"):
            atomic_symlink("python", scripts / alias)
        purelib = site_packages(path, interpreter)
        purelib.mkdir(parents=True, exist_ok=True)
        platlib = path / interpreter.venv_scheme["platlib"]
        platlib.mkdir(parents=True, exist_ok=True)
        # Linux distributions look for lib64 on 64-bit builds, as CPython's own venv provides.
        if interpreter.pointer_bits == 64 and os.name == "posix" and interpreter.platform.startswith("linux"):
            if not os.path.lexists(path / "lib64") and (path / "lib").is_dir():
                os.symlink("lib", path / "lib64")
        write_activation_scripts(path, prompt, scripts.name, location=final_path)
        atomic_write_text(path / "pyvenv.cfg", pyvenv_cfg(interpreter, options, prompt))
    except OSError as error:
        raise VirtualEnvironmentError(
            f"failed to create the virtual environment at {path}: {error.strerror or error}"
        ) from None


def pyvenv_cfg(interpreter: Interpreter, options: VenvOptions, prompt: str) -> str:
    system_site = "true" if options.system_site_packages else "false"
    lines = [
        f"home = {interpreter.base_executable.parent}",
        f"implementation = {interpreter.implementation_display}",
        f"version_info = {interpreter.version_text}",
        f"include-system-site-packages = {system_site}",
        f"prompt = {prompt}",
        f"yurt = {__version__}",
    ]
    return "\n".join(lines) + "\n"


def has_pip(path: Path, interpreter: Interpreter) -> bool:
    return any(site_packages(path, interpreter).glob("pip-*.dist-info"))


def seed_if_missing(path: Path, interpreter: Interpreter) -> bool:
    """Put pip into the venv with ensurepip, unless it is there already."""
    if has_pip(path, interpreter):
        return False
    import subprocess

    python = scripts_directory(path.absolute(), interpreter) / "python"
    # pip's own configuration must not steer the seed install: yurt never reads it.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    environment["PIP_CONFIG_FILE"] = os.devnull
    completed = subprocess.run(
        [str(python), "-m", "ensurepip", "--default-pip"],
        capture_output=True,
        text=True,
        env=environment,
        stdin=subprocess.DEVNULL,
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-5:])
        raise VirtualEnvironmentError(
            f"failed to seed pip into {path} with ensurepip:\n{tail}",
            "this interpreter may have been built without ensurepip",
        )
    return True
