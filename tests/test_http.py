"""The HTTP client against a real local index: retries, errors, auth, redaction, TLS, proxies."""

from __future__ import annotations

import base64
import hashlib
import http.client
import shutil
import ssl
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from support.builders import Package
from support.index import LocalIndex
from yurt import log
from yurt.index.http import (
    HttpClient,
    HttpStatusError,
    NetworkError,
    NotFound,
    OfflineError,
    RetryableError,
    StreamedResponse,
    redact_text,
    redact_url,
)

USER = "alice"
PASSWORD = "s3cret-pa55word"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                   "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No proxy from the machine running the tests, and no netrc but the ones a test writes."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("YURT_LOG", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))


@pytest.fixture
def debug_log():
    log.configure(1)
    yield
    log.configure(0)


@pytest.fixture
def served(index):
    """The index serving one wheel, and that wheel's IndexedFile."""
    (wheel,) = index.add_package(Package("a", "1.0"))
    return wheel


def client(**options) -> HttpClient:
    options.setdefault("backoff", 0.0)
    options.setdefault("timeout", 10)
    return HttpClient(**options)


# ---------------------------------------------------------------- success and retries


def test_fetches_a_page_and_counts_requests(index, served):
    http = client()
    response = http.fetch(index.project_url("a"))
    assert response.status == 200
    assert b"a-1.0-py3-none-any.whl" in response.body
    assert response.headers["content-type"].startswith("text/html")
    assert response.url == index.project_url("a")
    assert http.request_count == index.request_count == 1
    assert index.requests[0].header("user-agent").startswith("yurt/")


def test_follows_redirects_and_reports_the_final_url(index, served):
    http = client()
    response = http.fetch(index.url + "A/")
    assert response.status == 200
    assert response.url == index.project_url("a")
    assert [request.path for request in index.requests] == ["/simple/A/", "/simple/a/"]


def test_retries_server_errors_then_succeeds(index, served):
    index.fail_next(2, status=500)
    http = client(retries=3)
    response = http.fetch(index.project_url("a"))
    assert response.status == 200
    assert index.request_count == 3
    assert http.request_count == 3


def test_gives_up_after_the_last_retry_with_a_clear_error(index, served):
    index.fail_next(10, status=500)
    url = index.project_url("a")
    with pytest.raises(HttpStatusError) as raised:
        client(retries=2).fetch(url)
    assert raised.value.message == f"failed to fetch {url} after 3 attempts: HTTP 500 Internal Server Error"
    assert raised.value.status == 500
    assert raised.value.attempts == 3
    assert index.request_count == 3


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_not_retried(index, served, status):
    index.fail_next(5, status=status)
    with pytest.raises(HttpStatusError) as raised:
        client(retries=3).fetch(index.project_url("a"))
    assert raised.value.status == status
    assert isinstance(raised.value, NotFound) == (status in (404, 410))
    assert index.request_count == 1


def test_missing_project_is_not_found(index, served):
    url = index.project_url("nothing-here")
    with pytest.raises(NotFound) as raised:
        client().fetch(url)
    assert raised.value.message == f"failed to fetch {url}: HTTP 404 Not Found"
    assert raised.value.headers["content-type"] == "text/plain"


def test_too_many_requests_is_retried(index, served):
    index.fail_next(1, status=429)
    assert client(retries=1).fetch(index.project_url("a")).status == 200
    assert index.request_count == 2


def test_connection_reset_is_retried(index, served):
    index.reset_next(2)
    assert client(retries=2).fetch(index.project_url("a")).status == 200
    assert index.request_count == 3


def test_truncated_body_is_retried(index, served):
    index.truncate_next(2)
    response = client(retries=2).fetch(index.file_url(served.filename))
    assert response.body == served.content
    assert index.request_count == 3


