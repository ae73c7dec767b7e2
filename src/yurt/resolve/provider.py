"""The solver's view of an index: versions, the file to use for each, dependencies, preferences."""

from __future__ import annotations

import functools
import threading
from collections.abc import Hashable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from yurt import log
from yurt.dists import DirectSource
from yurt.index.client import DistFile
from yurt.index.session import IndexSession
from yurt.resolve.options import ResolveOptions
from yurt.resolve.solver import Provider, Unavailable
from yurt.resolve.target import Target
from yurt.resolve.version_set import VersionSet, VersionUniverse
from yurt.spec.filenames import InvalidFilename, parse_sdist_filename, parse_wheel_filename, sdist_extension
from yurt.spec.names import normalize_name
from yurt.spec.metadata import CoreMetadata, parse_core_metadata

PRERELEASE_MODES = ("if-necessary-or-explicit", "if-necessary", "allow", "disallow", "explicit")
RESOLUTION_MODES = ("highest", "lowest", "lowest-direct")


@dataclass(frozen=True, slots=True)
class Candidate:
    """The file chosen for one version, and whether it is a wheel; `dist` is None for a direct reference."""

    version: Version
    dist: DistFile | None
    is_wheel: bool


@dataclass(frozen=True, slots=True)
class DirectDist:
    """A package named by path, URL or VCS reference: its one version, its metadata and its source."""

    version: Version
    metadata: CoreMetadata
    source: DirectSource


def split_package(package: Hashable) -> tuple[str, str | None]:
    """"a[x]" -> ("a", "x"); "a" -> ("a", None)."""
    text = str(package)
    if text.endswith("]") and "[" in text:
        name, _, extra = text[:-1].partition("[")
        return name, extra
    return text, None


def extra_package(name: str, extra: str) -> str:
    return f"{name}[{extra}]"


def names_prerelease(specifier: SpecifierSet) -> bool:
    """True when a specifier mentions a pre-release (`>=1.0rc1`): the user asked for one."""
    for clause in specifier:
        try:
            if Version(clause.version.rstrip(".*")).is_prerelease:
                return True
        except InvalidVersion:
            continue
    return False


def sdist_version_text(filename: str, name: str) -> str:
    """The version part of `name-version.tar.gz`; the full parser only for unusual spellings.

    A project page lists thousands of files, and most sdist names are the project name, one dash,
    and the version: slicing them is far cheaper than parsing.
    """
    extension = sdist_extension(filename)
    if extension is None:
        raise InvalidFilename(f"not an sdist: {filename!r}")
    stem = filename[: -len(extension)]
    if stem[len(name):len(name) + 1] == "-" and normalize_name(stem[: len(name)]) == name:
        return stem[len(name) + 1:]
    return str(parse_sdist_filename(filename, name).version)


@functools.lru_cache(maxsize=None)
def parsed_requirement(text: str) -> Requirement | None:
    """A Requires-Dist line parsed once per run (the crawl and the solver both read each one);
    None when it cannot be read."""
    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


