"""Link files from the cache into an environment, choosing clone, hardlink or copy once per run."""

from __future__ import annotations

import enum
import errno
import os
from collections.abc import Callable
from pathlib import Path

from yurt import log
from yurt.fs import clone_file, copy_file


class LinkMode(enum.Enum):
    """How a file of the cache becomes a file of the environment (`--link-mode`)."""

    CLONE = "clone"
    HARDLINK = "hardlink"
    COPY = "copy"
    SYMLINK = "symlink"


LINK_FUNCTIONS: dict[LinkMode, Callable[[str, str], None]] = {
    LinkMode.CLONE: clone_file,
    LinkMode.HARDLINK: os.link,
    LinkMode.COPY: copy_file,
    # An absolute link to the cache file: the environment breaks if the cache is cleaned.
    LinkMode.SYMLINK: os.symlink,
}

# What each requested mode tries, in order, on the first file of a run.
FALLBACKS = {
    LinkMode.CLONE: (LinkMode.CLONE, LinkMode.HARDLINK, LinkMode.COPY),
    LinkMode.HARDLINK: (LinkMode.HARDLINK, LinkMode.COPY),
    LinkMode.SYMLINK: (LinkMode.SYMLINK, LinkMode.COPY),
    LinkMode.COPY: (LinkMode.COPY,),
}

# Failures that concern this one path (it exists, its folder is missing, the disk is full...):
# every mode would fail the same way, so they say nothing about which mode works.
PATH_ERRORS = frozenset({
    errno.EEXIST, errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG,
    errno.EACCES, errno.EROFS, errno.ENOSPC, errno.EDQUOT,
})

VERBS = {LinkMode.HARDLINK: "hardlink", LinkMode.SYMLINK: "symlink"}


class Linker:
    """Links files for every wheel of one install, deciding the mode on the first file.

    Later files reuse that decision and are never retried another way: on a cache and an
    environment that sit on different filesystems, trying a hardlink per file would double the
    system calls and repeat the same failure thousands of times.
    """

    def __init__(
        self,
        requested: LinkMode,
        *,
        cache: Path,
        environment: Path,
        warn: Callable[[str], None],
    ) -> None:
        self.requested = requested
        self.cache = cache
        self.environment = environment
        self.warn = warn
        self.mode: LinkMode | None = None
        self._link_file: Callable[[str, str], None] | None = None

    def link(self, source: str, destination: str) -> None:
        """Make `destination` (which must not exist) hold the content of `source`."""
        if self._link_file is None:
            self._decide(source, destination)
        else:
            self._link_file(source, destination)

    def _decide(self, source: str, destination: str) -> None:
        failure: tuple[LinkMode, OSError] | None = None
        for mode in FALLBACKS[self.requested]:
            try:
                LINK_FUNCTIONS[mode](source, destination)
            except OSError as error:
                if mode is LinkMode.COPY or error.errno in PATH_ERRORS:
                    raise
                log.debug("%s from %s failed (%s); trying the next link mode", mode.value, source, error)
                failure = (mode, error)
                continue
            log.debug("linking files with mode %s", mode.value)
            self.mode = mode
            self._link_file = LINK_FUNCTIONS[mode]
            if mode is LinkMode.COPY and failure is not None:
                self.warn(self._fallback_message(*failure))
            return

    def _fallback_message(self, mode: LinkMode, error: OSError) -> str:
        # A clone failure falls to hardlink silently, so the mode named is the last one tried.
        head = f"Failed to {VERBS.get(mode, mode.value)} files; falling back to full copy."
        if error.errno == errno.EXDEV:
            return (
                f"{head} The cache ({self.cache}) and the environment ({self.environment}) are on different"
                " filesystems: use --cache-dir on the environment's filesystem for faster installs,"
                " or --link-mode=copy to silence this warning."
            )
        reason = error.strerror or str(error)
        code = errno.errorcode.get(error.errno, str(error.errno)) if error.errno else "no error code"
        return (
            f"{head} Linking from the cache ({self.cache}) into the environment ({self.environment})"
            f" failed with: {reason} ({code}): use --link-mode=copy to silence this warning."
        )
