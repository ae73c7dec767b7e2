"""Unzip a wheel into `archives-v1/<sha256>/` once, safely, so installs can link from it."""

from __future__ import annotations

import contextlib
import mmap
import os
import shutil
import stat
import struct
import zipfile
import zlib
from pathlib import Path

from yurt.cache import ARCHIVES, Cache
from yurt.errors import YurtError
from yurt.fs import temporary_sibling

try:
    # ISA-L's inflate and CRC-32, where its wheels exist (see pyproject.toml): on the 37 wheels of
    # a cold trio-docs install they inflate 85 MB in 124 ms of CPU against zlib's 210 ms, and
    # unzipping is the largest share of a cold install's CPU. The same calls as zlib's.
    from isal import isal_zlib as deflate
    INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, deflate.error)
except ImportError:
    deflate = zlib
    INFLATE_ERRORS = (zlib.error,)


class UnsafeArchive(YurtError):
    """A wheel whose members would land outside its own tree."""


def archive_path(cache: Cache, digest: str) -> Path:
    return cache.bucket(ARCHIVES) / digest


def member_parts(name: str, wheel: str) -> list[str]:
    """The path components of a member, refusing absolute paths, drive letters and `..` components."""
    text = name.replace("\\", "/")
    if text.startswith("/"):
        raise UnsafeArchive(f"{wheel} contains a member with an absolute path: {name!r}")
    parts = [part for part in text.split("/") if part and part != "."]
    if parts and ":" in parts[0]:
        raise UnsafeArchive(f"{wheel} contains a member with an absolute path: {name!r}")
    if ".." in parts:
        raise UnsafeArchive(f"{wheel} contains a member that leaves its folder: {name!r}")
    return parts


def wheel_metadata(wheel: Path) -> bytes:
    """The METADATA of a wheel file, or of a wheel already unpacked into a folder."""
    if wheel.is_dir():
        for entry in wheel.iterdir():
            if entry.name.endswith(".dist-info") and (entry / "METADATA").is_file():
                return (entry / "METADATA").read_bytes()
    else:
        try:
            with zipfile.ZipFile(wheel) as archive:
                for name in archive.namelist():
                    parts = name.split("/")
                    if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                        return archive.read(name)
        except zipfile.BadZipFile as error:
            raise YurtError(f"{wheel.name} is not a valid wheel: {error}") from None
    raise YurtError(f"{wheel.name} has no .dist-info/METADATA")


def unpack_wheel(wheel_path: Path, cache: Cache, digest: str, display_name: str | None = None,
                 unpacker=None) -> Path:
    """The wheel unzipped at `archives-v1/<digest>`: by `unpacker` (yurt.cache.unpacker.Unpacker,
    which may use helper processes), else here."""
    display_name = display_name or wheel_path.name
    final = archive_path(cache, digest)
    if final.is_dir():
        return final
    cache.prepare_bucket(ARCHIVES)
    if unpacker is not None:
        unpacker.unpack(wheel_path, final, display_name)
    else:
        unpack_into(wheel_path, final, display_name)
    return final


def unpack_into(wheel_path: Path, final: Path, display_name: str) -> None:
    """Unzip into a temporary folder beside `final`, then rename it in.

    Several processes may unpack the same wheel at once: the first rename wins and the others
    discard their copy, so a reader only ever sees a complete tree.
    """
    if final.is_dir():
        return
    with staging_for(final) as staging:
        extract_wheel(wheel_path, staging, display_name)


@contextlib.contextmanager
def staging_for(final: Path):
    """A new folder beside `final`, renamed to it when the block succeeds and removed otherwise.
    Another process's rename that came first wins, and this copy is discarded."""
    staging = temporary_sibling(final)
    try:
        staging.mkdir()
        yield staging
        try:
            os.rename(staging, final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def extract_wheel(wheel_path: Path, root: Path, display_name: str, part: tuple[int, int] = (0, 1)) -> None:
    """`extract`, with a damaged zip reported as an error that names the wheel."""
    try:
        extract(wheel_path, root, display_name, part)
    except zipfile.BadZipFile as error:
        raise YurtError(f"{display_name} is not a valid wheel: {error}") from None


def extract(archive_path: Path, root: Path, display_name: str, part: tuple[int, int] = (0, 1)) -> None:
    """Unzip every member under `root`, which exists; with `part` (number, count), only that share
    of the members (see share), so that several processes can unzip one large wheel together.

    The members are read straight from a memory map of the archive and written with plain
    `os.open`/`os.write`: zipfile's per-member seeks, and Python file objects' stat and tty
    checks, were most of the system calls of an unzip, and creating files is the slow part of a
    cold install on an ordinary disk. Each folder is made once, not once per file.
    """
    base = str(root)
    made = {base}
    with zipfile.ZipFile(archive_path) as archive, open(archive_path, "rb") as stream:
        mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            for info in share(archive.infolist(), *part):
                parts = member_parts(info.filename, display_name)
                if not parts:
                    continue
                target = os.path.join(base, *parts)
                if info.is_dir():
                    make_folders(target, made)
                    continue
                make_folders(os.path.dirname(target), made)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    write_link(archive.read(info).decode("utf-8"), target, base, info.filename, display_name)
                    continue
                # Keep the executable bit (scripts in .data/scripts); everything else is 0644.
                permissions = 0o755 if mode & 0o111 else 0o644
                descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, permissions)
                try:
                    write_member(archive, mapped, info, descriptor, display_name)
                finally:
                    os.close(descriptor)
        finally:
            mapped.close()


