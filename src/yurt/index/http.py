"""One pooled, thread-safe HTTP client per run: retries, credentials, TLS, proxies, redaction."""

from __future__ import annotations

import contextlib
import http
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    InsecureRequestWarning,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.request import ACCEPT_ENCODING

from yurt import __version__, log
from yurt.errors import ConfigurationError, YurtError
from yurt.index.addresses import share_lookups
from yurt.index.credentials import CredentialStore, Credentials, Origin, origin_of, split_credentials
from yurt.index.proxies import bypasses_proxy, environment_proxies
from yurt.index.trust import verified_context

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
# Python threads share one GIL: on two cores, 8 connections gave cold installs 3-5% faster than 16
# (two runs of 10-12 interleaved installs of trio-docs), and cold compiles no slower.
DEFAULT_CONCURRENT_DOWNLOADS = 8
# A server that does not accept a connection within this long is unlikely to at all.
MAX_CONNECT_TIMEOUT = 10.0
MAX_BACKOFF = 10.0
DEFAULT_RETRY_AFTER_CAP = 60.0
MAX_REDIRECTS = 10
CHUNK_SIZE = 256 * 1024
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
NOT_FOUND_STATUSES = frozenset({404, 410})
# Host pools kept open at once; an install talks to an index, a file host and maybe a mirror.
HOST_POOLS = 32
# Matches the userinfo of any URL inside free text, up to the last `@` before the host.
USERINFO_PATTERN = r"([A-Za-z][A-Za-z0-9+.\-]*://)[^/\s]*@"
# Passwords shorter than this are scrubbed only where they sit in a URL: replacing "1" or "ab"
# everywhere would mangle messages without protecting anything.
MIN_SCRUBBED_SECRET = 4


# ---------------------------------------------------------------- errors


class NetworkError(YurtError):
    """A request failed for good: the server could not be reached, broke off, or answered an error."""

    def __init__(self, message: str, *hints: str, url: str = "", cause: str = "", attempts: int = 1) -> None:
        super().__init__(message, *hints)
        self.url = url  # always redacted
        self.cause = cause
        self.attempts = attempts


class HttpStatusError(NetworkError):
    """The server answered with an error status (429 and 5xx only after every retry)."""

    def __init__(self, message: str, *hints: str, url: str, status: int, reason: str,
                 headers: Mapping[str, str], attempts: int = 1) -> None:
        super().__init__(message, *hints, url=url, cause=f"HTTP {status} {reason}".rstrip(), attempts=attempts)
        self.status = status
        self.reason = reason
        self.headers = headers


class NotFound(HttpStatusError):
    """HTTP 404 or 410: nothing at that URL (for a project page: the index has no such project)."""


class RetryableError(NetworkError):
    """A streamed body broke off (cut short, reset, timed out): the whole download may be retried."""


class OfflineError(YurtError):
    """A request was about to leave the machine while the network is off (`--offline`)."""


class _Transient(Exception):
    """One attempt failed in a way the next attempt may not; carries what the final error reports."""

    def __init__(self, cause: str, *hints: str, status: int | None = None, reason: str = "",
                 headers: Mapping[str, str] | None = None, retry_after: float | None = None) -> None:
        super().__init__(cause)
        self.cause = cause
        self.hints = hints
        self.status = status
        self.reason = reason
        self.headers = headers
        self.retry_after = retry_after


# ---------------------------------------------------------------- redaction


def redact_url(url: str) -> str:
    """`url` with any userinfo replaced by `****` (`https://****@host/...`)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"****@{host}"))


def redact_text(text: str, urls: Sequence[str] = ()) -> str:
    """`text` with the userinfo of every URL in it, and the passwords `urls` carry, masked."""
    text = re.sub(USERINFO_PATTERN, r"\1****@", text)
    return _scrub(text, [_password_of(url) for url in urls])


def _password_of(url: str) -> str:
    try:
        credentials = split_credentials(url)[1]
    except ValueError:
        return ""
    return credentials.password if credentials is not None else ""


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if len(secret) >= MIN_SCRUBBED_SECRET:
            # Percent-encoded too: that is how a password appears inside a URL.
            text = text.replace(secret, "****").replace(quote(secret, safe=""), "****")
    return text


# ---------------------------------------------------------------- responses


@dataclass(frozen=True, slots=True)
class Response:
    """A complete response: status, case-insensitive headers, the decoded body, and the final URL."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    # After redirects, without userinfo: the base for relative links on a page.
    url: str