def test_truncated_body_after_the_last_retry_names_the_cause(index, served):
    index.truncate_next(5)
    url = index.file_url(served.filename)
    with pytest.raises(NetworkError) as raised:
        client(retries=1).fetch(url)
    assert raised.value.message.startswith(f"failed to fetch {url} after 2 attempts: the body was cut short")


def test_read_timeout_is_retried_then_reported(index, served):
    index.delay(0.6)
    url = index.project_url("a")
    with pytest.raises(NetworkError) as raised:
        client(retries=1, timeout=0.2).fetch(url)
    assert raised.value.message == f"failed to fetch {url} after 2 attempts: timed out waiting for the server"
    assert any("YURT_HTTP_TIMEOUT" in hint for hint in raised.value.hints)
    assert index.request_count == 2


def test_refused_connection_is_retried_then_reported():
    with LocalIndex() as closed:
        url = closed.url
    with pytest.raises(NetworkError) as raised:
        client(retries=1).fetch(url)
    assert raised.value.message == f"failed to fetch {url} after 2 attempts: cannot connect: Connection refused"


def test_retry_after_is_honoured(index, served, debug_log, capsys):
    index.fail_next(1, status=503, headers={"Retry-After": "1"})
    started = time.monotonic()
    assert client(retries=1).fetch(index.project_url("a")).status == 200
    assert time.monotonic() - started >= 0.95
    assert "retrying in 1.00s" in capsys.readouterr().err


def test_retry_after_is_capped(index, served, debug_log, capsys):
    index.fail_next(1, status=429, headers={"Retry-After": "3600"})
    assert client(retries=1, retry_after_cap=0.05).fetch(index.project_url("a")).status == 200
    assert "retrying in 0.05s" in capsys.readouterr().err


def test_backoff_grows_and_stays_below_its_ceiling():
    http = HttpClient(backoff=0.5)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (10, 10.0)]:
        delay = http.retry_delay(attempt)
        assert ceiling / 2 <= delay <= ceiling
    assert http.retry_delay(1, retry_after=3.0) == 3.0


def test_parallel_fetches_share_one_client(index, served):
    http = client(concurrent_downloads=4)
    urls = [index.project_url("a"), index.file_url(served.filename)] * 16
    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = list(pool.map(http.fetch, urls))
    assert all(response.status == 200 for response in responses)
    assert http.request_count == index.request_count == 32


# ---------------------------------------------------------------- ranges, HEAD, streaming


def test_range_request_returns_exact_bytes_uncompressed(index, served):
    response = client().fetch(index.file_url(served.filename), headers={"Range": "bytes=10-19"})
    assert response.status == 206
    assert response.body == served.content[10:20]
    assert response.headers["content-range"] == f"bytes 10-19/{len(served.content)}"
    assert index.requests[0].header("accept-encoding") == "identity"


def test_suffix_range(index, served):
    response = client().fetch(index.file_url(served.filename), headers={"Range": "bytes=-22"})
    assert response.status == 206
    assert response.body == served.content[-22:]


def test_head_request(index, served):
    response = client().head(index.file_url(served.filename))
    assert response.status == 200
    assert response.body == b""
    assert int(response.headers["content-length"]) == len(served.content)
    assert index.requests[0].method == "HEAD"


def test_stream_yields_the_body_in_chunks(index, served):
    with client().stream(index.file_url(served.filename)) as response:
        assert isinstance(response, StreamedResponse)
        assert response.status == 200
        assert response.content_length == len(served.content)
        chunks = list(response.iter_chunks(100))
    assert b"".join(chunks) == served.content
    assert len(chunks) > 1
    assert index.requests[0].header("accept-encoding") == "identity"


def test_stream_raises_a_retryable_error_when_the_body_breaks_off(index, served):
    index.truncate_next(1)
    url = index.file_url(served.filename)
    with pytest.raises(RetryableError) as raised:
        with client().stream(url) as response:
            b"".join(response.iter_chunks())
    assert raised.value.message.startswith(f"the download of {url} broke off: the body was cut short")


