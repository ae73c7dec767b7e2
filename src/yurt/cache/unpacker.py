"""Decide where each wheel is unzipped: in helper processes, here only when none is started."""

from __future__ import annotations

import atexit
import heapq
import itertools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from yurt import log
from yurt.cache.archives import UnsafeArchive, extract_wheel, staging_for, unpack_into
from yurt.cache.unpack_helper import READY
from yurt.errors import YurtError

# Why helper processes: an unzip is zlib, file creation and a little Python per member. In
# threads, that little Python competes with the resolver for the GIL: a cold install that unzips
# while it resolves (see Downloader.fetch_ahead) resolved about 40% slower, which ate the gain of
# unzipping early. A helper runs the same code on another core. It takes some 30 ms to start; the
# helpers start as soon as two wheels are on their way, and a wheel that arrives before they are up
# waits for them: unzipping it here instead, against the downloads for the GIL, measured slower
# (cold trio-docs 936 ms against 873 ms). A one-wheel install never starts them.
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
# Wheels at least this large are unzipped by every helper at once, each taking a share of the
# members: the largest wheel, downloaded last, is what a cold install ends waiting for (babel's
# 10.7 MB took 190 ms on one helper).
SPLIT_SIZE = 2 * 1024 * 1024
# The place in the helper queue of a split wheel's shares: before every whole wheel.
SHARES_FIRST = sys.maxsize
# The helper finds yurt where this process found it, and its optional imports (ISA-L's inflate, see
# archives.py) along this process's own path: -S below leaves site-packages out of its default one.
SERVE = (f"import sys; sys.path[:0] = {[PACKAGE_ROOT] + [entry for entry in sys.path if entry]!r}; "
         "from yurt.cache.unpack_helper import serve; serve()")


class UnpackCancelled(YurtError):
    """The unpacker was closed while a wheel waited for a helper."""


class Helper:
    """One helper process and its pipes; used by one thread at a time."""

    def __init__(self) -> None:
        # -I: no PYTHON* variables or user site; -S: no site-packages, whose .pth files cost tens
        # of milliseconds on some interpreters. The helper needs the standard library and yurt.
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", SERVE],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
        )

    def wait_until_ready(self) -> bool:
        try:
            return json.loads(self.process.stdout.readline() or "null") == READY
        except (OSError, ValueError):
            return False

    def run(self, job: dict) -> dict:
        """Send one job (see unpack_helper.work) and wait for its answer."""
        self.process.stdin.write(json.dumps(job) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline() or "null")
        if not isinstance(answer, dict):
            raise OSError("the helper process ended")
        return answer

    def close(self) -> None:
        # No wait here: the helper ends by itself once its stdin closes, while yurt links; it is
        # reaped at exit (see reap), so its CPU time is counted as yurt's own children's.
        try:
            self.process.stdin.close()
        except OSError:
            pass
        with CLOSED_LOCK:
            if not CLOSED:
                atexit.register(reap)
            CLOSED.append(self.process)


CLOSED: list[subprocess.Popen] = []
CLOSED_LOCK = threading.Lock()


def reap() -> None:
    """Wait for the helpers this process closed (they are done by now, or nearly)."""
    for process in CLOSED:
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()


