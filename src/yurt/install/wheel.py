"""Install one wheel, already unpacked in the cache, into an environment."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import keyword
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from yurt import log
from yurt.errors import YurtError
from yurt.fs import copy_file, temporary_sibling
from yurt.install.link import Linker
from yurt.install.site_packages import parse_headers, parse_metadata
from yurt.python.interpreter import Interpreter

INSTALLER_NAME = "yurt"
# Files of a wheel's .dist-info that are written afresh for each environment instead of linked;
# RECORD's signatures would no longer match the RECORD written here.
WRITTEN_METADATA = frozenset({"RECORD", "RECORD.jws", "RECORD.p7s", "INSTALLER", "REQUESTED", "direct_url.json"})
SCRIPT_GROUPS = ("console_scripts", "gui_scripts")
# Linux before 5.1 reads only the first 128 bytes of a script to find its interpreter.
SHEBANG_LIMIT = 127
# Characters that cannot be quoted in the /bin/sh launcher, which is both shell and Python.
UNQUOTABLE = ('"', "'", "$", "`", "\\", "\n")

ENTRY_POINT_TEMPLATE = """\
import sys

from {module} import {head} as entry_point

if __name__ == "__main__":
    sys.exit(entry_point{tail}())
"""


class InvalidWheel(YurtError):
    """A wheel whose content breaks the wheel spec or uses a format yurt does not know."""


class InstallError(YurtError):
    """Placing a wheel's files failed; whatever had been placed was removed again."""


# The records here are NamedTuples, not dataclasses: an install into an empty venv from a full
# cache (yurt/install/recall.py) imports nothing else that needs `dataclasses`, whose import
# (with inspect, ast, dis and tokenize) cost it about 5 ms. See docs/performance.md.
class Scheme(NamedTuple):
    """Where each part of a wheel goes in one environment, and the interpreter its scripts run with."""

    prefix: Path
    purelib: Path
    platlib: Path
    scripts: Path
    data: Path
    include: Path
    python: Path

    @classmethod
    def for_interpreter(cls, interpreter: Interpreter) -> Scheme:
        """The layout of the environment `interpreter` belongs to (a venv's own interpreter for a venv)."""
        paths = interpreter.paths
        if interpreter.is_virtual_environment:
            # sysconfig names the base interpreter's include folder, outside the venv: headers
            # go where pip puts them in a venv instead.
            major, minor = interpreter.version[:2]
            include = interpreter.prefix / "include" / "site" / f"python{major}.{minor}"
        else:
            include = Path(paths["include"])
        return cls(
            prefix=interpreter.prefix,
            purelib=Path(paths["purelib"]),
            platlib=Path(paths["platlib"]),
            scripts=Path(paths["scripts"]),
            data=Path(paths["data"]),
            include=include,
            python=interpreter.executable,
        )


class InstalledWheel(NamedTuple):
    """A wheel installed into an environment: the dist it holds and the files it placed."""

    name: str
    version: str
    dist_info: Path
    # As RECORD lists them: relative to the folder that holds the .dist-info, RECORD included.
    files: tuple[str, ...]

    def paths(self) -> list[Path]:
        base = str(self.dist_info.parent)
        return [Path(os.path.normpath(os.path.join(base, file))) for file in self.files]


def record_hash(data: bytes) -> str:
    """`sha256=` and the digest in URL-safe base64 without padding, as RECORD spells it."""
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def hash_file(path: str) -> tuple[str, str]:
    with open(path, "rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").digest()
        size = stream.tell()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"), str(size)


def shebang(python: str, arguments: str = "") -> bytes:
    """The first line(s) that make a script run with `python`.

    A path too long for the kernel, or with spaces, goes through /bin/sh: the shell runs the
    second line (`exec` of the interpreter on this file) and Python reads those lines as a string.
    """
    suffix = f" {arguments}" if arguments else ""
    if len(python) + len(suffix) + 2 <= SHEBANG_LIMIT and " " not in python and "\t" not in python:
        return f"#!{python}{suffix}\n".encode()
    unquotable = [character for character in UNQUOTABLE if character in python]
    if unquotable:
        raise InstallError(
            f"cannot write scripts that run {python!r}: the path holds {unquotable[0]!r}",
            "create the environment at a path without quotes, `$`, backticks or backslashes",
        )
    return f"#!/bin/sh\n'''exec' \"{python}\"{suffix} \"$0\" \"$@\"\n' '''\n".encode()


