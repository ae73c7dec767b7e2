"""Run the real yurt command line in a subprocess with an isolated, predictable environment."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRECTORY = REPOSITORY_ROOT / "src"
DEFAULT_TIMEOUT = 120

# Inherited settings that would make a run depend on the developer's machine.
_STRIPPED_PREFIXES = ("YURT_", "PIP_")
_STRIPPED_NAMES = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX")

_TIMING = re.compile(r"\bin \d+(?:\.\d+)?(?:ms|µs|us|ns|s)\b")


@dataclass(frozen=True, slots=True)
class Result:
    """What one yurt run produced."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout then stderr, for assertions that do not care which stream a line went to."""
        return self.stdout + self.stderr

    def describe(self) -> str:
        return f"exit code {self.returncode}\n--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"


def yurt_environment(cache_dir: Path | str, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The environment a yurt subprocess gets: inherited minus yurt/pip/venv settings, plus ``env``.

    A value of None in ``env`` removes that variable.
    """
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(_STRIPPED_PREFIXES) and name not in _STRIPPED_NAMES}
    # PYTHONPATH at the source tree lets a fresh clone run without installing yurt.
    environment["PYTHONPATH"] = str(SOURCE_DIRECTORY)
    environment["YURT_CACHE_DIR"] = str(cache_dir)
    environment["NO_COLOR"] = "1"
    # Decode output the same way whatever the machine's locale is.
    environment["PYTHONIOENCODING"] = "utf-8"
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = str(value)
    return environment


def run_yurt(*args: str | os.PathLike, cwd: Path | str | None = None,
             env: Mapping[str, str | None] | None = None, cache_dir: Path | str | None = None,
             input: str | None = None, check: bool | int | None = None,
             timeout: float = DEFAULT_TIMEOUT) -> Result:
    """Run ``python -m yurt *args`` and return its exit code and output.

    ``check``: None accepts any exit code; True requires 0; False requires
    non-zero; an int requires exactly that code. A mismatch raises
    AssertionError showing both streams. Without ``cache_dir`` the run gets a
    fresh cache that is deleted afterwards.
    """
    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="yurt-cache-") as temporary_cache:
            return run_yurt(*args, cwd=cwd, env=env, cache_dir=temporary_cache, input=input,
                            check=check, timeout=timeout)
    completed = subprocess.run(
        [sys.executable, "-m", "yurt", *(os.fspath(argument) for argument in args)],
        cwd=cwd, env=yurt_environment(cache_dir, env), input=input, capture_output=True,
        text=True, encoding="utf-8", errors="replace", timeout=timeout,
        # Without input, stdin is closed so a prompt fails fast instead of hanging the test.
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    result = Result(completed.returncode, completed.stdout, completed.stderr)
    _check(result, check, args)
    return result


def _check(result: Result, check: bool | int | None, args: tuple) -> None:
    if check is None:
        return
    if check is True:
        ok, expected = result.returncode == 0, "exit code 0"
    elif check is False:
        ok, expected = result.returncode != 0, "a non-zero exit code"
    else:
        ok, expected = result.returncode == check, f"exit code {check}"
    if not ok:
        command = " ".join(os.fspath(argument) for argument in args)
        raise AssertionError(f"yurt {command}: expected {expected}, got {result.describe()}")


def mask(text: str, replacements: Mapping[str | os.PathLike, str] | None = None) -> str:
    """Make output comparable: timings become ``in [TIME]`` and given paths their placeholders.

    ``mask(out, {tmp_path: "[TEMP]"})``. Both the path as given and its resolved
    form are replaced, longest first so nested paths mask correctly.
    """
    pairs: dict[str, str] = {}
    for path, placeholder in (replacements or {}).items():
        raw = os.fspath(path)
        pairs[raw] = placeholder
        pairs.setdefault(os.path.realpath(raw), placeholder)
    for raw in sorted(pairs, key=len, reverse=True):
        if raw:
            text = text.replace(raw, pairs[raw])
    return _TIMING.sub("in [TIME]", text)
