"""A real package index (PEP 503/691/658/700) served over HTTP on 127.0.0.1, with switchable faults."""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import io
import socket
import struct
import tempfile
import threading
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from . import simple_api
from .builders import Package, build_sdist, build_wheel, normalize_name
from .faults import FAIL, RESET, TRUNCATE, Fault, FaultPlan
from .http_ranges import RangeNotSatisfiable, parse_range
from .request_log import RecordedRequest, RequestLog

HOST = "127.0.0.1"
FILES_PREFIX = "/files/"
METADATA_SUFFIX = ".metadata"


@dataclass(frozen=True, slots=True)
class IndexedFile:
    """A distribution file the index serves, with what its project page says about it."""

    filename: str
    project: str
    version: str
    content: bytes
    requires_python: str | None = None
    yanked: bool | str = False
    upload_time: str | None = None
    # The file's core metadata (a wheel's METADATA), served per PEP 658; None for sdists.
    metadata: bytes | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def metadata_sha256(self) -> str | None:
        return None if self.metadata is None else hashlib.sha256(self.metadata).hexdigest()


@dataclass(frozen=True, slots=True)
class Response:
    """What the handler sends: status, headers, and the full body (HEAD sends no body)."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


def _split_filename(filename: str) -> tuple[str, str]:
    """Project and version from a wheel or sdist file name."""
    if filename.endswith(".whl"):
        name, version = filename.split("-")[:2]
        return normalize_name(name), version
    for suffix in (".tar.gz", ".zip", ".tar.bz2", ".tgz"):
        if filename.endswith(suffix):
            name, _, version = filename[: -len(suffix)].rpartition("-")
            return normalize_name(name), version
    raise ValueError(f"cannot tell the project of {filename!r}; pass project= and version=")


def _wheel_metadata(content: bytes) -> bytes | None:
    """The METADATA of a wheel's top-level .dist-info directory, if it has one."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for name in archive.namelist():
                parts = name.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return archive.read(name)
    except zipfile.BadZipFile:
        return None
    return None


def _format_upload_time(value: datetime.datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc)
    # PEP 700's required shape: yyyy-mm-ddThh:mm:ss.ffffffZ
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _normalize_yanked(yanked: bool | str | None) -> bool | str:
    if yanked is None or yanked is False:
        return False
    if yanked is True or yanked == "":
        return True
    return yanked


def _etag_matches(if_none_match: str, etag: str) -> bool:
    candidates = [candidate.strip() for candidate in if_none_match.split(",")]
    # Weak comparison (RFC 9110 13.1.2): a W/ prefix does not matter for If-None-Match.
    return "*" in candidates or any(candidate.removeprefix("W/") == etag for candidate in candidates)


