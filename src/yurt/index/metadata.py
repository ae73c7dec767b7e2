"""A wheel's core metadata with the least transfer: PEP 658 file, then range requests, then download."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from yurt import log
from yurt.cache import METADATA, Cache
from yurt.fs import atomic_write
from yurt.index.client import DistFile, OfflineMiss, file_project_name
from yurt.index.download import Downloader, HashMismatch, expected_digest
from yurt.index.remote_zip import RangesUnsupported, read_wheel_metadata


# Up to this size, one request for the whole wheel is quicker than the two range requests for its
# METADATA (a 64 KiB tail, then the member), when the wheel will be installed anyway.
WHOLE_WHEEL_LIMIT = 1024 * 1024


class MetadataFetcher:
    """Core metadata of remote wheels, cached forever: a published file never changes."""

    def __init__(self, http, cache: Cache, downloader: Downloader, *, offline: bool = False) -> None:
        self.http = http
        self.cache = cache
        self.downloader = downloader
        self.offline = offline
        # Sources whose range answers were wrong once are not asked again this run.
        self._no_ranges: set[str] = set()
        self._lock = threading.Lock()

    def path(self, dist: DistFile) -> Path:
        name = file_project_name(dist.filename) or "unknown"
        return self.cache.bucket(METADATA) / dist.source_key / name / f"{dist.filename}.metadata"

    def wheel_metadata(self, dist: DistFile, whole_wheel: bool = False) -> bytes:
        """The wheel's METADATA, from the cache or the index. `whole_wheel`: the caller will
        install what it resolves, so a small wheel is fetched whole rather than by ranges."""
        path = self.path(dist)
        try:
            return path.read_bytes()
        except OSError:
            pass
        wheel = self.downloader.cached(dist)
        if wheel is not None:
            from yurt.cache.archives import wheel_metadata

            data = wheel_metadata(wheel.archive)
        elif self.offline:
            raise OfflineMiss(
                f"the metadata of {dist.filename} is not in the cache, and the network is off (`--offline`)",
                "run once without `--offline` to fill the cache",
            )
        else:
            data = self._fetch(dist, whole_wheel)
        self.cache.prepare_bucket(METADATA)
        atomic_write(path, data)
        return data

    def _fetch(self, dist: DistFile, whole_wheel: bool) -> bytes:
        url = dist.file.url
        if dist.file.has_metadata_file and not url.startswith("file:"):
            log.debug("metadata of %s: PEP 658 file", dist.filename)
            response = self.http.fetch(url + ".metadata")
            expected = expected_digest(dist.file.metadata_hashes or {})
            if expected is not None:
                actual = hashlib.new(expected[0], response.body).hexdigest()
                if actual != expected[1]:
                    raise HashMismatch(
                        f"hash mismatch for the metadata of {dist.filename}:\n  expected {expected[0]}:{expected[1]}\n"
                        f"  actual   {expected[0]}:{actual}"
                    )
            return response.body
        if whole_wheel and dist.file.size is not None and dist.file.size <= WHOLE_WHEEL_LIMIT:
            log.debug("metadata of %s: the whole wheel, which the install needs anyway", dist.filename)
            return self.downloader.downloaded_metadata(dist)
        if not url.startswith("file:") and dist.source not in self._no_ranges:
            try:
                data = read_wheel_metadata(self.http, url)
                log.debug("metadata of %s: range requests", dist.filename)
                return data
            except RangesUnsupported as error:
                with self._lock:
                    self._no_ranges.add(dist.source)
                log.debug("range requests to %s do not work (%s): falling back to download", dist.source, error)
            except ValueError as error:
                log.debug("cannot read %s by ranges (%s): falling back to download", dist.filename, error)
        log.debug("metadata of %s: full download", dist.filename)
        wheel = self.downloader.fetch(dist)
        from yurt.cache.archives import wheel_metadata

        return wheel_metadata(wheel.archive)
