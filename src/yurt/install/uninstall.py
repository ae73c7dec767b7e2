"""Remove an installed dist, whoever installed it, so that a failure leaves it as it was."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from yurt import log
from yurt.errors import YurtError
from yurt.fs import atomic_write, temporary_sibling
from yurt.install.site_packages import DIST_INFO, EGG_INFO, EGG_INFO_FILE, EGG_LINK, InstalledDistribution, read_egg_link

EASY_INSTALL_PTH = "easy-install.pth"


class UninstallError(YurtError):
    """A dist could not be removed; whatever had been moved was put back."""


@dataclass(frozen=True, slots=True)
class Uninstalled:
    """A dist removed from an environment, and the paths that went with it."""

    name: str
    version: str
    paths: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _PthEdit:
    """Lines to drop from a `.pth` file (the path an `.egg-link` points at, as written there)."""

    path: str
    lines: frozenset[str]


class _Collector:
    """Gathers what to remove, refusing anything that lies outside the environment."""

    def __init__(self, distribution: InstalledDistribution, prefix: Path, warn: Callable[[str], None]) -> None:
        self.distribution = distribution
        self.warn = warn
        self.real_prefix = os.path.realpath(prefix)
        self.metadata = str(distribution.path)
        self.paths: list[str] = []
        self.seen: set[str] = set()
        # Resolving links costs a system call per path component, and files share few folders.
        self.real_folders: dict[str, str] = {}
        self.pycache_listings: dict[str, list[str]] = {}

    def inside_prefix(self, path: str) -> bool:
        """True when the path's folder, links resolved, is in the environment."""
        folder = os.path.dirname(path)
        real = self.real_folders.get(folder)
        if real is None:
            real = self.real_folders[folder] = os.path.realpath(folder)
        return real == self.real_prefix or real.startswith(self.real_prefix + os.sep)

    def add(self, path: str, *, folders: bool = False) -> None:
        if path in self.seen:
            return
        self.seen.add(path)
        if path == self.metadata or path.startswith(self.metadata + os.sep):
            return  # the metadata goes as a whole, first
        if not self.inside_prefix(path):
            self.warn(
                f"Not removing {path}, listed by {self.metadata}: it is outside the environment ({self.real_prefix})"
            )
            return
        if not os.path.lexists(path):
            log.debug("%s is already gone", path)
            return
        if not folders and os.path.isdir(path) and not os.path.islink(path):
            log.debug("not removing the folder %s: a file list names files only", path)
            return
        self.paths.append(path)
        if path.endswith(".py"):
            self.add_bytecode(path)

    def add_bytecode(self, module: str) -> None:
        """The module's `__pycache__/<name>.<tag>.pyc` files, which no RECORD lists when compiled later."""
        folder, name = os.path.split(module)
        pycache = os.path.join(folder, "__pycache__")
        listing = self.pycache_listings.get(pycache)
        if listing is None:
            try:
                listing = os.listdir(pycache)
            except OSError:
                listing = []
            self.pycache_listings[pycache] = listing
        stem = name[:-3] + "."
        for entry in listing:
            if entry.startswith(stem) and entry.endswith(".pyc"):
                self.add(os.path.join(pycache, entry))

    def add_top_level(self) -> None:
        """For an egg-info without a file list: the packages and modules its top_level.txt names."""
        site = str(self.distribution.site_packages)
        namespaces = set(_read_lines(self.distribution.path / "namespace_packages.txt"))
        for module in _read_lines(self.distribution.path / "top_level.txt"):
            if module in namespaces:
                continue
            base = os.path.normpath(os.path.join(site, module))
            for candidate in (base, base + ".py", base + ".pyc"):
                if os.path.lexists(candidate):
                    self.add(candidate, folders=True)


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _collect(
    distribution: InstalledDistribution, prefix: Path, warn: Callable[[str], None]
) -> tuple[list[str], _PthEdit | None]:
    collector = _Collector(distribution, prefix, warn)
    label = f"{distribution.name} {distribution.version}".strip()
    if not collector.inside_prefix(collector.metadata):
        raise UninstallError(
            f"cannot uninstall {label}: it is installed outside the environment, at {distribution.path}"
        )
    pth_edit = None
    listed = distribution.files()
    if distribution.kind == EGG_LINK:
        project = read_egg_link(distribution.path)[0]
        if project is not None:
            pth = os.path.join(str(distribution.site_packages), EASY_INSTALL_PTH)
            pth_edit = _PthEdit(pth, frozenset({str(project), os.path.normpath(project)}))
    elif listed is not None:
        for path in listed:
            collector.add(path)
    elif distribution.kind == DIST_INFO:
        raise UninstallError(
            f"cannot uninstall {label}: it has no RECORD file listing what it installed",
            f"remove {distribution.path} and the package's files by hand",
        )
    elif distribution.kind == EGG_INFO:
        collector.add_top_level()
    elif distribution.kind == EGG_INFO_FILE:
        warn(
            f"{label} was installed by distutils, which keeps no list of its files:"
            f" only its metadata ({distribution.path}) is removed"
        )
    return [collector.metadata, *collector.paths], pth_edit


