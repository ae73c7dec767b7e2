"""Metadata and wheels from source: registry sdists, direct archives, project folders, git checkouts."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import threading
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyproject_hooks

from yurt import log
from yurt.build.environment import BuildEnvironment, ensure_build_environment, environment_key
from yurt.build.frontend import BuildFailure, HookContext, call_hook, parse_config_settings, read_build_system
from yurt.build.static_metadata import project_table_metadata, static_sdist_metadata
from yurt.cache import BUILDS, Cache, CachedWheel
from yurt.cache.archives import extract, unpack_wheel, wheel_metadata
from yurt.dists import DirectSource, ResolvedDist
from yurt.errors import YurtError
from yurt.fs import atomic_write, temporary_sibling
from yurt.index.client import DistFile
from yurt.python.interpreter import Interpreter
from yurt.spec.metadata import CoreMetadata, parse_core_metadata

# The files whose change means a local project's metadata or build may differ.
PROJECT_FILES = ("pyproject.toml", "setup.py", "setup.cfg")


def short_digest(*parts: object) -> str:
    return hashlib.sha256("\0".join(str(part) for part in parts).encode("utf-8")).hexdigest()[:24]


def interpreter_key(interpreter: Interpreter) -> str:
    """What a built wheel's tags depend on: the interpreter that built it."""
    major, minor = interpreter.version[:2]
    return short_digest(interpreter.implementation, major, minor, interpreter.platform, interpreter.soabi,
                        interpreter.libc, interpreter.pointer_bits)


