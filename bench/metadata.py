"""Time fetching the core metadata of every pinned dist of a workload, from a cold and a warm cache.

    python bench/metadata.py [../shared/workloads/trio-docs.in] [--rounds N]

The pins come from `uv pip compile` of the workload, run now against the same index. yurt's index
layer then asks, for each pin, for the project page and the metadata of the wheel the running
interpreter would install: once with an empty cache (cold) and once more with the cache it left
(warm, a fresh process-like session). Reports wall time and HTTP requests for both.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIRECTORY = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIRECTORY.parent / "src"))
sys.path.insert(0, str(BENCH_DIRECTORY.parent))

from bench import tools  # noqa: E402
from yurt.cache import Cache  # noqa: E402
from yurt.index.session import open_session  # noqa: E402
from yurt.python.discovery import find_interpreter  # noqa: E402
from yurt.settings import Settings  # noqa: E402
from yurt.spec.filenames import parse_wheel_filename  # noqa: E402
from yurt.spec.tags import interpreter_tags  # noqa: E402

DEFAULT_WORKLOAD = BENCH_DIRECTORY.parent.parent / "shared" / "workloads" / "trio-docs.in"


def uv_pins(workload: Path) -> list[tuple[str, str]]:
    tool_venv = tools.ensure_tool_venv(quiet=True)
    with tempfile.TemporaryDirectory() as cache:
        completed = subprocess.run(
            [str(tool_venv.uv), "pip", "compile", "--no-header", "--no-annotate", "--python", sys.executable,
             "--cache-dir", cache, str(workload)],
            capture_output=True, text=True, env=tools.clean_pip_environment(), check=True,
        )
    pins = []
    for line in completed.stdout.splitlines():
        if "==" in line and not line.startswith("#"):
            name, _, version = line.split(";")[0].strip().partition("==")
            pins.append((name.strip(), version.strip()))
    return pins


def fetch_all(cache_dir: Path, pins: list[tuple[str, str]], tags) -> tuple[float, int, list[str]]:
    settings = Settings(cache_dir=cache_dir, sources={})
    started = time.perf_counter()
    session = open_session(settings, Cache(cache_dir))
    rungs = []
    from concurrent.futures import ThreadPoolExecutor

    def one(pin: tuple[str, str]) -> str:
        name, version = pin
        dists = session.client.project_files(name)
        wheels = []
        for dist in dists:
            if dist.filename.endswith(".whl"):
                parsed = parse_wheel_filename(dist.filename)
                priority = tags.best_priority(parsed.tags)
                if str(parsed.version) == version and priority is not None:
                    wheels.append((priority, dist))
        if not wheels:
            return f"{name}=={version}: no compatible wheel"
        dist = min(wheels, key=lambda item: item[0])[1]
        session.metadata.wheel_metadata(dist)
        return ""

    with ThreadPoolExecutor(max_workers=16) as pool:
        rungs = [message for message in pool.map(one, pins) if message]
    elapsed = time.perf_counter() - started
    requests = session.http.request_count
    session.close()
    return elapsed, requests, rungs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", nargs="?", type=Path, default=DEFAULT_WORKLOAD)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    pins = uv_pins(options.workload)
    print(f"{len(pins)} pins from uv pip compile of {options.workload.name}")
    tags = interpreter_tags(find_interpreter(None, None))
    cold_times, warm_times = [], []
    for _ in range(options.rounds):
        with tempfile.TemporaryDirectory(prefix="yurt-bench-cache-") as cache:
            cold, cold_requests, problems = fetch_all(Path(cache), pins, tags)
            warm, warm_requests, _ = fetch_all(Path(cache), pins, tags)
        cold_times.append(cold)
        warm_times.append(warm)
    for problem in problems:
        print(f"  note: {problem}")
    print(f"cold: median {statistics.median(cold_times) * 1000:.0f} ms, {cold_requests} requests")
    print(f"warm: median {statistics.median(warm_times) * 1000:.1f} ms, {warm_requests} requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
