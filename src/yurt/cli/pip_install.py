"""`yurt pip install` and `yurt pip sync`: check, resolve, prepare, link; a satisfied environment costs almost nothing."""

from __future__ import annotations

import argparse
import os
import time

from yurt.cli.output import Output, format_duration
from yurt.cli.pip_common import (
    make_builder, merge_manifest_options, read_manifest, resolve_options, timed_resolve, unconditional_names,
)
from yurt.settings import Settings


def plural(count: int, word: str = "package") -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def run(arguments: argparse.Namespace, settings: Settings, output: Output) -> int:
    sync = arguments.pip_command == "sync"
    started = time.perf_counter()
    from yurt.cache import Cache
    from yurt.python.environment import find_environment

    cache = Cache(settings.cache_dir)
    if arguments.target or arguments.prefix:
        from pathlib import Path

        from yurt.python.discovery import find_interpreter
        from yurt.python.environment import directory_environment

        environment = directory_environment(
            find_interpreter(settings.python, cache),
            target=Path(arguments.target) if arguments.target else None,
            prefix=Path(arguments.prefix) if arguments.prefix else None,
        )
    else:
        environment = find_environment(
            settings.python, cache, system=arguments.system, break_system_packages=arguments.break_system_packages
        )
    output.status(
        f"Using Python {environment.interpreter.version_text} environment at: {environment.display()}"
    )
    if not sync and flags_allow_fast_path(arguments, settings):
        remembered = recall_verdict(arguments, environment)
        if remembered is not None:
            output.status(f"Checked {plural(remembered)} in {format_duration(time.perf_counter() - started)}")
            return 0
        if environment.is_virtual and install_recalled(arguments, settings, output, environment, cache):
            return 0
    if sync:
        manifest = read_manifest(arguments, arguments.src_files)
    else:
        manifest = read_manifest(arguments, arguments.requirement_files, arguments.packages, arguments.editables)
    if not (manifest.requirements or manifest.editables) and not sync:
        from yurt.errors import YurtError

        raise YurtError("nothing to install", "name packages, or pass `-r requirements.txt`")
    if not sync and fast_path_applies(arguments, settings, manifest):
        checked = check_without_resolving(arguments, manifest, environment)
        if checked is not None:
            output.status(f"Checked {plural(checked)} in {format_duration(time.perf_counter() - started)}")
            return 0
    return install(arguments, settings, output, manifest, environment, cache, sync, started)


def request_of(arguments: argparse.Namespace) -> dict:
    from yurt.install.noop import install_request

    return install_request(arguments.packages, arguments.editables, arguments.requirement_files,
                           arguments.constraint_files, arguments.override_files, arguments.extras,
                           arguments.all_extras, arguments.groups)


def flags_allow_fast_path(arguments: argparse.Namespace, settings: Settings) -> bool:
    """Flags that ask for more than "make sure this is installed" rule the no-op path out."""
    if arguments.upgrade or arguments.upgrade_packages or arguments.reinstall or arguments.reinstall_packages:
        return False
    if arguments.no_deps or settings.refresh or settings.refresh_packages or arguments.dry_run:
        return False
    return "-" not in (*arguments.requirement_files, *arguments.constraint_files, *arguments.override_files)


def fast_path_applies(arguments: argparse.Namespace, settings: Settings, manifest) -> bool:
    from yurt.install.satisfy import fast_path_blockers

    return flags_allow_fast_path(arguments, settings) and fast_path_blockers(manifest) is None


def recall_verdict(arguments: argparse.Namespace, environment) -> int | None:
    """The verdict of the last check, if the command line, its files and the environment are unchanged.

    This costs a few stat calls and one small read: no requirement is parsed, `packaging` is not
    even imported. (`yurt.cli.fast` answers the plainest re-runs this way before argparse.)
    """
    from yurt import log
    from yurt.install import noop

    state = noop.recall(str(environment.root), request_of(arguments))
    if state is None:
        return None
    log.debug("no-op: the input and the environment are unchanged since the last check")
    return state["checked"]


def remember_verdict(arguments: argparse.Namespace, environment, manifest, checked: int) -> None:
    from yurt.install import noop

    if environment.is_virtual:
        noop.remember(str(environment.root), request_of(arguments), environment.site_packages,
                      manifest.source_files, checked, environment.interpreter.version_text)