def unpack_sdist(archive: Path, target: Path) -> Path:
    """Extract an sdist into `target`, refusing members that leave it; returns the project folder."""
    label = archive.name
    if label.lower().endswith(".zip"):
        target.mkdir(parents=True, exist_ok=True)
        try:
            extract(archive, target, label)
        except (zipfile.BadZipFile, OSError) as error:
            raise BuildFailure(f"{label} cannot be unpacked: {error}") from None
    else:
        try:
            with tarfile.open(archive) as tarred:
                # The "data" filter refuses absolute paths, `..`, links out of the tree and devices.
                tarred.extractall(target, filter="data")
        except (tarfile.TarError, OSError) as error:
            raise BuildFailure(f"{label} cannot be unpacked: {error}") from None
    entries = list(target.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else target


@dataclass(slots=True)
class SharedState:
    """What every builder of one run shares: locks per cache entry, so one thread builds each thing once."""

    guard: threading.Lock = field(default_factory=threading.Lock)
    locks: dict[str, threading.Lock] = field(default_factory=dict)

    def lock(self, key: str) -> threading.Lock:
        with self.guard:
            return self.locks.setdefault(key, threading.Lock())


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How the user wants sources built."""

    isolation: bool = True
    # `KEY=VALUE` strings from `-C/--config-setting`, for every build.
    config_settings: tuple[str, ...] = ()
    # Resolver options for build environments: `--only-binary`/`--no-binary` apply there too.
    resolve_options: object = None


class SourceBuilder:
    """Builds what the resolver and the installer need from source, keeping every result in the cache."""

    def __init__(self, cache: Cache, session, interpreter: Interpreter, options: BuildOptions = BuildOptions(), *,
                 chain: frozenset[str] = frozenset(), shared: SharedState | None = None) -> None:
        self.cache = cache
        self.session = session
        self.interpreter = interpreter
        self.options = options
        # Build environments being filled by the callers of this builder: needing one again is a cycle.
        self.chain = chain
        self.shared = shared or SharedState()
        self.bucket = cache.bucket(BUILDS)

    # ------------------------------------------------------------------ metadata

    def sdist_metadata(self, dist: DistFile) -> CoreMetadata:
        """A registry sdist's metadata: stated in it, kept from an earlier build, or built now."""
        path = self.session.downloader.fetch_sdist(dist)
        return self._archive_metadata(path, path.parent.name, dist.filename, self.options.config_settings)

    def source_metadata(self, source: DirectSource, label: str) -> CoreMetadata:
        """The metadata of a direct reference, read or built from what was fetched."""
        settings = self.options.config_settings + source.config_settings
        if source.kind == "wheel":
            return parse_core_metadata(wheel_metadata(source.path))
        if source.kind == "sdist":
            return self._archive_metadata(source.path, source.sha256, label, settings, source.subdirectory)
        pyproject = source.path / "pyproject.toml"
        if pyproject.is_file():
            static = project_table_metadata(pyproject.read_bytes())
            if static is not None:
                return static
        with self._scratch() as scratch:
            data = self._prepare_metadata(source.path, label, settings, scratch, source.editable)
        return parse_core_metadata(data)

    def _archive_metadata(self, path: Path, sha256: str, label: str, settings: Sequence[str],
                          subdirectory: str | None = None) -> CoreMetadata:
        stored = self.bucket / "wheels" / sha256 / "METADATA"
        if stored.is_file():
            return parse_core_metadata(stored.read_bytes())
        if subdirectory is None:
            static = static_sdist_metadata(path)
            if static is not None:
                return static
        with self._scratch() as scratch:
            source = self._unpack(path, scratch, subdirectory)
            data = self._prepare_metadata(source, label, settings, scratch, False,
                                          keep=self._wheel_folder(sha256, settings))
        atomic_write(stored, data)
        return parse_core_metadata(data)

    def _prepare_metadata(self, source: Path, label: str, settings: Sequence[str], scratch: Path,
                          editable: bool, keep: Path | None = None) -> bytes:
        """PEP 517's metadata hook; a backend without it gets a full build, whose wheel is kept."""
        context = self._context(source, label, settings, editable)
        hook = "prepare_metadata_for_build_editable" if editable else "prepare_metadata_for_build_wheel"
        target = scratch / "metadata"
        target.mkdir()
        try:
            name = call_hook(context, hook, str(target), parse_config_settings(settings), _allow_fallback=False)
            return (target / name / "METADATA").read_bytes()
        except pyproject_hooks.HookMissing:
            log.debug("build %s: the backend has no %s; building the wheel instead", label, hook)
        wheel = self._build(context, settings, editable, keep or scratch / "wheel")
        return wheel_metadata(wheel)

    # ------------------------------------------------------------------ wheels

    def wheel_for(self, dist: ResolvedDist) -> CachedWheel:
        """The unpacked wheel of a resolved dist that is not an index wheel: built, or reused from the cache."""
        source = dist.source
        label = f"{dist.name}=={dist.version}"
        if source is None:
            path = self.session.downloader.fetch_sdist(dist.dist)
            return self._archive_wheel(path, path.parent.name, f"{label} ({dist.dist.filename})",
                                       self.options.config_settings)
        settings = self.options.config_settings + source.config_settings
        if source.kind == "wheel":
            if source.path.is_dir():
                return CachedWheel(source.path.name, source.path, source.sha256)
            return self._unpacked_wheel(source.path, source.sha256)
        if source.kind == "sdist":
            return self._archive_wheel(source.path, source.sha256, label, settings, source.subdirectory)
        if source.editable:
            folder = self.bucket / "local" / short_digest(source.path) / "editable"
            reuse = False
        elif source.vcs is not None:
            # A commit never changes, so its wheel is kept like a registry sdist's.
            folder = self._wheel_folder(f"git-{source.commit}-{short_digest(source.subdirectory)}", settings)
            reuse = True
        else:
            stamps = [self._mtime(source.path / name) for name in PROJECT_FILES]
            folder = self.bucket / "local" / short_digest(source.path) / self._settings_key(settings, *stamps)
            reuse = not source.rebuild
        with self.shared.lock(str(folder)):
            existing = self._stored_wheel(folder) if reuse else None
            if existing is None:
                context = self._context(source.path, label, settings, source.editable)
                existing = self._build(context, settings, source.editable, folder)
            else:
                log.debug("build %s: reusing %s", label, existing)
        return self._unpacked_wheel(existing)

    def _archive_wheel(self, path: Path, sha256: str, label: str, settings: Sequence[str],
                       subdirectory: str | None = None) -> CachedWheel:
        folder = self._wheel_folder(sha256, settings)
        with self.shared.lock(str(folder)):
            wheel = self._stored_wheel(folder)
            if wheel is not None:
                log.debug("build %s: reusing %s", label, wheel.name)
            else:
                with self._scratch() as scratch:
                    source = self._unpack(path, scratch, subdirectory)
                    wheel = self._build(self._context(source, label, settings, False), settings, False, folder)
        return self._unpacked_wheel(wheel)

    def _build(self, context: HookContext, settings: Sequence[str], editable: bool, folder: Path) -> Path:
        """Run the build hook and move the wheel into `folder` (replacing what was there); returns its path."""
        hook = "build_editable" if editable else "build_wheel"
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = temporary_sibling(folder)
        staging.mkdir()
        try:
            try:
                name = call_hook(context, hook, str(staging), parse_config_settings(settings))
            except pyproject_hooks.HookMissing:
                raise BuildFailure(
                    f"{context.label} cannot be installed in editable mode: its build backend"
                    f" `{context.system.backend}` has no `build_editable` hook (PEP 660)",
                    "upgrade the backend (setuptools>=64 has it), or install without `-e`",
                ) from None
            for entry in staging.iterdir():
                if entry.name != name:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            if not (staging / name).is_file():
                raise BuildFailure(f"failed to build {context.label}: the backend named {name!r} but wrote no such file")
            log.debug("build %s: built %s", context.label, name)
            try:
                os.rename(staging, folder)
            except OSError:
                # Another build finished first, or an older build is there to be replaced.
                old = temporary_sibling(folder)
                with contextlib.suppress(OSError):
                    os.rename(folder, old)
                os.rename(staging, folder)
                shutil.rmtree(old, ignore_errors=True)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return folder / name

    # ------------------------------------------------------------------ build environments

    def _context(self, source: Path, label: str, settings: Sequence[str], editable: bool) -> HookContext:
        """Where and with what interpreter the hooks of one project run, its environment made ready."""
        system = read_build_system(source, label)
        if not self.options.isolation:
            return HookContext(source, system, self.interpreter.executable, None, label)
        environment = self._environment(system.requires, label)
        context = HookContext(source, system, environment.python, environment.scripts, label)
        hook = "get_requires_for_build_editable" if editable else "get_requires_for_build_wheel"
        try:
            extra = call_hook(context, hook, parse_config_settings(settings))
        except pyproject_hooks.HookMissing:
            extra = []
        missing = self._unsatisfied(environment, extra)
        if missing:
            log.debug("build %s: the backend also needs %s", label, ", ".join(missing))
            environment = self._environment((*system.requires, *extra), label)
            context = replace(context, python=environment.python, scripts=environment.scripts)
        return context

    def _environment(self, requirements: Sequence[str], label: str) -> BuildEnvironment:
        key = environment_key(requirements, self.interpreter)
        if key in self.chain:
            raise BuildFailure(
                f"failed to build {label}: its build requirements need themselves to be built"
                f" ({', '.join(sorted(requirements))})",
                "make a wheel of one of them available, or pass `--no-build-isolation`",
            )
        child = SourceBuilder(self.cache, self.session, self.interpreter, self.options,
                              chain=self.chain | {key}, shared=self.shared)

        def populate(items, scheme):
            from yurt.install.populate import populate_environment

            try:
                populate_environment(items, scheme, self.interpreter, self.session, self.cache, child,
                                     self.options.resolve_options)
            except BuildFailure:
                raise
            except YurtError as error:
                # Name the build the requirements were for: the user never asked for them directly.
                details = "\n".join(f"  {line}" for line in error.message.splitlines())
                raise BuildFailure(
                    f"failed to build {label}: its build requirements ({', '.join(items)}) cannot be"
                    f" installed:\n{details}",
                    *error.hints,
                ) from None

        with self.shared.lock(f"environment:{key}"):
            return ensure_build_environment(self.cache, self.interpreter, requirements, populate)

    def _unsatisfied(self, environment: BuildEnvironment, requirements: Sequence[str]) -> list[str]:
        """The requirements an environment does not meet yet (from `get_requires_for_build_*`)."""
        if not requirements:
            return []
        from packaging.requirements import InvalidRequirement, Requirement

        from yurt.install.site_packages import scan

        site = scan((environment.root / self.interpreter.venv_scheme["purelib"],
                     environment.root / self.interpreter.venv_scheme["platlib"]))
        missing = []
        for text in requirements:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                raise BuildFailure(f"the build backend asked for an invalid requirement: {text!r}") from None
            if requirement.marker is not None and not requirement.marker.evaluate(dict(self.interpreter.markers)):
                continue
            installed = site.find(requirement.name)
            if not installed or not requirement.specifier.contains(installed[0].version, prereleases=True):
                missing.append(text)
        return missing

    # ------------------------------------------------------------------ cache places

    def _settings_key(self, settings: Sequence[str], *parts: object) -> str:
        return short_digest(interpreter_key(self.interpreter), *settings, *parts)

    def _wheel_folder(self, key: str, settings: Sequence[str]) -> Path:
        """`builds-v1/wheels/<sha256 of the sdist>/<interpreter and config settings>/`."""
        return self.bucket / "wheels" / key / self._settings_key(settings)

    @staticmethod
    def _stored_wheel(folder: Path) -> Path | None:
        try:
            return next((entry for entry in folder.iterdir() if entry.name.endswith(".whl")), None)
        except OSError:
            return None

    @staticmethod
    def _mtime(path: Path) -> int | None:
        try:
            return path.stat().st_mtime_ns
        except OSError:
            return None

    def _unpacked_wheel(self, wheel: Path, sha256: str | None = None) -> CachedWheel:
        if sha256 is None:
            with open(wheel, "rb") as stream:
                sha256 = hashlib.file_digest(stream, "sha256").hexdigest()
        return CachedWheel(wheel.name, unpack_wheel(wheel, self.cache, sha256, wheel.name), sha256)

    @contextlib.contextmanager
    def _scratch(self) -> Iterator[Path]:
        """A temporary folder in the cache, on the cache's filesystem so results can be renamed in."""
        folder = self.bucket / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        scratch = temporary_sibling(folder / "work")
        scratch.mkdir()
        try:
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    @staticmethod
    def _unpack(archive: Path, scratch: Path, subdirectory: str | None) -> Path:
        target = scratch / "source"
        target.mkdir()
        root = unpack_sdist(archive, target)
        return root / subdirectory if subdirectory else root
