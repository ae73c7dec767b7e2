"""Finds the real interpreter, keeps the uv/pip tool venv in bench/.tools, and locates yurt."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

BENCH_DIRECTORY = Path(__file__).resolve().parent
REPOSITORY_ROOT = BENCH_DIRECTORY.parent
TOOLS_DIRECTORY = BENCH_DIRECTORY / ".tools"
TOOL_VENV = TOOLS_DIRECTORY / "venv"
# Written last by ensure_tool_venv: a venv without it is a half-built one and is rebuilt.
READY_MARKER = TOOL_VENV / ".bench-tools-ready.json"
# Unpinned on purpose: the benchmark compares against current releases, and the
# exact versions land in every results file. Use `--refresh` to pick up new ones.
TOOL_REQUIREMENTS = ("pip", "uv")


@dataclass(frozen=True)
class YurtCommand:
    """How to start yurt: the argv prefix, extra environment, and where it came from."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""
    # The interpreter yurt runs on, when known: the honest floor for a bare-start baseline.
    interpreter: str | None = None


@dataclass(frozen=True)
class ToolVenv:
    """The bench-owned venv that holds the uv and pip being compared against."""

    root: Path
    python: Path
    uv: Path
    pip: Path


def real_python() -> Path:
    """Return the interpreter behind this process, never a shim or a venv launcher."""
    # Under a venv sys.executable is the venv's copy; _base_executable names the
    # interpreter the venv was made from. A pyenv shim execs the real binary, so
    # by the time this code runs sys.executable is already past the shim's ~55 ms.
    candidate = getattr(sys, "_base_executable", None) or sys.executable
    return Path(candidate)


