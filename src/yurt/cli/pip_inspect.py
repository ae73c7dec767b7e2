"""What the pip commands that read an environment share: finding it, and the requirements between its dists."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

from yurt.cli.output import Output
from yurt.install.site_packages import (
    EGG_LINK,
    InstalledDistribution,
    Metadata,
    SitePackages,
    normalize_name,
    read_egg_link,
)
from yurt.settings import Settings


def find_readable_environment(arguments: argparse.Namespace, settings: Settings):
    """The environment as install would find it; without a virtual one, the system interpreter, as uv reads."""
    from yurt.cache import Cache
    from yurt.python.environment import NoEnvironment, find_environment

    cache = Cache(settings.cache_dir)
    # Reading changes nothing, so an externally managed interpreter is no reason to refuse.
    try:
        return find_environment(settings.python, cache, system=arguments.system, break_system_packages=True)
    except NoEnvironment:
        if settings.python is not None or arguments.system:
            raise
        return find_environment(None, cache, system=True, break_system_packages=True)


def report_environment(output: Output, environment) -> None:
    output.status(f"Using Python {environment.interpreter.version_text} environment at: {environment.display()}")


def plural(count: int, word: str = "package") -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def path_of_file_url(url: str) -> str | None:
    """The local path a `file://` URL names, or None for any other URL."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    if parts.scheme != "file":
        return None
    path = unquote(parts.path)
    if os.name == "nt" and path[:1] == "/" and path[2:3] == ":":
        path = path[1:]  # `file:///C:/x` names `C:/x`
    return path


def editable_location(distribution: InstalledDistribution) -> str | None:
    """The project folder of an editable install (PEP 660 or a legacy `.egg-link`), else None."""
    if distribution.kind == EGG_LINK:
        project = read_egg_link(distribution.path)[0]
        return str(project) if project is not None else None
    direct_url = distribution.direct_url()
    directory_info = direct_url.get("dir_info") if direct_url else None
    if not (isinstance(directory_info, dict) and directory_info.get("editable") is True):
        return None
    url = direct_url.get("url", "")
    return path_of_file_url(url) or url


def source_url(direct_url: dict) -> str | None:
    """PEP 610's record as a requirement URL: `git+https://host/repo@commit`, an archive or folder URL."""
    url = direct_url.get("url")
    if not isinstance(url, str) or not url:
        return None
    vcs_info = direct_url.get("vcs_info")
    if isinstance(vcs_info, dict) and vcs_info.get("vcs"):
        url = f"{vcs_info['vcs']}+{url}"
        if vcs_info.get("commit_id"):
            url = f"{url}@{vcs_info['commit_id']}"
    subdirectory = direct_url.get("subdirectory")
    if subdirectory:
        url = f"{url}#subdirectory={subdirectory}"
    return url


def sort_key(distribution: InstalledDistribution) -> tuple[str, str, str]:
    return distribution.normalized_name, distribution.version, str(distribution.path)


class InstalledGraph:
    """An environment's dists and, for each, the requirements that apply there (markers evaluated).

    As pip check does, markers are evaluated with `extra` empty: what an extra would add is not
    known once installed, because the extras asked for are not recorded.
    """

    def __init__(self, site: SitePackages, markers: Mapping[str, str]) -> None:
        self.site = site
        self.markers = {**markers, "extra": ""}
        self.distributions = sorted(site.distributions(), key=sort_key)
        self.metadata_by_path: dict[str, Metadata | None] = {}
        self.dependencies_by_path: dict[str, dict] = {}
        self.dependents_by_name: dict[str, list] | None = None

    def metadata(self, distribution: InstalledDistribution) -> Metadata | None:
        key = str(distribution.path)
        if key not in self.metadata_by_path:
            self.metadata_by_path[key] = distribution.metadata()
        return self.metadata_by_path[key]

    def primary(self, name: str) -> InstalledDistribution | None:
        """The dist a name refers to; the first found when the environment holds more than one."""
        found = self.site.find(name)
        return min(found, key=sort_key) if found else None

    def dependencies(self, distribution: InstalledDistribution) -> dict:
        """Normalized name -> the first requirement on it that applies here, in METADATA order."""
        key = str(distribution.path)
        cached = self.dependencies_by_path.get(key)
        if cached is not None:
            return cached
        from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
        from packaging.requirements import InvalidRequirement, Requirement

        from yurt import log

        found: dict = {}
        metadata = self.metadata(distribution)
        for text in metadata.requires_dist if metadata is not None else ():
            try:
                requirement = Requirement(text)
                if requirement.marker is not None and not requirement.marker.evaluate(self.markers):
                    continue
            except (InvalidRequirement, InvalidMarker, UndefinedComparison, UndefinedEnvironmentName) as error:
                log.debug("ignoring the requirement %r of %s: %s", text, distribution.path, error)
                continue
            found.setdefault(normalize_name(requirement.name), requirement)
        self.dependencies_by_path[key] = found
        return found

    def dependents(self, name: str) -> list:
        """(dist, requirement) for every dist that requires the named one, sorted by dist."""
        if self.dependents_by_name is None:
            self.dependents_by_name = {}
            for distribution in self.distributions:
                for required, requirement in self.dependencies(distribution).items():
                    self.dependents_by_name.setdefault(required, []).append((distribution, requirement))
        return self.dependents_by_name.get(normalize_name(name), [])
