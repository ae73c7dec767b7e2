"""Git sources: a mirror per repository in the cache, and one checkout per resolved commit."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from yurt import log
from yurt.cache import BUILDS, Cache
from yurt.errors import YurtError
from yurt.fs import temporary_sibling

FULL_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

# One thread at a time updates a given mirror; different repositories proceed in parallel.
_mirror_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class GitError(YurtError):
    """A git command failed, or git is not installed."""


def run_git(*arguments: str, cwd: Path | None = None) -> str:
    environment = dict(os.environ)
    # Never wait for a password prompt that nobody will answer.
    environment["GIT_TERMINAL_PROMPT"] = "0"
    try:
        completed = subprocess.run(
            ["git", *arguments], cwd=cwd, env=environment, stdin=subprocess.DEVNULL,
            capture_output=True, check=False,
        )
    except FileNotFoundError:
        raise GitError("git is needed for `git+` requirements, and it is not installed",
                       "install git, or require the package from an index") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", errors="replace").strip()
        raise GitError(f"`git {' '.join(arguments[:2])}` failed: {message}")
    return completed.stdout.decode("utf-8", errors="replace").strip()


def repository_key(repository: str) -> str:
    return hashlib.sha256(repository.encode("utf-8")).hexdigest()[:24]


def mirror_lock(key: str) -> threading.Lock:
    with _locks_guard:
        return _mirror_locks.setdefault(key, threading.Lock())


def resolve_commit(mirror: Path, revision: str) -> str | None:
    try:
        return run_git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", cwd=mirror)
    except GitError:
        return None


def checkout(cache: Cache, repository: str, revision: str | None) -> tuple[str, Path]:
    """The commit a revision (a tag, branch or commit; None for the default branch) names, and its checkout."""
    key = repository_key(repository)
    root = cache.prepare_bucket(BUILDS) / "git"
    checkouts = root / "checkouts" / key
    if revision is not None and FULL_COMMIT.fullmatch(revision) and (checkouts / revision).is_dir():
        # A commit never changes: no need to ask the remote.
        return revision, checkouts / revision
    mirror = root / "mirrors" / key
    with mirror_lock(key):
        if not mirror.is_dir():
            mirror.parent.mkdir(parents=True, exist_ok=True)
            staging = temporary_sibling(mirror)
            try:
                log.debug("git: cloning %s", repository)
                run_git("clone", "--mirror", "--quiet", repository, str(staging))
                os.rename(staging, mirror)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            commit = resolve_commit(mirror, revision or "HEAD")
        else:
            commit = resolve_commit(mirror, revision) if revision and FULL_COMMIT.fullmatch(revision) else None
            if commit is None:
                # Branches move and tags can be added: refresh the mirror before reading them.
                log.debug("git: fetching %s", repository)
                run_git("fetch", "--quiet", "--prune", "--force", "origin", cwd=mirror)
                commit = resolve_commit(mirror, revision or "HEAD")
    if commit is None:
        raise GitError(f"{repository} has no branch, tag or commit named {revision!r}",
                       "check the revision after `@` in the URL")
    target = checkouts / commit
    if not target.is_dir():
        checkouts.mkdir(parents=True, exist_ok=True)
        staging = temporary_sibling(target)
        try:
            run_git("clone", "--quiet", "--no-checkout", "--shared", str(mirror), str(staging))
            run_git("checkout", "--quiet", "--detach", commit, cwd=staging)
            run_git("submodule", "update", "--init", "--recursive", "--quiet", cwd=staging)
            try:
                os.rename(staging, target)
            except OSError:
                if not target.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return commit, target