def install_recalled(arguments, settings, output, environment, cache) -> bool:
    """Into an empty venv, link what the same request gave the last one, while that answer is
    fresh (see yurt/install/recall.py); False, having changed nothing, when it does not apply."""
    from yurt.install import recall

    recall_started = time.perf_counter()
    request = recall.install_request(arguments, settings, environment)
    ttl = float("inf") if settings.offline else settings.index_ttl
    # Under both locks, so neither a `cache clean` nor another install can change the answer.
    with cache.shared_lock(settings.lock_timeout, on_wait=output.waiting_for_cache), \
            environment_lock(environment, cache):
        entry = recall.recall(cache.root, request, environment.site_packages, ttl)
        if entry is None:
            return False
        from pathlib import Path

        from yurt import log
        from yurt.cache import CachedWheel
        from yurt.install import noop

        log.debug("install: the same request gave an empty environment these %d wheels", len(entry["dists"]))
        output.status(f"Resolved {plural(entry['resolved'])} in "
                      f"{format_duration(time.perf_counter() - recall_started)}")
        ready = [
            (recall.RecalledDist(dist["name"], dist["version"]),
             CachedWheel(dist["filename"], Path(dist["archive"]), dist["sha256"], dist["size"]))
            for dist in entry["dists"]
        ]
        plan = recall.RecalledPlan(tuple(dist for dist, _ in ready))
        noop.forget(environment.root)
        apply_plan(settings, output, plan, ready, environment,
                   frozenset(dist["name"] for dist in entry["dists"] if dist["requested"]))
    report_changes(output, plan)
    return True


def remember_install(arguments, settings, environment, cache, manifest, memo_key, plan, requested, downloader) -> None:
    """After an install into an empty venv, keep its wheels for the next empty one (yurt/install/recall.py)."""
    from yurt.cache import RESOLUTIONS
    from yurt.install import recall

    dists = []
    for dist in plan.install:
        wheel = downloader.cached(dist.dist)
        if wheel is None:
            return
        dists.append({"name": dist.name, "version": str(dist.version), "filename": wheel.filename,
                      "archive": str(wheel.archive), "sha256": wheel.sha256, "size": wheel.size,
                      "requested": dist.name in requested})
    recall.remember(cache.root, recall.install_request(arguments, settings, environment), manifest.source_files,
                    cache.bucket(RESOLUTIONS) / f"{memo_key}.msgpack", dists, len(plan.install))


def check_without_resolving(arguments: argparse.Namespace, manifest, environment) -> int | None:
    """The no-op path when nothing was remembered: a walk through the installed METADATA."""
    from yurt.install.satisfy import check_satisfied
    from yurt.install.site_packages import scan

    checked = check_satisfied(manifest, scan(environment.site_packages), environment.interpreter.markers)
    if checked is not None:
        remember_verdict(arguments, environment, manifest, checked)
    return checked


def install(arguments, settings, output, manifest, environment, cache, sync, started) -> int:
    from yurt.cli.progress import download_reporter
    from yurt.index.session import open_session

    settings = merge_manifest_options(settings, manifest)
    with cache.shared_lock(settings.lock_timeout, on_wait=output.waiting_for_cache):
        reporter = download_reporter(output)
        session = open_session(settings, cache, warn=output.warning, reporter=reporter)
        # The pages of the unconditional requirements are needed first: ask for them now, beside
        # the imports and reads below, unless the cache is likely to answer.
        names = unconditional_names(manifest)
        if session.pages_needed(names):
            session.warm_up(names)
            if not arguments.dry_run:
                # Most likely a cold run: the unpack helpers start now, while this process imports
                # on one core and the other is idle, not when the first wheels arrive and both
                # cores are busy.
                session.downloader.unpacker().expect(2)

        def close_bars() -> None:
            if hasattr(reporter, "close"):
                reporter.close()

        def finish() -> None:
            # Stops the downloads the answer did not need, the unpack helpers and the download bars.
            session.close()
            close_bars()

        try:
            return install_with(arguments, settings, output, manifest, environment, cache, sync, started,
                                session, finish, close_bars)
        finally:
            finish()


