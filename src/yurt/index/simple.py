"""The simple repository API: parse PEP 691 JSON and PEP 503 HTML project pages into one form."""

from __future__ import annotations

from urllib.parse import unquote, urldefrag, urljoin

import msgspec

JSON_MEDIA_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_MEDIA_TYPE = "application/vnd.pypi.simple.v1+html"
# JSON preferred; the versioned HTML next; plain HTML from old servers last.
ACCEPT = f"{JSON_MEDIA_TYPE}, {HTML_MEDIA_TYPE};q=0.2, text/html;q=0.01"


class IndexFile(msgspec.Struct, frozen=True, omit_defaults=True):
    """One file on a project page, as the index describes it."""

    filename: str
    url: str
    hashes: dict[str, str] = {}
    requires_python: str | None = None
    yanked: bool = False
    yanked_reason: str | None = None
    # PEP 658/714: None when not offered, else the hashes of the metadata file (possibly empty).
    metadata_hashes: dict[str, str] | None = None
    size: int | None = None
    upload_time: str | None = None

    @property
    def has_metadata_file(self) -> bool:
        return self.metadata_hashes is not None


class ProjectPage(msgspec.Struct, frozen=True):
    """A project's files on one index (or find-links source)."""

    name: str
    files: tuple[IndexFile, ...]
    # PEP 700: every version the index knows, including those without usable files.
    versions: tuple[str, ...] = ()


class _JsonFile(msgspec.Struct, rename="kebab"):
    filename: str
    url: str
    hashes: dict[str, str] = {}
    requires_python: str | None = None
    yanked: bool | str = False
    core_metadata: bool | dict[str, str] | None = None
    dist_info_metadata: bool | dict[str, str] | None = None
    size: int | None = None
    upload_time: str | None = None


class _JsonPage(msgspec.Struct):
    name: str = ""
    files: list[_JsonFile] = []
    versions: list[str] = []


_json_decoder = msgspec.json.Decoder(_JsonPage)


def metadata_hashes(value: object) -> dict[str, str] | None:
    """PEP 658/714's value: true or a hash mapping means offered; false or absent means not."""
    if isinstance(value, dict):
        return {str(key): str(digest) for key, digest in value.items()}
    return {} if value is True else None


def file_url(base: str, href: str) -> tuple[str, str]:
    """A file link made absolute against `base`, split from its fragment.

    Most indexes link files by absolute URLs with no fragment: those are taken as they are, since
    `urljoin` costs about 30 µs a call and a large project's page lists thousands of files.
    """
    if "#" not in href and href.startswith(("https://", "http://")):
        return href, ""
    return urldefrag(urljoin(base, href))


def parse_json_page(body: bytes, page_url: str, name: str) -> ProjectPage:
    """A PEP 691 project page; relative file URLs are resolved against the page's URL."""
    try:
        page = _json_decoder.decode(body)
    except msgspec.DecodeError as error:
        raise ValueError(f"invalid JSON project page: {error}") from None
    # A large project lists thousands of files (ruff, coverage and pillow: 13,000 together), so
    # the common case is kept cheap: absolute URLs as they are, no metadata file, not yanked, and
    # the fields passed in IndexFile's order. The decoded hash mappings are fresh, not copied.
    files = []
    append = files.append
    for entry in page.files:
        url = entry.url
        if "#" in url or not url.startswith(("https://", "http://")):
            url, _ = file_url(page_url, url)
        yanked = entry.yanked
        core = entry.core_metadata if entry.core_metadata is not None else entry.dist_info_metadata
        append(IndexFile(
            entry.filename,
            url,
            entry.hashes,
            entry.requires_python or None,
            bool(yanked),
            yanked if yanked and isinstance(yanked, str) else None,
            None if core is None or core is False else metadata_hashes(core),
            entry.size,
            entry.upload_time,
        ))
    return ProjectPage(name=page.name or name, files=tuple(files), versions=tuple(page.versions))


def hashes_from_fragment(fragment: str) -> dict[str, str]:
    """`sha256=abc…` in a URL fragment, as PEP 503 puts a file's hash."""
    algorithm, separator, digest = fragment.partition("=")
    return {algorithm.lower(): digest.lower()} if separator and digest else {}


def parse_html_page(body: bytes, page_url: str, name: str) -> ProjectPage:
    """A PEP 503 project page (or a find-links page): one anchor per file."""
    # Imported here: html.parser costs a few ms, and most indexes answer in JSON.
    from yurt.index.anchors import AnchorParser

    parser = AnchorParser()
    parser.feed(body.decode("utf-8", errors="replace"))
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    files = []
    for attributes, text in parser.anchors:
        href = attributes.get("href")
        if not href:
            continue
        url, fragment = file_url(base, href)
        filename = unquote(url.rsplit("/", 1)[-1]) or text
        yanked_value = attributes.get("data-yanked")
        core = attributes.get("data-core-metadata", attributes.get("data-dist-info-metadata"))
        files.append(
            IndexFile(
                filename=filename,
                url=url,
                hashes=hashes_from_fragment(fragment),
                requires_python=attributes.get("data-requires-python") or None,
                yanked=yanked_value is not None,
                yanked_reason=yanked_value or None,
                metadata_hashes=None if core is None else (hashes_from_fragment(core) if core != "true" else {}),
            )
        )
    return ProjectPage(name=name, files=tuple(files))


def parse_page(body: bytes, content_type: str, page_url: str, name: str) -> ProjectPage:
    """Parse by the response's media type: JSON for PEP 691, HTML otherwise."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == JSON_MEDIA_TYPE or media_type.endswith("+json") or media_type == "application/json":
        return parse_json_page(body, page_url, name)
    return parse_html_page(body, page_url, name)