def clean_pip_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return an environment in which pip sees no config file and no PIP_* settings."""
    # This machine configures pip with constraints, find-links and extra indexes;
    # any of them would change what pip resolves and how fast, so all are dropped.
    source = os.environ if base is None else base
    environment = {key: value for key, value in source.items() if not key.startswith("PIP_")}
    environment["PIP_CONFIG_FILE"] = os.devnull
    return environment


def _venv_is_ready(python: Path) -> bool:
    try:
        marker = json.loads(READY_MARKER.read_text())
    except (OSError, ValueError):
        return False
    # A venv built from another interpreter (say after a Python upgrade) has
    # dangling links, so it only counts as ready for the one that built it.
    # Compared by real path: python3 and python3.11 name the same interpreter.
    return (
        marker.get("base_python") == os.path.realpath(python)
        and marker.get("requirements") == list(TOOL_REQUIREMENTS)
        and (TOOL_VENV / "bin" / "python").exists()
        and (TOOL_VENV / "bin" / "uv").exists()
    )


def ensure_tool_venv(python: Path | None = None, refresh: bool = False, quiet: bool = False) -> ToolVenv:
    """Create (or reuse) bench/.tools/venv with uv and pip from the package index."""
    python = python or real_python()
    tool_venv = ToolVenv(
        root=TOOL_VENV,
        python=TOOL_VENV / "bin" / "python",
        uv=TOOL_VENV / "bin" / "uv",
        pip=TOOL_VENV / "bin" / "pip",
    )
    # The fast path is a single small file read, so calling this on every run is cheap.
    if not refresh and _venv_is_ready(python):
        return tool_venv

    def log(message: str) -> None:
        if not quiet:
            print(f"[tools] {message}", file=sys.stderr, flush=True)

    if TOOL_VENV.exists():
        if Path(sys.prefix).resolve() == TOOL_VENV.resolve():
            # Deleting the venv this very process runs from would pull the floor out from under it.
            raise RuntimeError(f"{TOOL_VENV} needs a rebuild; run the benchmark with the real interpreter instead")
        log(f"removing stale tool venv {TOOL_VENV}")
        shutil.rmtree(TOOL_VENV)
    TOOLS_DIRECTORY.mkdir(parents=True, exist_ok=True)
    environment = clean_pip_environment()
    log(f"creating {TOOL_VENV} with {python}")
    subprocess.run([str(python), "-m", "venv", str(TOOL_VENV)], env=environment, check=True)
    log(f"installing {' '.join(TOOL_REQUIREMENTS)} from the package index")
    subprocess.run(
        [
            str(tool_venv.python), "-m", "pip", "install",
            # Passed as a flag because the PIP_* variable that usually says it is gone.
            "--disable-pip-version-check",
            "--upgrade",
            *TOOL_REQUIREMENTS,
        ],
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    READY_MARKER.write_text(
        json.dumps({"base_python": os.path.realpath(python), "requirements": list(TOOL_REQUIREMENTS)}, indent=2) + "\n"
    )
    return tool_venv


YURT_VENV = TOOLS_DIRECTORY / "yurt"


def install_yurt(python: Path | None = None, quiet: bool = False) -> YurtCommand:
    """Install the working tree into bench/.tools/yurt the way a yurt user would: with yurt.

    yurt installs itself (run from the working tree) with `--compile-bytecode`: its own
    entry-point scripts import only `sys`, where pip's import `re` too (about 9 ms on every start),
    and compiled bytecode spares each run from compiling yurt's modules, which it would otherwise
    do on every start where PYTHONDONTWRITEBYTECODE is set, as it is on this machine.
    """
    python = python or real_python()
    yurt_python = YURT_VENV / "bin" / "python"
    environment = clean_pip_environment()
    environment["PYTHONPATH"] = str(REPOSITORY_ROOT / "src")
    environment["YURT_CACHE_DIR"] = str(TOOLS_DIRECTORY / "yurt-cache")
    if not yurt_python.exists():
        subprocess.run([str(python), "-m", "venv", "--without-pip", str(YURT_VENV)], env=environment, check=True)
    subprocess.run(
        [str(python), "-m", "yurt", "pip", "install", "--python", str(YURT_VENV), "--compile-bytecode",
         "--reinstall-package", "yurt", str(REPOSITORY_ROOT)],
        env=environment, check=True, stdout=subprocess.DEVNULL if quiet else None,
        stderr=subprocess.DEVNULL if quiet else None,
    )
    script = YURT_VENV / "bin" / "yurt"
    return YurtCommand(
        argv=(str(script),), origin=f"working tree installed by itself into {YURT_VENV}", interpreter=str(yurt_python)
    )


def locate_yurt(python: Path | None = None, override: str | None = None) -> YurtCommand:
    """Return how to run yurt: an explicit override, else the working tree installed for the bench."""
    if override:
        return YurtCommand(argv=tuple(shlex.split(override)), origin="--yurt override")
    return install_yurt(python, quiet=True)


def command_version(argv: list[str] | tuple[str, ...], env: Mapping[str, str] | None = None) -> str:
    """Run a `--version` style command and return its first line, or why it failed."""
    environment = clean_pip_environment()
    environment.update(env or {})
    try:
        completed = subprocess.run(
            list(argv), env=environment, capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"
    output = (completed.stdout.strip() or completed.stderr.strip()).splitlines()
    first_line = output[0] if output else ""
    if completed.returncode != 0:
        last_line = output[-1] if output else ""
        return f"unavailable (exit {completed.returncode}: {last_line})"
    return first_line


def tool_versions(python: Path, tool_venv: ToolVenv, yurt: YurtCommand) -> dict[str, str]:
    """Return the version string of every program the benchmark runs."""
    return {
        "yurt": command_version([*yurt.argv, "--version"], yurt.env),
        "uv": command_version([str(tool_venv.uv), "--version"]),
        "pip": command_version([str(tool_venv.pip), "--version"]),
        "python": command_version([str(python), "--version"]),
    }


def main(arguments: list[str] | None = None) -> int:
    """Ensure the tool venv and print what the benchmark would run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--refresh", action="store_true", help="rebuild the tool venv with the newest uv and pip")
    parser.add_argument("--yurt", metavar="CMD", help="command that runs yurt (default: the working tree, installed into bench/.tools/yurt)")
    options = parser.parse_args(arguments)
    python = real_python()
    tool_venv = ensure_tool_venv(python, refresh=options.refresh)
    yurt = locate_yurt(python, options.yurt)
    print(f"python: {python}")
    print(f"tool venv: {tool_venv.root}")
    print(f"yurt: {shlex.join(yurt.argv)} ({yurt.origin})")
    for name, version in tool_versions(python, tool_venv, yurt).items():
        print(f"  {name}: {version}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
