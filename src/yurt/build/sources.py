"""Direct references (paths, archives, URLs, git) fetched to a local wheel, sdist or project folder."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from yurt.cache import Cache
from yurt.dists import DirectSource
from yurt.errors import YurtError
from yurt.index.client import DistFile
from yurt.index.download import HashMismatch, expected_digest
from yurt.index.simple import IndexFile
from yurt.requirements.manifest import RequirementLine

# Fragment keys of a URL that carry a digest of the file (`#sha256=...`).
HASH_ALGORITHMS = ("sha512", "sha384", "sha256", "sha224", "md5")


def kind_of(filename: str) -> str:
    return "wheel" if filename.lower().endswith(".whl") else "sdist"


def line_hashes(line: RequirementLine, fragment_hashes: dict[str, str]) -> dict[str, str]:
    """The digests a file must match: the URL's `#sha256=` fragment, then `--hash` options."""
    hashes = dict(fragment_hashes)
    for item in line.hashes:
        algorithm, _, digest = item.partition(":")
        hashes.setdefault(algorithm, digest.lower())
    return hashes


def file_sha256(path: Path, expected: dict[str, str]) -> str:
    """The sha256 of a local file, checked against the digests the user gave."""
    with open(path, "rb") as stream:
        digests = {"sha256": hashlib.file_digest(stream, "sha256").hexdigest()}
    wanted = expected_digest(expected)
    if wanted is not None:
        if wanted[0] not in digests:
            with open(path, "rb") as stream:
                digests[wanted[0]] = hashlib.file_digest(stream, wanted[0]).hexdigest()
        if digests[wanted[0]] != wanted[1]:
            raise HashMismatch(
                f"hash mismatch for {path.name}:\n  expected {wanted[0]}:{wanted[1]}\n"
                f"  actual   {wanted[0]}:{digests[wanted[0]]}",
                "the file is not the one the requirement names; nothing was installed",
            )
    return digests["sha256"]


def fetch_reference(line: RequirementLine, cache: Cache, downloader) -> DirectSource:
    """Make the source of a direct requirement local: check its hashes, clone or download it."""
    reference = line.reference
    common = {"editable": line.editable, "config_settings": line.config_settings}
    if reference.kind == "directory":
        path = Path(reference.path)
        if reference.subdirectory:
            path = path / reference.subdirectory
        # Named on the command line (no file origin): the user just changed it, build it afresh.
        return DirectSource("directory", path, reference.url, rebuild=line.origin is None, **common)
    if reference.kind == "archive":
        path = Path(reference.path)
        digest = file_sha256(path, line_hashes(line, {}))
        return DirectSource(kind_of(path.name), path, reference.url, sha256=digest, **common)
    if reference.kind == "vcs":
        from yurt.build.git import checkout

        commit, folder = checkout(cache, reference.repository, reference.revision)
        path = folder / reference.subdirectory if reference.subdirectory else folder
        if not path.is_dir():
            raise YurtError(f"{reference.url}: the repository has no folder {reference.subdirectory!r}")
        return DirectSource(
            "directory", path, reference.repository, vcs=reference.vcs, commit=commit,
            requested_revision=reference.revision, subdirectory=reference.subdirectory, **common,
        )
    return fetch_url(line, downloader, **common)


def fetch_url(line: RequirementLine, downloader, **common) -> DirectSource:
    """A remote wheel or sdist, downloaded once into the cache and checked against its hash fragment."""
    url = line.reference.url
    split = urlsplit(url)
    fragment = {}
    for item in split.fragment.split("&"):
        key, _, value = item.partition("=")
        if key in HASH_ALGORITHMS and value:
            fragment[key] = value.lower()
    filename = unquote(split.path.rsplit("/", 1)[-1])
    if not filename.lower().endswith((".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar")):
        raise YurtError(f"{url}: the URL does not end in a wheel or sdist file name",
                        "link to a .whl, .tar.gz or .zip file")
    location = urlunsplit((split.scheme, split.netloc, split.path, split.query, ""))
    dist = DistFile(IndexFile(filename, location, hashes=line_hashes(line, fragment)), location, "direct")
    if kind_of(filename) == "wheel":
        wheel = downloader.fetch(dist)
        return DirectSource("wheel", wheel.archive, url, sha256=wheel.sha256,
                            subdirectory=line.reference.subdirectory, **common)
    path = downloader.fetch_sdist(dist)
    return DirectSource("sdist", path, url, sha256=path.parent.name,
                        subdirectory=line.reference.subdirectory, **common)

