"""Share a list of tasks between this process and one forked child, each taking the next from a pipe."""

from __future__ import annotations

import os
import pickle
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from yurt import log
from yurt.errors import YurtError

# A task number on the task pipe, and the length in front of each message on the result pipe.
NUMBER = struct.Struct(">I")
# Every task number is written into the pipe before the fork, so all of them must fit its buffer
# (64 KiB on Linux, 16,384 numbers) or the write would block with no reader yet.
MOST_TASKS = 4096


def fork_is_safe() -> bool:
    """A fork copies only the calling thread: safe on Linux while no other thread may hold a lock.

    Linking is system calls, which Python threads cannot run side by side for long: the GIL comes
    back between each. Two processes can, and on two cores they link about twice as fast.
    """
    return (
        sys.platform == "linux"
        and hasattr(os, "fork")
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1
    )


class SharedTasks:
    """Runs `function` on every item, in this process and in one forked child at once.

    Both take the next task number from one pipe, so a process that drew small tasks simply
    takes more of them. Reads of 4 bytes from a pipe are atomic, so each task is taken once.
    The child sends each result (or its first error) back pickled and ends with `os._exit`, so
    no exit handler and no buffered output of the parent runs twice. On the first error either
    side takes no new task; the other finishes the one it holds, and the error is raised.

    Use it as a context manager: entering forks, `results()` yields `(index, result)` as tasks end
    in either process, and leaving waits for the child.
    """

    def __init__(self, function: Callable[[Any], Any], items: Sequence[Any], order: Sequence[int]) -> None:
        if len(order) > MOST_TASKS:
            raise ValueError(f"at most {MOST_TASKS} tasks can be shared")
        self.function = function
        self.items = items
        self.order = order
        self.child = 0
        self.tasks = -1
        self.replies = -1
        self.buffer = b""
        self.child_finished = False

    def __enter__(self) -> SharedTasks:
        read_tasks, write_tasks = os.pipe()
        os.write(write_tasks, b"".join(NUMBER.pack(index) for index in self.order))
        os.close(write_tasks)
        read_replies, write_replies = os.pipe()
        # The child must not inherit output the parent has buffered: it would be written twice.
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        child = os.fork()
        if child == 0:
            os.close(read_replies)
            self._serve(read_tasks, write_replies)
        os.close(write_replies)
        self.child, self.tasks, self.replies = child, read_tasks, read_replies
        return self

    def __exit__(self, *exception_info) -> None:
        # Whatever happened here, the child takes no new task, finishes its own, and is waited for.
        self._drain_tasks()
        try:
            while not self.child_finished:
                self._receive(block=True)
        finally:
            os.close(self.tasks)
            os.close(self.replies)
            os.waitpid(self.child, 0)

    def results(self) -> Iterator[tuple[int, Any]]:
        """`(index, result)` for every task, the parent's as it does them, the child's as they arrive."""
        failure: BaseException | None = None
        done = 0
        while failure is None:
            index = self._take()
            if index is None:
                break
            yield index, self.function(self.items[index])
            done += 1
            answered, failure = self._until_failure(self._receive(block=False))
            done += len(answered)
            yield from answered
        while failure is None and not self.child_finished:
            answered, failure = self._until_failure(self._receive(block=True))
            done += len(answered)
            yield from answered
        if failure is None and done < len(self.order):
            # The child took tasks and ended without answering for them: it was killed.
            failure = YurtError(f"a worker process stopped before finishing {len(self.order) - done} of its tasks")
        if failure is not None:
            self._drain_tasks()
            raise failure

    @staticmethod
    def _until_failure(replies: list[Any]) -> tuple[list[tuple[int, Any]], BaseException | None]:
        """The child's results before its first error, and that error."""
        for position, reply in enumerate(replies):
            if isinstance(reply, BaseException):
                return replies[:position], reply
        return replies, None

    # ---------------------------------------------------------------- both sides

    def _take(self) -> int | None:
        data = os.read(self.tasks, NUMBER.size)
        return NUMBER.unpack(data)[0] if data else None

    def _drain_tasks(self) -> None:
        while os.read(self.tasks, 4096):
            pass

    # ---------------------------------------------------------------- the child

    def _serve(self, tasks: int, replies: int) -> None:
        """Take tasks until none is left or one fails; never returns."""
        self.tasks = tasks
        status = 0
        try:
            while (index := self._take()) is not None:
                try:
                    reply: object = (index, self.function(self.items[index]))
                except BaseException as error:  # noqa: BLE001 - every failure goes back to the parent
                    reply = error
                self._send(replies, reply)
                if isinstance(reply, BaseException):
                    break
        except BaseException:  # noqa: BLE001 - a broken pipe: the parent is gone or failed
            status = 1
        finally:
            os._exit(status)

    @staticmethod
    def _send(replies: int, reply: object) -> None:
        try:
            data = pickle.dumps(reply)
        except Exception:  # noqa: BLE001 - an error that cannot be pickled still reaches the parent
            data = pickle.dumps(YurtError(str(reply)))
        message = NUMBER.pack(len(data)) + data
        while message:
            message = message[os.write(replies, message):]

    # ---------------------------------------------------------------- the parent

    def _receive(self, *, block: bool) -> list[Any]:
        """The child's complete replies so far (waiting for at least one when `block`)."""
        os.set_blocking(self.replies, block)
        try:
            data = os.read(self.replies, 1 << 16)
        except BlockingIOError:
            data = None
        if data == b"":
            self.child_finished = True
            if self.buffer:
                log.debug("the linking process ended in the middle of a reply")
        elif data:
            self.buffer += data
        replies = []
        while len(self.buffer) >= NUMBER.size:
            (length,) = NUMBER.unpack_from(self.buffer)
            if len(self.buffer) < NUMBER.size + length:
                break
            replies.append(pickle.loads(self.buffer[NUMBER.size:NUMBER.size + length]))
            self.buffer = self.buffer[NUMBER.size + length:]
        return replies
