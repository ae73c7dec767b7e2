"""Download wheels in parallel, verify their hashes while streaming, and unpack them into the cache."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from yurt import log
from yurt.cache import ARCHIVES, BUILDS, WHEELS, Cache, CachedWheel
from yurt.errors import YurtError
from yurt.fs import atomic_write, temporary_sibling
from yurt.index.client import DistFile, OfflineMiss, file_project_name
from yurt.index.once import OncePerKey

CHUNK_SIZE = 256 * 1024
# Hash algorithms an index may give; the strongest one known is checked.
PREFERRED_ALGORITHMS = ("sha512", "sha384", "sha256", "sha224", "blake2b", "sha3_256")


class HashMismatch(YurtError):
    """A downloaded file's digest differs from the one the index or the user gave."""


class DownloadCancelled(YurtError):
    """The run ended (an error, or a resolution that did not need the file) while it downloaded."""


class DownloadReporter(Protocol):
    """How a download tells the command line about its progress (nothing below cli/ prints)."""

    def download_started(self, name: str, size: int | None) -> None: ...

    def download_progress(self, name: str, received: int) -> None: ...

    def download_finished(self, name: str) -> None: ...


class SilentReporter:
    """A reporter that shows nothing."""

    def download_started(self, name: str, size: int | None) -> None:
        pass

    def download_progress(self, name: str, received: int) -> None:
        pass

    def download_finished(self, name: str) -> None:
        pass


def expected_digest(hashes: dict[str, str]) -> tuple[str, str] | None:
    for algorithm in PREFERRED_ALGORITHMS:
        if hashes.get(algorithm):
            return algorithm, hashes[algorithm].lower()
    return None


def pointer_path(cache: Cache, dist: DistFile) -> Path:
    name = file_project_name(dist.filename) or "unknown"
    return cache.bucket(WHEELS) / dist.source_key / name / f"{dist.filename}.json"


