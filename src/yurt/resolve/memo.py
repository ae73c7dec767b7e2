"""Remember a resolution for as long as the index pages it came from stay fresh.

A warm install into a fresh venv (a container rebuilt over a cache volume) asks the same question
again and again: the same input, the same target, pages still fresh in the cache. The answer
cannot change while those pages cannot, so it is kept under a digest of everything the resolver
read from the user, and reused for the index TTL (`YURT_INDEX_TTL`, 600 s by default), the same
freshness the pages themselves get. `--refresh`, `--upgrade` and direct references bypass it.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict

import msgspec
from packaging.version import Version

from yurt import log
from yurt.cache import RESOLUTIONS, Cache
from yurt.dists import Resolution, ResolvedDist
from yurt.fs import atomic_write
from yurt.index.client import DistFile
from yurt.index.simple import IndexFile


class StoredDist(msgspec.Struct, frozen=True):
    name: str
    version: str
    file: IndexFile
    source: str
    source_key: str
    is_wheel: bool
    extras: list[str]
    parents: list[str]
    origins: list[str]
    hashes: list[str]


class StoredResolution(msgspec.Struct, frozen=True):
    created_at: float
    dists: list[StoredDist]


_decoder = msgspec.msgpack.Decoder(StoredResolution)
_encoder = msgspec.msgpack.Encoder()


def memo_key(manifest, settings, target, options) -> str | None:
    """A digest of everything resolution reads from the user and the target; None: do not memoize."""
    lines = manifest.requirements + manifest.editables
    if any(line.reference is not None or line.editable for line in lines):
        return None
    if settings.refresh or settings.refresh_packages or options.upgrade or options.upgrade_packages:
        return None

    def described(group):
        # The text as written keeps `${NAME}`; the parsed requirement holds what it expanded to.
        return [[line.text, str(line.requirement), str(line.origin) if line.origin else None] for line in group]

    facts = {
        "requirements": described(lines),
        "constraints": described(manifest.constraints),
        "overrides": described(manifest.overrides),
        "indexes": [settings.index_url, list(settings.extra_index_urls), list(settings.find_links),
                    settings.no_index, settings.index_strategy],
        "target": [dict(target.markers), str(target.python_version), [str(tag) for tag in target.tags.tags[:50]],
                   len(target.tags.tags)],
        "options": {
            key: (sorted((name, str(version)) for name, version in value.items()) if isinstance(value, dict)
                  else sorted(value) if isinstance(value, frozenset) else str(value))
            for key, value in asdict(options).items()
        },
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def recall(cache: Cache, key: str, ttl: float) -> Resolution | None:
    try:
        stored = _decoder.decode((cache.bucket(RESOLUTIONS) / f"{key}.msgpack").read_bytes())
    except (OSError, msgspec.DecodeError):
        return None
    if time.time() - stored.created_at >= ttl:
        return None
    log.debug("resolution reused: same input and target, index pages still fresh")
    return Resolution(tuple(
        ResolvedDist(
            name=item.name,
            version=Version(item.version),
            dist=DistFile(item.file, item.source, item.source_key),
            is_wheel=item.is_wheel,
            extras=frozenset(item.extras),
            parents=tuple(item.parents),
            origins=tuple(item.origins),
            hashes=tuple(item.hashes),
        )
        for item in stored.dists
    ))


def remember(cache: Cache, key: str, resolution: Resolution) -> None:
    if any(dist.dist is None or dist.source is not None for dist in resolution.dists):
        return
    stored = StoredResolution(
        created_at=time.time(),
        dists=[
            StoredDist(
                name=dist.name, version=str(dist.version), file=dist.dist.file, source=dist.dist.source,
                source_key=dist.dist.source_key, is_wheel=dist.is_wheel, extras=sorted(dist.extras),
                parents=list(dist.parents), origins=list(dist.origins), hashes=list(dist.hashes),
            )
            for dist in resolution.dists
        ],
    )
    cache.prepare_bucket(RESOLUTIONS)
    atomic_write(cache.bucket(RESOLUTIONS) / f"{key}.msgpack", _encoder.encode(stored))
