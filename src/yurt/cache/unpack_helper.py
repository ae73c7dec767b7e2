"""The helper process's loop: unpack each wheel named on stdin, answer each on stdout (see unpacker.py)."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from yurt.cache.archives import UnsafeArchive, extract_wheel, unpack_into
from yurt.errors import YurtError

READY = "ready"


def serve() -> None:
    """One JSON job a line in (`wheel`, `final`, `name`; or `folder` and `part`), one JSON answer a line out."""
    # Ctrl-C reaches the whole process group: the parent decides what stops, and this process
    # ends when its stdin closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Below yurt's own priority: when the cores are all busy, the resolver (whose answer everything
    # waits for) goes first, and unzipping fills the gaps. Measured: cold installs 5% faster.
    if hasattr(os, "nice"):
        os.nice(10)
    try:
        answer(READY)
        work()
    except BrokenPipeError:
        # yurt finished (or stopped) before it needed this helper: nothing to say, nobody to say it to.
        os._exit(0)


def work() -> None:
    for line in sys.stdin:
        job = json.loads(line)
        try:
            if "part" in job:
                # One share of a large wheel, into a folder the parent renames once all are done.
                extract_wheel(Path(job["wheel"]), Path(job["folder"]), job["name"], tuple(job["part"]))
            else:
                unpack_into(Path(job["wheel"]), Path(job["final"]), job["name"])
            answer({"done": True})
        except UnsafeArchive as error:
            answer({"unsafe": error.message})
        except YurtError as error:
            answer({"error": error.message})
        except OSError as error:
            answer({"error": f"cannot unpack {job['name']}: {error}"})


def answer(message: object) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()
