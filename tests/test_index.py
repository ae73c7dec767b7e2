"""The index layer against a real local index: pages, metadata ladder, HTTP cache, downloads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.builders import Package, build_wheel
from support.index import LocalIndex
from yurt.cache import ARCHIVES, Cache
from yurt.fs import TEMPORARY_PREFIX
from yurt.index.client import OfflineMiss
from yurt.index.download import HashMismatch
from yurt.index.http import NetworkError
from yurt.index.session import open_session
from yurt.index.simple import parse_html_page, parse_json_page
from yurt.settings import Settings


def settings_for(cache_dir: Path, index_url: str | None, **changes) -> Settings:
    return Settings(cache_dir=cache_dir, sources={}, index_url=index_url, **changes)


def session_for(cache_dir: Path, index: LocalIndex | None, **changes):
    settings = settings_for(cache_dir, index.url if index else None, **changes)
    return open_session(settings, Cache(cache_dir), backoff=0.0)


def metadata_requests(index: LocalIndex):
    return [request for request in index.requests if request.path.startswith("/files/")]


@pytest.fixture
def populated(index):
    index.add_package(Package("alpha", "1.0", dependencies=("beta>=2",)), sdist=True)
    index.add_package(Package("alpha", "2.0", dependencies=("beta>=2", "gamma; python_version < '3'")))
    index.add_package(Package("beta", "2.0"), requires_python=">=3.8")
    index.add_package(Package("beta", "3.0"), yanked="broken build")
    return index


def test_json_page_lists_files_with_their_facts(populated, cache_dir):
    session = session_for(cache_dir, populated)
    files = {dist.filename: dist.file for dist in session.client.project_files("beta")}
    assert sorted(files) == ["beta-2.0-py3-none-any.whl", "beta-3.0-py3-none-any.whl"]
    assert files["beta-2.0-py3-none-any.whl"].requires_python == ">=3.8"
    assert files["beta-3.0-py3-none-any.whl"].yanked is True
    assert files["beta-3.0-py3-none-any.whl"].yanked_reason == "broken build"
    wheel = files["beta-2.0-py3-none-any.whl"]
    assert len(wheel.hashes["sha256"]) == 64
    assert wheel.metadata_hashes and len(wheel.metadata_hashes["sha256"]) == 64
    assert wheel.url == populated.file_url("beta-2.0-py3-none-any.whl")
    accept = populated.requests_for("/simple/beta/")[0].header("accept")
    assert accept.startswith("application/vnd.pypi.simple.v1+json")


def test_html_page_parses_to_the_same_files(populated, cache_dir):
    session = session_for(cache_dir, populated)
    url = populated.project_url("alpha")
    as_json = session.http.fetch(url, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    as_html = session.http.fetch(url, headers={"Accept": "text/html"})
    assert as_html.headers["Content-Type"].startswith("text/html")
    from_json = parse_json_page(as_json.body, as_json.url, "alpha")
    from_html = parse_html_page(as_html.body, as_html.url, "alpha")

    def essentials(page):
        return sorted((f.filename, f.url, f.hashes["sha256"], f.requires_python, f.yanked, f.metadata_hashes is not None)
                      for f in page.files)

    assert essentials(from_json) == essentials(from_html)
    assert len(from_json.files) == 3


def test_unknown_project_is_empty_and_remembered(populated, cache_dir):
    session = session_for(cache_dir, populated)
    assert session.client.project_files("no-such-thing") == ()
    again = session_for(cache_dir, populated)
    populated.reset_log()
    assert again.client.project_files("no-such-thing") == ()
    assert populated.request_count == 0


def test_metadata_from_pep_658_file(populated, cache_dir):
    session = session_for(cache_dir, populated)
    dist = next(d for d in session.client.project_files("alpha") if d.filename.endswith("2.0-py3-none-any.whl"))
    populated.reset_log()
    metadata = session.metadata.wheel_metadata(dist)
    assert b"Requires-Dist: beta>=2" in metadata
    assert [request.path for request in populated.requests] == ["/files/alpha-2.0-py3-none-any.whl.metadata"]


def test_metadata_by_range_requests_without_pep_658(populated, cache_dir):
    populated.serve_metadata = False
    session = session_for(cache_dir, populated)
    dist = next(d for d in session.client.project_files("alpha") if d.filename.endswith(".whl"))
    assert not dist.file.has_metadata_file
    populated.reset_log()
    metadata = session.metadata.wheel_metadata(dist)
    assert b"Name: alpha" in metadata
    requests = metadata_requests(populated)
    assert requests and all(request.header("range") for request in requests)
    assert all(request.header("accept-encoding") == "identity" for request in requests)
    assert len(requests) <= 3


def test_metadata_by_download_when_ranges_are_refused(populated, cache_dir):
    populated.serve_metadata = False
    populated.allow_ranges = False
    session = session_for(cache_dir, populated)
    dists = [d for d in session.client.project_files("beta")]
    populated.reset_log()
    for dist in dists:
        assert b"Name: beta" in session.metadata.wheel_metadata(dist)
    # The first file finds out that ranges do not work; the second goes straight to the download.
    ranged = [request for request in metadata_requests(populated) if request.header("range")]
    assert len(ranged) == 1
    # The download was not wasted: the wheel is unpacked in the cache for the install.
    assert all(session.downloader.cached(dist) is not None for dist in dists)


def test_metadata_and_pages_need_no_request_on_a_warm_cache(populated, cache_dir):
    session = session_for(cache_dir, populated)
    for name in ("alpha", "beta"):
        for dist in session.client.project_files(name):
            if dist.filename.endswith(".whl"):
                session.metadata.wheel_metadata(dist)
    populated.reset_log()
    warm = session_for(cache_dir, populated)
    for name in ("alpha", "beta"):
        for dist in warm.client.project_files(name):
            if dist.filename.endswith(".whl"):
                warm.metadata.wheel_metadata(dist)
    assert populated.request_count == 0
    assert warm.http.request_count == 0


def test_pages_without_caching_headers_are_fresh_for_the_default_ttl(populated, cache_dir):
    session_for(cache_dir, populated).client.project_files("alpha")
    populated.reset_log()
    session_for(cache_dir, populated).client.project_files("alpha")
    assert populated.request_count == 0
    # With the lifetime set to zero, the next run asks again.
    session_for(cache_dir, populated, index_ttl=0.0).client.project_files("alpha")
    assert len(populated.requests_for("/simple/alpha/")) == 1


def test_etag_revalidation_and_refresh(populated, cache_dir):
    populated.enable_caching(max_age=0)
    session_for(cache_dir, populated).client.project_files("alpha")
    first = populated.requests_for("/simple/alpha/")[0]
    assert first.header("if-none-match") is None
    populated.reset_log()
    files = session_for(cache_dir, populated).client.project_files("alpha")
    assert len(files) == 3
    request = populated.requests_for("/simple/alpha/")[0]
    assert request.header("if-none-match")
    # A long max-age makes the page fresh; --refresh revalidates it anyway.
    populated.enable_caching(max_age=3600)
    session_for(cache_dir, populated, refresh=True).client.project_files("alpha")
    populated.reset_log()
    session_for(cache_dir, populated).client.project_files("alpha")
    assert populated.request_count == 0
    session_for(cache_dir, populated, refresh_packages=("Alpha",)).client.project_files("alpha")
    assert len(populated.requests_for("/simple/alpha/")) == 1


def test_offline_uses_the_cache_and_names_what_is_missing(populated, cache_dir):
    with pytest.raises(OfflineMiss) as missing:
        session_for(cache_dir, populated, offline=True).client.project_files("alpha")
    assert "/simple/alpha/" in missing.value.message
    assert "--offline" in missing.value.message
    assert populated.request_count == 0
    session_for(cache_dir, populated).client.project_files("alpha")
    populated.reset_log()
    # Offline, even a stale page is used rather than nothing.
    files = session_for(cache_dir, populated, offline=True, index_ttl=0.0).client.project_files("alpha")
    assert len(files) == 3
    assert populated.request_count == 0


def test_first_index_and_unsafe_best_match(cache_dir):
    with LocalIndex() as extra, LocalIndex() as main:
        extra.add_package(Package("shared", "1.0"))
        main.add_package(Package("shared", "2.0"))
        main.add_package(Package("only-main", "1.0"))
        first = session_for(cache_dir / "a", main, extra_index_urls=(extra.url,))
        assert [d.filename for d in first.client.project_files("shared")] == ["shared-1.0-py3-none-any.whl"]
        assert [d.filename for d in first.client.project_files("only-main")] == ["only_main-1.0-py3-none-any.whl"]
        best = session_for(cache_dir / "b", main, extra_index_urls=(extra.url,), index_strategy="unsafe-best-match")
        assert sorted(d.filename for d in best.client.project_files("shared")) == [
            "shared-1.0-py3-none-any.whl",
            "shared-2.0-py3-none-any.whl",
        ]


def test_find_links_folder(cache_dir, tmp_path):
    folder = tmp_path / "wheels"
    folder.mkdir()
    build_wheel(Package("local-thing", "1.5"), folder)
    (folder / "notes.txt").write_text("not a distribution")
    session = session_for(cache_dir, None, no_index=True, find_links=(str(folder),))
    dists = session.client.project_files("Local_Thing")
    assert [d.filename for d in dists] == ["local_thing-1.5-py3-none-any.whl"]
    wheel = session.downloader.fetch(dists[0])
    assert (wheel.archive / "local_thing" / "__init__.py").is_file()
    assert b"Name: local-thing" in session.metadata.wheel_metadata(dists[0])


def test_find_links_page(populated, cache_dir):
    session = session_for(cache_dir, None, no_index=True, find_links=(populated.files_url,))
    assert sorted(d.filename for d in session.client.project_files("beta")) == [
        "beta-2.0-py3-none-any.whl",
        "beta-3.0-py3-none-any.whl",
    ]


def test_page_fetch_survives_injected_errors_and_a_reset(populated, cache_dir):
    populated.fail_next(2, status=500, path_prefix="/simple/")
    populated.reset_next(1, path_prefix="/simple/")
    files = session_for(cache_dir, populated).client.project_files("alpha")
    assert len(files) == 3
    assert len(populated.requests_for("/simple/alpha/")) >= 3


def test_persistent_server_errors_name_the_url(populated, cache_dir):
    populated.fail_next(10, status=503, path_prefix="/simple/")
    with pytest.raises(NetworkError) as failure:
        session_for(cache_dir, populated, http_retries=2).client.project_files("alpha")
    assert populated.project_url("alpha") in failure.value.message
    assert "503" in failure.value.message


def test_download_unpacks_once_and_verifies_the_hash(populated, cache_dir):
    session = session_for(cache_dir, populated)
    dist = next(d for d in session.client.project_files("beta") if d.filename == "beta-2.0-py3-none-any.whl")
    wheel = session.downloader.fetch(dist)
    assert wheel.sha256 == dist.file.hashes["sha256"]
    assert "__version__" in (wheel.archive / "beta" / "__init__.py").read_text()
    assert (wheel.archive / "beta-2.0.dist-info" / "RECORD").is_file()
    populated.reset_log()
    again = session_for(cache_dir, populated).downloader.fetch(dist)
    assert again.archive == wheel.archive
    assert populated.request_count == 0


def test_once_the_plan_is_made_wheels_it_leaves_out_are_not_fetched(populated, cache_dir):
    session = session_for(cache_dir, populated)
    files = {d.filename: d for d in session.client.project_files("beta")}
    needed, left_out = files["beta-2.0-py3-none-any.whl"], files["beta-3.0-py3-none-any.whl"]
    populated.reset_log()
    session.downloader.keep_only(frozenset({needed.filename}))
    session.downloader.fetch_ahead(left_out)
    session.downloader.fetch_ahead(needed)
    try:
        wheel = session.downloader.fetch(needed)
    finally:
        session.close()
    assert wheel.sha256 == needed.file.hashes["sha256"]
    # Only the planned wheel was asked for; nothing of the other reached the cache.
    assert [request.path for request in populated.requests] == ["/files/beta-2.0-py3-none-any.whl"]
    assert not (Cache(cache_dir).bucket("archives-v1") / left_out.file.hashes["sha256"]).exists()


def test_wheels_already_fetched_are_yielded_first(populated, cache_dir):
    session = session_for(cache_dir, populated, concurrent_downloads=1)
    files = {d.filename: d for d in session.client.project_files("beta")}
    later, ready = files["beta-3.0-py3-none-any.whl"], files["beta-2.0-py3-none-any.whl"]
    session.downloader.fetch(ready)
    # One worker, and the wheel not yet fetched listed first: it is slow to come (a delayed
    # server), yet the one already fetched does not wait behind it.
    populated.delay(0.5)
    try:
        order = [dist.filename for dist, _ in session.downloader.fetch_as_ready([later, ready])]
    finally:
        populated.clear_faults()
        session.close()
    assert order == [ready.filename, later.filename]


def test_truncated_download_is_retried(populated, cache_dir):
    session = session_for(cache_dir, populated)
    dist = next(d for d in session.client.project_files("beta") if d.filename == "beta-2.0-py3-none-any.whl")
    populated.truncate_next(1, path_prefix="/files/beta-2.0")
    wheel = session.downloader.fetch(dist)
    assert wheel.sha256 == dist.file.hashes["sha256"]
    assert len(populated.requests_for("/files/beta-2.0-py3-none-any.whl")) == 2


def test_wrong_hash_stops_and_caches_nothing(populated, cache_dir):
    session = session_for(cache_dir, populated)
    dist = next(d for d in session.client.project_files("beta") if d.filename == "beta-2.0-py3-none-any.whl")
    populated.corrupt("beta-2.0-py3-none-any.whl")
    with pytest.raises(HashMismatch) as mismatch:
        session.downloader.fetch(dist)
    message = mismatch.value.message
    assert "beta-2.0-py3-none-any.whl" in message
    assert f"expected sha256:{dist.file.hashes['sha256']}" in message
    assert "actual   sha256:" in message
    archives = cache_dir / ARCHIVES
    assert not archives.exists() or os.listdir(archives) == []
    assert not list(cache_dir.rglob("*.whl"))


def test_unsafe_wheel_members_are_refused(index, cache_dir, tmp_path):
    for number, member in enumerate(("../escape.py", "/tmp/absolute.py")):
        path = build_wheel(Package("evil", f"1.{number}"), tmp_path, extra_members={member: "x = 1\n"})
        index.add(path)
    session = session_for(cache_dir, index)
    for dist in session.client.project_files("evil"):
        with pytest.raises(Exception) as refused:
            session.downloader.fetch(dist)
        assert "leaves its folder" in str(refused.value) or "absolute path" in str(refused.value)
    assert not (tmp_path.parent / "escape.py").exists()
    archives = cache_dir / ARCHIVES
    assert not archives.exists() or os.listdir(archives) == []


def test_unpack_writes_every_member_exactly(tmp_path):
    """Stored, deflated and large (inflated in pieces) members all come out byte for byte."""
    import random
    import zipfile

    from yurt.cache.archives import unpack_wheel

    rng = random.Random(7)
    members = {
        "pkg/__init__.py": b"x = 1\n" * 100,
        "pkg/stored.bin": bytes(rng.randrange(256) for _ in range(5000)),
        "pkg/empty.txt": b"",
        "pkg/deep/er/large.bin": bytes(rng.randrange(4) for _ in range(9 * 1024 * 1024)),
        "pkg/large-stored.bin": bytes(range(256)) * (36 * 1024 + 7),
    }
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in members.items():
            method = zipfile.ZIP_STORED if "stored" in name else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=method)
        script = zipfile.ZipInfo("pkg-1.0.data/scripts/run")
        script.external_attr = 0o100755 << 16
        archive.writestr(script, b"#!python\n")
    root = unpack_wheel(wheel, Cache(tmp_path / "cache"), "d" * 64)
    for name, data in members.items():
        assert (root / name).read_bytes() == data, name
    assert os.stat(root / "pkg-1.0.data/scripts/run").st_mode & 0o111
    assert not os.stat(root / "pkg/__init__.py").st_mode & 0o111


def test_corrupt_member_is_refused_and_nothing_is_kept(tmp_path):
    import zipfile

    from yurt.cache.archives import unpack_wheel
    from yurt.errors import YurtError

    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("pkg/data.txt", b"abcdefgh" * 1000, compress_type=zipfile.ZIP_STORED)
    raw = bytearray(wheel.read_bytes())
    raw[raw.index(b"abcdefgh") + 3] ^= 0xFF
    wheel.write_bytes(bytes(raw))
    cache = Cache(tmp_path / "cache")
    with pytest.raises(YurtError) as refused:
        unpack_wheel(wheel, cache, "e" * 64)
    assert "not a valid wheel" in str(refused.value) and "CRC" in str(refused.value)
    assert os.listdir(tmp_path / "cache" / ARCHIVES) == []


def test_credentials_are_used_and_never_shown(index, cache_dir):
    index.add_package(Package("private", "1.0"))
    index.require_auth("user", "s3cret")
    session = open_session(settings_for(cache_dir, index.url_with_credentials), Cache(cache_dir), backoff=0.0)
    dists = session.client.project_files("private")
    assert len(dists) == 1
    assert b"Name: private" in session.metadata.wheel_metadata(dists[0])
    index.fail_next(10, status=500)
    with pytest.raises(NetworkError) as failure:
        fresh = open_session(
            settings_for(cache_dir / "other", index.url_with_credentials, http_retries=1), Cache(cache_dir / "other"),
            backoff=0.0,
        )
        fresh.client.project_files("private")
    assert "s3cret" not in failure.value.message
    assert "****@" in failure.value.message or "127.0.0.1" in failure.value.message


FILLER = """
import sys
sys.path.insert(0, {source!r})
from pathlib import Path
from yurt.cache import Cache
from yurt.index.session import open_session
from yurt.settings import Settings
settings = Settings(cache_dir=Path({cache!r}), sources={{}}, index_url={url!r})
session = open_session(settings, Cache(settings.cache_dir), backoff=0.0)
for name in ("alpha", "beta"):
    for dist in session.client.project_files(name):
        if dist.filename.endswith(".whl"):
            session.metadata.wheel_metadata(dist)
            session.downloader.fetch(dist)