class LocalIndex:
    """A package index on 127.0.0.1:<random port>, served from a background thread.

    Use as a context manager (``with LocalIndex() as index:``) or call
    ``start()`` and ``close()``. Every switch below may be flipped while it runs:

    - ``serve_metadata``: advertise and serve PEP 658 ``.metadata`` files (default on)
    - ``allow_ranges``: honour Range and send ``Accept-Ranges: bytes`` (default on)
    - ``cache_max_age``: None sends no caching headers; an int sends an ETag and
      ``Cache-Control: max-age=N`` and answers a matching If-None-Match with 304
    - ``relative_urls``: project pages link files with relative URLs
    """

    def __init__(self, *, serve_metadata: bool = True, allow_ranges: bool = True,
                 cache_max_age: int | None = None, relative_urls: bool = False) -> None:
        self.serve_metadata = serve_metadata
        self.allow_ranges = allow_ranges
        self.cache_max_age = cache_max_age
        self.relative_urls = relative_urls
        self._files: dict[str, IndexedFile] = {}
        self._files_lock = threading.Lock()
        self._credentials: tuple[str, str] | None = None
        self._log = RequestLog()
        self._faults = FaultPlan()
        self._build_directory: tempfile.TemporaryDirectory | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> LocalIndex:
        if self._server is None:
            self._server = _Server(self)
            # A short poll interval keeps close() (which waits for one poll) fast in every test teardown.
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                            name="local-index", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, drop open keep-alive connections and remove built files."""
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None
        if self._build_directory is not None:
            self._build_directory.cleanup()
            self._build_directory = None

    def __enter__(self) -> LocalIndex:
        return self.start()

    def __exit__(self, *exception) -> None:
        self.close()

    # ---------------------------------------------------------------- addresses

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the index is not running; call start() or use it as a context manager")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The simple index URL, e.g. http://127.0.0.1:PORT/simple/."""
        return f"{self.base_url}/simple/"

    @property
    def url_with_credentials(self) -> str:
        """The simple index URL carrying the required basic-auth credentials."""
        if self._credentials is None:
            raise RuntimeError("no credentials are required; call require_auth() first")
        username, password = (quote(part, safe="") for part in self._credentials)
        return f"http://{username}:{password}@{HOST}:{self.port}/simple/"

    @property
    def files_url(self) -> str:
        """A flat HTML page linking every file, usable as a find-links location."""
        return f"{self.base_url}{FILES_PREFIX}"

    def project_url(self, name: str) -> str:
        return f"{self.url}{normalize_name(name)}/"

    def file_url(self, filename: str) -> str:
        return f"{self.base_url}{FILES_PREFIX}{quote(filename)}"

    def metadata_url(self, filename: str) -> str:
        return self.file_url(filename) + METADATA_SUFFIX

    # ---------------------------------------------------------------- contents

    def add(self, path: Path, yanked: bool | str | None = None, requires_python: str | None = None,
            upload_time: datetime.datetime | str | None = None, *, project: str | None = None,
            version: str | None = None) -> IndexedFile:
        """Serve the file at ``path`` (read now) under its own file name.

        ``yanked`` is None/False (not yanked), True (yanked, no reason) or a reason string.
        """
        path = Path(path)
        parsed_project, parsed_version = (project, version) if project and version else _split_filename(path.name)
        content = path.read_bytes()
        indexed = IndexedFile(
            filename=path.name,
            project=normalize_name(project or parsed_project),
            version=version or parsed_version,
            content=content,
            requires_python=requires_python,
            yanked=_normalize_yanked(yanked),
            upload_time=_format_upload_time(upload_time),
            metadata=_wheel_metadata(content) if path.name.endswith(".whl") else None,
        )
        with self._files_lock:
            self._files[indexed.filename] = indexed
        return indexed

    def add_package(self, package: Package, wheel: bool = True, sdist: bool = False, *,
                    sdist_kind: str = "in-tree", yanked: bool | str | None = None,
                    requires_python: str | None = None,
                    upload_time: datetime.datetime | str | None = None) -> list[IndexedFile]:
        """Build the package's wheel and/or sdist and serve them.

        ``requires_python`` defaults to the package's own, as a real index reports it.
        """
        if self._build_directory is None:
            self._build_directory = tempfile.TemporaryDirectory(prefix="yurt-index-")
        directory = Path(self._build_directory.name)
        paths = []
        if wheel:
            paths.append(build_wheel(package, directory))
        if sdist:
            paths.append(build_sdist(package, directory, sdist_kind))
        return [self.add(path, yanked, requires_python or package.requires_python, upload_time)
                for path in paths]

    def yank(self, filename: str, reason: bool | str = True) -> None:
        """Mark a served file yanked (or un-yank it with ``reason=False``)."""
        with self._files_lock:
            self._files[filename] = replace(self._files[filename], yanked=_normalize_yanked(reason))

    def remove(self, filename: str) -> None:
        with self._files_lock:
            del self._files[filename]

    @property
    def files(self) -> list[IndexedFile]:
        with self._files_lock:
            return list(self._files.values())

    @property
    def projects(self) -> list[str]:
        return sorted({indexed.project for indexed in self.files})

    # ---------------------------------------------------------------- switches and faults

    def require_auth(self, username: str, password: str) -> None:
        """Answer 401 to every request without these basic-auth credentials."""
        self._credentials = (username, password)

    def disable_auth(self) -> None:
        self._credentials = None

    def enable_caching(self, max_age: int = 600) -> None:
        self.cache_max_age = max_age

    def disable_caching(self) -> None:
        self.cache_max_age = None

    def fail_next(self, count: int = 1, status: int = 500, *, path_prefix: str | None = None,
                  headers: Mapping[str, str] | None = None) -> None:
        """Answer the next ``count`` requests (under ``path_prefix``, if given) with ``status``."""
        self._faults.arm(Fault(FAIL, count, path_prefix, status, tuple((headers or {}).items())))

    def reset_next(self, count: int = 1, *, path_prefix: str | None = None) -> None:
        """Close the connection without any response, ``count`` times."""
        self._faults.arm(Fault(RESET, count, path_prefix))

    def truncate_next(self, count: int = 1, *, path_prefix: str | None = None) -> None:
        """Declare the full Content-Length, send only half the body, then close, ``count`` times."""
        self._faults.arm(Fault(TRUNCATE, count, path_prefix))

    def corrupt(self, filename: str, content: bytes | None = None) -> None:
        """Serve other bytes than the advertised hash for ``filename`` (or ``<filename>.metadata``).

        Without ``content`` one byte is flipped, so the length still matches.
        """
        self._faults.corrupt(filename, content)

    def delay(self, seconds: float) -> None:
        """Wait this long before answering each request (0 turns it off)."""
        self._faults.delay_seconds = seconds

    def clear_faults(self) -> None:
        """Disarm every fault, corruption and delay."""
        self._faults.clear()

    # ---------------------------------------------------------------- request log

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._log.snapshot()

    @property
    def request_count(self) -> int:
        return len(self._log.snapshot())

    def requests_for(self, path_prefix: str) -> list[RecordedRequest]:
        """Requests whose path (query included) starts with ``path_prefix``, e.g. ``/files/a-1.0``."""
        return [request for request in self._log.snapshot() if request.path.startswith(path_prefix)]

    def reset_log(self) -> None:
        self._log.clear()

    # ---------------------------------------------------------------- responses

    def respond(self, method: str, target: str, headers: Mapping[str, str]) -> Response:
        """Route one request (header names lower-case) to its response; no faults applied here."""
        split = urlsplit(target)
        path = unquote(split.path)
        query = f"?{split.query}" if split.query else ""
        if path == "/simple":
            return _redirect(f"/simple/{query}")
        if path == "/simple/":
            return self._root_page(headers, split.query)
        if path.startswith("/simple/"):
            name = path[len("/simple/"):].rstrip("/")
            if "/" in name or not name:
                return _not_found()
            if name != normalize_name(name) or not path.endswith("/"):
                return _redirect(f"/simple/{quote(normalize_name(name))}/{query}")
            return self._project_page(name, headers, split.query)
        if path == FILES_PREFIX:
            return self._resource(headers, self._find_links_page(), "text/html; charset=utf-8", ranged=False)
        if path.startswith(FILES_PREFIX):
            return self._file(path[len(FILES_PREFIX):], headers)
        return _not_found()

    def _media_type(self, headers: Mapping[str, str], query: str) -> str | None:
        format_override = parse_qs(query).get("format", [None])[0]
        return simple_api.negotiate(headers.get("accept"), format_override)

    def _root_page(self, headers: Mapping[str, str], query: str) -> Response:
        media_type = self._media_type(headers, query)
        if media_type is None:
            return Response(406, (("Content-Type", "text/plain"),), b"not acceptable\n")
        render = simple_api.root_json if media_type == simple_api.JSON_V1 else simple_api.root_html
        return self._resource(headers, render(self.projects), media_type, ranged=False, negotiated=True)

    def _entries(self, files: list[IndexedFile]) -> list[simple_api.FileEntry]:
        serve_metadata = self.serve_metadata
        entries = []
        for indexed in files:
            url = (f"../../files/{quote(indexed.filename)}" if self.relative_urls
                   else self.file_url(indexed.filename))
            entries.append(simple_api.FileEntry(
                filename=indexed.filename, url=url, sha256=indexed.sha256, size=len(indexed.content),
                requires_python=indexed.requires_python, yanked=indexed.yanked,
                metadata_sha256=indexed.metadata_sha256 if serve_metadata else None,
                upload_time=indexed.upload_time))
        return entries

    def _project_page(self, name: str, headers: Mapping[str, str], query: str) -> Response:
        files = [indexed for indexed in self.files if indexed.project == name]
        if not files:
            return _not_found()
        media_type = self._media_type(headers, query)
        if media_type is None:
            return Response(406, (("Content-Type", "text/plain"),), b"not acceptable\n")
        entries = self._entries(files)
        if media_type == simple_api.JSON_V1:
            versions = list(dict.fromkeys(indexed.version for indexed in files))
            body = simple_api.project_json(name, versions, entries)
        else:
            body = simple_api.project_html(name, entries)
        return self._resource(headers, body, media_type, ranged=False, negotiated=True)

    def _find_links_page(self) -> bytes:
        links = "".join(f'<a href="{quote(indexed.filename)}#sha256={indexed.sha256}">'
                        f"{html.escape(indexed.filename)}</a><br/>\n" for indexed in self.files)
        return f"<!DOCTYPE html>\n<html><body>\n{links}</body></html>\n".encode("utf-8")

    def _file(self, name: str, headers: Mapping[str, str]) -> Response:
        with self._files_lock:
            indexed = self._files.get(name)
            metadata_of = self._files.get(name[: -len(METADATA_SUFFIX)]) if name.endswith(METADATA_SUFFIX) else None
        if indexed is not None:
            body = self._faults.served_content(name, indexed.content)
            return self._resource(headers, body, "application/octet-stream", ranged=True)
        if metadata_of is not None and metadata_of.metadata is not None and self.serve_metadata:
            body = self._faults.served_content(name, metadata_of.metadata)
            return self._resource(headers, body, "application/octet-stream", ranged=True)
        return _not_found()

    def _resource(self, headers: Mapping[str, str], body: bytes, content_type: str, *, ranged: bool,
                  negotiated: bool = False) -> Response:
        """A 200/206/304/416 answer for ``body``, honouring the caching and range switches."""
        response_headers = [("Content-Type", content_type)]
        max_age = self.cache_max_age
        if max_age is not None:
            etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
            response_headers += [("ETag", etag), ("Cache-Control", f"max-age={max_age}")]
            if negotiated:
                # The same URL has JSON and HTML bodies; caches must key on Accept.
                response_headers.append(("Vary", "Accept"))
            if_none_match = headers.get("if-none-match")
            if if_none_match and _etag_matches(if_none_match, etag):
                return Response(304, tuple(header for header in response_headers if header[0] != "Content-Type"))
        if ranged and self.allow_ranges:
            response_headers.append(("Accept-Ranges", "bytes"))
            try:
                byte_range = parse_range(headers.get("range"), len(body))
            except RangeNotSatisfiable:
                return Response(416, (("Content-Range", f"bytes */{len(body)}"),))
            if byte_range is not None:
                response_headers.append(("Content-Range", byte_range.content_range(len(body))))
                return Response(206, tuple(response_headers), byte_range.slice(body))
        return Response(200, tuple(response_headers), body)

    def check_credentials(self, authorization: str | None) -> bool:
        credentials = self._credentials
        if credentials is None:
            return True
        if not authorization or not authorization.lower().startswith("basic "):
            return False
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return False
        username, _, password = decoded.partition(":")
        return (username, password) == credentials