def rewritten_shebang(first_line: bytes, python: str) -> bytes | None:
    """The new first line(s) for a script whose first line is `#!python` or `#!pythonw`, else None."""
    if not first_line.startswith(b"#!python"):
        return None
    rest = first_line[len(b"#!python"):]
    if rest.startswith(b"w"):
        rest = rest[1:]
    if rest.strip() and not rest[:1].isspace():
        return None  # `#!python3` and the like name a real program, not the placeholder
    return shebang(python, rest.strip().decode("utf-8", "replace"))


def _is_dotted_name(text: str) -> bool:
    return bool(text) and all(part.isidentifier() and not keyword.iskeyword(part) for part in text.split("."))


def entry_point_script(group: str, name: str, value: str, first_lines: bytes, wheel: str) -> bytes:
    """A script that imports `module:object.attribute` and exits with what calling it returns."""
    # `[extras]` after the reference only ever selected dependencies; scripts ignore them.
    reference = value.split("[", 1)[0]
    module, separator, attribute = (part.strip() for part in reference.partition(":"))
    if not separator or not _is_dotted_name(module) or not _is_dotted_name(attribute):
        raise InvalidWheel(
            f"{wheel} declares the {group} entry point `{name} = {value}`, which is not `module:function`"
        )
    head, _, tail = attribute.partition(".")
    body = ENTRY_POINT_TEMPLATE.format(module=module, head=head, tail=f".{tail}" if tail else "")
    return first_lines + body.encode("utf-8")


def script_entry_points(text: str, wheel: str) -> list[tuple[str, str, str]]:
    """(group, name, value) of every console and GUI script in an `entry_points.txt`."""
    found = []
    group = None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            continue
        if group not in SCRIPT_GROUPS:
            continue
        name, separator, value = (part.strip() for part in line.partition("="))
        if not separator or not name or name in (".", "..") or any(character in name for character in "/\\\0"):
            raise InvalidWheel(f"{wheel} has an entry_points.txt line yurt cannot turn into a script: {raw_line!r}")
        found.append((group, name, value))
    return found


def _describe(error: OSError) -> str:
    reason = error.strerror or str(error)
    return f"{reason}: {error.filename}" if error.filename else reason


def install_wheel(
    archive: Path,
    filename: str,
    scheme: Scheme,
    linker: Linker,
    *,
    requested: bool = False,
    direct_url: Mapping[str, object] | None = None,
) -> InstalledWheel:
    """Place the unpacked wheel at `archive` into the environment of `scheme`.

    The dist becomes visible only at the end, when its complete .dist-info (built under a
    temporary name) is renamed into place; on failure every file placed so far is removed and
    any file it had replaced is put back. `requested` writes REQUESTED (the user asked for this
    dist, it is not only a dependency); `direct_url` is written as PEP 610's direct_url.json.
    """
    return _WheelInstallation(archive, filename, scheme, linker).run(requested, direct_url)