def test_stream_retries_error_statuses_before_the_body(index, served):
    index.fail_next(2, status=502)
    with client(retries=2).stream(index.file_url(served.filename)) as response:
        assert b"".join(response.iter_chunks()) == served.content


def test_download_starts_over_when_the_body_breaks_off(index, served):
    index.truncate_next(2)
    calls = []

    def consume(response: StreamedResponse) -> str:
        calls.append(response.status)
        digest = hashlib.sha256()
        for chunk in response.iter_chunks(64):
            digest.update(chunk)
        return digest.hexdigest()

    assert client(retries=2).download(index.file_url(served.filename), consume) == served.sha256
    assert len(calls) == 3
    assert index.request_count == 3


def test_download_gives_up_after_the_retries(index, served):
    index.truncate_next(5)
    url = index.file_url(served.filename)
    with pytest.raises(NetworkError) as raised:
        client(retries=1).download(url, lambda response: b"".join(response.iter_chunks()))
    assert not isinstance(raised.value, RetryableError)
    assert raised.value.message.startswith(f"failed to fetch {url} after 2 attempts: the body was cut short")
    assert index.request_count == 2


def test_connections_are_reused_after_a_stream_is_left_early(index, served):
    http = client(concurrent_downloads=1)
    for _ in range(3):
        with http.stream(index.file_url(served.filename)) as response:
            next(response.iter_chunks(10))
    # With one connection per host, a stream that kept its connection would block this fetch forever.
    assert http.fetch(index.project_url("a")).status == 200


# ---------------------------------------------------------------- offline


def test_offline_raises_without_any_request(index, served):
    http = client(offline=True)
    url = index.project_url("a")
    with pytest.raises(OfflineError) as raised:
        http.fetch(url)
    assert url in raised.value.message
    assert any("--offline" in hint for hint in raised.value.hints)
    with pytest.raises(OfflineError):
        with http.stream(index.file_url(served.filename)):
            pass
    assert http.request_count == index.request_count == 0


# ---------------------------------------------------------------- credentials


def authorization_of(request) -> tuple[str, str] | None:
    value = request.header("authorization")
    if value is None:
        return None
    username, _, password = base64.b64decode(value.removeprefix("Basic ")).decode().partition(":")
    return username, password


def test_credentials_from_the_url_are_sent_and_stripped(index, served):
    index.require_auth(USER, PASSWORD)
    http = client()
    response = http.fetch(index.url_with_credentials + "a/")
    assert response.status == 200
    assert response.url == index.project_url("a")
    (request,) = index.requests
    assert request.path == "/simple/a/"
    assert authorization_of(request) == (USER, PASSWORD)


def test_credentials_from_an_index_url_cover_files_on_the_same_host(index, served):
    index.require_auth(USER, PASSWORD)
    http = client()
    http.fetch(index.url_with_credentials + "a/")
    assert http.fetch(index.file_url(served.filename)).body == served.content


def test_remembered_credentials_apply_before_the_first_request(index, served):
    index.require_auth(USER, PASSWORD)
    http = client()
    http.remember_credentials(index.url_with_credentials)
    assert http.fetch(index.file_url(served.filename)).body == served.content


def test_missing_credentials_give_a_hint(index, served):
    index.require_auth(USER, PASSWORD)
    with pytest.raises(HttpStatusError) as raised:
        client().fetch(index.project_url("a"))
    assert raised.value.status == 401
    assert any("may need credentials" in hint for hint in raised.value.hints)
    assert index.request_count == 1


def test_wrong_credentials_are_reported_as_refused(index, served):
    index.require_auth(USER, PASSWORD)
    url = index.url_with_credentials.replace(PASSWORD.replace("-", "%2D"), "wrong").replace(PASSWORD, "wrong")
    with pytest.raises(HttpStatusError) as raised:
        client().fetch(url + "a/")
    assert any("refused the credentials" in hint for hint in raised.value.hints)


