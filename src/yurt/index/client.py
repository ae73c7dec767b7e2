"""Project pages from indexes and find-links, through the HTTP cache, merged by the index strategy."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

import msgspec

from yurt import log
from yurt.cache import SIMPLE, Cache, index_key
from yurt.errors import YurtError
from yurt.fs import atomic_write
from yurt.index.http_cache import CachePolicy, policy_from_headers, refreshed
from yurt.index.once import OncePerKey
from yurt.index.simple import ACCEPT, IndexFile, ProjectPage, parse_page
from yurt.index.sources import IndexSources
from yurt.spec.filenames import InvalidFilename, distribution_kind, parse_sdist_filename, parse_wheel_filename
from yurt.spec.names import normalize_name


class StoredPage(msgspec.Struct, frozen=True):
    """A page as the cache keeps it: the parsed form (None for "no such project") and its policy."""

    policy: CachePolicy
    page: ProjectPage | None


_stored_page_decoder = msgspec.msgpack.Decoder(StoredPage)
_encoder = msgspec.msgpack.Encoder()


class OfflineMiss(YurtError):
    """`--offline` and the cache does not hold what is needed."""


class DistFile(NamedTuple):
    """A file offered for a project, with the index or find-links location that offers it.

    A NamedTuple rather than a dataclass: a cold resolve makes one per file on every page it
    reads (27,000 for seed.txt), and a frozen dataclass took twice as long to build one.
    """

    file: IndexFile
    source: str
    source_key: str

    @property
    def filename(self) -> str:
        return self.file.filename


def file_project_name(filename: str, expected: str | None = None) -> str | None:
    """The normalized project name a distribution file belongs to, or None if it is not one.

    With `expected`, an sdist is split at that name: `foo-1.0-1.tar.gz` is ambiguous otherwise.
    """
    try:
        kind = distribution_kind(filename)
        if kind == "wheel":
            return parse_wheel_filename(filename).name
        if kind == "sdist":
            return parse_sdist_filename(filename, expected).name
    except InvalidFilename:
        if expected is not None and kind == "sdist":
            return file_project_name(filename)
        return None
    return None


class IndexClient:
    """Answers "which files exist for this project?" with as few requests as the cache allows."""

    def __init__(
        self,
        sources: IndexSources,
        cache: Cache,
        http,
        *,
        ttl: float = 600.0,
        refresh: bool = False,
        refresh_packages: frozenset[str] = frozenset(),
        offline: bool = False,
    ) -> None:
        self.sources = sources
        self.cache = cache
        self.http = http
        self.ttl = ttl
        self.refresh = refresh
        self.refresh_packages = frozenset(normalize_name(name) for name in refresh_packages)
        self.offline = offline
        self._flat_pages: dict[str, ProjectPage] = {}
        self._flat_lock = threading.Lock()
        # Pages fetched in this run: a resolver asks for the same project many times.
        self._pages: OncePerKey[ProjectPage | None] = OncePerKey()

    def project_files(self, name: str) -> tuple[DistFile, ...]:
        """Every file for a project: from the first index that has it (or all, with
        `unsafe-best-match`), plus whatever the find-links locations hold."""
        name = normalize_name(name)
        found: list[DistFile] = []
        seen: set[str] = set()
        for index_url in self.sources.indexes:
            page = self.page(index_url, name)
            if page is None or not page.files:
                continue
            key = index_key(index_url)
            for file in page.files:
                if file.filename not in seen:
                    seen.add(file.filename)
                    found.append(DistFile(file, index_url, key))
            if self.sources.strategy == "first-index":
                # Guard against dependency confusion: a name found on one index comes from it alone.
                break
        for location in self.sources.find_links:
            for file in self.find_links_files(location, name):
                if file.filename not in seen:
                    seen.add(file.filename)
                    found.append(DistFile(file, location, index_key(location)))
        return tuple(found)

    def page(self, index_url: str, name: str) -> ProjectPage | None:
        """One index's page for a project, or None when the index does not know the project.
        Asked once per run, however many threads want it at once."""
        return self._pages.get((index_url, name), lambda: self._cached_fetch(
            f"{index_url}{name}/", index_key(index_url), name, name))

    def page_is_recent(self, index_url: str, name: str) -> bool:
        """Whether the cache holds this page, written within the TTL: a stat, no parsing."""
        name = normalize_name(name)
        path = self.cache.bucket(SIMPLE) / index_key(index_url) / f"{name}.msgpack"
        try:
            return time.time() - path.stat().st_mtime < self.ttl and not self.refresh
        except OSError:
            return False

    def _cached_fetch(self, url: str, key: str, name: str, entry_name: str) -> ProjectPage | None:
        path = self.cache.bucket(SIMPLE) / key / f"{entry_name}.msgpack"
        stored = read_stored_page(path)
        revalidate = self.refresh or name in self.refresh_packages
        if stored is not None and (self.offline or (not revalidate and stored.policy.is_fresh(self.ttl))):
            log.debug("fresh cache entry for %s", url)
            return stored.page
        if self.offline:
            raise OfflineMiss(
                f"the page {self.http.redact(url)} is not in the cache, and the network is off (`--offline`)",
                "run once without `--offline` to fill the cache",
            )
        headers = {"Accept": ACCEPT}
        if stored is not None:
            headers.update(stored.policy.revalidation_headers())
        from yurt.index.http import NotFound

        try:
            response = self.http.fetch(url, headers=headers)
        except NotFound as error:
            policy = policy_from_headers(error.headers or {})
            self._store(path, StoredPage(policy, None))
            return None
        if response.status == 304 and stored is not None:
            log.debug("revalidated %s: not modified", url)
            self._store(path, StoredPage(refreshed(stored.policy, response.headers), stored.page))
            return stored.page
        try:
            page = parse_page(response.body, response.headers.get("Content-Type", ""), response.url, name)
        except ValueError as error:
            raise YurtError(f"the index answered {self.http.redact(url)} with a page yurt cannot read: {error}")
        self._store(path, StoredPage(policy_from_headers(response.headers), page))
        return page

    def _store(self, path: Path, stored: StoredPage) -> None:
        if stored.policy.storable:
            self.cache.prepare_bucket(SIMPLE)
            atomic_write(path, _encoder.encode(stored))

    def find_links_files(self, location: str, name: str) -> list[IndexFile]:
        """Files for a project in a find-links folder or on a find-links HTML page."""
        page = self._flat_page(location)
        return [file for file in page.files if file_project_name(file.filename, name) == name]

    def _flat_page(self, location: str) -> ProjectPage:
        with self._flat_lock:
            if location in self._flat_pages:
                return self._flat_pages[location]
            parts = urlsplit(location)
            if parts.scheme in ("http", "https"):
                page = self._cached_fetch(location, index_key(location), "", "_find-links") or ProjectPage("", ())
            else:
                directory = unquote(parts.path) if parts.scheme == "file" else location
                page = folder_page(Path(os.path.expanduser(directory)))
            self._flat_pages[location] = page
            return page


def folder_page(directory: Path) -> ProjectPage:
    """A local find-links folder as a page: every distribution file in it."""
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError as error:
        raise YurtError(f"cannot read the find-links folder {directory}: {error.strerror}") from None
    files = tuple(
        IndexFile(filename=entry.name, url=Path(entry.path).absolute().as_uri())
        for entry in entries
        if entry.is_file() and distribution_kind(entry.name) is not None
    )
    return ProjectPage(name="", files=files)


def read_stored_page(path: Path) -> StoredPage | None:
    try:
        return _stored_page_decoder.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError):
        return None

