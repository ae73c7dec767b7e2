"""The no-op fast path: answer an unchanged `venv` or `pip install` re-run before argparse is imported.

A container's start script re-runs `yurt venv .venv` and `yurt pip install -r requirements.txt`
on every start. When nothing changed, the answer is a handful of stat calls; the full command
line, settings and interpreter machinery would cost several times more than Python's own start.
This module handles only the plainest spellings of those two commands, with built-in modules
only, and returns None whenever anything is unusual, so the full path decides (and prints the
same lines). What it checks mirrors the full path: `yurt.venv.create.inspect` for an intact venv,
and `yurt.install.noop.recall` for a remembered verdict.
"""

from __future__ import annotations

import os
import sys
import time

# Variables that change what the full path would do here: it must decide.
FULL_PATH_VARIABLES = ("YURT_PYTHON", "YURT_LOG", "YURT_NO_FAST_PATH", "CONDA_PREFIX")


def try_fast_path(argv: list[str], started: float) -> int | None:
    """An exit code when the re-run was answered here, else None."""
    if any(os.environ.get(name) for name in FULL_PATH_VARIABLES) or has_configuration():
        return None
    if argv[:1] == ["venv"] and len(argv) <= 2:
        path = argv[1] if len(argv) == 2 else ".venv"
        if path.startswith("-"):
            return None
        return keep_intact_venv(path)
    if argv[:2] == ["pip", "install"]:
        return remembered_install(argv[2:], started)
    return None


def has_configuration() -> bool:
    """A yurt configuration file could change the environment or the interpreter: let settings read it."""
    directory = os.getcwd()
    while True:
        if os.path.isfile(os.path.join(directory, "yurt.toml")):
            return True
        try:
            with open(os.path.join(directory, "pyproject.toml"), "rb") as stream:
                if b"tool.yurt" in stream.read():
                    return True
        except OSError:
            pass
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return os.path.isfile(os.path.join(config_home, "yurt", "yurt.toml"))


def base_executable() -> str | None:
    """The interpreter a venv of the running one points at (None: let the probe work it out)."""
    if sys.prefix == sys.base_prefix:
        return os.path.realpath(sys.executable)
    candidate = getattr(sys, "_base_executable", None)
    if candidate and not os.path.realpath(candidate).startswith(os.path.realpath(sys.prefix) + os.sep):
        return candidate
    return None


def keep_intact_venv(path: str) -> int | None:
    """`yurt venv [PATH]` on an intact venv of the running interpreter: keep it, say so."""
    if sys.implementation.name != "cpython" or sys.version_info.releaselevel != "final" or os.name != "posix":
        return None
    from yurt.python.pyvenv import read_pyvenv_cfg

    base = base_executable()
    config = read_pyvenv_cfg(os.path.join(path, "pyvenv.cfg"))
    if base is None or config is None:
        return None
    version = "%d.%d.%d" % sys.version_info[:3]
    home = config.get("home", "")
    if not home or os.path.realpath(home) != os.path.realpath(os.path.dirname(base)):
        return None
    if (config.get("version_info") or config.get("version") or "").split(".")[:3] != version.split("."):
        return None
    if config.get("include-system-site-packages", "false").lower() != "false":
        return None
    if not (os.path.exists(os.path.join(path, "bin", "python")) or os.path.exists(os.path.join(path, "bin", "python3"))):
        return None
    site = os.path.join(path, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
    if not os.path.isdir(site):
        return None
    display = path.rstrip("/") or "/"
    write(f"Using CPython {version} interpreter at: {sys.executable}\n"
          f"Using existing virtual environment at: {display}\n")
    return 0


def find_venv() -> str | None:
    """VIRTUAL_ENV, else `.venv` here or in a parent, as `yurt.python.environment` finds it."""
    if os.environ.get("VIRTUAL_ENV"):
        return os.path.abspath(os.environ["VIRTUAL_ENV"])
    from yurt.python.pyvenv import find_venv as find_dot_venv

    return find_dot_venv(os.getcwd())


def remembered_install(words: list[str], started: float) -> int | None:
    """`yurt pip install [-r FILE]... [NAME]...` with a remembered verdict for exactly this input."""
    requirement_files, packages = [], []
    root = None
    position = 0
    while position < len(words):
        word = words[position]
        if word in ("-r", "--requirement") and position + 1 < len(words):
            requirement_files.append(words[position + 1])
            position += 2
            continue
        if word in ("-p", "--python") and position + 1 < len(words):
            # Only a venv folder: an interpreter path or a version needs discovery.
            root = os.path.abspath(words[position + 1])
            if not os.path.isfile(os.path.join(root, "pyvenv.cfg")):
                return None
            position += 2
            continue
        if word.startswith("-") or "/" in word or word == ".":
            return None
        packages.append(word)
        position += 1
    if "-" in requirement_files or not (requirement_files or packages):
        return None
    root = root or find_venv()
    if root is None:
        return None
    from yurt.install import noop

    state = noop.recall(root, noop.install_request(packages, (), requirement_files))
    if state is None:
        return None
    elapsed = time.perf_counter() - started
    count = state["checked"]
    duration = f"{elapsed * 1000:.0f}ms" if elapsed < 1 else f"{elapsed:.2f}s"
    from yurt.python.pyvenv import display_root

    write(f"Using Python {state['python_version']} environment at: {display_root(root, os.getcwd())}\n"
          f"Checked {count} package{'s' if count != 1 else ''} in {duration}\n")
    return 0


def write(text: str) -> None:
    sys.stderr.write(text)