class IndexProvider(Provider):
    """Answers the solver from index pages and metadata, fetching ahead in a thread pool."""

    def __init__(self, session: IndexSession, target: Target, options: ResolveOptions, *,
                 direct_roots: frozenset[str] = frozenset(), prefetch_workers: int = 16, builder=None,
                 download_ahead: bool = False):
        self.session = session
        # Installs download each decided version's wheel while the resolve goes on; compile does not.
        self.download_ahead = download_ahead
        # Builds metadata for sdists that do not state it (yurt.build.builder.SourceBuilder); None: no builds.
        self.builder = builder
        self._direct_dists: dict[str, DirectDist] = {}
        # Names the user asked for directly: `--resolution lowest-direct` takes their lowest versions.
        self._direct_roots = direct_roots
        self.target = target
        self.options = options
        self._universes: dict[Hashable, VersionUniverse] = {}
        self._files: dict[str, dict[Version, list[DistFile]]] = {}
        self._candidates: dict[tuple[str, Version, bool], Candidate | None] = {}
        self._metadata: dict[tuple[str, Version], CoreMetadata | Unavailable] = {}
        self._requires_python: dict[str, SpecifierSet | None] = {}
        self._first_seen: dict[str, int] = {}
        # Every version set required of a package so far, intersected: what a download ahead aims at.
        self._required: dict[Hashable, VersionSet] = {}
        self._decided: set[str] = set()
        self._explicit_prerelease: set[str] = set()
        self._exact_pins: set[str] = set()
        self._direct: set[str] = set()
        # Dependencies as handed to the solver, for `# via` annotations: (name, version) -> names.
        self.dependency_names: dict[tuple[str, Version], tuple[str, ...]] = {}
        self._lock = threading.RLock()
        self._pool = ThreadPoolExecutor(max_workers=prefetch_workers, thread_name_prefix="yurt-prefetch")
        self._pages: dict[str, Future] = {}
        self._metadata_futures: dict[tuple[str, Version], Future] = {}
        # Packages whose likely version was fetched ahead by `_crawl`.
        self._crawled: set[str] = set()
        # Extras that some requirement seen so far asks of a package (`willow[heif]`): `_crawl`
        # follows their dependencies too, beside the package's base ones.
        self._crawl_extras: dict[str, set[str]] = {}

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ what the user asked for

    def note_requirement(self, name: str, requirement: Requirement, direct: bool = False) -> None:
        """Remember what a requirement says about policy: order seen, pins, pre-releases."""
        with self._lock:
            self._first_seen.setdefault(name, len(self._first_seen))
            self._note_extras(name, requirement)
            if names_prerelease(requirement.specifier):
                self._explicit_prerelease.add(name)
            if any(clause.operator in ("==", "===") and not clause.version.endswith(".*")
                   for clause in requirement.specifier):
                self._exact_pins.add(name)
            if direct or requirement.url:
                self._direct.add(name)

    def _note_extras(self, name: str, requirement: Requirement) -> None:
        """Remember the extras `requirement` asks of `name`, for `_crawl` (called under the lock)."""
        if requirement.extras:
            self._crawl_extras.setdefault(name, set()).update(canonicalize_name(extra) for extra in requirement.extras)

    def requirement_set(self, package: Hashable, name: str, specifiers: list[SpecifierSet]) -> VersionSet:
        """The versions of `package` that every specifier admits, with constraints applied."""
        universe = self.universe(package)
        result = VersionSet.full(universe)
        texts = []
        for specifier in specifiers + [c.specifier for c in self.options.constraints.get(name, ())]:
            text = str(specifier)
            if text:
                result = result & VersionSet.from_specifier(universe, text)
                texts.append(text)
        if len(texts) == 1:
            result = VersionSet.from_specifier(universe, texts[0])
        known = self._required.get(package)
        self._required[package] = result if known is None else known & result
        return result

    def effective_requirements(self, requirement: Requirement) -> list[Requirement]:
        """Overrides replace every declared requirement on their package."""
        name = canonicalize_name(requirement.name)
        return list(self.options.overrides.get(name, (requirement,)))

    def add_direct(self, name: str, direct: DirectDist) -> None:
        """Make a direct reference the only version of its package, ranked before everything else."""
        self._direct_dists[name] = direct
        self._direct.add(name)

    def direct_source(self, name: str) -> DirectSource | None:
        direct = self._direct_dists.get(name)
        return None if direct is None else direct.source

    # ------------------------------------------------------------------ pages and files

    def prefetch_page(self, name: str) -> Future:
        with self._lock:
            future = self._pages.get(name)
            if future is None:
                future = self._pool.submit(self._load_files, name)
                self._pages[name] = future
            return future

    def _load_files(self, name: str) -> dict[Version, list[DistFile]]:
        if name in self._direct_dists:
            # A direct reference is the package's only source: the index is not asked.
            return {}
        by_version: dict[Version, list[DistFile]] = {}
        parsed_versions: dict[str, Version | None] = {}
        for dist in self.session.client.project_files(name):
            filename = dist.filename
            try:
                if filename.endswith(".whl"):
                    text = filename.split("-")[1]
                else:
                    text = sdist_version_text(filename, name)
            except (InvalidFilename, IndexError):
                continue
            if text not in parsed_versions:
                try:
                    parsed_versions[text] = Version(text)
                except InvalidVersion:
                    parsed_versions[text] = None
            version = parsed_versions[text]
            if version is not None:
                by_version.setdefault(version, []).append(dist)
        return by_version

    def files(self, name: str) -> dict[Version, list[DistFile]]:
        files = self._files.get(name)
        if files is None:
            files = self.prefetch_page(name).result()
            self._files[name] = files
        return files

    def universe(self, package: Hashable) -> VersionUniverse:
        universe = self._universes.get(package)
        if universe is None:
            name, _ = split_package(package)
            direct = self._direct_dists.get(name)
            versions = (direct.version,) if direct is not None else tuple(self.files(name))
            universe = VersionUniverse(package, versions)
            with self._lock:
                universe = self._universes.setdefault(package, universe)
        return universe

    # ------------------------------------------------------------------ choosing files and versions

    def requires_python_ok(self, text: str | None) -> bool:
        if not text:
            return True
        specifier = self._requires_python.get(text, False)
        if specifier is False:
            try:
                specifier = SpecifierSet(text)
            except InvalidSpecifier:
                specifier = None  # an unreadable requires-python restricts nothing, as pip treats it
            self._requires_python[text] = specifier
        return specifier is None or specifier.contains(self.target.python_version, prereleases=True)

    def candidate(self, name: str, version: Version, allow_yanked: bool = False) -> Candidate | None:
        """The best file of a version for this target: the wheel with the best tag, else the sdist."""
        key = (name, version, allow_yanked)
        if key in self._candidates:
            return self._candidates[key]
        direct = self._direct_dists.get(name)
        if direct is not None:
            if direct.version != version:
                return None
            return Candidate(version, None, direct.source.kind == "wheel")
        best_wheel: tuple[int, DistFile] | None = None
        sdist: DistFile | None = None
        binary_only = name in self.options.only_binary or ":all:" in self.options.only_binary
        source_only = name in self.options.no_binary or (
            ":all:" in self.options.no_binary and name not in self.options.only_binary
        )
        for dist in self.files(name).get(version, ()):
            file = dist.file
            if file.yanked and not allow_yanked:
                continue
            if not self.requires_python_ok(file.requires_python):
                continue
            if self.options.exclude_newer is not None and file.upload_time:
                try:
                    uploaded = datetime.fromisoformat(file.upload_time.replace("Z", "+00:00"))
                except ValueError:
                    uploaded = None
                if uploaded is not None and uploaded > self.options.exclude_newer:
                    continue
            if dist.filename.endswith(".whl"):
                if source_only:
                    continue
                try:
                    priority = self.target.tags.best_priority(parse_wheel_filename(dist.filename).tags)
                except InvalidFilename:
                    continue
                if priority is not None and (best_wheel is None or priority < best_wheel[0]):
                    best_wheel = (priority, dist)
            elif not binary_only and sdist is None:
                sdist = dist
        if best_wheel is not None:
            result = Candidate(version, best_wheel[1], True)
        elif sdist is not None:
            result = Candidate(version, sdist, False)
        else:
            result = None
        self._candidates[key] = result
        return result

    def prerelease_allowed(self, name: str, allowed: VersionSet) -> bool:
        mode = self.options.prerelease
        if mode == "allow":
            return True
        if mode == "disallow":
            return False
        explicit = name in self._explicit_prerelease
        if mode == "explicit":
            return explicit
        if mode == "if-necessary-or-explicit" and explicit:
            return True
        # If necessary: only when no final release in the allowed set has a usable file.
        return not any(
            not version.is_prerelease and self.candidate(name, version) is not None for version in allowed.versions()
        )

    def ordered_versions(self, name: str, allowed: VersionSet) -> list[Version]:
        versions = allowed.versions()
        lowest = self.options.resolution == "lowest" or (
            self.options.resolution == "lowest-direct" and name in self._direct_roots
        )
        ordered = versions if lowest else list(reversed(versions))
        preferred = self.options.preferences.get(name)
        upgrading = self.options.upgrade or name in self.options.upgrade_packages
        if preferred is not None and not upgrading and allowed.contains(preferred):
            ordered.remove(preferred)
            ordered.insert(0, preferred)
        return ordered

    def choose_version(self, package: Hashable, allowed: VersionSet) -> Version | None:
        name, _ = split_package(package)
        prereleases = self.prerelease_allowed(name, allowed)
        allow_yanked = name in self._exact_pins and len(allowed.versions()) == 1
        for version in self.ordered_versions(name, allowed):
            if version.is_prerelease and not prereleases:
                continue
            if self.candidate(name, version, allow_yanked) is not None:
                return version
        return None

    def unavailable_reason(self, package: Hashable, allowed: VersionSet) -> str | None:
        name, _ = split_package(package)
        versions = allowed.versions()
        direct = self._direct_dists.get(name)
        if direct is not None:
            return None if versions else f"the direct reference ({direct.source.url}) is version {direct.version}"
        if not self.files(name):
            return "it is not on the package index" if self.session.client.sources.indexes else "no source offers it"
        if not versions:
            return None
        usable = [version for version in versions if self.candidate(name, version) is not None]
        if usable and all(version.is_prerelease for version in usable):
            return "only pre-releases match, and pre-releases were not allowed"
        if not usable:
            if any(self.candidate(name, version, allow_yanked=True) for version in versions):
                return "the matching versions are yanked"
            if any(self._has_files_failing_python(name, version) for version in versions):
                return f"the matching versions need another Python than {self.target.python_version}"
            return f"no matching version has a file for {self.target.description}"
        return None

    def _has_files_failing_python(self, name: str, version: Version) -> bool:
        return any(not self.requires_python_ok(dist.file.requires_python) for dist in self.files(name).get(version, ()))

    # ------------------------------------------------------------------ metadata and dependencies

    def metadata(self, name: str, version: Version) -> CoreMetadata | Unavailable:
        key = (name, version)
        cached = self._metadata.get(key)
        if cached is not None:
            return cached
        future = self._metadata_future(name, version)
        result = future.result()
        self._metadata[key] = result
        return result

    def _metadata_future(self, name: str, version: Version) -> Future:
        key = (name, version)
        with self._lock:
            future = self._metadata_futures.get(key)
            if future is None:
                future = self._pool.submit(self._load_metadata, name, version)
                future.add_done_callback(lambda done: self._crawl(name, version, done))
                self._metadata_futures[key] = future
            return future

    def _crawl(self, name: str, version: Version, loaded: Future) -> None:
        """Fetch ahead below a version the solver will likely choose: the pages of its
        dependencies, then the metadata of their likely versions, which crawl on in turn.

        The solver meets a package's dependencies only when it decides the package, one decision
        at a time; this walks the likely graph as fast as the index answers instead, so a chain
        like pyopenssl, cryptography, cffi, pycparser is fetched while the solver is elsewhere.
        """
        if loaded.cancelled() or loaded.exception() is not None:
            return
        metadata = loaded.result()
        if isinstance(metadata, Unavailable):
            return
        # The base dependencies, and those of the extras asked of this package so far (the solver
        # may want more extras later, which it then fetches itself). Following the extras matters
        # for chains like wagtail, willow[heif], pillow-heif (pillow-heif's page was asked for 80 ms
        # earlier; cold compiles of seed.txt 595 ms to 567 ms, medians of 14).
        with self._lock:
            extras = sorted(self._crawl_extras.get(name, ()))
        requirements = [pair for extra in [None, *extras]
                        for pair in self.applicable_requirements(name, version, metadata, extra)]
        for dependency, effective in requirements:
            with self._lock:
                self._note_extras(dependency, effective)
                if dependency == name or dependency in self._crawled:
                    continue
                self._crawled.add(dependency)
            specifier = str(effective.specifier)
            self.prefetch_page(dependency).add_done_callback(
                lambda page, dependency=dependency, specifier=specifier: self._crawl_page(dependency, specifier, page))

    def _crawl_page(self, name: str, specifier: str, page: Future) -> None:
        if page.cancelled() or page.exception() is not None:
            return
        try:
            universe = self.universe(name)
            allowed = VersionSet.from_specifier(universe, specifier) if specifier else VersionSet.full(universe)
            likely = self.choose_version(name, allowed)
        except Exception as error:  # noqa: BLE001 - only a guess; the solver asks again and reports it
            log.debug("fetching ahead below %s: %s", name, error)
            return
        if likely is not None:
            self._metadata_future(name, likely)

    def _load_metadata(self, name: str, version: Version) -> CoreMetadata | Unavailable:
        direct = self._direct_dists.get(name)
        if direct is not None:
            return direct.metadata
        candidate = self.candidate(name, version, allow_yanked=True)
        if candidate is None:
            return Unavailable("no usable file")
        if candidate.is_wheel:
            return parse_core_metadata(self.session.metadata.wheel_metadata(candidate.dist,
                                                                            whole_wheel=self.download_ahead))
        from yurt.build.static_metadata import static_sdist_metadata

        if self.builder is not None:
            # Static metadata first, then the backend's metadata hook, then a full build.
            return self.builder.sdist_metadata(candidate.dist)
        path = self.session.downloader.fetch_sdist(candidate.dist)
        metadata = static_sdist_metadata(path)
        if metadata is None:
            return Unavailable(f"its metadata is dynamic ({candidate.dist.filename}), and builds are off here")
        return metadata

    def applicable_requirements(self, name: str, version: Version, metadata: CoreMetadata,
                                extra: str | None) -> Iterator[tuple[str, Requirement]]:
        """`(normalized dependency, requirement)` for each Requires-Dist of `name` `version` that
        applies on this target: to the base dist when `extra` is None, else to `extra` alone
        (overrides applied)."""
        for text in metadata.requires_dist:
            requirement = parsed_requirement(text)
            if requirement is None:
                log.debug("skipping unreadable requirement %r of %s %s", text, name, version)
                continue
            for effective in self.effective_requirements(requirement):
                if effective.marker is not None:
                    in_base = self.target.evaluate(effective.marker, "")
                    if extra is None and not in_base:
                        continue
                    if extra is not None and (in_base or not self.target.evaluate(effective.marker, extra)):
                        continue
                elif extra is not None:
                    continue
                yield canonicalize_name(effective.name), effective

    def dependencies(self, package: Hashable, version: Version) -> list[tuple[Hashable, VersionSet]] | Unavailable:
        name, extra = split_package(package)
        if self.options.no_deps:
            return []
        metadata = self.metadata(name, version)
        if isinstance(metadata, Unavailable):
            return metadata
        if metadata.requires_python and not self.requires_python_ok(metadata.requires_python):
            return Unavailable(f"it requires Python {metadata.requires_python}")
        wanted: dict[str, list[SpecifierSet]] = {}
        order: list[str] = []
        for dependency, effective in self.applicable_requirements(name, version, metadata, extra):
            if dependency == name and not effective.extras:
                continue
            self.note_requirement(dependency, effective)
            packages = [dependency] + [extra_package(dependency, canonicalize_name(e)) for e in sorted(effective.extras)]
            for item in packages:
                if item not in wanted:
                    wanted[item] = []
                    order.append(item)
                wanted[item].append(effective.specifier)
        # Every dependency's page at once: the solver needs all their universes now.
        for item in order:
            self.prefetch_page(split_package(item)[0])
        result: list[tuple[Hashable, VersionSet]] = []
        if extra is not None:
            result.append((name, VersionSet.exact(self.universe(name), version)))
        for item in order:
            result.append((item, self.requirement_set(item, split_package(item)[0], wanted[item])))
        # `a` and `a[x]` share one entry: the union of what the base and each extra need.
        known = self.dependency_names.get((name, version), ())
        found = (split_package(item)[0] for item in order)
        self.dependency_names[(name, version)] = tuple(dict.fromkeys((*known, *found)))
        for item, allowed in result:
            self.expect(item, allowed)
        return result

    def expect(self, package: Hashable, allowed: VersionSet) -> None:
        """Fetch ahead for a requirement the solver will meet: the metadata of the version it most
        likely gets, and for an install the wheel of the newest version that every requirement
        seen so far admits, unless the package is decided already."""
        name = split_package(package)[0]
        likely = self.choose_version(package, allowed)
        if likely is not None:
            self._metadata_future(name, likely)
        if self.download_ahead and name not in self._decided:
            agreed = self.choose_version(package, self._required[package])
            if agreed is not None:
                self.download_wheel_ahead(name, agreed)

    def priority(self, package: Hashable, allowed: VersionSet) -> object:
        name, _ = split_package(package)
        if name in self._direct:
            rank = 0
        elif name in self._exact_pins:
            rank = 1
        else:
            rank = 2
        return (rank, self._first_seen.get(name, len(self._first_seen)), str(package))

    def on_decision(self, package: Hashable, version: Version) -> None:
        """Fetch ahead: the metadata of this version, so `dependencies` finds it ready, and for an
        install its wheel too, since a decided version is nearly always the final one."""
        name, _ = split_package(package)
        self._decided.add(name)
        self._metadata_future(name, version)
        if self.download_ahead:
            self.download_wheel_ahead(name, version)

    def download_wheel_ahead(self, name: str, version: Version) -> None:
        # An install's preferences are the installed versions, which need no download.
        if name in self._direct_dists or self.options.preferences.get(name) == version:
            return
        candidate = self.candidate(name, version)
        if candidate is not None and candidate.is_wheel:
            self.session.downloader.fetch_ahead(candidate.dist)

    def on_conflict(self, package: Hashable) -> None:
        """A package the solver keeps backtracking on: fetch metadata of a few more of its versions."""
        name, _ = split_package(package)
        for version in list(reversed(list(self.files(name))))[:5]:
            if self.candidate(name, version) is not None:
                self._metadata_future(name, version)
