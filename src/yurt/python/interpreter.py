"""An interpreter's facts, probed once in a subprocess and cached by path, size and mtime."""

from __future__ import annotations

import json
import os
import sys
import zlib
from pathlib import Path
from typing import NamedTuple
from collections.abc import Mapping

from yurt import log
from yurt.cache import INTERPRETERS, Cache
from yurt.errors import YurtError
from yurt.fs import atomic_write

PROBE_SCRIPT = Path(__file__).with_name("probe_script.py")
IMPLEMENTATION_NAMES = {"cpython": "CPython", "pypy": "PyPy", "graalpy": "GraalPy"}


class Interpreter(NamedTuple):
    """What yurt knows about one Python executable."""

    executable: Path
    base_executable: Path
    prefix: Path
    base_prefix: Path
    version: tuple[int, int, int]
    release_level: str
    implementation: str
    markers: Mapping[str, str]
    paths: Mapping[str, str]
    venv_scheme: Mapping[str, str]
    platform: str
    libc: str | None
    pointer_bits: int
    soabi: str | None
    externally_managed: bool

    @property
    def version_text(self) -> str:
        return self.markers["python_full_version"]

    @property
    def implementation_display(self) -> str:
        return IMPLEMENTATION_NAMES.get(self.implementation, self.implementation)

    @property
    def is_virtual_environment(self) -> bool:
        return self.prefix != self.base_prefix

    def describe(self) -> str:
        return f"{self.implementation_display} {self.version_text}"

    @classmethod
    def from_probe(cls, data: Mapping[str, object]) -> "Interpreter":
        version = data["version"]
        return cls(
            executable=Path(data["executable"]),
            base_executable=Path(data["base_executable"]),
            prefix=Path(data["prefix"]),
            base_prefix=Path(data["base_prefix"]),
            version=(version[0], version[1], version[2]),
            release_level=version[3],
            implementation=data["implementation"],
            markers=data["markers"],
            paths=data["paths"],
            venv_scheme=data["venv_scheme"],
            platform=data["platform"],
            libc=data["libc"],
            pointer_bits=data["pointer_bits"],
            soabi=data["soabi"],
            externally_managed=data["externally_managed"],
        )


def is_script(path: Path) -> bool:
    """True for a `#!` text file, such as a pyenv shim: its target can change under the same path."""
    try:
        with open(path, "rb") as stream:
            return stream.read(2) == b"#!"
    except OSError:
        return False


def probe(executable: Path, cache: Cache | None) -> Interpreter:
    """Describe an interpreter, from the cache when its file is unchanged, else by running it."""
    return Interpreter.from_probe(probe_data(executable, cache))


def probe_data(executable: Path, cache: Cache | None) -> dict:
    """The probe record of an interpreter (see probe_script.py), cached by path, size and mtime."""
    try:
        status = executable.stat()
    except OSError as error:
        raise YurtError(f"cannot use {str(executable)!r} as a Python interpreter: {error.strerror}") from None
    key = {"path": str(executable), "size": status.st_size, "mtime_ns": status.st_mtime_ns}
    entry = None
    cacheable = cache is not None and not is_script(executable)
    if cacheable:
        # A checksum, not a cryptographic hash: hashlib's import costs more than the whole lookup,
        # and a collision only means a cache miss, since the record holds the full key.
        digest = f"{zlib.crc32(str(executable).encode()):08x}"
        entry = cache.bucket(INTERPRETERS) / f"{executable.name}-{digest}.json"
        try:
            record = json.loads(entry.read_bytes())
            if record.get("key") == key:
                log.trace("interpreter probe of %s read from %s", executable, entry)
                return record["probe"]
        except (OSError, ValueError):
            pass
    data = venv_probe_from_base(executable, cache) or run_probe(executable)
    if entry is not None:
        cache.prepare_bucket(INTERPRETERS)
        atomic_write(entry, json.dumps({"key": key, "probe": data}).encode())
    return data


def venv_probe_from_base(executable: Path, cache: Cache | None) -> dict | None:
    """The probe of a venv's interpreter, made from its base interpreter's, when the venv's
    executable is a link to that very file: the same binary has the same markers, tags and
    version, and only the paths differ, by the venv's own scheme. This spares the first install
    into a new venv the ~25 ms of starting its interpreter; anything unusual (a copied
    executable, a pyvenv.cfg that does not say where the base is) runs the real probe.
    """
    from yurt.python.pyvenv import read_pyvenv_cfg

    root = executable.parent.parent
    config = read_pyvenv_cfg(str(root / "pyvenv.cfg"))
    if not config or not config.get("home") or not executable.is_symlink():
        return None
    real = os.path.realpath(executable)
    base = Path(config["home"]) / os.path.basename(real)
    if os.path.realpath(base) != real:
        return None
    try:
        base_data = probe_data(base, cache)
    except YurtError:
        return None
    base_prefix = base_data["base_prefix"]
    if base_data["prefix"] != base_prefix:
        return None
    data = dict(base_data)
    paths = dict(base_data["paths"])
    for key in ("purelib", "platlib", "scripts", "data"):
        paths[key] = os.path.normpath(os.path.join(root, base_data["venv_scheme"][key]))
    # The platform-specific standard library moves with the venv too, as sysconfig reports it there.
    if paths.get("platstdlib", "").startswith(base_prefix + os.sep):
        paths["platstdlib"] = os.path.join(root, os.path.relpath(paths["platstdlib"], base_prefix))
    data.update(executable=str(executable), prefix=str(root), paths=paths)
    log.debug("interpreter %s: a venv of %s, probed through it", executable, base)
    return data


def run_probe(executable: Path) -> dict:
    """Collect the facts: in this process for the running interpreter, else in a subprocess."""
    if os.path.realpath(executable) == os.path.realpath(sys.executable) and str(executable) == sys.executable:
        from yurt.python import probe_script

        return probe_script.collect()
    log.debug("probing interpreter %s", executable)
    # -S leaves out site-packages and its .pth files, which can cost more than the probe itself
    # (24 ms on this machine's base interpreter, whose .pth files import certifi). Not for a venv:
    # on Python 3.8-3.10, site is what reads pyvenv.cfg and sets the venv's prefix. And not when
    # the interpreter has a sitecustomize module, which may change the facts: the probe says so,
    # and runs again with site.
    in_venv = any((folder / "pyvenv.cfg").is_file() for folder in (executable.parent, executable.parent.parent))
    data = _run_probe_script(executable, ["-I"] if in_venv else ["-I", "-S"])
    if data.pop("site_customized", False):
        data = _run_probe_script(executable, ["-I"])
    return data


def _run_probe_script(executable: Path, flags: list[str]) -> dict:
    import subprocess

    try:
        completed = subprocess.run(
            [str(executable), *flags, str(PROBE_SCRIPT)],
            capture_output=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise YurtError(f"cannot run {str(executable)!r} to inspect it: {error}") from None
    if completed.returncode != 0:
        detail = completed.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise YurtError(f"{str(executable)!r} is not a usable Python interpreter: {detail[0]}")
    try:
        return json.loads(completed.stdout)
    except ValueError:
        raise YurtError(f"{str(executable)!r} did not answer yurt's interpreter probe") from None
