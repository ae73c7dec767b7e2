"""`yurt pip list` and `yurt pip freeze`: the installed dists as a table, JSON, or requirement lines."""

from __future__ import annotations

import argparse

from yurt.cli.output import Output
from yurt.cli.pip_inspect import editable_location, find_readable_environment, report_environment, sort_key, source_url
from yurt.errors import YurtError
from yurt.install.site_packages import EGG_LINK, InstalledDistribution, normalize_name, scan
from yurt.settings import Settings


def run(arguments: argparse.Namespace, settings: Settings, output: Output) -> int:
    listing = arguments.pip_command == "list"
    if listing and arguments.outdated and arguments.format == "freeze":
        raise YurtError("`--outdated` cannot be used with `--format freeze`")
    if listing and arguments.editable and arguments.exclude_editable:
        raise YurtError("`--editable` cannot be used with `--exclude-editable`")
    environment = find_readable_environment(arguments, settings)
    report_environment(output, environment)
    distributions = select(
        scan(environment.site_packages).distributions(), excluded=arguments.exclude,
        exclude_editable=arguments.exclude_editable, only_editable=listing and arguments.editable,
    )
    if not listing:
        for distribution in distributions:
            output.data(freeze_line(distribution))
        return 0
    rows = [row_of(distribution) for distribution in distributions]
    if arguments.outdated:
        rows = outdated_rows(rows, distributions, settings, environment, output)
    if arguments.format == "json":
        import json

        output.data(json.dumps(rows, separators=(",", ":")))
    elif arguments.format == "freeze":
        for row in rows:
            output.data(f"{row['name']}=={row['version']}")
    else:
        for line in table(rows):
            output.data(line)
    return 0


def select(distributions: list[InstalledDistribution], *, excluded: list[str], exclude_editable: bool,
           only_editable: bool) -> list[InstalledDistribution]:
    excluded_names = {normalize_name(name) for name in excluded}
    selected = []
    for distribution in sorted(distributions, key=sort_key):
        if distribution.normalized_name in excluded_names:
            continue
        if (exclude_editable or only_editable) and distribution.editable() != only_editable:
            continue
        selected.append(distribution)
    return selected


def freeze_line(distribution: InstalledDistribution) -> str:
    """`name==version`, `-e /path/to/project` for an editable, `name @ url` for a URL or VCS install."""
    location = editable_location(distribution)
    if location is not None:
        return f"-e {location}"
    if distribution.kind != EGG_LINK:
        direct_url = distribution.direct_url()
        url = source_url(direct_url) if direct_url else None
        if url is not None:
            return f"{distribution.normalized_name} @ {url}"
    return f"{distribution.normalized_name}=={distribution.version}"


def row_of(distribution: InstalledDistribution) -> dict:
    row = {"name": distribution.normalized_name, "version": distribution.version}
    location = editable_location(distribution)
    if location is not None:
        row["editable_project_location"] = location
    return row


COLUMNS = (
    ("name", "Package"),
    ("version", "Version"),
    ("latest_version", "Latest"),
    ("latest_filetype", "Type"),
    ("editable_project_location", "Editable project location"),
)


def table(rows: list[dict]) -> list[str]:
    """Left-aligned columns under a header and a dashed rule; a column only when some row fills it."""
    if not rows:
        return []
    columns = [(key, title) for key, title in COLUMNS if any(key in row for row in rows)]
    cells = [[title for _, title in columns]] + [[str(row.get(key, "")) for key, _ in columns] for row in rows]
    widths = [max(len(line[index]) for line in cells) for index in range(len(columns))]

    def joined(line: list[str]) -> str:
        return " ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip()

    return [joined(cells[0]), " ".join("-" * width for width in widths), *(joined(line) for line in cells[1:])]


def outdated_rows(rows: list[dict], distributions: list[InstalledDistribution], settings: Settings,
                  environment, output: Output) -> list[dict]:
    """The rows of dists the index has a newer release of, with `latest_version` and `latest_filetype`.

    Dists installed from a URL, a folder or a VCS are left out: an index release does not replace them.
    """
    from packaging.version import InvalidVersion, Version

    from yurt.cache import Cache

    from_index = {}
    for row, distribution in zip(rows, distributions):
        if distribution.kind == EGG_LINK or distribution.direct_url() is not None:
            continue
        try:
            from_index[distribution.normalized_name] = (row, Version(distribution.version))
        except InvalidVersion:
            continue
    if not from_index:
        return []
    cache = Cache(settings.cache_dir)
    with cache.shared_lock(settings.lock_timeout, on_wait=output.waiting_for_cache):
        latest = latest_releases(sorted(from_index), settings, cache, environment, output)
    result = []
    for name, (row, installed) in from_index.items():
        found = latest.get(name)
        if found is not None and found[0] > installed:
            result.append({**row, "latest_version": str(found[0]), "latest_filetype": found[1]})
    return sorted(result, key=lambda row: row["name"])


def latest_releases(names: list[str], settings: Settings, cache, environment, output: Output) -> dict:
    """Name -> (newest final release with a file this interpreter can install, "wheel" or "sdist").

    The project pages are fetched in parallel; the index layer's HTTP cache answers repeated runs.
    """
    from concurrent.futures import ThreadPoolExecutor

    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import Version

    from yurt.index.session import open_session
    from yurt.spec.filenames import InvalidFilename, distribution_kind, parse_sdist_filename, parse_wheel_filename
    from yurt.spec.tags import interpreter_tags

    tags = interpreter_tags(environment.interpreter)
    python_version = Version(environment.interpreter.version_text)

    def installable(requires_python: str | None) -> bool:
        try:
            return not requires_python or SpecifierSet(requires_python).contains(python_version, prereleases=True)
        except InvalidSpecifier:
            return True  # an unreadable Requires-Python restricts nothing, as installers treat it

    session = open_session(settings, cache, warn=output.warning)
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(len(names), settings.concurrent_downloads))) as pool:
            pages = dict(zip(names, pool.map(session.client.project_files, names)))
    finally:
        session.close()
    latest = {}
    for name, files in pages.items():
        best: dict = {}
        for dist_file in files:
            file = dist_file.file
            if file.yanked or not installable(file.requires_python):
                continue
            try:
                kind = distribution_kind(file.filename)
                if kind == "wheel":
                    wheel = parse_wheel_filename(file.filename)
                    if tags.best_priority(wheel.tags) is None:
                        continue
                    version = wheel.version
                elif kind == "sdist":
                    version = parse_sdist_filename(file.filename, name).version
                else:
                    continue
            except InvalidFilename:
                continue
            if version.is_prerelease:
                continue
            # A version with any usable wheel is a wheel release, as uv reports it.
            if best.get(version) != "wheel":
                best[version] = kind
        if best:
            newest = max(best)
            latest[name] = (newest, best[newest])
    return latest