def test_credentials_are_not_sent_to_another_host(index, served):
    index.require_auth(USER, PASSWORD)
    with LocalIndex() as other:
        other.add_package(Package("b", "1.0"))
        http = client()
        http.fetch(index.url_with_credentials + "a/")
        assert http.fetch(other.project_url("b")).status == 200
        (request,) = other.requests
        assert request.header("authorization") is None


def test_credentials_are_not_sent_across_a_redirect_to_another_host(index, served):
    index.require_auth(USER, PASSWORD)
    with LocalIndex() as other:
        other.add_package(Package("b", "1.0"))
        index.fail_next(1, status=302, headers={"Location": other.project_url("b")})
        response = client().fetch(index.url_with_credentials + "a/")
        assert response.url == other.project_url("b")
        assert authorization_of(index.requests[0]) == (USER, PASSWORD)
        (request,) = other.requests
        assert request.header("authorization") is None


def test_a_callers_authorization_header_is_dropped_across_hosts(index, served):
    with LocalIndex() as other:
        other.add_package(Package("b", "1.0"))
        index.fail_next(1, status=307, headers={"Location": other.project_url("b")})
        client().fetch(index.project_url("a"), headers={"Authorization": "Bearer token"})
        assert index.requests[0].header("authorization") == "Bearer token"
        assert other.requests[0].header("authorization") is None


@pytest.mark.parametrize("with_port", [True, False])
def test_credentials_from_netrc(index, served, tmp_path, monkeypatch, with_port):
    index.require_auth(USER, PASSWORD)
    machine = f"127.0.0.1:{index.port}" if with_port else "127.0.0.1"
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine {machine}\n  login {USER}\n  password {PASSWORD}\n")
    monkeypatch.setenv("NETRC", str(netrc))
    response = client().fetch(index.project_url("a"))
    assert response.status == 200
    assert authorization_of(index.requests[0]) == (USER, PASSWORD)


def test_netrc_entry_with_a_port_belongs_to_that_port_only(index, served, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1:{index.port} login {USER} password {PASSWORD}\n"
                     f"default login nobody password everywhere\n")
    with LocalIndex() as other:
        other.add_package(Package("b", "1.0"))
        http = client(netrc_path=netrc)
        http.fetch(index.project_url("a"))
        http.fetch(other.project_url("b"))
        assert authorization_of(index.requests[0]) == (USER, PASSWORD)
        # Neither the port-bound entry nor netrc's `default` reaches another server.
        assert other.requests[0].header("authorization") is None


def test_netrc_supplies_the_password_for_a_username_in_the_url(index, served, tmp_path):
    index.require_auth(USER, PASSWORD)
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    url = f"http://{USER}@127.0.0.1:{index.port}/simple/a/"
    assert client(netrc_path=netrc).fetch(url).status == 200


def test_a_broken_netrc_is_ignored(index, served, tmp_path):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine\n")
    assert client(netrc_path=netrc).fetch(index.project_url("a")).status == 200


# ---------------------------------------------------------------- redaction


def test_redact_url():
    assert redact_url("https://user:pw@example.test/simple/") == "https://****@example.test/simple/"
    assert redact_url("https://token@example.test:8443/x?y=1") == "https://****@example.test:8443/x?y=1"
    assert redact_url("https://us:p@ss@example.test/") == "https://****@example.test/"
    assert redact_url("https://example.test/a@b") == "https://example.test/a@b"


def test_redact_text():
    text = "GET http://user:hunter22@host/x failed; the password hunter22 was wrong"
    redacted = redact_text(text, ["http://user:hunter22@host/"])
    assert "hunter22" not in redacted
    assert "http://****@host/x" in redacted


