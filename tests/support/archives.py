"""Write deterministic wheel and sdist archives using only the standard library.

This module is also copied verbatim into every in-tree sdist (as
``backend/archives.py``), so it must never import anything outside the
standard library or the rest of tests.support.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Fixed timestamps make archives byte-for-byte reproducible, so the hashes
# tests assert on (and an index advertises) never change between runs.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
TAR_MTIME = 315532800  # 1980-01-01T00:00:00Z, matching the zip timestamp

REGULAR_MODE = 0o644
EXECUTABLE_MODE = 0o755


@dataclass(frozen=True, slots=True)
class Member:
    """One file inside an archive: its archive path, its bytes and its permission bits."""

    path: str
    content: bytes
    mode: int = REGULAR_MODE


def record_hash(content: bytes) -> str:
    """Return a RECORD hash entry: ``sha256=`` plus urlsafe base64 without padding."""
    digest = hashlib.sha256(content).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def render_record(members: list[Member], record_path: str) -> bytes:
    """Render a RECORD file listing every member, with RECORD itself unhashed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for member in members:
        writer.writerow([member.path, record_hash(member.content), len(member.content)])
    writer.writerow([record_path, "", ""])
    return buffer.getvalue().encode("utf-8")


def render_headers(headers: list[tuple[str, str]], body: str = "") -> bytes:
    """Render email-style ``Key: value`` headers (METADATA, WHEEL, PKG-INFO) with an optional body."""
    text = "".join(f"{key}: {value}\n" for key, value in headers)
    if body:
        # The description goes after one blank line, as the core metadata spec allows.
        text += "\n" + body
        if not body.endswith("\n"):
            text += "\n"
    return text.encode("utf-8")


def write_zip(path: Path, members: list[Member]) -> Path:
    """Write members to a zip file in the given order with fixed timestamps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.path, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            # Unix permission bits live in the high 16 bits; 0o100000 marks a regular file.
            info.external_attr = (0o100000 | member.mode) << 16
            info.create_system = 3  # Unix, so installers honour the permission bits
            archive.writestr(info, member.content)
    return path


def write_wheel(path: Path, members: list[Member], dist_info: str, *, include_record: bool = True,
                tampered_paths: frozenset[str] = frozenset()) -> Path:
    """Write a wheel: payload members first, then dist-info, then a RECORD built from the real bytes.

    ``tampered_paths`` lists members whose RECORD hash is deliberately wrong,
    for tests that an installer verifies RECORD.
    """
    record_path = f"{dist_info}/RECORD"
    # The wheel spec recommends placing .dist-info last so installers can stream the payload.
    ordered = sorted(members, key=lambda member: (member.path.startswith(f"{dist_info}/"), member.path))
    record = render_record(ordered, record_path)
    if tampered_paths:
        record = _tamper_record(record, tampered_paths)
    if include_record:
        ordered.append(Member(record_path, record))
    return write_zip(path, ordered)


def _tamper_record(record: bytes, tampered_paths: frozenset[str]) -> bytes:
    """Replace the hash of the given RECORD rows with the hash of different bytes."""
    rows = list(csv.reader(io.StringIO(record.decode("utf-8"))))
    for row in rows:
        if row and row[0] in tampered_paths:
            row[1] = record_hash(b"not the real content")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_sdist(path: Path, members: list[Member]) -> Path:
    """Write a reproducible .tar.gz: sorted members, fixed mtimes, no owner names, gzip mtime 0."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for member in sorted(members, key=lambda member: member.path):
            info = tarfile.TarInfo(member.path)
            info.size = len(member.content)
            info.mtime = TAR_MTIME
            info.mode = member.mode
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(member.content))
    with open(path, "wb") as output:
        # gzip stores a timestamp and the original file name in its header; blank both.
        with gzip.GzipFile(filename="", mode="wb", fileobj=output, mtime=0) as compressed:
            compressed.write(raw.getvalue())
    return path
