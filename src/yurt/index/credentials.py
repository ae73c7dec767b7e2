"""Credentials for index servers, from URL userinfo and netrc, each bound to the origin it belongs to."""

from __future__ import annotations

import base64
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from yurt import log

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Origin:
    """Scheme, host and port: the unit credentials, connection pools and TLS settings belong to."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def host_and_port(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A username and password for HTTP Basic authentication."""

    username: str
    password: str

    def __repr__(self) -> str:
        # A repr ends up in tracebacks and debug output; the password must not.
        return f"Credentials(username={self.username!r}, password='****')"

    def authorization(self) -> str:
        """The value of an `Authorization` header carrying these credentials."""
        token = f"{self.username}:{self.password}".encode("utf-8")
        return "Basic " + base64.b64encode(token).decode("ascii")


def origin_of(parts: SplitResult) -> Origin:
    """The origin of a split http(s) URL; raises ValueError for a missing host or a bad port."""
    scheme = parts.scheme.lower()
    host = parts.hostname  # lower-cased, without brackets or userinfo
    if not host:
        raise ValueError("the URL has no host")
    port = parts.port or DEFAULT_PORTS.get(scheme)
    if port is None:
        raise ValueError(f"unsupported URL scheme {scheme!r}")
    return Origin(scheme, host, port)


def split_credentials(url: str) -> tuple[str, Credentials | None]:
    """The URL without its userinfo, and the credentials that userinfo carried (None if none)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    # The last `@` ends the userinfo: an unescaped `@` in a password must not leak into the host.
    userinfo, _, host = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    clean = urlunsplit(parts._replace(netloc=host))
    username, password = unquote(username), unquote(password)
    if not username and not password:
        return clean, None
    return clean, Credentials(username, password)


def default_netrc_path() -> Path:
    """`$NETRC` if set, else `~/.netrc`."""
    configured = os.environ.get("NETRC")
    return Path(configured) if configured else Path(os.path.expanduser("~/.netrc"))


class CredentialStore:
    """Which credentials to send to an origin, for one run; safe to use from many threads.

    Precedence: the request URL's own userinfo, then credentials learned from an earlier URL on the
    same origin (an index URL's userinfo also covers the files that server hosts), then netrc.
    """

    def __init__(self, netrc_path: Path | str | None = None) -> None:
        self._netrc_path = Path(netrc_path) if netrc_path is not None else default_netrc_path()
        self._lock = threading.Lock()
        self._learned: dict[Origin, Credentials] = {}
        # Read on first use: most runs never reach the network, and those that do read it once.
        self._netrc: dict[str, Credentials] | None = None

    @property
    def netrc_path(self) -> Path:
        return self._netrc_path

    def remember(self, origin: Origin, credentials: Credentials) -> None:
        """Use `credentials` for later requests to `origin` that carry none of their own."""
        with self._lock:
            self._learned[origin] = credentials

    def for_request(self, origin: Origin, from_url: Credentials | None) -> Credentials | None:
        """The credentials to send pre-emptively to `origin`, remembering any the URL carried."""
        if from_url is not None:
            if not from_url.password:
                # A bare username (often a token) may have its password in netrc.
                stored = self._from_netrc(origin)
                if stored is not None and stored.username == from_url.username:
                    from_url = stored
            self.remember(origin, from_url)
            return from_url
        with self._lock:
            learned = self._learned.get(origin)
        if learned is not None:
            return learned
        return self._from_netrc(origin)

    def secrets(self) -> list[str]:
        """Every password known so far, so messages can be scrubbed of them."""
        with self._lock:
            learned = [credentials.password for credentials in self._learned.values()]
            stored = [credentials.password for credentials in (self._netrc or {}).values()]
        return [password for password in learned + stored if password]

    def _from_netrc(self, origin: Origin) -> Credentials | None:
        entries = self._netrc_entries()
        # A `machine host:port` entry is the narrower one, so it wins over a bare `machine host`.
        return entries.get(origin.host_and_port) or entries.get(origin.host)

    def _netrc_entries(self) -> dict[str, Credentials]:
        with self._lock:
            if self._netrc is None:
                self._netrc = _read_netrc(self._netrc_path)
            return self._netrc


def _read_netrc(path: Path) -> dict[str, Credentials]:
    """Named machine entries of a netrc file; an absent or unreadable file gives none."""
    import netrc

    try:
        parsed = netrc.netrc(os.fspath(path))
    except FileNotFoundError:
        return {}
    except (OSError, netrc.NetrcParseError) as error:
        log.debug("ignoring netrc file %s: %s", path, error)
        return {}
    entries = {}
    # The `default` entry is left out on purpose: it would hand one password to every host,
    # including any a redirect leads to.
    for machine, (login, _account, password) in parsed.hosts.items():
        entries[machine.lower()] = Credentials(login or "", password or "")
    log.debug("read credentials for %d hosts from %s", len(entries), path)
    return entries
