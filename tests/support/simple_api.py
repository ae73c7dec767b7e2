"""Render Simple Repository API pages (PEP 503 HTML, PEP 691 JSON) and negotiate between them."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

JSON_V1 = "application/vnd.pypi.simple.v1+json"
HTML_V1 = "application/vnd.pypi.simple.v1+html"
HTML_LEGACY = "text/html"
# Server preference when the client does not distinguish (e.g. "*/*"):
# HTML first, which is what a client that says nothing gets (PEP 691).
SERVER_PREFERENCE = (HTML_LEGACY, HTML_V1, JSON_V1)
# 1.1 adds PEP 700's versions, size and upload-time.
API_VERSION = "1.1"


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One distribution file as a project page lists it."""

    filename: str
    url: str
    sha256: str
    size: int
    requires_python: str | None = None
    # False, True (yanked without a reason) or the reason string.
    yanked: bool | str = False
    # sha256 of the PEP 658 metadata file, or None when it is not advertised.
    metadata_sha256: str | None = None
    upload_time: str | None = None


@dataclass(frozen=True, slots=True)
class _MediaRange:
    kind: str
    subtype: str
    quality: float
    position: int

    def specificity(self, media_type: str) -> int:
        """How precisely this range names ``media_type``: -1 no match, 0 */*, 1 type/*, 2 exact."""
        kind, subtype = media_type.split("/")
        if self.kind == "*" and self.subtype == "*":
            return 0
        if self.kind != kind:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == subtype else -1


def _parse_accept(header: str) -> list[_MediaRange]:
    ranges = []
    for position, item in enumerate(header.split(",")):
        media_type, *parameters = [part.strip() for part in item.split(";")]
        if "/" not in media_type:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        kind, subtype = media_type.lower().split("/", 1)
        # "latest" is PEP 691's alias for the newest version of each format.
        subtype = subtype.replace("vnd.pypi.simple.latest+", "vnd.pypi.simple.v1+")
        ranges.append(_MediaRange(kind, subtype, quality, position))
    return ranges


def negotiate(accept: str | None, format_override: str | None = None) -> str | None:
    """Pick the response media type for an Accept header; None means 406 Not Acceptable.

    The most specific matching range sets each candidate's quality; the highest
    quality wins, then the range the client listed first, then server preference.
    A missing Accept header means HTML, the format every client understands.
    """
    if format_override:
        accept = format_override
    if not accept or not accept.strip():
        return HTML_LEGACY
    ranges = _parse_accept(accept)
    best: tuple | None = None
    for preference, candidate in enumerate(SERVER_PREFERENCE):
        matches = [(media_range.specificity(candidate), -media_range.position, media_range)
                   for media_range in ranges if media_range.specificity(candidate) >= 0]
        if not matches:
            continue
        _, _, chosen = max(matches, key=lambda match: (match[0], match[1]))
        if chosen.quality <= 0:
            continue
        score = (chosen.quality, -chosen.position, -preference)
        if best is None or score > best[0]:
            best = (score, candidate)
    return best[1] if best else None


def _json(document: dict) -> bytes:
    return (json.dumps(document, indent=2) + "\n").encode("utf-8")


def root_json(project_names: list[str]) -> bytes:
    return _json({"meta": {"api-version": API_VERSION},
                  "projects": [{"name": name} for name in project_names]})


def root_html(project_names: list[str]) -> bytes:
    links = "".join(f'    <a href="{html.escape(name)}/">{html.escape(name)}</a>\n' for name in project_names)
    return _html_document("Simple index", links)


def project_json(name: str, versions: list[str], entries: list[FileEntry]) -> bytes:
    files = []
    for entry in entries:
        document = {
            "filename": entry.filename,
            "url": entry.url,
            "hashes": {"sha256": entry.sha256},
            "yanked": entry.yanked,
            "size": entry.size,
        }
        if entry.requires_python is not None:
            document["requires-python"] = entry.requires_python
        if entry.metadata_sha256 is not None:
            # PEP 714 renamed the key; servers send both so older clients still see it.
            document["core-metadata"] = {"sha256": entry.metadata_sha256}
            document["dist-info-metadata"] = {"sha256": entry.metadata_sha256}
        if entry.upload_time is not None:
            document["upload-time"] = entry.upload_time
        files.append(document)
    return _json({"meta": {"api-version": API_VERSION}, "name": name, "versions": versions, "files": files})


def project_html(name: str, entries: list[FileEntry]) -> bytes:
    links = []
    for entry in entries:
        attributes = [f'href="{html.escape(entry.url)}#sha256={entry.sha256}"']
        if entry.requires_python is not None:
            # html.escape turns ">=3.8" into "&gt;=3.8", as PEP 503 requires.
            attributes.append(f'data-requires-python="{html.escape(entry.requires_python)}"')
        if entry.yanked is not False:
            reason = entry.yanked if isinstance(entry.yanked, str) else ""
            attributes.append(f'data-yanked="{html.escape(reason)}"')
        if entry.metadata_sha256 is not None:
            attributes.append(f'data-core-metadata="sha256={entry.metadata_sha256}"')
            attributes.append(f'data-dist-info-metadata="sha256={entry.metadata_sha256}"')
        links.append(f'    <a {" ".join(attributes)}>{html.escape(entry.filename)}</a><br/>\n')
    return _html_document(f"Links for {name}", "".join(links))


def _html_document(title: str, body: str) -> bytes:
    return ("<!DOCTYPE html>\n<html>\n  <head>\n"
            f'    <meta name="pypi:repository-version" content="{API_VERSION}">\n'
            f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
            f"    <h1>{html.escape(title)}</h1>\n{body}  </body>\n</html>\n").encode("utf-8")