def _redirect(location: str) -> Response:
    # PEP 503 suggests redirecting non-normalized project URLs to the normalized one.
    return Response(301, (("Location", location), ("Content-Type", "text/plain")), b"moved\n")


def _not_found() -> Response:
    return Response(404, (("Content-Type", "text/plain"),), b"not found\n")


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so clients can keep connections alive, as they would with a real index.
    protocol_version = "HTTP/1.1"
    # An idle keep-alive connection gives up after this long instead of pinning a thread.
    timeout = 30
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate small writes: without TCP_NODELAY, Nagle's algorithm
        # and the client's delayed ACK hold each response back by about 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args) -> None:
        # The request log replaces stderr chatter, which would clutter test output.
        pass

    def do_GET(self) -> None:
        self._handle(send_body=True)

    def do_HEAD(self) -> None:
        self._handle(send_body=False)

    def _handle(self, send_body: bool) -> None:
        index = self.server.index
        headers = {name.lower(): value for name, value in self.headers.items()}
        index._log.record(self.command, self.path, list(self.headers.items()))
        delay = index._faults.delay_seconds
        if delay:
            time.sleep(delay)
        fault = index._faults.take(urlsplit(self.path).path)
        if fault is not None and fault.kind == RESET:
            self._reset()
            return
        if fault is not None and fault.kind == FAIL:
            response = Response(fault.status, (("Content-Type", "text/plain"), *fault.headers),
                                f"injected failure {fault.status}\n".encode())
        elif not index.check_credentials(headers.get("authorization")):
            response = Response(401, (("WWW-Authenticate", 'Basic realm="yurt-test-index"'),
                                      ("Content-Type", "text/plain")), b"unauthorized\n")
        else:
            response = index.respond(self.command, self.path, headers)
        try:
            self._send(response, send_body, truncate=fault is not None and fault.kind == TRUNCATE)
        except (BrokenPipeError, ConnectionResetError):
            # The client hung up mid-response; nothing left to tell it.
            self.close_connection = True

    def _send(self, response: Response, send_body: bool, truncate: bool) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 304:
            # HEAD reports the length a GET would send.
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if not send_body or response.status == 304:
            return
        if truncate:
            self.wfile.write(response.body[: len(response.body) // 2])
            self.wfile.flush()
            # Closing right after a short body is what the client must detect as truncation.
            self.close_connection = True
            return
        self.wfile.write(response.body)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send a TCP RST instead of a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, index: LocalIndex) -> None:
        super().__init__((HOST, 0), _Handler)
        self.index = index
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Wake handler threads blocked on idle keep-alive connections so shutdown is prompt."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