def install_with(arguments, settings, output, manifest, environment, cache, sync, started, session,
                 finish, close_bars) -> int:
    """Resolve, plan, prepare and link; `finish` ends the session, `close_bars` the download bars."""
    from packaging.version import InvalidVersion, Version

    from yurt.install import noop
    from yurt.install.plan import make_plan
    from yurt.install.prepare import needs_build, prepare, prepare_as_ready
    from yurt.install.site_packages import scan
    from yurt.resolve.target import interpreter_target

    site = scan(environment.site_packages)
    # An install into an empty venv is kept for the next empty one (see install_recalled).
    recallable = (not sync and environment.is_virtual and not site.distributions()
                  and flags_allow_fast_path(arguments, settings))
    preferences = {}
    for dist in site.distributions():
        try:
            preferences[dist.normalized_name] = Version(dist.version)
        except InvalidVersion:
            continue
    options = resolve_options(arguments, manifest, preferences)
    target = interpreter_target(environment.interpreter)
    with environment_lock(environment, cache):
        try:
            builder = make_builder(arguments, cache, session, environment.interpreter, options)
            resolution = timed_resolve(manifest, session, target, options, output, builder, settings,
                                       download_ahead=not arguments.dry_run)
            plan = make_plan(
                resolution, site, sync=sync, reinstall_all=arguments.reinstall,
                reinstall=frozenset(normalize(name) for name in arguments.reinstall_packages),
            )
            if plan.is_empty:
                output.status(f"Checked {plural(len(resolution.dists))} in "
                              f"{format_duration(time.perf_counter() - started)}")
                if not sync and fast_path_applies(arguments, settings, manifest):
                    remember_verdict(arguments, environment, manifest, len(resolution.dists))
                return 0
            if arguments.dry_run:
                report_changes(output, plan, dry_run=True)
                return 0
            noop.forget(environment.root)
            prepare_started = time.perf_counter()

            def report_prepared() -> None:
                # As uv counts: only what had to be downloaded (here or while resolving) or built,
                # not what the cache held.
                fetched = sum(1 for dist in plan.install
                              if needs_build(dist) or dist.dist.filename in session.downloader.fetched)
                if fetched:
                    output.status(f"Prepared {plural(fetched)} in "
                                  f"{format_duration(time.perf_counter() - prepare_started)}")

            if plan.remove or any(needs_build(dist) for dist in plan.install):
                # Builds can fail late and removals must not run ahead of them: all of it first.
                wheels = prepare(plan.install, session, builder)
                report_prepared()
                finish()
                ready = [(dist, wheels[dist.name]) for dist in plan.install]
            else:
                # Index wheels only: each is linked as soon as it is unpacked, once every download
                # is verified (so a bad hash still leaves the environment untouched).
                unpacked = prepare_as_ready(plan.install, session)
                close_bars()

                def prepared() -> None:
                    report_prepared()
                    # Every wheel is unpacked: the helpers can end while the last ones are linked.
                    finish()

                if isinstance(unpacked, list):
                    prepared()
                    ready = unpacked
                else:
                    ready = then(unpacked, prepared)
            requested = requested_names(manifest, plan)
            apply_plan(settings, output, plan, ready, environment, requested)
            if recallable and not any(needs_build(dist) for dist in plan.install):
                from yurt.resolve import memo

                key = memo.memo_key(manifest, settings, target, options)
                if key is not None:
                    remember_install(arguments, settings, environment, cache, manifest, key, plan, requested,
                                     session.downloader)
        finally:
            finish()
    report_changes(output, plan)
    return 0


def then(items, action):
    """Yield from `items`, then run `action` once they are exhausted."""
    yield from items
    action()


def normalize(name: str) -> str:
    from yurt.install.site_packages import normalize_name

    return normalize_name(name)


def environment_lock(environment, cache):
    """One yurt at a time changes an environment: a lock file in the venv (or the cache, for --system)."""
    import contextlib
    import fcntl
    import os
    import zlib

    if environment.is_virtual:
        path = environment.root / ".lock"
    else:
        folder = cache.root / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{zlib.crc32(str(environment.root).encode()):08x}.lock"

    @contextlib.contextmanager
    def held():
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    return held()


# Fewer wheels than this are linked in one process: a fork and its replies would cost more.
SHARED_LINKING_MINIMUM = 4


def requested_names(manifest, plan) -> frozenset[str]:
    """What the user asked for by name or location: these dists get a REQUESTED file."""
    named = {normalize(line.requirement.name) for line in manifest.requirements if line.requirement}
    return frozenset(named | {dist.name for dist in plan.install if dist.source is not None})


