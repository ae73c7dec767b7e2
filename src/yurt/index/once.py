"""Do a piece of work once per key across threads: later callers wait for the first call's answer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")


class OncePerKey(Generic[T]):
    """Answers by key, each computed by the first caller; an error is the answer for that key too."""

    def __init__(self) -> None:
        self._futures: dict[Hashable, Future] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, work: Callable[[], T]) -> T:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if owner:
                future = self._futures[key] = Future()
        if not owner:
            return future.result()
        try:
            result = work()
        except BaseException as error:
            future.set_exception(error)
            raise
        future.set_result(result)
        return result

    def __contains__(self, key: Hashable) -> bool:
        """Whether some caller has started (or finished) the work for `key`."""
        with self._lock:
            return key in self._futures

    def started(self, key: Hashable) -> Future | None:
        """The future of the work for `key` if some caller has started it, else None."""
        with self._lock:
            return self._futures.get(key)

    def answers(self) -> list[T]:
        """The answers computed so far (errors left out)."""
        with self._lock:
            futures = list(self._futures.values())
        return [future.result() for future in futures if future.done() and future.exception() is None]
