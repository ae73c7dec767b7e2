"""Turn the dists of a plan into unpacked wheels in the cache: download index wheels, build the rest."""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from yurt.cache import CachedWheel
from yurt.dists import ResolvedDist
from yurt.errors import YurtError


def needs_build(dist: ResolvedDist) -> bool:
    """Direct references and registry sdists go through the builder; index wheels are downloaded."""
    return dist.source is not None or not dist.is_wheel


def prepare(dists: Sequence[ResolvedDist], session, builder) -> dict[str, CachedWheel]:
    """Every dist's unpacked wheel, by normalized name.

    Builds run in parallel up to the core count (they are CPU-bound subprocesses), while the
    downloads go on beside them.
    """
    to_build = [dist for dist in dists if needs_build(dist)]
    to_download = [dist for dist in dists if not needs_build(dist)]
    if to_build and builder is None:
        names = ", ".join(f"{dist.name}=={dist.version}" for dist in to_build)
        raise YurtError(f"these need a build, and building is off here: {names}")
    wheels: dict[str, CachedWheel] = {}
    if not to_build:
        fetched = session.downloader.fetch_all([dist.dist for dist in to_download])
        return {dist.name: fetched[dist.dist.filename] for dist in to_download}
    with ThreadPoolExecutor(max_workers=min(os.cpu_count() or 1, len(to_build)),
                            thread_name_prefix="yurt-build") as pool:
        futures = {dist.name: pool.submit(builder.wheel_for, dist) for dist in to_build}
        try:
            fetched = session.downloader.fetch_all([dist.dist for dist in to_download])
        except BaseException:
            for future in futures.values():
                future.cancel()
            raise
        wheels.update((dist.name, fetched[dist.dist.filename]) for dist in to_download)
        # The first failure in the order of the plan is raised, after the other builds finish.
        wheels.update((name, future.result()) for name, future in futures.items())
    return wheels


def prepare_as_ready(dists: Sequence[ResolvedDist], session):
    """For a plan of index wheels only: every download verified now, then an iterator of
    `(dist, wheel)` pairs as each wheel is unpacked, so linking overlaps with unzipping the rest
    (a list when the cache already held every wheel).

    Since every hash is checked before this returns, a mismatch still stops the install before
    anything is written into the environment.
    """
    if any(needs_build(dist) for dist in dists):
        raise ValueError("prepare_as_ready takes index wheels only")
    downloader = session.downloader
    # Nothing is built after this: what the resolver fetched ahead and the plan left out can stop.
    downloader.keep_only(frozenset(dist.dist.filename for dist in dists))
    in_cache = []
    for dist in dists:
        wheel = downloader.fetch_cached(dist.dist)
        if wheel is None:
            break
        in_cache.append((dist, wheel))
    else:
        # A warm install: every tree is in the cache, and threads would only add their start-up.
        # A list says so to the caller, which can then link from two processes.
        return in_cache
    downloader.download_all([dist.dist for dist in dists])
    by_file = {dist.dist.filename: dist for dist in dists}
    return ((by_file[dist_file.filename], wheel)
            for dist_file, wheel in downloader.fetch_as_ready([dist.dist for dist in dists]))