def apply_plan(settings, output, plan, ready, environment, requested: frozenset[str]) -> None:
    """Remove, then link each `(dist, wheel)` of `ready` (which may still be arriving)."""
    import itertools

    from yurt import log
    from yurt.install.link import Linker, LinkMode
    from yurt.install.parallel import MOST_TASKS, fork_is_safe
    from yurt.install.wheel import Scheme, install_wheel

    if settings.link_mode == "symlink" and settings.no_cache:
        from yurt.errors import YurtError

        raise YurtError("`--link-mode symlink` cannot be used with `--no-cache`",
                        "the links would point into a cache that is removed at exit")
    if plan.remove:
        from yurt.install.uninstall import uninstall

        removal_started = time.perf_counter()
        for installed in plan.remove:
            uninstall(installed, environment.root, warn=output.warning)
        output.status(f"Uninstalled {plural(len(plan.remove))} in "
                      f"{format_duration(time.perf_counter() - removal_started)}")
    install_started = time.perf_counter()
    if environment.root == environment.interpreter.prefix:
        scheme = Scheme.for_interpreter(environment.interpreter)
    else:
        # --target or --prefix: the environment's folders, with the interpreter's scripts running it.
        scheme = Scheme(prefix=environment.root, purelib=environment.purelib, platlib=environment.platlib,
                        scripts=environment.scripts, data=environment.data, include=environment.include,
                        python=environment.interpreter.executable)
    linker = Linker(LinkMode(settings.link_mode), cache=settings.cache_dir, environment=environment.root,
                    warn=output.warning)
    installed_files = []

    from yurt.cli.progress import step_progress

    waited = 0.0

    def arrivals():
        # Time spent waiting for wheels to be unpacked is the prepare step's, not the install's.
        nonlocal waited
        iterator = iter(ready)
        while True:
            before = time.perf_counter()
            pair = next(iterator, None)
            waited += time.perf_counter() - before
            if pair is None:
                return
            yield pair

    def place(pair):
        dist, wheel = pair
        direct_url = dist.source.direct_url() if dist.source is not None else None
        return install_wheel(wheel.archive, wheel.filename, scheme, linker, requested=dist.name in requested,
                             direct_url=direct_url)

    def start_bar():
        bar = step_progress(output, "Installing wheels", len(plan.install))
        for result in results:
            bar.advance(result.name)
        return bar

    # The first wheel decides the link mode. After it, when every wheel is at hand and nothing
    # else runs, a forked child links beside this process (see yurt/install/parallel.py). Else
    # links and clones, single system calls, go fastest in a plain loop, and copies in one thread
    # per core (see docs/performance.md).
    pairs = arrivals()
    results = [place(pair) for pair in itertools.islice(pairs, 1)]
    rest = list(pairs) if isinstance(ready, list) else pairs
    if isinstance(rest, list) and SHARED_LINKING_MINIMUM <= len(rest) <= MOST_TASKS and linker.mode is not None \
            and fork_is_safe():
        from yurt.install.parallel import SharedTasks

        largest_first = sorted(range(len(rest)), key=lambda index: -rest[index][1].size)
        log.debug("linking %d wheels from two processes", len(rest))
        with SharedTasks(place, rest, largest_first) as tasks:
            # The bar's refresh thread starts only now: a fork with it running would be unsafe.
            progress = start_bar()
            try:
                for index, result in tasks.results():
                    results.append(result)
                    progress.advance(rest[index][0].name)
            finally:
                progress.close()
    else:
        progress = start_bar()
        try:
            if linker.mode is LinkMode.COPY and (os.cpu_count() or 1) > 1:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(max_workers=os.cpu_count(), thread_name_prefix="yurt-copy") as pool:
                    for result in pool.map(place, rest):
                        results.append(result)
                        progress.advance(result.name)
            else:
                for pair in rest:
                    results.append(place(pair))
                    progress.advance(pair[0].name)
        finally:
            progress.close()
    if settings.compile_bytecode:
        from yurt.install.bytecode import compile_bytecode

        for result in results:
            installed_files.extend(result.paths())
        compile_bytecode(environment.interpreter.executable, installed_files)
    output.status(f"Installed {plural(len(plan.install))} in "
                  f"{format_duration(time.perf_counter() - install_started - waited)}")


def report_changes(output: Output, plan, dry_run: bool = False) -> None:
    """One sorted line per change: ` - name==old`, ` + name==new`, ` ~ name==same` for a reinstall."""
    removed = {item.normalized_name: item.version for item in plan.remove}
    lines = []
    for dist in plan.install:
        old = removed.pop(dist.name, None)
        version = str(dist.version)
        if old is not None and old == version:
            lines.append((dist.name, 1, f" ~ {dist.name}=={version}"))
        else:
            if old is not None:
                lines.append((dist.name, 0, f" - {dist.name}=={old}"))
            lines.append((dist.name, 1, f" + {dist.name}=={version}"))
    for name, version in removed.items():
        lines.append((name, 0, f" - {name}=={version}"))
    if dry_run:
        output.status(f"Would change {plural(len(plan.install) + len(removed))}:")
    for _, _, line in sorted(lines):
        styled = line
        if output.color:
            styled = output.style(line[:2], "green" if line[1] == "+" else "red" if line[1] == "-" else "bold") + line[2:]
        output.status(styled)