def test_credentials_never_reach_errors_or_logs(index, served, debug_log, capsys):
    index.require_auth(USER, PASSWORD)
    index.fail_next(3, status=500)
    url = index.url_with_credentials + "a/"
    with pytest.raises(HttpStatusError) as raised:
        client(retries=2).fetch(url)
    error = raised.value
    assert error.message == (f"failed to fetch http://****@127.0.0.1:{index.port}/simple/a/ "
                             "after 3 attempts: HTTP 500 Internal Server Error")
    index.reset_next(1)
    with pytest.raises(NetworkError) as reset:
        client(retries=0).fetch(url)
    logged = capsys.readouterr().err
    assert "GET http://127.0.0.1:" in logged
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for text in (str(error), " ".join(error.hints), error.url, str(reset.value), logged):
        assert PASSWORD not in text
        assert token not in text


def test_offline_error_is_redacted(index):
    url = f"http://{USER}:{PASSWORD}@127.0.0.1:{index.port}/simple/"
    with pytest.raises(OfflineError) as raised:
        client(offline=True).fetch(url)
    assert PASSWORD not in raised.value.message
    assert "****@127.0.0.1" in raised.value.message


# ---------------------------------------------------------------- proxies


class _ForwardingHandler(BaseHTTPRequestHandler):
    """A forward proxy for plain HTTP: takes absolute-URI requests and relays them upstream."""

    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.server.seen.append(self.path)
        target = urlsplit(self.path)
        if not target.scheme:
            self.send_error(400, "a proxy needs an absolute URI")
            return
        headers = {name: value for name, value in self.headers.items()
                   if name.lower() not in ("proxy-connection", "connection", "host")}
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        try:
            path = target.path + (f"?{target.query}" if target.query else "")
            upstream.request("GET", path, headers=headers)
            answer = upstream.getresponse()
            body = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Via", "1.1 test-proxy")
        self.end_headers()
        self.wfile.write(body)


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _ForwardingHandler)
        self.seen: list[str] = []


@pytest.fixture
def proxy():
    server = _ProxyServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_http_proxy_is_used(index, served, proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"127.0.0.1:{proxy.server_address[1]}")
    response = client().fetch(index.project_url("a"))
    assert response.status == 200
    assert response.headers["via"] == "1.1 test-proxy"
    assert proxy.seen == [index.project_url("a")]


def test_no_proxy_bypasses_the_proxy(index, served, proxy, monkeypatch):
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.server_address[1]}")
    monkeypatch.setenv("no_proxy", "localhost,127.0.0.1")
    response = client().fetch(index.project_url("a"))
    assert response.status == 200
    assert "via" not in response.headers
    assert proxy.seen == []
    assert index.request_count == 1


def test_an_unreachable_proxy_is_named_in_the_hints(index, served, monkeypatch):
    with LocalIndex() as closed:
        port = closed.port
    monkeypatch.setenv("HTTP_PROXY", f"http://user:{PASSWORD}@127.0.0.1:{port}")
    with pytest.raises(NetworkError) as raised:
        client(retries=0).fetch(index.project_url("a"))
    hints = " ".join(raised.value.hints)
    assert f"127.0.0.1:{port}" in hints and "NO_PROXY" in hints
    assert PASSWORD not in hints + raised.value.message


# ---------------------------------------------------------------- TLS


class _HelloHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        body = b"hello over TLS\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate; yields (url, certificate path)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(certificate), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HelloHandler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}/", certificate
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_tls_is_verified_and_a_bad_certificate_is_not_retried(tls_server):
    url, _ = tls_server
    http = client(retries=3)
    with pytest.raises(NetworkError) as raised:
        http.fetch(url)
    assert "certificate verify failed" in raised.value.message
    assert any("--allow-insecure-host 127.0.0.1:" in hint for hint in raised.value.hints)
    assert http.request_count == 1


def test_ssl_cert_file_is_honoured(tls_server, monkeypatch):
    url, certificate = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    assert client().fetch(url).body == b"hello over TLS\n"


