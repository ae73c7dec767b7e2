"""A thread-safe record of the requests a local server received."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as received; unpacks as ``method, path, headers``.

    ``path`` includes any query string; ``headers`` keys are lower-case.
    """

    method: str
    path: str
    headers: Mapping[str, str]

    def __iter__(self) -> Iterator:
        return iter((self.method, self.path, self.headers))

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class RequestLog:
    """Appends from server threads and reads from the test thread, under one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []

    def record(self, method: str, path: str, headers: list[tuple[str, str]]) -> None:
        merged: dict[str, str] = {}
        for name, value in headers:
            key = name.lower()
            # Repeated headers mean the same as one comma-joined header (RFC 9110 5.3).
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        with self._lock:
            self._requests.append(RecordedRequest(method, path, MappingProxyType(merged)))

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
