"""Tasks shared with a forked child: each done once, results and errors back in the parent."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from yurt.errors import YurtError
from yurt.install.parallel import SharedTasks, fork_is_safe

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def run_all(function, items, order=None):
    with SharedTasks(function, items, list(order if order is not None else range(len(items)))) as tasks:
        return list(tasks.results())


def slow_double(item: int) -> tuple[int, int]:
    # Long enough that the child, which starts a moment later, gets a share of the tasks.
    time.sleep(0.02)
    return os.getpid(), item * 2


def test_every_task_runs_once_and_both_processes_share_them():
    items = list(range(40))
    results = run_all(slow_double, items, order=reversed(range(40)))
    assert sorted(index for index, _ in results) == items
    assert all(value == items[index] * 2 for index, (_, value) in results)
    workers = {pid for _, (pid, _) in results}
    assert os.getpid() in workers
    assert len(workers) == 2


def test_large_results_cross_the_pipe_whole():
    # Each reply is larger than a pipe's buffer, so the child blocks until the parent reads.
    results = run_all(lambda item: (os.getpid(), bytes([item]) * 200_000), list(range(6)))
    assert sorted(index for index, _ in results) == list(range(6))
    assert all(data == bytes([index]) * 200_000 for index, (_, data) in results)


def test_an_error_in_the_child_reaches_the_parent_with_its_hints():
    parent = os.getpid()

    def fail_in_child(item: int) -> int:
        time.sleep(0.01)
        if os.getpid() != parent:
            raise YurtError(f"task {item} failed", "a hint")
        return item

    with pytest.raises(YurtError) as raised:
        run_all(fail_in_child, list(range(30)))
    assert raised.value.message.startswith("task ")
    assert raised.value.hints == ("a hint",)


def test_an_error_in_the_parent_stops_the_child_taking_tasks():
    parent = os.getpid()
    seen_by_child = []

    def fail_in_parent(item: int) -> int:
        if os.getpid() == parent:
            raise ValueError("parent failed")
        time.sleep(0.01)
        return item

    with pytest.raises(ValueError, match="parent failed"):
        with SharedTasks(fail_in_parent, list(range(200)), list(range(200))) as tasks:
            for _, result in tasks.results():
                seen_by_child.append(result)
    # The parent drained the queue at its first task: the child did at most a few of the 200.
    assert len(seen_by_child) < 50


def test_a_killed_child_is_an_error_not_a_silent_gap():
    parent = os.getpid()

    def killed_in_child(item: int) -> int:
        time.sleep(0.01)
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return item

    with pytest.raises(YurtError, match="stopped before finishing"):
        run_all(killed_in_child, list(range(30)))


def test_forking_is_not_safe_while_another_thread_runs():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not fork_is_safe()
    finally:
        stop.set()
        thread.join()
    assert fork_is_safe() == ((os.cpu_count() or 1) > 1 and os.uname().sysname == "Linux")
