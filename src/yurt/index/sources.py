"""Which indexes and find-links locations to ask, in which order, and the default index."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from yurt.errors import YurtError

# The shape of pip's own definition of its default index, which yurt reads instead of writing a
# registry host name into its code.
PIP_DEFAULT_INDEX = re.compile(r"""PyPI\s*=\s*PackageIndex\(\s*(?:url\s*=\s*)?["']([^"']+)["']""")


@dataclass(frozen=True, slots=True)
class IndexSources:
    """Where packages come from: indexes in the order they are asked, then find-links locations."""

    indexes: tuple[str, ...]
    find_links: tuple[str, ...]
    strategy: str = "first-index"


def pip_default_index_url() -> str:
    """pip's default simple index URL, read from pip's source without importing pip."""
    import importlib.util

    spec = importlib.util.find_spec("pip")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        try:
            with open(os.path.join(location, "_internal", "models", "index.py"), encoding="utf-8") as stream:
                match = PIP_DEFAULT_INDEX.search(stream.read())
        except OSError:
            continue
        if match:
            return match.group(1).rstrip("/") + "/simple/"
    raise YurtError(
        "no package index is configured, and pip, whose default index yurt uses, is not installed beside yurt",
        "pass `--index-url URL` or set YURT_INDEX_URL",
    )


def resolve_sources(
    index_url: str | None,
    extra_index_urls: tuple[str, ...],
    find_links: tuple[str, ...],
    no_index: bool,
    strategy: str,
) -> IndexSources:
    """Extra indexes are asked before the default one, as uv does; `--no-index` leaves find-links."""
    if no_index:
        return IndexSources((), find_links, strategy)
    default = index_url or pip_default_index_url()
    indexes: list[str] = []
    for url in (*extra_index_urls, default):
        url = url if url.endswith("/") else url + "/"
        if url not in indexes:
            indexes.append(url)
    return IndexSources(tuple(indexes), find_links, strategy)