class _WheelInstallation:
    """The state of one wheel's install, kept so that a failure can undo it."""

    def __init__(self, archive: Path, filename: str, scheme: Scheme, linker: Linker) -> None:
        self.archive = os.path.abspath(archive)
        self.filename = filename
        self.scheme = scheme
        self.linker = linker
        self.root = ""
        # RECORD path -> (hash, size); insertion order is the order files were placed.
        self.record: dict[str, tuple[str, str]] = {}
        self.wheel_record: dict[str, tuple[str, str]] = {}
        self.created_files: list[str] = []
        self.created_directories: list[str] = []
        # (path, where the file found there was moved): put back on failure, deleted on success.
        self.backups: list[tuple[str, str]] = []

    def run(self, requested: bool, direct_url: Mapping[str, object] | None) -> InstalledWheel:
        with os.scandir(self.archive) as entries:
            top_level = [
                (entry.name, entry.path, entry.is_dir(follow_symlinks=False), entry.is_symlink()) for entry in entries
            ]
        dist_info_name = self._dist_info_name(top_level)
        dist_info_source = os.path.join(self.archive, dist_info_name)
        purelib = self._read_wheel_file(dist_info_source)
        metadata = parse_metadata(self._read(os.path.join(dist_info_source, "METADATA"), "METADATA"))
        if not metadata.name or not metadata.version:
            raise InvalidWheel(f"{self.filename} has no Name or no Version in its METADATA")
        self.wheel_record = self._read_wheel_record(dist_info_source)
        self.root = str(self.scheme.purelib if purelib else self.scheme.platlib)
        final = os.path.join(self.root, dist_info_name)
        if os.path.lexists(final):
            raise InstallError(
                f"{metadata.name} {metadata.version} is already installed at {final}",
                "uninstall it before installing it again",
            )
        staging = str(temporary_sibling(Path(final)))
        data_name = dist_info_name[: -len(".dist-info")] + ".data"
        try:
            self._make_directory(self.root)
            for name, path, is_directory, is_link in top_level:
                if name == dist_info_name:
                    continue
                if name == data_name and is_directory:
                    self._spread_data(path, data_name, metadata.name)
                elif is_directory:
                    self._place_tree(path, os.path.join(self.root, name), f"{name}/", f"{name}/")
                else:
                    self._place_entry(path, os.path.join(self.root, name), name, name, is_link)
            self._write_entry_point_scripts(dist_info_source)
            os.mkdir(staging)
            self._place_tree(dist_info_source, staging, f"{dist_info_name}/", f"{dist_info_name}/", skip=WRITTEN_METADATA)
            self._write_metadata(staging, dist_info_name, requested, direct_url)
            os.rename(staging, final)
        except BaseException as error:
            self._roll_back(staging)
            if isinstance(error, OSError):
                raise InstallError(
                    f"failed to install {self.filename}: {_describe(error)}",
                    "nothing of it was left in the environment",
                ) from error
            raise
        self._discard_backups()
        return InstalledWheel(metadata.name, metadata.version, Path(final), tuple(self.record))

    # ---------------------------------------------------------------- reading the wheel

    def _read(self, path: str, label: str) -> str:
        try:
            with open(path, encoding="utf-8") as stream:
                return stream.read()
        except FileNotFoundError:
            raise InvalidWheel(f"{self.filename} has no {label} file in its .dist-info folder") from None
        except (OSError, UnicodeDecodeError) as error:
            raise InvalidWheel(f"cannot read the {label} file of {self.filename}: {error}") from None

    def _dist_info_name(self, top_level: list[tuple[str, str, bool, bool]]) -> str:
        names = [name for name, _, is_directory, _ in top_level if is_directory and name.endswith(".dist-info")]
        if len(names) != 1:
            found = "no .dist-info folder" if not names else f"{len(names)} .dist-info folders ({', '.join(sorted(names))})"
            raise InvalidWheel(f"{self.filename} has {found}; a wheel has exactly one")
        return names[0]

    def _read_wheel_file(self, dist_info_source: str) -> bool:
        """Check the WHEEL file's format version; True when the root goes to purelib."""
        headers = dict(parse_headers(self._read(os.path.join(dist_info_source, "WHEEL"), "WHEEL")))
        version = headers.get("Wheel-Version", "")
        try:
            major = int(version.split(".")[0])
        except ValueError:
            raise InvalidWheel(f"{self.filename} has an unreadable Wheel-Version {version!r} in its WHEEL file") from None
        if major != 1:
            raise InvalidWheel(
                f"{self.filename} is a version {version} wheel, which yurt cannot install",
                "yurt installs wheels of version 1.x; a later yurt may know this format",
            )
        return headers.get("Root-Is-Purelib", "").strip().lower() == "true"

    def _read_wheel_record(self, dist_info_source: str) -> dict[str, tuple[str, str]]:
        text = self._read(os.path.join(dist_info_source, "RECORD"), "RECORD")
        return {row[0]: (row[1], row[2]) for row in csv.reader(text.splitlines()) if len(row) >= 3 and row[1]}

    # ---------------------------------------------------------------- placing files

    def _record_base(self, directory: Path) -> str:
        """How RECORD spells a folder outside the root: relative to it, like `../../../bin/`."""
        relative = os.path.relpath(directory, self.root).replace(os.sep, "/")
        return "" if relative == "." else f"{relative}/"

    def _spread_data(self, data_directory: str, data_name: str, name: str) -> None:
        targets = {
            "purelib": self.scheme.purelib,
            "platlib": self.scheme.platlib,
            "scripts": self.scheme.scripts,
            "headers": self.scheme.include / name,
            "data": self.scheme.data,
        }
        with os.scandir(data_directory) as entries:
            categories = [(entry.name, entry.path, entry.is_dir(follow_symlinks=False)) for entry in entries]
        for category, path, is_directory in categories:
            target = targets.get(category)
            if target is None or not is_directory:
                raise InvalidWheel(
                    f"{self.filename} has {data_name}/{category}, which is none of the folders a wheel may"
                    f" spread ({', '.join(targets)})"
                )
            self._place_tree(
                path, str(target), self._record_base(target), f"{data_name}/{category}/", scripts=category == "scripts"
            )

    def _make_directory(self, path: str) -> None:
        try:
            os.mkdir(path)
        except FileExistsError:
            if not os.path.isdir(path):
                raise InstallError(f"cannot install {self.filename}: a file is in the way of the folder {path}") from None
            return
        except FileNotFoundError:
            # Another wheel may create the same folder meanwhile (copies run in threads): retry
            # through this method, which accepts a folder that appeared.
            self._make_directory(os.path.dirname(path))
            self._make_directory(path)
            return
        self.created_directories.append(path)

    def _place_tree(
        self,
        source: str,
        destination: str,
        record_prefix: str,
        wheel_prefix: str,
        *,
        scripts: bool = False,
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self._make_directory(destination)
        with os.scandir(source) as entries:
            for entry in entries:
                name = entry.name
                if name in skip:
                    continue
                target = f"{destination}{os.sep}{name}"
                if entry.is_dir(follow_symlinks=False):
                    self._place_tree(entry.path, target, f"{record_prefix}{name}/", f"{wheel_prefix}{name}/", scripts=scripts)
                elif scripts:
                    self._place_script(entry.path, target, record_prefix + name, wheel_prefix + name, entry.is_symlink())
                else:
                    self._place_entry(entry.path, target, record_prefix + name, wheel_prefix + name, entry.is_symlink())

    def _place_entry(self, source: str, destination: str, record_path: str, wheel_path: str, is_link: bool) -> None:
        if is_link:
            # Unpacking kept links that stay inside the wheel: the same relative link works here.
            self._place(os.symlink, os.readlink(source), destination)
        else:
            self._place(self.linker.link, source, destination)
        self._record_linked(destination, record_path, wheel_path)

    def _place(self, function, source: str, destination: str) -> None:
        try:
            function(source, destination)
        except FileExistsError:
            self._move_aside(destination)
            function(source, destination)
        self.created_files.append(destination)

    def _write_file(self, destination: str, data: bytes, mode: int) -> None:
        def write(content: bytes, path: str) -> None:
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), "wb") as stream:
                stream.write(content)

        self._place(write, data, destination)

    def _move_aside(self, destination: str) -> None:
        """Make room for a file where one exists, keeping the old one until the install succeeds."""
        if os.path.isdir(destination) and not os.path.islink(destination):
            raise InstallError(f"cannot install {self.filename}: a folder is in the way of the file {destination}")
        if destination in self.created_files:
            # Placed by this very install (a script the wheel ships and generates too): the last wins.
            os.unlink(destination)
            self.created_files.remove(destination)
            return
        backup = str(temporary_sibling(Path(destination)))
        os.rename(destination, backup)
        self.backups.append((destination, backup))
        log.debug("replacing %s, which was already in the environment", destination)

    def _record_linked(self, destination: str, record_path: str, wheel_path: str) -> None:
        """Reuse the wheel's RECORD line for the file when it has one, else hash the file."""
        entry = self.wheel_record.get(wheel_path)
        if entry is not None and entry[0].startswith("sha256=") and entry[1]:
            self.record[record_path] = entry
        else:
            self.record[record_path] = hash_file(destination)

    def _place_script(self, source: str, destination: str, record_path: str, wheel_path: str, is_link: bool) -> None:
        if not is_link:
            with open(source, "rb") as stream:
                first_line = stream.readline()
                new_first_lines = rewritten_shebang(first_line, str(self.scheme.python))
                if new_first_lines is not None:
                    content = new_first_lines + stream.read()
            if new_first_lines is not None:
                self._write_file(destination, content, 0o755)
                self.record[record_path] = (record_hash(content), str(len(content)))
                return
            if not os.stat(source).st_mode & 0o111:
                # A link would share the cache's file, whose mode must not change: copy instead.
                self._place(copy_file, source, destination)
                os.chmod(destination, 0o755)
                self._record_linked(destination, record_path, wheel_path)
                return
        self._place_entry(source, destination, record_path, wheel_path, is_link)

    def _write_entry_point_scripts(self, dist_info_source: str) -> None:
        path = os.path.join(dist_info_source, "entry_points.txt")
        if not os.path.isfile(path):
            return
        entry_points = script_entry_points(self._read(path, "entry_points.txt"), self.filename)
        if not entry_points:
            return
        scripts = str(self.scheme.scripts)
        self._make_directory(scripts)
        record_base = self._record_base(self.scheme.scripts)
        first_lines = shebang(str(self.scheme.python))
        for group, name, value in entry_points:
            content = entry_point_script(group, name, value, first_lines, self.filename)
            self._write_file(os.path.join(scripts, name), content, 0o755)
            self.record[record_base + name] = (record_hash(content), str(len(content)))

    def _write_metadata(
        self, staging: str, dist_info_name: str, requested: bool, direct_url: Mapping[str, object] | None
    ) -> None:
        files = {"INSTALLER": f"{INSTALLER_NAME}\n".encode()}
        if requested:
            files["REQUESTED"] = b""
        if direct_url is not None:
            files["direct_url.json"] = json.dumps(direct_url, sort_keys=True).encode("utf-8")
        for name, content in files.items():
            with open(os.path.join(staging, name), "xb") as stream:
                stream.write(content)
            self.record[f"{dist_info_name}/{name}"] = (record_hash(content), str(len(content)))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows((path, digest, size) for path, (digest, size) in self.record.items())
        record_path = f"{dist_info_name}/RECORD"
        writer.writerow((record_path, "", ""))
        self.record[record_path] = ("", "")
        with open(os.path.join(staging, "RECORD"), "x", encoding="utf-8", newline="") as stream:
            stream.write(buffer.getvalue())

    # ---------------------------------------------------------------- finishing

    def _roll_back(self, staging: str) -> None:
        import shutil  # here: shutil imports bz2 and lzma, and only a failure needs it

        shutil.rmtree(staging, ignore_errors=True)
        for path in reversed(self.created_files):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as error:
                log.debug("could not remove %s while undoing an install: %s", path, error)
        for path in reversed(self.created_directories):
            try:
                os.rmdir(path)
            except OSError as error:
                log.debug("could not remove the folder %s while undoing an install: %s", path, error)
        for path, backup in reversed(self.backups):
            try:
                os.rename(backup, path)
            except OSError as error:
                log.debug("could not put %s back from %s: %s", path, backup, error)

    def _discard_backups(self) -> None:
        for _, backup in self.backups:
            try:
                os.unlink(backup)
            except OSError as error:
                log.debug("could not remove the replaced file %s: %s", backup, error)