class Unpacker:
    """Unzips wheels into the cache for one run, with up to `helpers` helper processes."""

    def __init__(self, helpers: int | None = None) -> None:
        cores = os.cpu_count() or 1
        self.helper_count = cores if helpers is None else helpers
        self._lock = threading.Lock()
        self._idle: list[Helper] = []
        self._started: list[Helper] = []
        self._live = 0
        # Helpers started and not yet up (or failed): wheels wait for them rather than unzip here.
        self._starting = 0
        self._requests = 0
        # Threads waiting for a helper, as (place, sequence, waiter): a freed helper is handed to
        # the first, so only that thread wakes. Places are (-size, arrival): the largest wheel goes
        # first, since the largest, unzipped last, is what a cold install ends waiting for.
        self._waiting: list[tuple[tuple[int, int], int, _Waiter]] = []
        self._sequence = itertools.count()
        self._closed = False
        # Display names of the wheels still worth unzipping, once the plan is known (keep_only).
        self._kept: frozenset[str] | None = None
        # Unzips in this process at once: more threads than cores only fight over the GIL.
        self._here = threading.BoundedSemaphore(cores)

    @property
    def helpers_ready(self) -> int:
        """Helper processes up and working."""
        with self._lock:
            return self._live

    def expect(self, wheels: int) -> None:
        """`wheels` are on their way: with two or more, start the helpers now, so they are up when
        the first downloads end instead of some 30 ms after."""
        if wheels >= 2:
            with self._lock:
                self._start_helpers()

    def keep_only(self, names: frozenset[str]) -> None:
        """From now on, unzip only wheels with these display names: any other is stopped
        (UnpackCancelled) before it takes a helper."""
        with self._lock:
            self._kept = names

    def unpack(self, wheel: Path, final: Path, name: str) -> None:
        """Unzip `wheel` into `final` (atomically, see archives.unpack_into); a large wheel is split
        among the helpers, each unzipping a share of its members into one folder."""
        try:
            size = os.path.getsize(wheel)
        except OSError:
            size = 0
        count = self.helper_count
        if size < SPLIT_SIZE or count < 2:
            job = {"wheel": str(wheel), "final": str(final), "name": name}
            self._run((-size, self._arrival()), lambda: (job, lambda: unpack_into(wheel, final, name)))
            return
        if final.is_dir():
            return
        # Shared by the helpers even when it is the only wheel: start them if this is the first.
        self.expect(count)
        with staging_for(final) as folder:
            # One thread per helper claims shares until none is left. Shares wait for a helper
            # before every whole wheel (and in the order their wheels came): a share claimed
            # while every helper is busy gets the first one freed, often by its own wheel's other
            # share, so one wheel's shares run back to back rather than apart.
            place = (-SHARES_FIRST, self._arrival())
            shares = iter(range(count))
            claims = threading.Lock()
            failures: list[BaseException] = []

            def claim_share():
                with claims:
                    number = None if failures else next(shares, None)
                if number is None:
                    return None
                job = {"wheel": str(wheel), "folder": str(folder), "name": name, "part": [number, count]}
                return job, lambda: extract_wheel(wheel, folder, name, (number, count))

            def unpack_shares() -> None:
                try:
                    while self._run(place, claim_share):
                        pass
                except BaseException as error:  # noqa: BLE001 - raised by the calling thread below
                    with claims:
                        failures.append(error)

            others = [threading.Thread(target=unpack_shares, daemon=True, name="yurt-unpack-share")
                      for _ in range(1, count)]
            for thread in others:
                thread.start()
            unpack_shares()
            for thread in others:
                thread.join()
            if failures:
                raise failures[0]

    def _run(self, place: tuple[int, int], claim) -> bool:
        """Claim a job, then run it on a free helper (waiting at `place` in the queue), or here when
        none is up or it fails. `claim()` gives the job and the function that does it here, or None
        when nothing is left: then this returns False without waiting."""
        claimed = claim()
        if claimed is None:
            return False
        job, here = claimed
        self._check_wanted(job["name"])
        helper = self._take(place)
        if helper is None and self._closed:
            # The run is over (a wheel fetched ahead that the answer did not need): unzipping it
            # here now would only race the interpreter's exit.
            raise UnpackCancelled(f"unpacking {job['name']} was stopped: the run ended")
        if helper is not None and not self._wanted(job["name"]):
            # Withdrawn while it waited: the helper goes to the next waiter.
            self._give_back(helper)
            helper = None
        self._check_wanted(job["name"])
        answer = None
        if helper is not None:
            try:
                answer = helper.run(job)
            except (OSError, ValueError) as error:
                log.debug("unpack helper failed (%s): unpacking %s here", error, job["name"])
                self._lose(helper)
            else:
                self._give_back(helper)
        if answer is None:
            with self._here:
                here()
            return True
        if "unsafe" in answer:
            raise UnsafeArchive(answer["unsafe"])
        if "error" in answer:
            raise YurtError(answer["error"])
        return True

    def _wanted(self, name: str) -> bool:
        kept = self._kept
        return kept is None or name in kept

    def _check_wanted(self, name: str) -> None:
        if not self._wanted(name):
            raise UnpackCancelled(f"unpacking {name} was stopped: the install does not need it")

    def _arrival(self) -> int:
        with self._lock:
            self._requests += 1
            # Helpers from the second wheel on: a one-wheel install does not pay for starting them.
            if self._requests >= 2:
                self._start_helpers()
            return self._requests

    def _take(self, place: tuple[int, int]) -> Helper | None:
        """A free helper; None (unpack here, or stop if closed) when none is up or starting.
        Otherwise wait for a free one, letting the waiters with a smaller `place` (larger wheels,
        then earlier ones) go first."""
        with self._lock:
            if (self._live == 0 and self._starting == 0) or self._closed:
                return None
            if self._idle and (not self._waiting or place <= self._waiting[0][0]):
                return self._idle.pop()
            waiter = _Waiter()
            heapq.heappush(self._waiting, (place, next(self._sequence), waiter))
        waiter.handed.wait()
        return waiter.helper

    def _hand_over(self, helper: Helper) -> None:
        """Give a free helper to the first waiter, or keep it idle (called under the lock)."""
        if self._waiting:
            _, _, waiter = heapq.heappop(self._waiting)
            waiter.helper = helper
            waiter.handed.set()
        else:
            self._idle.append(helper)

    def _release_waiters(self) -> None:
        """Wake every waiter with no helper: to unpack in this process, or to stop if closed
        (called under the lock)."""
        for _, _, waiter in self._waiting:
            waiter.handed.set()
        self._waiting = []

    def _start_helpers(self) -> None:
        """Start the helpers, once (called under the lock)."""
        if self._started or self._closed:
            return
        for _ in range(max(0, self.helper_count)):
            try:
                helper = Helper()
            except OSError as error:
                log.debug("cannot start an unpack helper: %s", error)
                return
            self._started.append(helper)
            self._starting += 1
            threading.Thread(target=self._welcome, args=(helper,), daemon=True,
                             name="yurt-unpack-helper").start()

    def _welcome(self, helper: Helper) -> None:
        ready = helper.wait_until_ready()
        with self._lock:
            self._starting -= 1
            if ready and not self._closed:
                self._live += 1
                self._hand_over(helper)
                return
            if self._live == 0 and self._starting == 0:
                self._release_waiters()
        helper.close()

    def _give_back(self, helper: Helper) -> None:
        with self._lock:
            self._hand_over(helper)

    def _lose(self, helper: Helper) -> None:
        helper.close()
        with self._lock:
            self._live -= 1
            if self._live == 0 and self._starting == 0:
                self._release_waiters()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            helpers, self._started, self._idle = self._started, [], []
            self._release_waiters()
        for helper in helpers:
            helper.close()


class _Waiter:
    """A thread waiting for a helper: woken with one handed to it, or with None to unpack itself."""

    __slots__ = ("handed", "helper")

    def __init__(self) -> None:
        self.handed = threading.Event()
        self.helper: Helper | None = None