def test_authorities_loaded_ahead_serve_one_client_with_the_same_paths(tls_server, monkeypatch):
    from yurt.index import trust

    url, certificate = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    trust.load_ahead()
    monkeypatch.delenv("SSL_CERT_FILE")
    # Other authorities now: the context loaded ahead (which trusts the test server) is not used.
    with pytest.raises(NetworkError, match="certificate verify failed"):
        client(retries=0).fetch(url)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    assert client().fetch(url).body == b"hello over TLS\n"
    # Taken once: it was that one, and the next client loads its own.
    assert not [paths for paths in trust._ahead if paths[0] == str(certificate)]
    assert client().fetch(url).body == b"hello over TLS\n"


@pytest.mark.parametrize("entry", ["127.0.0.1", "{port}", "https://127.0.0.1:{port}"])
def test_allow_insecure_host_skips_verification_for_that_host(tls_server, entry):
    url, _ = tls_server
    port = urlsplit(url).port
    allowed = f"127.0.0.1:{port}" if entry == "{port}" else entry.format(port=port)
    assert client(allow_insecure_hosts=[allowed]).fetch(url).body == b"hello over TLS\n"


def test_allow_insecure_host_on_another_port_still_verifies(tls_server):
    url, _ = tls_server
    with pytest.raises(NetworkError):
        client(retries=0, allow_insecure_hosts=["127.0.0.1:1"]).fetch(url)


def test_plain_http_to_a_loopback_host_is_not_warned_about(index, served):
    warnings = []
    client(warn=warnings.append).fetch(index.project_url("a"))
    assert warnings == []


def test_each_address_is_looked_up_once_however_many_threads_ask(monkeypatch):
    """Parallel lookups of one name have stalled for the stub resolver's 5 s retry: ask once."""
    import socket
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from yurt.index import addresses

    asked = []
    release = threading.Event()

    def slow_lookup(host, port, *rest):
        asked.append(host)
        release.wait(5)
        if host == "missing.invalid":
            raise socket.gaierror("no such host")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(addresses, "_lookup", slow_lookup)
    monkeypatch.setattr(addresses, "_answers", {})
    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(addresses.getaddrinfo, "one.test", 443, 0, socket.SOCK_STREAM) for _ in range(8)]
        release.set()
        answers = [future.result() for future in futures]
    assert asked == ["one.test"]
    assert all(answer == answers[0] for answer in answers)
    for _ in range(2):
        with pytest.raises(socket.gaierror):
            addresses.getaddrinfo("missing.invalid", 443)
    # A failed lookup is not kept: the second call asked again.
    assert asked == ["one.test", "missing.invalid", "missing.invalid"]


@pytest.mark.parametrize(("host", "no_proxy", "bypassed"), [
    ("a.example.com", ".example.com", True),
    ("a.example.com", "example.com", True),
    ("example.com:8080", "example.com", True),
    ("notexample.com", "example.com", False),
    ("127.0.0.1:8000", "localhost, 127.0.0.1", True),
    ("anything.test", "*", True),
    ("host:80", "host:80", True),
    ("host:81", "host:80", False),
    ("host", "", False),
])
def test_no_proxy_rules(host, no_proxy, bypassed):
    from yurt.index.proxies import bypasses_proxy

    assert bypasses_proxy(host, no_proxy) is bypassed


@pytest.mark.parametrize(("environment", "proxies"), [
    ({"HTTP_PROXY": "upper", "http_proxy": "lower"}, {"http": "lower"}),
    ({"HTTPS_PROXY": "secure", "NO_PROXY": "internal"}, {"https": "secure", "no": "internal"}),
    ({"HTTP_PROXY": "from-a-header", "REQUEST_METHOD": "GET"}, {}),
    ({"HTTP_PROXY": "upper", "http_proxy": ""}, {}),
])
def test_proxy_variables(environment, proxies):
    from yurt.index.proxies import environment_proxies

    assert environment_proxies(environment) == proxies
