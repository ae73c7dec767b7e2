"""Compile installed modules to bytecode with the environment's own interpreter, one worker per core."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from yurt import log
from yurt.errors import YurtError

DEFAULT_TIMEOUT = 60.0


class BytecodeTimeout(YurtError):
    """Compiling bytecode took longer than allowed."""


def compile_bytecode(python: Path, paths: Iterable[Path | str], *, timeout: float = DEFAULT_TIMEOUT) -> int:
    """Write `__pycache__/*.pyc` for the `.py` files among `paths`; returns how many were handed over.

    Only the target interpreter knows its bytecode format, so its own `compileall` does the work,
    in one process per core, each reading its share of the file list on stdin. A module that does
    not compile (a template, Python 2 test data) is left alone, as Python would do on import; the
    .pyc files are not added to RECORD, and uninstalling removes them with their module.
    """
    files = [str(path) for path in paths if str(path).endswith(".py") and "\n" not in str(path)]
    if not files:
        return 0
    count = max(1, min(os.cpu_count() or 1, len(files)))
    deadline = time.monotonic() + timeout
    workers: list[tuple[subprocess.Popen, IO[bytes]]] = []
    try:
        for _ in range(count):
            # A file, not a pipe, takes the output: a full pipe nobody reads would stall a worker.
            output = tempfile.TemporaryFile()
            try:
                process = subprocess.Popen(
                    [str(python), "-I", "-m", "compileall", "-q", "-i", "-"],
                    stdin=subprocess.PIPE,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            except OSError as error:
                output.close()
                raise YurtError(f"cannot run {python} to compile bytecode: {error.strerror or error}") from None
            workers.append((process, output))
        for index, (process, _) in enumerate(workers):
            # compileall reads the whole list before compiling, so these writes never wait long.
            process.stdin.write(os.fsencode("\n".join(files[index::count]) + "\n"))
            process.stdin.close()
        for process, output in workers:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
            if process.returncode:
                output.seek(0)
                log.debug("some modules did not compile:\n%s", output.read().decode(errors="replace").strip())
    except subprocess.TimeoutExpired:
        raise BytecodeTimeout(
            f"compiling bytecode took longer than {timeout:g} s",
            "the environment works without it: Python compiles each module when it is first imported",
        ) from None
    finally:
        for process, output in workers:
            if process.poll() is None:
                process.kill()
                process.wait()
            output.close()
    return len(files)