class StreamedResponse:
    """A response whose body is read in chunks; a body that breaks off raises RetryableError."""

    __slots__ = ("status", "headers", "url", "_response", "_redacted_url", "_finished")

    def __init__(self, response: urllib3.BaseHTTPResponse, url: str, redacted_url: str) -> None:
        self.status = response.status
        self.headers: Mapping[str, str] = response.headers
        self.url = url
        self._response = response
        self._redacted_url = redacted_url
        self._finished = False

    @property
    def content_length(self) -> int | None:
        """The body's size in bytes as announced, or None when the server did not say."""
        if self.headers.get("Content-Encoding", "identity").lower() not in ("identity", ""):
            return None
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return None
        return length if length >= 0 else None

    def iter_chunks(self, chunk_size: int = CHUNK_SIZE, *, decode: bool = False) -> Iterator[bytes]:
        """The body in chunks of up to `chunk_size` bytes, exactly as sent unless `decode` is true.

        Not decoding by default: some servers label a `.tar.gz` with `Content-Encoding: gzip`, and
        decoding it would change the bytes whose hash the index gave.
        """
        try:
            yield from self._response.stream(chunk_size, decode_content=decode)
        except (HTTPError, OSError) as error:
            cause = redact_text(describe_error(error))
            raise RetryableError(f"the download of {self._redacted_url} broke off: {cause}",
                                 url=self._redacted_url, cause=cause) from None
        self._finished = True

    def close(self) -> None:
        """Give the connection back to the pool; an unfinished body closes it rather than draining it."""
        if not self._finished:
            self._response.close()
        self._response.release_conn()


@dataclass(frozen=True, slots=True)
class _Opened:
    """The final response of one attempt (body unread), where it came from, and whether auth was sent."""

    response: urllib3.BaseHTTPResponse
    url: str
    origin: Origin
    authenticated: bool


# ---------------------------------------------------------------- client


