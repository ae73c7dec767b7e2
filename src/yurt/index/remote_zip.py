"""Read one member of a remote zip (a wheel's METADATA) with HTTP range requests, not a download."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

# The tail fetched first: enough for the end-of-central-directory record and, for most wheels,
# the whole central directory, so that two requests usually suffice.
TAIL_BYTES = 64 * 1024
END_OF_CENTRAL_DIRECTORY = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_END = b"PK\x06\x06"
CENTRAL_ENTRY = b"PK\x01\x02"
LOCAL_HEADER = b"PK\x03\x04"


class RangesUnsupported(Exception):
    """The server ignored or mangled a range request; `body` holds a full response if it sent one."""

    def __init__(self, reason: str, body: bytes | None = None) -> None:
        super().__init__(reason)
        self.body = body


@dataclass(frozen=True, slots=True)
class ZipEntry:
    """A central-directory entry: where a member's bytes are and how they are stored."""

    name: str
    method: int
    compressed_size: int
    local_header_offset: int


def parse_content_range(value: str | None) -> tuple[int, int, int]:
    """`bytes 100-199/1000` as (first, last, total)."""
    if not value or not value.startswith("bytes "):
        raise RangesUnsupported(f"no usable Content-Range header ({value!r})")
    span, _, total = value[6:].partition("/")
    first, _, last = span.partition("-")
    try:
        return int(first), int(last), int(total)
    except ValueError:
        raise RangesUnsupported(f"malformed Content-Range header {value!r}") from None


def fetch_range(http, url: str, start: int, end: int | None, suffix: int | None = None) -> tuple[bytes, int, int]:
    """Bytes [start, end) (or the last `suffix` bytes), with the offset they start at and the file size."""
    spec = f"bytes=-{suffix}" if suffix is not None else f"bytes={start}-{end - 1}"
    response = http.fetch(url, headers={"Range": spec, "Accept-Encoding": "identity"})
    if response.status != 206:
        raise RangesUnsupported(f"answered a range request with HTTP {response.status}", response.body)
    first, last, total = parse_content_range(response.headers.get("Content-Range"))
    body = response.body
    expected_first = max(total - suffix, 0) if suffix is not None else start
    if first != expected_first or last - first + 1 != len(body):
        raise RangesUnsupported(f"sent bytes {first}-{last} ({len(body)} bytes) for {spec}")
    return body, first, total


def find_end_record(tail: bytes) -> int:
    position = tail.rfind(END_OF_CENTRAL_DIRECTORY)
    if position < 0 or len(tail) - position < 22:
        raise ValueError("no end-of-central-directory record: not a zip file")
    return position


def central_directory_span(tail: bytes, tail_start: int) -> tuple[int, int]:
    """Offset and size of the central directory, from the end record (or its ZIP64 form)."""
    position = find_end_record(tail)
    size, offset = struct.unpack_from("<II", tail, position + 12)
    if offset == 0xFFFFFFFF or size == 0xFFFFFFFF:
        locator = position - 20
        if locator < 0 or tail[locator : locator + 4] != ZIP64_LOCATOR:
            raise ValueError("a ZIP64 archive without its locator")
        (end64_offset,) = struct.unpack_from("<Q", tail, locator + 8)
        relative = end64_offset - tail_start
        if relative < 0 or tail[relative : relative + 4] != ZIP64_END:
            raise ValueError("the ZIP64 end record lies outside the fetched tail")
        size, offset = struct.unpack_from("<QQ", tail, relative + 40)
    return offset, size


def parse_central_directory(data: bytes) -> list[ZipEntry]:
    entries = []
    position = 0
    while position + 46 <= len(data) and data[position : position + 4] == CENTRAL_ENTRY:
        method, = struct.unpack_from("<H", data, position + 10)
        compressed, _uncompressed = struct.unpack_from("<II", data, position + 20)
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, position + 28)
        (local_offset,) = struct.unpack_from("<I", data, position + 42)
        name_bytes = data[position + 46 : position + 46 + name_length]
        extra = data[position + 46 + name_length : position + 46 + name_length + extra_length]
        if 0xFFFFFFFF in (compressed, local_offset):
            compressed, local_offset = zip64_sizes(extra, compressed, _uncompressed, local_offset)
        flags, = struct.unpack_from("<H", data, position + 8)
        # Bit 11: the name is UTF-8; otherwise code page 437, as the zip format defines.
        name = name_bytes.decode("utf-8" if flags & 0x800 else "cp437")
        entries.append(ZipEntry(name, method, compressed, local_offset))
        position += 46 + name_length + extra_length + comment_length
    return entries


def zip64_sizes(extra: bytes, compressed: int, uncompressed: int, offset: int) -> tuple[int, int]:
    """The 64-bit values a ZIP64 extra field holds for the fields set to 0xFFFFFFFF."""
    position = 0
    while position + 4 <= len(extra):
        header_id, length = struct.unpack_from("<HH", extra, position)
        if header_id == 0x0001:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, position + 4))
            if uncompressed == 0xFFFFFFFF and values:
                values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
            break
        position += 4 + length
    return compressed, offset


def metadata_entry(entries: list[ZipEntry]) -> ZipEntry:
    """The `<name>-<version>.dist-info/METADATA` at the top of a wheel."""
    for entry in entries:
        parts = entry.name.split("/")
        if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
            return entry
    raise ValueError("the wheel has no .dist-info/METADATA")


def decompress(entry: ZipEntry, local: bytes) -> bytes:
    """A member's content from its local header onwards."""
    if local[:4] != LOCAL_HEADER:
        raise ValueError("no local file header where the central directory points")
    name_length, extra_length = struct.unpack_from("<HH", local, 26)
    start = 30 + name_length + extra_length
    data = local[start : start + entry.compressed_size]
    if len(data) != entry.compressed_size:
        raise ValueError("the member's data is shorter than the central directory says")
    if entry.method == 0:
        return data
    if entry.method == 8:
        return zlib.decompress(data, -15)
    raise ValueError(f"unsupported zip compression method {entry.method}")


def read_wheel_metadata(http, url: str) -> bytes:
    """METADATA of a remote wheel in two or three range requests; raises RangesUnsupported."""
    tail, tail_start, total = fetch_range(http, url, 0, None, suffix=TAIL_BYTES)
    offset, size = central_directory_span(tail, tail_start)
    if offset >= tail_start:
        directory = tail[offset - tail_start : offset - tail_start + size]
    else:
        directory, _, _ = fetch_range(http, url, offset, offset + size)
    entries = parse_central_directory(directory)
    entry = metadata_entry(entries)
    # The member ends where the next member's local header starts (or the central directory does),
    # so one request fetches its header, its data and any data descriptor.
    following = [item.local_header_offset for item in entries if item.local_header_offset > entry.local_header_offset]
    end = min(following, default=offset)
    start = entry.local_header_offset
    if start >= tail_start and end <= tail_start + len(tail):
        local = tail[start - tail_start : end - tail_start]
    else:
        local, _, _ = fetch_range(http, url, start, end)
    return decompress(entry, local)
