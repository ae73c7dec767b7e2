"""One run's index machinery, built from the settings: HTTP client, pages, downloads, metadata."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from yurt.cache import Cache
from yurt.index.client import IndexClient
from yurt.index.download import Downloader, DownloadReporter
from yurt.index.http import HttpClient
from yurt.index.metadata import MetadataFetcher
from yurt.index.sources import resolve_sources


@dataclass(frozen=True, slots=True)
class IndexSession:
    """Everything that talks to indexes during one command, sharing one connection pool."""

    http: HttpClient
    client: IndexClient
    downloader: Downloader
    metadata: MetadataFetcher

    def close(self) -> None:
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
    http = HttpClient(
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
