"""`yurt pip uninstall`: remove named dists from an environment, whoever installed them."""

from __future__ import annotations

import argparse
import sys
import time

from yurt.cli.output import Output, format_duration
from yurt.cli.pip_inspect import plural, report_environment, source_url
from yurt.errors import YurtError
from yurt.install.site_packages import InstalledDistribution, SitePackages, normalize_name, scan
from yurt.settings import Settings


def run(arguments: argparse.Namespace, settings: Settings, output: Output) -> int:
    from yurt.cache import Cache
    from yurt.cli.pip_install import environment_lock
    from yurt.python.environment import find_environment

    if not (arguments.packages or arguments.requirement_files):
        raise YurtError("nothing to uninstall", "name packages, or pass `-r requirements.txt`")
    lines = requested_lines(arguments)
    cache = Cache(settings.cache_dir)
    environment = find_environment(
        settings.python, cache, system=arguments.system, break_system_packages=arguments.break_system_packages
    )
    report_environment(output, environment)
    with environment_lock(environment, cache):
        chosen = choose(lines, scan(environment.site_packages), output)
        if not chosen:
            output.warning("No packages to uninstall")
            return 0
        if arguments.dry_run:
            output.status(f"Would uninstall {plural(len(chosen))}")
            report(output, [change_line(distribution) for distribution in chosen])
            return 0
        remove(chosen, environment, output)
    return 0


def requested_lines(arguments: argparse.Namespace):
    """The requirement lines of the arguments and of `-r` files (constraints in those files are ignored)."""
    from yurt.requirements.sources import load_manifest

    stdin_text = sys.stdin.read() if "-" in arguments.requirement_files else None
    manifest = load_manifest(
        requirement_files=arguments.requirement_files, arguments=arguments.packages, stdin_text=stdin_text
    )
    return (*manifest.requirements, *manifest.editables)


def choose(lines, site: SitePackages, output: Output) -> list[InstalledDistribution]:
    """Every installed dist a line names (all of them, if a name is installed twice), warning about the rest.

    A line without a name (a local folder) names the dist installed from that folder's URL.
    """
    chosen: dict[str, InstalledDistribution] = {}
    warned: set[str] = set()
    for line in lines:
        if line.name is not None:
            found = site.find(line.name)
            label = line.name
        else:
            found = [
                distribution for distribution in site.distributions()
                if (distribution.direct_url() or {}).get("url") == line.reference.url
            ]
            label = line.text
        if not found:
            key = normalize_name(label) if line.name is not None else label
            if key not in warned:
                warned.add(key)
                output.warning(f"Skipping {label} as it is not installed")
        for distribution in found:
            chosen.setdefault(str(distribution.path), distribution)
    return list(chosen.values())


def remove(chosen: list[InstalledDistribution], environment, output: Output) -> None:
    """Uninstall one dist after another; if one fails, report those already gone before the error."""
    from yurt.install import noop
    from yurt.install.uninstall import uninstall

    # Described first: once a dist is removed, its direct_url.json is gone too.
    described = [(distribution, change_line(distribution)) for distribution in chosen]
    # The environment is about to change: a remembered "already satisfied" verdict no longer holds.
    noop.forget(environment.root)
    started = time.perf_counter()
    removed: list[str] = []
    try:
        for distribution, line in described:
            uninstall(distribution, environment.root, warn=output.warning)
            removed.append(line)
    finally:
        if removed:
            output.status(f"Uninstalled {plural(len(removed))} in {format_duration(time.perf_counter() - started)}")
            report(output, removed)


def change_line(distribution: InstalledDistribution) -> str:
    """` - name==version`, with `(from url)` for a dist installed from a URL or a folder."""
    line = f" - {distribution.normalized_name}=={distribution.version}"
    direct_url = distribution.direct_url()
    url = source_url(direct_url) if direct_url else None
    return f"{line} (from {url})" if url is not None else line


def report(output: Output, lines: list[str]) -> None:
    for line in sorted(lines):
        output.status(output.style(line[:2], "red") + line[2:] if output.color else line)