class HttpClient:
    """All HTTP of one run: pooled connections, retries, credentials, TLS and proxies; thread-safe.

    The caller maps settings onto plain values: `timeout` (YURT_HTTP_TIMEOUT), `retries`
    (YURT_HTTP_RETRIES), `concurrent_downloads` (YURT_CONCURRENT_DOWNLOADS, the connections kept per
    host), `allow_insecure_hosts` (--allow-insecure-host), `offline` (--offline). `backoff` is the
    first retry's delay in seconds (doubling, with jitter); `warn` receives one-line warnings for
    the command line to show.
    """

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        concurrent_downloads: int = DEFAULT_CONCURRENT_DOWNLOADS,
        allow_insecure_hosts: Sequence[str] = (),
        offline: bool = False,
        netrc_path: Path | str | None = None,
        retry_after_cap: float = DEFAULT_RETRY_AFTER_CAP,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.backoff = max(0.0, float(backoff))
        self.concurrent_downloads = max(1, int(concurrent_downloads))
        self.offline = offline
        self.retry_after_cap = max(0.0, float(retry_after_cap))
        self._warn = warn
        self._timeout = urllib3.Timeout(connect=min(self.timeout, MAX_CONNECT_TIMEOUT), read=self.timeout)
        self._insecure_hosts = frozenset(_parse_host(entry) for entry in allow_insecure_hosts)
        self._credentials = CredentialStore(netrc_path)
        variables = environment_proxies()
        self._proxies = _proxy_urls(variables)
        self._no_proxy = variables.get("no")
        self._user_agent = f"yurt/{__version__}"
        self._lock = threading.Lock()
        self._managers: dict[tuple[str | None, str], urllib3.PoolManager] = {}
        self._proxy_choices: dict[Origin, str | None] = {}
        self._verified_context: ssl.SSLContext | None = None
        self._warned: set[Origin] = set()
        self._request_count = 0
        share_lookups()

    # ------------------------------------------------------------ public

    @property
    def request_count(self) -> int:
        """Requests sent so far, counting every retry and redirect."""
        with self._lock:
            return self._request_count

    def redact(self, url: str) -> str:
        """`redact_url`, also masking any password this client has learned."""
        return _scrub(redact_url(url), self._credentials.secrets())

    def remember_credentials(self, url: str) -> None:
        """Use the userinfo of `url` (an index URL) for every later request to its origin."""
        clean, credentials = split_credentials(url)
        origin = _origin_or_none(clean)
        # Paths and file URLs (find-links folders) have no origin to authenticate to.
        if credentials is not None and origin is not None:
            self._credentials.remember(origin, credentials)

    def fetch(self, url: str, headers: Mapping[str, str] | None = None, *, method: str = "GET") -> Response:
        """The whole response to a small request, retried as needed; a status of 400 or more raises.

        Returns 2xx (206 for a `Range` request), 304 and other non-redirect 3xx as they come.
        Asks for a compressed body unless the caller sets `Accept-Encoding` or sends `Range`.
        """
        def attempt() -> Response:
            opened = self._open(method, url, headers, ACCEPT_ENCODING)
            self._check_status(opened, url)
            response = opened.response
            try:
                body = response.read(decode_content=True)
            except (HTTPError, OSError) as error:
                _discard(response, broken=True)
                raise _Transient(self._describe(error, url)) from None
            response.release_conn()
            return Response(response.status, response.headers, body, opened.url)

        return self._run(url, attempt)

    def head(self, url: str, headers: Mapping[str, str] | None = None) -> Response:
        """A HEAD request: the headers a GET would bring, and an empty body."""
        return self.fetch(url, headers, method="HEAD")

    @contextlib.contextmanager
    def stream(self, url: str, headers: Mapping[str, str] | None = None) -> Iterator[StreamedResponse]:
        """A GET whose body the caller reads with `iter_chunks()`; for downloads.

        Connecting and error statuses are retried here; a body that breaks off raises RetryableError,
        after which the caller may start the download over (`download()` does that for you).
        Asks for `Accept-Encoding: identity` unless the caller sets it.
        """
        opened = self._run(url, lambda: self._open_checked(url, headers))
        streamed = StreamedResponse(opened.response, opened.url, redact_url(url))
        try:
            yield streamed
        finally:
            streamed.close()

    def download(self, url: str, consume: Callable[[StreamedResponse], T],
                 headers: Mapping[str, str] | None = None) -> T:
        """`consume(response)` on a streamed GET, called afresh (within `retries`) if the body breaks off.

        `consume` must start over each time it is called, e.g. truncate its file and reset its hash.
        """
        def attempt() -> T:
            opened = self._open_checked(url, headers)
            streamed = StreamedResponse(opened.response, opened.url, redact_url(url))
            try:
                return consume(streamed)
            except RetryableError as error:
                raise _Transient(error.cause) from None
            finally:
                streamed.close()

        return self._run(url, attempt)

    def retry_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.retry_after_cap)
        ceiling = min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF)
        # Jitter keeps many threads that failed together from retrying together.
        return random.uniform(ceiling / 2, ceiling)

    def sleep_before_retry(self, attempt: int, retry_after: float | None = None) -> None:
        time.sleep(self.retry_delay(attempt, retry_after))

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            managers = list(self._managers.values())
            self._managers.clear()
        for manager in managers:
            manager.clear()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exception: object) -> None:
        self.close()

    # ------------------------------------------------------------ attempts

    def _run(self, url: str, attempt: Callable[[], T]) -> T:
        """`attempt()` until it succeeds, raises a final error, or the retries are used up."""
        attempts = self.retries + 1
        for number in range(1, attempts + 1):
            try:
                return attempt()
            except _Transient as failure:
                if number == attempts:
                    raise self._give_up(url, failure, attempts) from None
                delay = self.retry_delay(number, failure.retry_after)
                log.debug("%s: %s; retrying in %.2fs (attempt %d of %d)",
                          self.redact(url), failure.cause, delay, number + 1, attempts)
                time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _give_up(self, url: str, failure: _Transient, attempts: int) -> NetworkError:
        redacted = self.redact(url)
        after = f" after {attempts} attempts" if attempts > 1 else ""
        message = f"failed to fetch {redacted}{after}: {failure.cause}"
        if failure.status is not None:
            return HttpStatusError(message, *failure.hints, url=redacted, status=failure.status,
                                   reason=failure.reason, headers=failure.headers or {}, attempts=attempts)
        return NetworkError(message, *failure.hints, url=redacted, cause=failure.cause, attempts=attempts)

    def _open_checked(self, url: str, headers: Mapping[str, str] | None) -> _Opened:
        opened = self._open("GET", url, headers, "identity")
        self._check_status(opened, url)
        return opened

    def _open(self, method: str, url: str, headers: Mapping[str, str] | None, encoding: str) -> _Opened:
        """One attempt: send, following redirects, and return the final response with its body unread."""
        headers = dict(headers or {})
        target = url
        first_origin: Origin | None = None
        for _ in range(MAX_REDIRECTS + 1):
            opened = self._send(method, target, headers, encoding)
            first_origin = first_origin or opened.origin
            response = opened.response
            location = response.headers.get("Location") if response.status in REDIRECT_STATUSES else None
            if not location:
                return opened
            _discard(response)
            target = urljoin(opened.url, location)
            if response.status == 303 and method != "HEAD":
                method = "GET"
            if _origin_or_none(target) != first_origin:
                # An Authorization the caller set belongs to the first origin; ours is re-chosen per hop.
                headers = {name: value for name, value in headers.items() if name.lower() != "authorization"}
            log.debug("%s redirects to %s", self.redact(opened.url), self.redact(target))
        redacted = self.redact(url)
        raise NetworkError(f"failed to fetch {redacted}: more than {MAX_REDIRECTS} redirects", url=redacted)

    def _send(self, method: str, url: str, headers: Mapping[str, str], encoding: str) -> _Opened:
        """Exactly one HTTP request, without following redirects."""
        if self.offline:
            raise OfflineError(f"cannot fetch {self.redact(url)}: the network is off (`--offline`)",
                               "drop `--offline` (or unset YURT_OFFLINE) to let yurt use the network")
        clean, from_url = split_credentials(url)
        parts = urlsplit(clean)
        clean = urlunsplit(parts._replace(fragment=""))
        if parts.scheme.lower() not in ("http", "https"):
            raise NetworkError(f"cannot fetch {self.redact(url)}: only http and https URLs can be fetched",
                               url=self.redact(url))
        try:
            origin = origin_of(parts)
        except ValueError as error:
            raise NetworkError(f"invalid URL {self.redact(url)}: {error}", url=self.redact(url)) from None
        credentials = self._credentials.for_request(origin, from_url)
        request_headers = self._request_headers(headers, credentials, encoding)
        manager, proxy = self._manager_for(origin)
        with self._lock:
            self._request_count += 1
        started = time.perf_counter()
        try:
            response = manager.urlopen(method, clean, headers=request_headers, redirect=False, retries=False,
                                       preload_content=False, decode_content=True, timeout=self._timeout)
        except (HTTPError, OSError) as error:
            elapsed = (time.perf_counter() - started) * 1000
            cause = self._describe(error, url, proxy)
            log.debug("%s %s failed in %.0f ms: %s", method, self.redact(clean), elapsed, cause)
            raise self._failure(error, cause, url, proxy) from None
        if log.enabled(log.DEBUG):
            # Guarded: redacting costs more than the comparison, on every request of a large install.
            elapsed = (time.perf_counter() - started) * 1000
            log.debug("%s %s %d in %.0f ms%s%s", method, self.redact(clean), response.status, elapsed,
                      " with credentials" if credentials else "", f" via {self.redact(proxy)}" if proxy else "")
        return _Opened(response, clean, origin, credentials is not None)

    def _request_headers(self, headers: Mapping[str, str], credentials: Credentials | None,
                         encoding: str) -> urllib3.HTTPHeaderDict:
        merged = urllib3.HTTPHeaderDict({"User-Agent": self._user_agent})
        given = urllib3.HTTPHeaderDict(headers)
        if "Accept-Encoding" not in given:
            # A byte range of a compressed body means nothing to the caller.
            merged["Accept-Encoding"] = "identity" if "Range" in given else encoding
        if credentials is not None and "Authorization" not in given:
            merged["Authorization"] = credentials.authorization()
        merged.update(given)
        return merged

    def _check_status(self, opened: _Opened, url: str) -> None:
        """Raise for a status of 400 or more: _Transient for 429 and 5xx, a final error otherwise."""
        response = opened.response
        status = response.status
        if status < 400:
            return
        headers = response.headers
        reason = response.reason or _reason_phrase(status)
        _discard(response)
        if status == 429 or status >= 500:
            retry_after = _parse_retry_after(headers.get("Retry-After")) if status in RETRY_AFTER_STATUSES else None
            raise _Transient(f"HTTP {status} {reason}".rstrip(), status=status, reason=reason, headers=headers,
                             retry_after=retry_after)
        redacted = self.redact(url)
        hints = []
        if status in (401, 403):
            if opened.authenticated:
                hints.append(f"the server refused the credentials yurt sent to {opened.origin}; check them")
            else:
                hints.append(f"{opened.origin} may need credentials: put them in the URL "
                             f"(https://user:password@host/...) or in {self._credentials.netrc_path}")
        error_type = NotFound if status in NOT_FOUND_STATUSES else HttpStatusError
        raise error_type(f"failed to fetch {redacted}: HTTP {status} {reason}".rstrip(), *hints,
                         url=redacted, status=status, reason=reason, headers=headers)

    def _failure(self, error: Exception, cause: str, url: str, proxy: str | None) -> Exception:
        """The exception for a request that got no response: final for bad URLs and certificates."""
        redacted = self.redact(url)
        if isinstance(error, LocationValueError):
            return NetworkError(f"invalid URL {redacted}: {cause}", url=redacted, cause=cause)
        if _is_certificate_failure(error):
            host = urlsplit(split_credentials(url)[0]).netloc
            return NetworkError(
                f"failed to fetch {redacted}: {cause}",
                "if the server uses a private certificate authority, point SSL_CERT_FILE at its certificate",
                f"to skip verification for this host only, pass `--allow-insecure-host {host}`",
                url=redacted, cause=cause)
        hints = []
        if isinstance(error, (ReadTimeoutError, ConnectTimeoutError)) and not isinstance(error, NewConnectionError):
            hints.append(f"the timeout is {self.timeout:g} s; raise it with YURT_HTTP_TIMEOUT for a slow server")
        if proxy is not None:
            hints.append(f"the request went through the proxy {self.redact(proxy)} (HTTP_PROXY/HTTPS_PROXY); "
                         "NO_PROXY exempts hosts from it")
        return _Transient(cause, *hints)

    def _describe(self, error: BaseException, url: str, proxy: str | None = None) -> str:
        text = redact_text(describe_error(error), [url, proxy or ""])
        return _scrub(text, self._credentials.secrets())

    # ------------------------------------------------------------ connections

    def _manager_for(self, origin: Origin) -> tuple[urllib3.PoolManager, str | None]:
        """The pool manager for `origin`'s proxy and TLS mode, made on first use."""
        proxy = self._proxy_for(origin)
        insecure = self._is_insecure(origin)
        if origin.scheme == "http" and not insecure and not _is_loopback(origin.host):
            self._warn_once(origin)
        mode = "plain" if origin.scheme == "http" else ("insecure" if insecure else "verified")
        with self._lock:
            manager = self._managers.get((proxy, mode))
            if manager is None:
                manager = self._managers[(proxy, mode)] = self._new_manager(proxy, mode)
        return manager, proxy

    def _new_manager(self, proxy: str | None, mode: str) -> urllib3.PoolManager:
        # One manager per TLS mode: urllib3 takes its SSL context per manager, not per request.
        options: dict[str, object] = {"num_pools": HOST_POOLS, "maxsize": self.concurrent_downloads,
                                      # Blocking waits for a free connection instead of opening
                                      # throwaway ones past the pool size.
                                      "block": True}
        if mode == "verified":
            options["ssl_context"] = self._verified()
        elif mode == "insecure":
            options["ssl_context"] = _unverified_context()
        if proxy is None:
            return urllib3.PoolManager(**options)
        clean, credentials = split_credentials(proxy)
        proxy_headers = {"Proxy-Authorization": credentials.authorization()} if credentials else None
        proxy_context = self._verified() if clean.lower().startswith("https:") else None
        log.debug("proxy %s for %s requests", self.redact(proxy), mode)
        return urllib3.ProxyManager(clean, proxy_headers=proxy_headers, proxy_ssl_context=proxy_context, **options)

    def _verified(self) -> ssl.SSLContext:
        # Called under self._lock. The system store, or SSL_CERT_FILE / SSL_CERT_DIR when set.
        if self._verified_context is None:
            self._verified_context = verified_context()
        return self._verified_context

    def _proxy_for(self, origin: Origin) -> str | None:
        with self._lock:
            if origin in self._proxy_choices:
                return self._proxy_choices[origin]
        proxy = self._proxies.get(origin.scheme)
        if proxy is not None and bypasses_proxy(origin.host_and_port, self._no_proxy):
            proxy = None
        with self._lock:
            self._proxy_choices[origin] = proxy
        return proxy

    def _is_insecure(self, origin: Origin) -> bool:
        hosts = self._insecure_hosts
        return (origin.host, origin.port) in hosts or (origin.host, None) in hosts

    def _warn_once(self, origin: Origin) -> None:
        with self._lock:
            if origin in self._warned:
                return
            self._warned.add(origin)
        message = (f"{origin} is plain HTTP: what yurt fetches from it is not protected in transit "
                   f"(`--allow-insecure-host {origin.host_and_port}` accepts that without this warning)")
        log.debug("%s", message)
        if self._warn is not None:
            self._warn(message)