# Creating a file costs about as much as writing this many bytes into it (measured on ext4).
FILE_COST = 16 * 1024


def share(members: list[zipfile.ZipInfo], number: int, count: int) -> list[zipfile.ZipInfo]:
    """The `number`th of `count` runs of consecutive members, each of about equal work (bytes out
    plus a constant per file). Each member falls in exactly one run: the one holding its middle.
    Runs keep a folder's files together, so few folders are made by two processes."""
    if count == 1:
        return members
    weights = [info.file_size + FILE_COST for info in members]
    total = sum(weights)
    low, high = total * number / count, total * (number + 1) / count
    chosen = []
    running = 0
    for info, weight in zip(members, weights):
        if low <= running + weight / 2 < high:
            chosen.append(info)
        running += weight
    return chosen


def make_folders(folder: str, made: set[str]) -> None:
    if folder in made:
        return
    os.makedirs(folder, exist_ok=True)
    while folder not in made:
        made.add(folder)
        folder = os.path.dirname(folder)


def write_link(link: str, target: str, base: str, member: str, display_name: str) -> None:
    resolved = os.path.normpath(os.path.join(os.path.dirname(target), link))
    if os.path.isabs(link) or not (resolved + os.sep).startswith(base + os.sep):
        raise UnsafeArchive(f"{display_name} contains a link that leaves its folder: {member!r}")
    os.symlink(link, target)


# A member larger than this is read and inflated in pieces, so memory stays flat for big shared
# libraries.
WHOLE_MEMBER_LIMIT = 8 * 1024 * 1024
PIECE_SIZE = 1024 * 1024
LOCAL_HEADER = struct.Struct("<4s22xHH")


def write_member(archive: zipfile.ZipFile, mapped: mmap.mmap, info: zipfile.ZipInfo, descriptor: int,
                 display_name: str) -> None:
    """Inflate one member into the open file, checking its size and CRC-32."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
        # Rare methods (bzip2, lzma) and encryption: zipfile knows them, and refuses what it cannot read.
        with archive.open(info) as source:
            while piece := source.read(PIECE_SIZE):
                write_all(descriptor, piece)
        return
    signature, name_length, extra_length = LOCAL_HEADER.unpack_from(mapped, info.header_offset)
    if signature != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename!r}")
    start = info.header_offset + LOCAL_HEADER.size + name_length + extra_length
    end = start + info.compress_size
    if end > len(mapped):
        raise zipfile.BadZipFile(f"{info.filename!r} runs past the end of the archive")
    deflated = info.compress_type == zipfile.ZIP_DEFLATED

    def pieces():
        if info.file_size <= WHOLE_MEMBER_LIMIT:
            data = mapped[start:end]
            yield deflate.decompress(data, -zlib.MAX_WBITS, info.file_size or 1) if deflated else data
            return
        # Large members, stored or deflated, a piece at a time.
        inflater = deflate.decompressobj(-zlib.MAX_WBITS) if deflated else None
        for offset in range(start, end, PIECE_SIZE):
            piece = mapped[offset:min(offset + PIECE_SIZE, end)]
            yield piece if inflater is None else inflater.decompress(piece)
        if inflater is not None:
            yield inflater.flush()

    checksum = 0
    written = 0
    try:
        for piece in pieces():
            checksum = deflate.crc32(piece, checksum)
            written += len(piece)
            write_all(descriptor, piece)
    except INFLATE_ERRORS as error:
        raise zipfile.BadZipFile(f"{info.filename!r} does not inflate: {error}") from None
    if written != info.file_size or checksum != info.CRC:
        raise zipfile.BadZipFile(f"{info.filename!r} in {display_name} is corrupt (bad size or CRC-32)")


def write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]
