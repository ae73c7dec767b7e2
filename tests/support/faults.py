"""Faults a local server injects on demand: errors, resets, truncations, corruption, delay."""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

FAIL = "fail"
RESET = "reset"
TRUNCATE = "truncate"


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault armed for the next ``remaining`` requests whose path starts with ``path_prefix``."""

    kind: str
    remaining: int
    path_prefix: str | None = None
    status: int = 500
    headers: tuple[tuple[str, str], ...] = ()

    def applies_to(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)


class FaultPlan:
    """The faults armed on one server; safe to change from the test thread while it serves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._corrupted: dict[str, bytes | None] = {}
        self.delay_seconds = 0.0

    def arm(self, fault: Fault) -> None:
        if fault.remaining > 0:
            with self._lock:
                self._faults.append(fault)

    def take(self, path: str) -> Fault | None:
        """Consume one use of the earliest armed fault that applies to ``path``."""
        with self._lock:
            for position, fault in enumerate(self._faults):
                if fault.applies_to(path):
                    if fault.remaining == 1:
                        del self._faults[position]
                    else:
                        self._faults[position] = replace(fault, remaining=fault.remaining - 1)
                    return fault
        return None

    def corrupt(self, name: str, content: bytes | None) -> None:
        """Serve ``content`` (or a flipped copy of the real bytes when None) for ``name``."""
        with self._lock:
            self._corrupted[name] = content

    def served_content(self, name: str, original: bytes) -> bytes:
        with self._lock:
            if name not in self._corrupted:
                return original
            replacement = self._corrupted[name]
        if replacement is not None:
            return replacement
        if not original:
            return b"corrupted"
        # Same length, one byte different: Content-Length still matches, only the hash does not.
        middle = len(original) // 2
        return original[:middle] + bytes([original[middle] ^ 0xFF]) + original[middle + 1:]

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._corrupted.clear()
            self.delay_seconds = 0.0