def _edit_pth(edit: _PthEdit) -> bytes | None:
    """Drop the lines; returns the old content if the file changed."""
    try:
        with open(edit.path, "rb") as stream:
            old = stream.read()
    except FileNotFoundError:
        return None
    lines = old.decode("utf-8", "replace").splitlines(keepends=True)
    kept = [line for line in lines if line.strip() not in edit.lines]
    if len(kept) == len(lines):
        return None
    atomic_write(Path(edit.path), "".join(kept).encode("utf-8"))
    return old


def uninstall(distribution: InstalledDistribution, prefix: Path, *, warn: Callable[[str], None]) -> Uninstalled:
    """Remove the dist's files, its now-empty folders and the bytecode of its modules.

    Everything is first renamed into one temporary folder beside site-packages (the same
    filesystem, so each move is one rename), metadata first so the dist stops looking installed
    before its files go. If a move fails, every moved path is put back and nothing is lost; only
    when all have moved is the folder deleted. Paths outside `prefix` are never touched.
    """
    paths, pth_edit = _collect(distribution, prefix, warn)
    site = distribution.site_packages
    trash = str(temporary_sibling(site.parent / f"uninstall-{distribution.normalized_name}"))
    moved: list[tuple[str, str]] = []
    old_pth: bytes | None = None
    try:
        os.mkdir(trash)
        for index, path in enumerate(paths):
            target = os.path.join(trash, str(index))
            os.rename(path, target)
            moved.append((path, target))
        if pth_edit is not None:
            old_pth = _edit_pth(pth_edit)
    except BaseException as error:
        stranded = _restore(moved, trash, pth_edit, old_pth)
        if not isinstance(error, OSError):
            raise
        label = f"{distribution.name} {distribution.version}".strip()
        reason = error.strerror or str(error)
        if error.filename:
            reason = f"{reason}: {error.filename}"
        hint = (
            f"{len(stranded)} moved paths could not be put back ({', '.join(stranded[:3])}"
            f"{', ...' if len(stranded) > 3 else ''}); they are kept in {trash}"
            if stranded
            else "nothing was removed"
        )
        raise UninstallError(f"failed to uninstall {label}: {reason}", hint) from error
    _remove_empty_folders([path for path, _ in moved], site=str(site), prefix=os.path.normpath(prefix))
    shutil.rmtree(trash, ignore_errors=True)
    if os.path.lexists(trash):
        log.debug("could not delete %s; it holds only removed files", trash)
    return Uninstalled(distribution.name, distribution.version, tuple(path for path, _ in moved))


def _restore(
    moved: list[tuple[str, str]], trash: str, pth_edit: _PthEdit | None, old_pth: bytes | None
) -> list[str]:
    """Put every moved path back; returns those that could not be (left in `trash`)."""
    if pth_edit is not None and old_pth is not None:
        atomic_write(Path(pth_edit.path), old_pth)
    stranded = []
    for path, target in reversed(moved):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.rename(target, path)
        except OSError as error:
            stranded.append(path)
            log.debug("could not put %s back from %s: %s", path, target, error)
    # Never delete what could not be put back: it is the only copy.
    if not stranded:
        shutil.rmtree(trash, ignore_errors=True)
    return stranded


def _remove_empty_folders(paths: list[str], *, site: str, prefix: str) -> None:
    """Remove the folders the paths were in when nothing else is left in them, walking upwards.

    Never site-packages or the prefix themselves, nor anything outside the prefix.
    """
    folders = sorted({os.path.dirname(path) for path in paths}, key=len, reverse=True)
    for folder in folders:
        while folder != site and folder.startswith(prefix + os.sep):
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = os.path.dirname(folder)
