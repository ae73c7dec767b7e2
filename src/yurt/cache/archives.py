"""Unzip a wheel into `archives-v1/<sha256>/` once, safely, so installs can link from it."""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from yurt.cache import ARCHIVES, Cache
from yurt.errors import YurtError
from yurt.fs import temporary_sibling


class UnsafeArchive(YurtError):
    """A wheel whose members would land outside its own tree."""


def archive_path(cache: Cache, digest: str) -> Path:
    return cache.bucket(ARCHIVES) / digest


def member_target(root: Path, name: str, wheel: str) -> Path:
    """Where a member goes, refusing absolute paths, drive letters and `..` components."""
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or name.startswith("/") or (path.parts and ":" in path.parts[0]):
        raise UnsafeArchive(f"{wheel} contains a member with an absolute path: {name!r}")
    if any(part == ".." for part in path.parts):
        raise UnsafeArchive(f"{wheel} contains a member that leaves its folder: {name!r}")
    return root.joinpath(*path.parts)


def unpack_wheel(wheel_path: Path, cache: Cache, digest: str, display_name: str | None = None) -> Path:
    """Unzip into a temporary folder beside the final one, then rename it in.

    Several processes may unpack the same wheel at once: the first rename wins and the others
    discard their copy, so a reader only ever sees a complete tree.
    """
    display_name = display_name or wheel_path.name
    final = archive_path(cache, digest)
    if final.is_dir():
        return final
    cache.prepare_bucket(ARCHIVES)
    staging = temporary_sibling(final)
    try:
        staging.mkdir()
        extract(wheel_path, staging, display_name)
        try:
            os.rename(staging, final)
        except OSError:
            if not final.is_dir():
                raise
    except zipfile.BadZipFile as error:
        raise YurtError(f"{display_name} is not a valid wheel: {error}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final


def extract(wheel_path: Path, root: Path, display_name: str) -> None:
    with zipfile.ZipFile(wheel_path) as archive:
        for info in archive.infolist():
            target = member_target(root, info.filename, display_name)
            mode = info.external_attr >> 16
            if info.is_dir() or info.filename.endswith("/"):
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if stat.S_ISLNK(mode):
                link = archive.read(info).decode("utf-8")
                resolved = os.path.normpath(os.path.join(os.path.dirname(target), link))
                if os.path.isabs(link) or not (resolved + os.sep).startswith(str(root) + os.sep):
                    raise UnsafeArchive(f"{display_name} contains a link that leaves its folder: {info.filename!r}")
                os.symlink(link, target)
                continue
            with archive.open(info) as source, open(target, "wb") as destination:
                shutil.copyfileobj(source, destination, 1024 * 1024)
            # Keep the executable bit (scripts in .data/scripts); everything else stays 0644.
            if mode & 0o111:
                os.chmod(target, 0o755)
