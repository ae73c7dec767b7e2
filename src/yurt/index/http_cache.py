"""HTTP caching for index pages: freshness from Cache-Control, revalidation with ETag/Last-Modified."""

from __future__ import annotations

import time
from collections.abc import Mapping

import msgspec

# PyPI itself announces `max-age=600` on its simple pages; a server that says nothing about
# caching gets the same lifetime (YURT_INDEX_TTL), so a warm resolve needs no network.
DEFAULT_TTL_SECONDS = 600


class CachePolicy(msgspec.Struct, frozen=True, omit_defaults=True):
    """What a response said about its own freshness, and when it arrived."""

    fetched_at: float
    max_age: float | None = None
    no_cache: bool = False
    no_store: bool = False
    immutable: bool = False
    etag: str | None = None
    last_modified: str | None = None
    # True when the response carried no caching information at all: the default TTL applies.
    silent: bool = False

    def is_fresh(self, default_ttl: float, now: float | None = None) -> bool:
        """May the stored response be used without asking the server?"""
        if self.no_cache or self.no_store:
            return False
        if self.immutable:
            return True
        age = (time.time() if now is None else now) - self.fetched_at
        if self.max_age is not None:
            return age < self.max_age
        if self.silent:
            return age < default_ttl
        # Validators but no lifetime: cheap to revalidate, so always ask.
        return False

    def revalidation_headers(self) -> dict[str, str]:
        headers = {}
        if self.etag:
            headers["If-None-Match"] = self.etag
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers

    @property
    def storable(self) -> bool:
        return not self.no_store


def parse_cache_control(value: str) -> dict[str, str | None]:
    """Directives of a Cache-Control header, names lower-cased (`max-age=60, no-cache`)."""
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, separator, argument = part.strip().partition("=")
        if name:
            directives[name.strip().lower()] = argument.strip().strip('"') if separator else None
    return directives


def policy_from_headers(headers: Mapping[str, str], now: float | None = None) -> CachePolicy:
    """The policy of a fresh response; `headers` must be case-insensitive (urllib3's are)."""
    fetched_at = time.time() if now is None else now
    control = headers.get("Cache-Control")
    directives = parse_cache_control(control) if control else {}
    max_age = None
    for name in ("s-maxage", "max-age"):
        if directives.get(name):
            try:
                max_age = float(directives[name])
            except ValueError:
                max_age = 0.0
            break
    if max_age is None and headers.get("Expires") and "no-cache" not in directives:
        max_age = seconds_until(headers["Expires"], headers.get("Date"), fetched_at)
    if max_age is not None and headers.get("Age"):
        try:
            max_age -= float(headers["Age"])
        except ValueError:
            pass
    etag = headers.get("ETag")
    last_modified = headers.get("Last-Modified")
    return CachePolicy(
        fetched_at=fetched_at,
        max_age=max_age,
        no_cache="no-cache" in directives,
        no_store="no-store" in directives,
        immutable="immutable" in directives,
        etag=etag,
        last_modified=last_modified,
        silent=not directives and not etag and not last_modified and not headers.get("Expires"),
    )


def seconds_until(expires: str, date: str | None, now: float) -> float:
    """Lifetime from an `Expires` header, measured against the server's own `Date` when given."""
    from email.utils import parsedate_to_datetime

    try:
        expiry = parsedate_to_datetime(expires).timestamp()
        reference = parsedate_to_datetime(date).timestamp() if date else now
    except (TypeError, ValueError, IndexError, OverflowError):
        # RFC 9111: an invalid Expires (such as "0") means already expired.
        return 0.0
    return expiry - reference


def refreshed(policy: CachePolicy, headers: Mapping[str, str], now: float | None = None) -> CachePolicy:
    """After a 304: the stored body stays, with the lifetime the new headers give."""
    updated = policy_from_headers(headers, now)
    return msgspec.structs.replace(
        updated,
        etag=updated.etag or policy.etag,
        last_modified=updated.last_modified or policy.last_modified,
    )
