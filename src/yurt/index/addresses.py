"""Look up each host's addresses once per run, however many threads open connections to it."""

from __future__ import annotations

import socket
import threading
from concurrent.futures import Future

# Why: urllib3 looks a host up for every new connection, so a cold install that opens 16
# connections at once asks the system resolver the same question 16 times in parallel. On
# resolvers that drop some of a burst of parallel queries (seen here: 23 of 24), each dropped
# lookup waits for the stub resolver's 5 s retry, and the whole resolve stalls with it.
# One answer per (host, port, family, type) for the life of the process removes the burst.

_lookup = socket.getaddrinfo
_answers: dict[tuple, Future] = {}
_lock = threading.Lock()


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's own names
    """`socket.getaddrinfo`, answered once per question; a failed lookup is asked again next time."""
    key = (host, port, family, type, proto, flags)
    with _lock:
        answer = _answers.get(key)
        asking = answer is None
        if asking:
            answer = _answers[key] = Future()
    if not asking:
        return answer.result()
    try:
        result = _lookup(host, port, family, type, proto, flags)
    except BaseException as error:
        with _lock:
            del _answers[key]
        answer.set_exception(error)
        raise
    answer.set_result(result)
    return result


def share_lookups() -> None:
    """Route the process's address lookups (urllib3 makes them through `socket`) through the cache."""
    socket.getaddrinfo = getaddrinfo