class Downloader:
    """Turns remote wheels into unpacked trees in the cache, each fetched at most once."""

    def __init__(
        self,
        http,
        cache: Cache,
        *,
        reporter: DownloadReporter | None = None,
        concurrency: int = 16,
        offline: bool = False,
    ) -> None:
        self.http = http
        self.cache = cache
        self.reporter = reporter or SilentReporter()
        self.concurrency = max(1, concurrency)
        self.offline = offline
        # Filenames of the wheels this run put into the cache (not found there), for `Prepared N`.
        self.fetched: set[str] = set()
        self._lock = threading.Lock()
        # Wheels to fetch ahead, largest first, and the threads that fetch them.
        self._queue: queue.PriorityQueue = queue.PriorityQueue()
        self._queued: set[str] = set()
        self._order = itertools.count()
        self._workers: list[threading.Thread] = []
        self._closed = False
        # Once the plan is known (see keep_only): the filenames it installs. Wheels fetched ahead
        # for versions the resolver gave up are then neither downloaded further nor unzipped.
        self._needed: frozenset[str] | None = None
        # By filename: each wheel fetched (downloaded and unpacked) and downloaded once per run;
        # a download is (temporary file, sha256) until `fetch` unpacks it.
        self._fetches: OncePerKey[CachedWheel] = OncePerKey()
        self._downloads: OncePerKey[tuple[Path, str]] = OncePerKey()
        self._unpacker = None

    def cached(self, dist: DistFile) -> CachedWheel | None:
        """The unpacked wheel if the cache has it: by pointer, or by the digest the index gives."""
        try:
            digest = json.loads(pointer_path(self.cache, dist).read_bytes())["archive"]
        except (OSError, ValueError, KeyError):
            expected = expected_digest(dist.file.hashes)
            if expected is None or expected[0] != "sha256":
                return None
            digest = expected[1]
        archive = self.cache.bucket(ARCHIVES) / digest
        if archive.is_dir():
            known = dist.file.hashes.get("sha256")
            if known and known.lower() != digest:
                return None
            return CachedWheel(dist.filename, archive, digest, dist.file.size or 0)
        return None

    def fetch_all(self, dists: list[DistFile]) -> dict[str, CachedWheel]:
        """Every wheel, in parallel; the first failure is raised after the others finish."""
        if len(dists) <= 1:
            return {dist.filename: self.fetch(dist) for dist in dists}
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(dists))) as pool:
            futures = {dist.filename: pool.submit(self.fetch, dist) for dist in dists}
            return {filename: future.result() for filename, future in futures.items()}

    def download_all(self, dists: list[DistFile]) -> None:
        """Every wheel the cache lacks downloaded and its hash verified (not yet unpacked): after
        this, no download of these can fail, so linking may start."""
        missing = [dist for dist in dists if self.cached(dist) is None]
        # Two or more to unzip: start the helpers now, so they are up when the first download ends.
        self.unpacker().expect(len(missing))
        if len(missing) <= 1:
            for dist in missing:
                self._downloaded(dist)
            return
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(missing))) as pool:
            for future in [pool.submit(self._downloaded, dist) for dist in missing]:
                future.result()

    def fetch_as_ready(self, dists: list[DistFile]):
        """Every wheel unpacked, yielded as `(dist, wheel)` in the order they become ready.

        A wheel whose fetch has already started (downloaded ahead and waiting to be unzipped) is
        waited for directly, not through a worker: with a pool of blocking fetches, a wheel
        unzipped early could sit behind slower ones until a worker reached it, and be linked last.
        """
        from concurrent.futures import as_completed

        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(dists)))) as pool:
            fetches = {}
            for dist in dists:
                future = self._fetches.started(dist.filename) or pool.submit(self.fetch, dist)
                fetches[future] = dist
            for future in as_completed(fetches):
                yield fetches[future], future.result()

    def fetch_ahead(self, dist: DistFile) -> None:
        """Start fetching a wheel the run will most likely install, while the resolver goes on.

        The resolver calls this for each version it decides or expects to; `fetch` then finds the
        download done or under way. A wheel the final answer does not use stays in the cache if it
        was unzipped before the plan was made, and is dropped otherwise (see keep_only).
        Larger files go first: the largest one, started last, would otherwise end the prepare step
        long after the rest. A worker downloads, then hands the unzipping to the unpacker's own
        queue (see unpack_soon) and goes on with the next download.
        """
        if self.offline or self._closed:
            return
        with self._lock:
            if dist.filename in self._fetches or dist.filename in self._queued or self._closed:
                return
            self._queued.add(dist.filename)
            if not self._workers:
                # Half the connections: the resolver's page and metadata requests keep the rest.
                for number in range(max(1, self.concurrency // 2)):
                    # Daemon threads: `close` stops and joins them; an owner that never calls it
                    # must not be kept from exiting by workers waiting on an empty queue.
                    worker = threading.Thread(target=self._fetch_queued, name=f"yurt-download-{number}", daemon=True)
                    worker.start()
                    self._workers.append(worker)
            self._queue.put((-(dist.file.size or 0), next(self._order), dist))
            queued = len(self._queued)
        if queued == 2:
            self.unpacker().expect(queued)

    def _fetch_queued(self) -> None:
        while True:
            _, _, dist = self._queue.get()
            if dist is None or self._closed:
                return
            if dist.filename in self._fetches or not self._is_needed(dist.filename):
                continue
            try:
                self._downloaded(dist)
            except Exception as error:  # noqa: BLE001 - kept in the download's future for whoever needs the file
                log.debug("downloading %s ahead failed: %s", dist.filename, error)
                continue
            self.unpack_soon(dist)

    def unpack_soon(self, dist: DistFile) -> None:
        """Unzip a downloaded wheel in the background, most likely for this run's install: it waits
        in the unpacker's queue (largest first) while downloads and the resolver go on."""
        if not self._closed and dist.filename not in self._fetches:
            threading.Thread(target=self._fetch_quietly, args=(dist,), daemon=True, name="yurt-unpack").start()

    def _fetch_quietly(self, dist: DistFile) -> None:
        if self._closed:
            return
        try:
            self.fetch(dist)
        except Exception as error:  # noqa: BLE001 - kept in the fetch's future for whoever needs the file
            log.debug("fetching %s ahead failed: %s", dist.filename, error)

    def keep_only(self, filenames: frozenset[str]) -> None:
        """The plan is made: stop fetching what it does not install. A download fetched ahead for
        a version the resolver later gave up (say docutils 0.22, when sphinx wants older) ends at
        its next chunk, and its unzip, still queued behind the wheels the install waits for,
        is withdrawn instead of costing a helper at the end of the run."""
        with self._lock:
            self._needed = filenames
            unpacker = self._unpacker
        if unpacker is not None:
            unpacker.keep_only(filenames)

    def _is_needed(self, filename: str) -> bool:
        needed = self._needed
        return needed is None or filename in needed

    def unpacker(self):
        """This run's Unpacker, made on first use."""
        with self._lock:
            if self._unpacker is None:
                from yurt.cache.unpacker import Unpacker

                self._unpacker = Unpacker()
                if self._needed is not None:
                    self._unpacker.keep_only(self._needed)
            return self._unpacker

    def close(self) -> None:
        """Stop downloads nobody waits for: queued ones never start, running ones end at the next chunk."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        for _ in workers:
            # Sorts before every file (their keys are sizes negated, never below -inf).
            self._queue.put((float("-inf"), next(self._order), None))
        for worker in workers:
            worker.join()
        if self._unpacker is not None:
            self._unpacker.close()
        # Wheels downloaded for their metadata that the answer did not need.
        for temporary, _ in self._downloads.answers():
            temporary.unlink(missing_ok=True)

    def fetch(self, dist: DistFile) -> CachedWheel:
        return self._fetches.get(dist.filename, lambda: self._fetch(dist))

    def fetch_cached(self, dist: DistFile) -> CachedWheel | None:
        """The unpacked wheel if the cache has it (its pointer written), without downloading."""
        wheel = self.cached(dist)
        if wheel is not None:
            self._write_pointer(dist, wheel.sha256)
        return wheel

    def _fetch(self, dist: DistFile) -> CachedWheel:
        wheel = self.fetch_cached(dist)
        if wheel is not None:
            return wheel
        if self.offline and urlsplit(dist.file.url).scheme != "file":
            raise OfflineMiss(
                f"{dist.filename} is not in the cache, and the network is off (`--offline`)",
                "run once without `--offline` to fill the cache",
            )
        temporary, digest = self._downloaded(dist)
        try:
            from yurt.cache.archives import unpack_wheel

            archive = unpack_wheel(temporary, self.cache, digest, dist.filename, self.unpacker())
        finally:
            temporary.unlink(missing_ok=True)
        self._write_pointer(dist, digest)
        with self._lock:
            self.fetched.add(dist.filename)
        return CachedWheel(dist.filename, archive, digest, dist.file.size or 0)

    def _downloaded(self, dist: DistFile) -> tuple[Path, str]:
        """The wheel downloaded to a temporary file in the cache (its hash checked), once per run:
        `fetch` unpacks it, `downloaded_metadata` reads it first when the resolver asks."""
        return self._downloads.get(dist.filename, lambda: self._download_to_temporary(dist))

    def _download_to_temporary(self, dist: DistFile) -> tuple[Path, str]:
        self.cache.prepare_bucket(ARCHIVES)
        temporary = temporary_sibling(self.cache.bucket(ARCHIVES) / dist.filename)
        try:
            return temporary, self._download(dist, temporary)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def downloaded_metadata(self, dist: DistFile) -> bytes:
        """A wheel's METADATA read from the whole file, which an install downloads anyway: one
        request where range requests take two. The wheel is then handed to `unpack_soon`."""
        from yurt.cache.archives import archive_path, wheel_metadata

        wheel = self.cached(dist)
        if wheel is not None:
            return wheel_metadata(wheel.archive)
        temporary, digest = self._downloaded(dist)
        try:
            metadata = wheel_metadata(temporary)
        except FileNotFoundError:
            # `fetch` unpacked it meanwhile, and removed the download.
            return wheel_metadata(archive_path(self.cache, digest))
        # Most wheels read for their metadata are installed: unzip it while the resolver goes on.
        self.unpack_soon(dist)
        return metadata

    def fetch_sdist(self, dist: DistFile) -> Path:
        """An sdist kept whole in the cache (builds read it), under its own sha256."""
        expected = expected_digest(dist.file.hashes)
        bucket = self.cache.bucket(BUILDS) / "sdists"
        if expected is not None and expected[0] == "sha256":
            known = bucket / expected[1] / dist.filename
            if known.is_file():
                return known
        if self.offline and urlsplit(dist.file.url).scheme != "file":
            raise OfflineMiss(
                f"{dist.filename} is not in the cache, and the network is off (`--offline`)",
                "run once without `--offline` to fill the cache",
            )
        self.cache.prepare_bucket(BUILDS)
        bucket.mkdir(parents=True, exist_ok=True)
        temporary = temporary_sibling(bucket / dist.filename)
        try:
            digest = self._download(dist, temporary)
            final = bucket / digest / dist.filename
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, final)
        finally:
            temporary.unlink(missing_ok=True)
        return final

    def _write_pointer(self, dist: DistFile, digest: str) -> None:
        path = pointer_path(self.cache, dist)
        if not path.exists():
            atomic_write(path, json.dumps({"archive": digest}).encode())

    def _download(self, dist: DistFile, target: Path) -> str:
        """Stream to `target`, hashing as the bytes arrive; returns the sha256 hex digest."""
        expected = expected_digest(dist.file.hashes)
        parts = urlsplit(dist.file.url)
        if parts.scheme == "file":
            return self._copy_local(Path(unquote(parts.path)), target, dist, expected)

        def consume(response) -> tuple[str, str | None]:
            # Called afresh on every attempt: start the file and the hashes over.
            sha256 = hashlib.sha256()
            checker = hashlib.new(expected[0]) if expected and expected[0] != "sha256" else None
            self.reporter.download_started(dist.filename, response.content_length)
            received = 0
            with open(target, "wb") as stream:
                for chunk in response.iter_chunks(CHUNK_SIZE):
                    if self._closed or not self._is_needed(dist.filename):
                        raise DownloadCancelled(f"the download of {dist.filename} was stopped")
                    stream.write(chunk)
                    sha256.update(chunk)
                    if checker is not None:
                        checker.update(chunk)
                    received += len(chunk)
                    self.reporter.download_progress(dist.filename, received)
            return sha256.hexdigest(), checker.hexdigest() if checker is not None else None

        sha256_digest, other_digest = self.http.download(dist.file.url, consume)
        self.reporter.download_finished(dist.filename)
        self._verify(dist, target, expected, other_digest or sha256_digest)
        return sha256_digest

    def _copy_local(self, source: Path, target: Path, dist: DistFile, expected: tuple[str, str] | None) -> str:
        sha256 = hashlib.sha256()
        checker = hashlib.new(expected[0]) if expected and expected[0] != "sha256" else None
        try:
            with open(source, "rb") as reader, open(target, "wb") as writer:
                while chunk := reader.read(CHUNK_SIZE):
                    writer.write(chunk)
                    sha256.update(chunk)
                    if checker is not None:
                        checker.update(chunk)
        except OSError as error:
            raise YurtError(f"cannot read {source}: {error.strerror}") from None
        actual = checker.hexdigest() if checker is not None else sha256.hexdigest()
        self._verify(dist, target, expected, actual)
        return sha256.hexdigest()

    def _verify(self, dist: DistFile, target: Path, expected: tuple[str, str] | None, actual: str) -> None:
        if expected is not None and expected[1] != actual:
            target.unlink(missing_ok=True)
            raise HashMismatch(
                f"hash mismatch for {dist.filename}:\n  expected {expected[0]}:{expected[1]}\n"
                f"  actual   {expected[0]}:{actual}",
                "the file changed on the index or was corrupted on the way; nothing was installed",
            )