# ---------------------------------------------------------------- helpers


def describe_error(error: BaseException) -> str:
    """A short, human reading of a transport error from urllib3 or the socket layer."""
    if isinstance(error, NameResolutionError):
        return f"cannot resolve the host name {error.conn.host!r}" if getattr(error, "conn", None) else str(error)
    if isinstance(error, NewConnectionError):
        return f"cannot connect: {_inner_text(error)}"
    if isinstance(error, ReadTimeoutError):
        return "timed out waiting for the server"
    if isinstance(error, ConnectTimeoutError):
        return "timed out connecting to the server"
    if isinstance(error, ProxyError):
        original = getattr(error, "original_error", None)
        return f"proxy error: {describe_error(original) if original is not None else error}"
    if isinstance(error, SSLError):
        return f"TLS error: {_inner_text(error)}"
    if isinstance(error, DecodeError):
        return f"cannot decode the body: {error}"
    if isinstance(error, ProtocolError):
        inner = error.args[-1] if error.args else None
        if isinstance(inner, BaseException):
            return _describe_broken_connection(inner)
        return f"connection broken: {error}"
    if isinstance(error, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _describe_broken_connection(inner: BaseException) -> str:
    import http.client

    if isinstance(inner, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(inner, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(inner, http.client.IncompleteRead):
        return f"the body was cut short ({inner})"
    return f"connection broken: {inner or type(inner).__name__}"


def _inner_text(error: BaseException) -> str:
    """The text of the exception that caused `error`, which urllib3 wraps in its own."""
    inner = error.__cause__ or error.__context__
    if inner is None and error.args and isinstance(error.args[-1], BaseException):
        inner = error.args[-1]
    if isinstance(inner, OSError) and inner.strerror and not isinstance(inner, ssl.SSLError):
        return inner.strerror
    return str(inner or error)


def _is_certificate_failure(error: BaseException) -> bool:
    """True when TLS failed on the certificate itself: a retry would fail the same way."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError) or type(current).__name__ == "CertificateError":
            return True
        pending.extend(item for item in (current.__cause__, current.__context__, *current.args)
                       if isinstance(item, BaseException))
    return False


def _discard(response: urllib3.BaseHTTPResponse, broken: bool = False) -> None:
    """Release a response whose body is not wanted, keeping the connection when that is cheap."""
    if broken:
        response.close()
    else:
        response.drain_conn()
    response.release_conn()


def _reason_phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _origin_or_none(url: str) -> Origin | None:
    try:
        return origin_of(urlsplit(split_credentials(url)[0]))
    except ValueError:
        return None


def _parse_host(entry: str) -> tuple[str, int | None]:
    """An --allow-insecure-host entry (`host`, `host:port` or a URL) as (host, port or None)."""
    text = entry.strip()
    try:
        parts = urlsplit(text if "://" in text else f"//{text}")
        host, port = parts.hostname, parts.port
    except ValueError:
        host = None
    if not host:
        raise ConfigurationError(f"invalid insecure host {entry!r}", "give a host, host:port or URL")
    return host, port


def _is_loopback(host: str) -> bool:
    """True for hosts whose traffic never leaves the machine, so plain HTTP exposes nothing."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _proxy_urls(variables: Mapping[str, str]) -> dict[str, str]:
    """Proxy URLs by scheme, from the proxy variables (HTTP_PROXY, HTTPS_PROXY, lower-case forms)."""
    proxies = {}
    for scheme, proxy in variables.items():
        if scheme in ("http", "https") and proxy:
            # `proxy:3128` without a scheme is common in the wild and means plain HTTP to the proxy.
            proxies[scheme] = proxy if "://" in proxy else f"http://{proxy}"
    return proxies


def _unverified_context() -> ssl.SSLContext:
    """A TLS context that skips certificate checks, for hosts the user named as insecure."""
    import warnings

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    # urllib3 warns on every unverified request; here the user asked for exactly that, and
    # yurt makes no unverified request otherwise.
    warnings.filterwarnings("ignore", category=InsecureRequestWarning)
    return context