print("ok")
"""


def test_two_processes_fill_one_cache_at_once(populated, cache_dir):
    source = str(Path(__file__).resolve().parent.parent / "src")
    script = FILLER.format(source=source, cache=str(cache_dir), url=populated.url)
    processes = [
        subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    for process in processes:
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
        assert stdout.strip() == "ok"
    assert not [path for path in cache_dir.rglob(f"{TEMPORARY_PREFIX}*")]
    archives = sorted(os.listdir(cache_dir / ARCHIVES))
    assert len(archives) == 4
    pointers = list((cache_dir / "wheels-v1").rglob("*.json"))
    assert len(pointers) == 4
    assert {json.loads(pointer.read_text())["archive"] for pointer in pointers} == set(archives)


def test_the_crawl_follows_the_extras_a_requirement_asks_for(index, cache_dir):
    """`top` needs `mid[fancy]`, whose `fancy` extra needs `deep`: deep's page is fetched ahead
    from mid's metadata, before the solver decides anything."""
    from packaging.requirements import Requirement

    from yurt.python.interpreter import probe
    from yurt.resolve.options import ResolveOptions
    from yurt.resolve.provider import IndexProvider
    from yurt.resolve.target import interpreter_target
    from yurt.resolve.version_set import VersionSet

    index.add_package(Package("top", "1.0", dependencies=("mid[fancy]",)))
    index.add_package(Package("mid", "1.0", dependencies=("deep; extra == 'fancy'",)))
    index.add_package(Package("deep", "1.0"))
    session = session_for(cache_dir, index)
    target = interpreter_target(probe(Path(sys.executable), None))
    provider = IndexProvider(session, target, ResolveOptions())
    try:
        provider.note_requirement("top", Requirement("top"), direct=True)
        provider.prefetch_page("top").result()
        provider.expect("top", VersionSet.full(provider.universe("top")))
        deadline = time.monotonic() + 10
        while not index.requests_for("/simple/deep/") and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        provider.close()
        session.close()
    assert index.requests_for("/simple/deep/")
