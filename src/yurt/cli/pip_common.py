"""What the pip commands share: reading requirements, merging their index options, resolving."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from yurt.cli.output import Output, format_duration
from yurt.errors import YurtError
from yurt.settings import Settings

if TYPE_CHECKING:
    from datetime import datetime


def read_manifest(arguments: argparse.Namespace, requirement_files: list[str], packages: list[str] = (),
                  editables: list[str] = ()):
    from yurt.requirements.sources import load_manifest

    stdin_text = sys.stdin.read() if "-" in (*requirement_files, *arguments.constraint_files,
                                             *arguments.override_files) else None
    return load_manifest(
        requirement_files=requirement_files,
        constraint_files=arguments.constraint_files,
        override_files=arguments.override_files,
        arguments=packages,
        editables=editables,
        extras=arguments.extras,
        all_extras=arguments.all_extras,
        groups=arguments.groups,
        stdin_text=stdin_text,
    )


def unconditional_names(manifest) -> list[str]:
    """The names the input requires on every target, in order, each once: their pages come first."""
    return list(dict.fromkeys(line.requirement.name for line in manifest.requirements
                              if line.requirement is not None and line.marker is None))


def merge_manifest_options(settings: Settings, manifest) -> Settings:
    """Index options written in requirements files apply unless a flag or variable set them."""
    changes = {}
    if settings.index_url is None and manifest.index_url:
        changes["index_url"] = manifest.index_url
    extra = tuple(dict.fromkeys(settings.extra_index_urls + manifest.extra_index_urls))
    if extra != settings.extra_index_urls:
        changes["extra_index_urls"] = extra
    links = tuple(dict.fromkeys(settings.find_links + manifest.find_links))
    if links != settings.find_links:
        changes["find_links"] = links
    if manifest.no_index and not settings.no_index:
        changes["no_index"] = True
    hosts = tuple(dict.fromkeys(settings.allow_insecure_hosts + manifest.insecure_hosts))
    if hosts != settings.allow_insecure_hosts:
        changes["allow_insecure_hosts"] = hosts
    return settings._replace(**changes) if changes else settings


def parse_exclude_newer(text: str | None) -> datetime | None:
    if not text:
        return None
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise YurtError(f"`--exclude-newer {text}` is not a date", "use YYYY-MM-DD or an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        # A bare date means the end of that day... as uv reads it: the start of the next is the bound.
        moment = moment.replace(tzinfo=timezone.utc)
    return moment


def resolve_options(arguments: argparse.Namespace, manifest, preferences=None):
    from packaging.utils import canonicalize_name

    from yurt.resolve.options import ResolveOptions

    prerelease = arguments.prerelease or ("allow" if arguments.pre or manifest.pre else "if-necessary-or-explicit")
    no_binary = set(manifest.no_binary) | {canonicalize_name(n) if n != ":all:" else n for n in arguments.no_binary}
    only_binary = set(manifest.only_binary) | {canonicalize_name(n) if n != ":all:" else n for n in arguments.only_binary}
    if getattr(arguments, "no_build", False):
        only_binary = {":all:"}
        no_binary = set()
    return ResolveOptions(
        prerelease=prerelease,
        resolution=arguments.resolution,
        exclude_newer=parse_exclude_newer(arguments.exclude_newer),
        upgrade=arguments.upgrade,
        upgrade_packages=frozenset(canonicalize_name(name) for name in arguments.upgrade_packages),
        preferences=preferences or {},
        no_binary=frozenset(no_binary),
        only_binary=frozenset(only_binary),
        no_deps=getattr(arguments, "no_deps", False),
    )


class LazyBuilder:
    """The source builder, made on first use: most runs build nothing, and its imports
    (pyproject-hooks, tarfile, zipfile, the build frontend) would slow every start."""

    def __init__(self, factory) -> None:
        import threading

        self._factory = factory
        self._builder = None
        # Prefetch threads may ask at once; exactly one builder must exist.
        self._lock = threading.Lock()

    def __getattr__(self, name: str):
        if self._builder is None:
            with self._lock:
                if self._builder is None:
                    self._builder = self._factory()
        return getattr(self._builder, name)


def make_builder(arguments: argparse.Namespace, cache, session, interpreter, options):
    """The source builder of one command, with the user's isolation and config settings."""

    def factory():
        from yurt.build.builder import BuildOptions, SourceBuilder
        from yurt.resolve.options import ResolveOptions

        build_options = BuildOptions(
            isolation=not arguments.no_build_isolation,
            config_settings=tuple(arguments.config_settings),
            # Build environments follow the user's binary policy, not their pins or upgrades.
            resolve_options=ResolveOptions(prerelease=options.prerelease, no_binary=options.no_binary,
                                           only_binary=options.only_binary),
        )
        return SourceBuilder(cache, session, interpreter, build_options)

    return LazyBuilder(factory)


def timed_resolve(manifest, session, target, options, output: Output, builder=None, settings: Settings | None = None,
                  download_ahead: bool = False):
    """Resolve (or reuse the answer to the same question while its pages are fresh) and report it."""
    from yurt.resolve import memo

    started = time.perf_counter()
    key = memo.memo_key(manifest, settings, target, options) if settings is not None else None
    cache = session.client.cache
    resolution = None
    if key:
        # Offline, stale pages are used as they are; so is a resolution made from them.
        resolution = memo.recall(cache, key, float("inf") if settings.offline else settings.index_ttl)
    try:
        if resolution is None:
            # Imported only now: a reused answer needs none of the resolver.
            from yurt.resolve.resolve import resolve

            resolution = resolve(manifest, session, target, options, builder=builder, download_ahead=download_ahead)
            if key:
                memo.remember(cache, key, resolution)
    except YurtError as error:
        from yurt.resolve.solver import NoSolution

        if isinstance(error, NoSolution):
            raise YurtError("no solution found when resolving dependencies:\n" + indent(error.report)) from None
        raise
    count = len(resolution.dists)
    output.status(f"Resolved {count} package{'s' if count != 1 else ''} in {format_duration(time.perf_counter() - started)}")
    return resolution


def indent(text: str) -> str:
    return "\n".join(f"  {line}" if line else "" for line in text.splitlines())
