"""One run's index machinery, built from the settings: HTTP client, pages, downloads, metadata."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from yurt import log
from yurt.cache import Cache
from yurt.index.client import IndexClient
from yurt.index.download import Downloader, DownloadReporter
from yurt.index.metadata import MetadataFetcher
from yurt.index.sources import resolve_sources


class LazyHttpClient:
    """Builds the real HTTP client on first use: a warm run answered from the cache never imports
    urllib3 and ssl, which together cost more than the rest of a warm resolve."""

    def __init__(self, **options) -> None:
        import threading

        self._options = options
        self._credential_urls: list[str] = []
        self._client = None
        # Prefetch threads ask at once: exactly one of them builds the client (and its TLS context).
        self._lock = threading.Lock()

    def remember_credentials(self, url: str) -> None:
        if self._client is None:
            self._credential_urls.append(url)
        else:
            self._client.remember_credentials(url)

    @property
    def request_count(self) -> int:
        return 0 if self._client is None else self._client.request_count

    def build(self):
        """The real client, built now (in the calling thread) if it is not yet."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    from yurt.index.http import HttpClient

                    client = HttpClient(**self._options)
                    for url in self._credential_urls:
                        client.remember_credentials(url)
                    self._client = client
        return self._client

    @property
    def client(self):
        return self.build()

    def __getattr__(self, name: str):
        return getattr(self.client, name)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


@dataclass(frozen=True, slots=True)
class IndexSession:
    """Everything that talks to indexes during one command, sharing one connection pool."""

    http: LazyHttpClient
    client: IndexClient
    downloader: Downloader
    metadata: MetadataFetcher

    def pages_needed(self, names: list[str]) -> bool:
        """Whether resolving `names` (the command's own requirements) starts with a request: the
        first one's page is not in the cache, or is older than the index TTL. A run that fetches
        pages most likely downloads wheels too."""
        if not names or self.client.offline or not self.client.sources.indexes:
            return False
        return not self.client.page_is_recent(self.client.sources.indexes[0], names[0])

    def warm_up(self, names: list[str]) -> None:
        """Start fetching the pages of `names` in the background. Meanwhile the caller imports and
        reads what resolving needs; the resolver then finds the pages fetched or on the way
        (IndexClient answers each page once per run)."""
        from concurrent.futures import ThreadPoolExecutor

        from yurt.index.trust import load_ahead

        # The certificate authorities load in a thread, off the GIL, while the HTTP client
        # (urllib3, ssl) is imported here, before the page threads start: imported by the first
        # of them instead, it shared the GIL with the caller's own imports, and the first request
        # left some 35 ms later (cold trio-docs: at 160 ms instead of 125 ms).
        if any(url.lower().startswith("https:") for url in self.client.sources.indexes):
            load_ahead()
        self.http.build()

        def fetch(name: str) -> None:
            try:
                self.client.project_files(name)
            except Exception as error:  # noqa: BLE001 - the resolver meets the same error and reports it
                log.debug("fetching the page of %s early failed: %s", name, error)

        pool = ThreadPoolExecutor(max_workers=min(len(names), 8), thread_name_prefix="yurt-warm-up")
        for name in names:
            pool.submit(fetch, name)
        pool.shutdown(wait=False)

    def close(self) -> None:
        self.downloader.close()
        self.http.close()


def open_session(
    settings,
    cache: Cache,
    *,
    reporter: DownloadReporter | None = None,
    warn: Callable[[str], None] | None = None,
    backoff: float | None = None,
) -> IndexSession:
    """Map settings onto the index layer; the default index is looked up only if none is set."""
    sources = resolve_sources(
        settings.index_url,
        settings.extra_index_urls,
        settings.find_links,
        settings.no_index,
        settings.index_strategy,
    )
    extra = {} if backoff is None else {"backoff": backoff}
    http = LazyHttpClient(
        timeout=settings.http_timeout,
        retries=settings.http_retries,
        concurrent_downloads=settings.concurrent_downloads,
        allow_insecure_hosts=settings.allow_insecure_hosts,
        offline=settings.offline,
        warn=warn,
        **extra,
    )
    for url in sources.indexes + sources.find_links:
        # Credentials in an index URL also serve the files that index links to on the same host.
        http.remember_credentials(url)
    client = IndexClient(
        sources,
        cache,
        http,
        ttl=settings.index_ttl,
        refresh=settings.refresh,
        refresh_packages=frozenset(settings.refresh_packages),
        offline=settings.offline,
    )
    downloader = Downloader(
        http, cache, reporter=reporter, concurrency=settings.concurrent_downloads, offline=settings.offline
    )
    metadata = MetadataFetcher(http, cache, downloader, offline=settings.offline)
    return IndexSession(http, client, downloader, metadata)
