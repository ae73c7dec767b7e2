"""Tests that the test harness itself builds real distributions and serves a real index."""

from __future__ import annotations

import base64
import csv
import dataclasses
import datetime
import hashlib
import http.client
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from support.archives import record_hash
from support.builders import Package, build_sdist, build_wheel, write_project
from support.cli import SOURCE_DIRECTORY, mask, run_yurt, yurt_environment
from support.index import LocalIndex

JSON = "application/vnd.pypi.simple.v1+json"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        # Returning None surfaces the 3xx itself, which is what redirect tests inspect.
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def fetch(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    """(status, headers, body) for any status, without following redirects."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def clean_subprocess_environment() -> dict[str, str]:
    """The inherited environment minus anything that could point pip or Python elsewhere."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("PIP_", "YURT_", "PYTHON")) and name != "VIRTUAL_ENV"}
    environment["PIP_CONFIG_FILE"] = os.devnull
    return environment


def run_python(*args, cwd=None, python=sys.executable) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          env=clean_subprocess_environment(), timeout=120)


def extract_sdist(sdist: Path, directory: Path) -> Path:
    with tarfile.open(sdist) as archive:
        archive.extractall(directory, filter="data")
    (root,) = directory.iterdir()
    return root


BACKEND_CALL = """
import json, sys
sys.path.insert(0, ".")  # what backend-path = ["."] asks a frontend to do
import backend
hook, argument = sys.argv[1], sys.argv[2]
print(json.dumps(getattr(backend, hook)(argument)))
"""


def call_backend(source: Path, hook: str, argument: Path) -> subprocess.CompletedProcess:
    """Invoke one PEP 517 hook in a fresh interpreter with the source tree as cwd, as frontends do."""
    return run_python("-c", BACKEND_CALL, hook, argument, cwd=source)


# ---------------------------------------------------------------- wheels


RICH = Package(
    "Rich.Pkg", "1.2",
    dependencies=("dep-one>=1", "dep-two; python_version >= '3'"),
    extras={"fast": ("speedy>=2", "turbo; sys_platform == 'linux'")},
    requires_python=">=3.8",
    files={"rich_pkg/__init__.py": "VALUE = 42\n\ndef main():\n    print('rich main')\n",
           "rich_pkg/data.txt": b"\x00binary\xff"},
    entry_points={"console_scripts": {"rich-cli": "rich_pkg:main"}, "rich.plugins": {"one": "rich_pkg:main"}},
    data_files={"scripts": {"rich-script": "#!/bin/sh\necho script\n"}, "data": {"share/rich.txt": "shared\n"}},
)


def test_wheel_record_lists_every_member_with_its_real_hash_and_size(tmp_path):
    wheel = build_wheel(RICH, tmp_path)
    assert wheel.name == "rich_pkg-1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        rows = list(csv.reader(io.StringIO(archive.read("rich_pkg-1.2.dist-info/RECORD").decode())))
        recorded = {row[0]: (row[1], row[2]) for row in rows}
        assert set(recorded) == set(names)
        assert recorded["rich_pkg-1.2.dist-info/RECORD"] == ("", "")
        for name in names:
            if name.endswith("/RECORD"):
                continue
            content = archive.read(name)
            digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
            assert recorded[name] == (f"sha256={digest}", str(len(content)))
        assert names[-1] == "rich_pkg-1.2.dist-info/RECORD"
        assert archive.getinfo("rich_pkg-1.2.data/scripts/rich-script").external_attr >> 16 & 0o777 == 0o755
    listing = run_python("-m", "zipfile", "-l", wheel)
    assert listing.returncode == 0, listing.stderr
    assert "rich_pkg-1.2.data/data/share/rich.txt" in listing.stdout
    assert "rich_pkg/__init__.py" in listing.stdout
    test_result = run_python("-m", "zipfile", "-t", wheel)
    assert test_result.returncode == 0, test_result.stderr


def test_wheel_metadata_wheel_file_and_entry_points(tmp_path):
    with zipfile.ZipFile(build_wheel(RICH, tmp_path)) as archive:
        metadata = archive.read("rich_pkg-1.2.dist-info/METADATA").decode()
        wheel_file = archive.read("rich_pkg-1.2.dist-info/WHEEL").decode()
        entry_points = archive.read("rich_pkg-1.2.dist-info/entry_points.txt").decode()
    assert metadata == RICH.metadata_text()
    assert metadata.splitlines() == [
        "Metadata-Version: 2.1",
        "Name: Rich.Pkg",
        "Version: 1.2",
        "Summary: The Rich.Pkg test package",
        "Requires-Python: >=3.8",
        "Requires-Dist: dep-one>=1",
        "Requires-Dist: dep-two; python_version >= '3'",
        "Provides-Extra: fast",
        'Requires-Dist: speedy>=2; extra == "fast"',
        "Requires-Dist: turbo; (sys_platform == 'linux') and extra == \"fast\"",
    ]
    assert "Wheel-Version: 1.0\n" in wheel_file
    assert "Root-Is-Purelib: true\n" in wheel_file
    assert "Tag: py3-none-any\n" in wheel_file
    assert "[console_scripts]\nrich-cli = rich_pkg:main\n" in entry_points
    assert "[rich.plugins]\none = rich_pkg:main\n" in entry_points


def test_wheels_and_sdists_are_byte_for_byte_reproducible(tmp_path):
    first = build_wheel(RICH, tmp_path / "one")
    second = build_wheel(RICH, tmp_path / "two")
    assert first.read_bytes() == second.read_bytes()
    # Equal bytes within one second prove little; the stored times must be the fixed ones.
    with zipfile.ZipFile(first) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    package = Package("plain", "1.0")
    sdist = build_sdist(package, tmp_path / "one")
    assert sdist.read_bytes() == build_sdist(package, tmp_path / "two").read_bytes()
    assert sdist.read_bytes()[4:8] == b"\0\0\0\0"  # gzip header mtime
    with tarfile.open(sdist) as archive:
        assert {(member.mtime, member.uid, member.uname) for member in archive.getmembers()} == {(315532800, 0, "")}


def test_names_are_escaped_and_tags_expanded(tmp_path):
    package = Package("Foo.Bar-baz", "2.0", tag="py2.py3-none-any", build_tag="7",
                      metadata_version="2.2", dynamic=("Summary",))
    assert package.normalized_name == "foo-bar-baz"
    assert package.wheel_filename == "foo_bar_baz-2.0-7-py2.py3-none-any.whl"
    assert package.sdist_filename == "foo_bar_baz-2.0.tar.gz"
    with zipfile.ZipFile(build_wheel(package, tmp_path)) as archive:
        wheel_file = archive.read("foo_bar_baz-2.0.dist-info/WHEEL").decode()
        metadata = archive.read("foo_bar_baz-2.0.dist-info/METADATA").decode()
        module = archive.read("foo_bar_baz/__init__.py").decode()
    assert "Tag: py2-none-any\nTag: py3-none-any\n" in wheel_file
    assert "Build: 7\n" in wheel_file
    assert "Metadata-Version: 2.2\n" in metadata and "Dynamic: Summary\n" in metadata
    assert '__version__ = "2.0"' in module
    assert not Package("native", tag="cp311-cp311-manylinux_2_17_x86_64").purelib


def test_bad_wheel_options(tmp_path):
    package = Package("evil", "1.0")
    future = build_wheel(package, tmp_path / "future", wheel_version="2.0")
    with zipfile.ZipFile(future) as archive:
        assert "Wheel-Version: 2.0\n" in archive.read("evil-1.0.dist-info/WHEEL").decode()
    traversal = build_wheel(package, tmp_path / "traversal",
                            extra_members={"../escaped.py": "x = 1\n", "/tmp/absolute.py": b"y = 2\n"})
    with zipfile.ZipFile(traversal) as archive:
        assert {"../escaped.py", "/tmp/absolute.py"} <= set(archive.namelist())
        record = archive.read("evil-1.0.dist-info/RECORD").decode()
    assert "../escaped.py,sha256=" in record and "/tmp/absolute.py,sha256=" in record
    tampered = build_wheel(package, tmp_path / "tampered", tamper_record=("evil/__init__.py",))
    with zipfile.ZipFile(tampered) as archive:
        rows = {row[0]: row[1] for row in csv.reader(io.StringIO(archive.read("evil-1.0.dist-info/RECORD").decode()))}
        assert rows["evil/__init__.py"] != record_hash(archive.read("evil/__init__.py"))
    unrecorded = build_wheel(package, tmp_path / "unrecorded", include_record=False)
    with zipfile.ZipFile(unrecorded) as archive:
        assert "evil-1.0.dist-info/RECORD" not in archive.namelist()
    sdist = build_sdist(package, tmp_path / "sdist", extra_members={"../outside.txt": "x", "/etc/absolute": "y"})
    with tarfile.open(sdist) as archive:
        assert {"../outside.txt", "/etc/absolute", "evil-1.0/PKG-INFO"} <= set(archive.getnames())


def test_wheel_and_in_tree_sdist_install_with_real_pip(tmp_path):
    """The real pip installs a built wheel, and builds and installs an in-tree sdist, offline."""
    links = tmp_path / "links"
    build_wheel(dataclasses.replace(RICH, dependencies=("dep-one>=1",), extras={}), links)
    build_sdist(Package("dep-one", "1.5"), links)
    environment = tmp_path / "venv"
    created = run_python("-m", "venv", "--without-pip", environment)
    assert created.returncode == 0, created.stderr
    python = environment / "bin" / "python"
    # --python lets the base interpreter's pip install into a venv that has no pip of its own.
    installed = run_python("-m", "pip", "--python", python, "--disable-pip-version-check",
                           "install", "--no-index", "--find-links", links, "rich-pkg")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    imported = run_python("-c", "import rich_pkg, dep_one; print(rich_pkg.VALUE, dep_one.__version__)",
                          python=python)
    assert imported.stdout.split() == ["42", "1.5"], imported.stderr
    script = subprocess.run([environment / "bin" / "rich-cli"], capture_output=True, text=True, timeout=60)
    assert script.stdout == "rich main\n", script.stderr
    assert (environment / "bin" / "rich-script").read_text() == "#!/bin/sh\necho script\n"
    assert (environment / "share" / "rich.txt").read_text() == "shared\n"


# ---------------------------------------------------------------- sdists and source trees


def test_in_tree_sdist_builds_the_same_wheel_offline(tmp_path):
    package = Package("built", "3.0", dependencies=("other>=1",), extras={"x": ("extra-dep",)},
                      entry_points={"console_scripts": {"built": "built:main"}},
                      data_files={"scripts": {"tool": "#!/bin/sh\n"}})
    sdist = build_sdist(package, tmp_path / "dist", metadata_version="2.2")
    with tarfile.open(sdist) as archive:
        pkg_info = archive.extractfile("built-3.0/PKG-INFO").read().decode()
        pyproject = archive.extractfile("built-3.0/pyproject.toml").read().decode()
    assert pkg_info.startswith("Metadata-Version: 2.2\n")
    assert "Requires-Dist: other>=1\n" in pkg_info and "Dynamic" not in pkg_info
    assert 'build-backend = "backend"' in pyproject and 'backend-path = ["."]' in pyproject
    source = extract_sdist(sdist, tmp_path / "unpacked")
    requires = call_backend(source, "get_requires_for_build_wheel", "")
    assert json.loads(requires.stdout) == [], requires.stderr
    output = tmp_path / "out"
    output.mkdir()
    built = call_backend(source, "build_wheel", output)
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout.splitlines()[-1]) == "built-3.0-py3-none-any.whl"
    expected = build_wheel(package, tmp_path / "expected")
    # Same data through two routes must give the same bytes: the backend is as real as build_wheel.
    assert (output / expected.name).read_bytes() == expected.read_bytes()
    metadata_directory = tmp_path / "metadata"
    metadata_directory.mkdir()
    prepared = call_backend(source, "prepare_metadata_for_build_wheel", metadata_directory)
    assert json.loads(prepared.stdout) == "built-3.0.dist-info"
    assert (metadata_directory / "built-3.0.dist-info" / "METADATA").read_text() == package.metadata_text()
    rebuilt = tmp_path / "rebuilt"
    rebuilt.mkdir()
    assert json.loads(call_backend(source, "build_sdist", rebuilt).stdout) == sdist.name
    assert (rebuilt / sdist.name).read_bytes() == sdist.read_bytes()


def test_dynamic_dependencies_appear_only_at_build_time(tmp_path):
    package = Package("dyn", "1.0", dependencies=("late>=2",), extras={"e": ("later",)})
    sdist = build_sdist(package, tmp_path, metadata_version="2.2", dynamic_dependencies=True)
    with tarfile.open(sdist) as archive:
        pkg_info = archive.extractfile("dyn-1.0/PKG-INFO").read().decode()
        pyproject = archive.extractfile("dyn-1.0/pyproject.toml").read().decode()
    assert "Requires-Dist" not in pkg_info.replace("Dynamic: Requires-Dist", "")
    assert "Dynamic: Requires-Dist\n" in pkg_info and "Dynamic: Provides-Extra\n" in pkg_info
    assert 'dynamic = ["dependencies", "optional-dependencies"]' in pyproject
    assert "late" not in pyproject
    source = extract_sdist(sdist, tmp_path / "unpacked")
    metadata_directory = tmp_path / "metadata"
    metadata_directory.mkdir()
    assert call_backend(source, "prepare_metadata_for_build_wheel", metadata_directory).returncode == 0
    metadata = (metadata_directory / "dyn-1.0.dist-info" / "METADATA").read_text()
    assert "Requires-Dist: late>=2\n" in metadata
    assert 'Requires-Dist: later; extra == "e"\n' in metadata
    older = build_sdist(package, tmp_path / "older", metadata_version="2.1", dynamic_dependencies=True)
    with tarfile.open(older) as archive:
        old_pkg_info = archive.extractfile("dyn-1.0/PKG-INFO").read().decode()
    # Metadata 2.1 has no Dynamic field: the requirements are simply missing.
    assert "Dynamic" not in old_pkg_info and "Requires-Dist" not in old_pkg_info


def test_failing_build_prints_to_stderr_and_raises(tmp_path):
    project = write_project(Package("broken", "1.0"), tmp_path / "broken",
                            build_failure="error: the compiler exploded")
    output = tmp_path / "out"
    output.mkdir()
    failed = call_backend(project, "build_wheel", output)
    assert failed.returncode != 0
    assert "error: the compiler exploded" in failed.stderr
    assert list(output.iterdir()) == []


def test_project_tree_and_editable_build(tmp_path):
    package = Package("editme", "0.1", entry_points={"console_scripts": {"editme": "editme:main"}})
    project = write_project(package, tmp_path / "project")
    assert (project / "editme" / "__init__.py").read_text().startswith('__version__ = "0.1"')
    assert not (project / "PKG-INFO").exists()
    output = tmp_path / "out"
    output.mkdir()
    built = call_backend(project, "build_editable", output)
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(output / "editme-0.1-py3-none-any.whl") as archive:
        pth = archive.read("__editable__.editme-0.1.pth").decode()
        assert "editme-0.1.dist-info/entry_points.txt" in archive.namelist()
        assert not any(name.startswith("editme/") for name in archive.namelist())
    assert Path(pth.strip()) == project.resolve()
    # Edits to the tree must be visible through the .pth, which is the point of an editable install.
    (project / "editme" / "__init__.py").write_text('__version__ = "edited"\n')
    site = tmp_path / "site"
    site.mkdir()
    (site / "editme.pth").write_text(pth)
    probe = run_python("-c", f"import site; site.addsitedir({str(site)!r}); import editme; print(editme.__version__)")
    assert probe.stdout.strip() == "edited", probe.stderr


def setuptools_builds_wheels_offline() -> bool:
    """Before 70.1 setuptools needs the separate wheel package for bdist_wheel."""
    probe = run_python("-c", "import setuptools.command.bdist_wheel")
    return probe.returncode == 0 or run_python("-c", "import wheel.bdist_wheel").returncode == 0


def call_setuptools(source: Path, backend: str, hook: str, argument: Path) -> subprocess.CompletedProcess:
    script = f"import sys, setuptools.build_meta; print({backend}.{hook}(sys.argv[1]))"
    return run_python("-c", script, argument, cwd=source)


@pytest.mark.parametrize("kind", ["setuptools", "legacy"])
def test_setuptools_and_legacy_sdists_build_with_installed_setuptools(tmp_path, kind):
    pytest.importorskip("setuptools")
    package = Package("classic", "2.5", dependencies=("needs>=1",), extras={"x": ("more",)},
                      requires_python=">=3.8",
                      files={"classic/__init__.py": "X = 1\n", "classic/data.json": "{}\n", "single.py": ""},
                      entry_points={"console_scripts": {"classic": "classic:main"}})
    sdist = build_sdist(package, tmp_path, kind)
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert ("classic-2.5/pyproject.toml" in names) == (kind == "setuptools")
    assert ("classic-2.5/setup.py" in names) == (kind == "legacy")
    source = extract_sdist(sdist, tmp_path / "unpacked")
    # The __legacy__ backend is what frontends use for a setup.py without pyproject.toml.
    backend = "setuptools.build_meta" if kind == "setuptools" else "setuptools.build_meta.__legacy__"
    output = tmp_path / "out"
    output.mkdir()
    # Rebuilding the sdist runs setuptools over the whole configuration without needing wheel.
    rebuilt = call_setuptools(source, backend, "build_sdist", output)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    with tarfile.open(output / rebuilt.stdout.strip().splitlines()[-1]) as archive:
        names = archive.getnames()
        pkg_info = archive.extractfile("classic-2.5/PKG-INFO").read().decode()
        egg_info = "classic-2.5/classic.egg-info"
        requires = archive.extractfile(f"{egg_info}/requires.txt").read().decode()
        entry_points = archive.extractfile(f"{egg_info}/entry_points.txt").read().decode()
    assert {"classic-2.5/classic/__init__.py", "classic-2.5/classic/data.json", "classic-2.5/single.py"} <= set(names)
    assert "Requires-Python: >=3.8" in pkg_info
    assert requires.split("\n\n")[0] == "needs>=1" and "[x]\nmore" in requires
    assert "classic = classic:main" in entry_points
    if not setuptools_builds_wheels_offline():
        return
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    built = call_setuptools(source, backend, "build_wheel", wheels)
    assert built.returncode == 0, built.stdout + built.stderr
    with zipfile.ZipFile(wheels / built.stdout.strip().splitlines()[-1]) as archive:
        assert {"classic/__init__.py", "classic/data.json", "single.py"} <= set(archive.namelist())
        metadata = archive.read("classic-2.5.dist-info/METADATA").decode()
    assert "Requires-Dist: needs>=1" in metadata and 'Requires-Dist: more; extra == "x"' in metadata


def test_setuptools_project_with_dynamic_dependencies_reads_them_at_build_time(tmp_path):
    pytest.importorskip("setuptools")
    package = Package("late", "1.0", dependencies=("found-late",), extras={"e": ("extra-late",)})
    project = write_project(package, tmp_path / "late", kind="setuptools", dynamic_dependencies=True)
    assert "found-late" not in (project / "pyproject.toml").read_text()
    assert (project / "requirements.in").read_text() == "found-late\n"
    output = tmp_path / "out"
    output.mkdir()
    built = call_setuptools(project, "setuptools.build_meta", "build_sdist", output)
    assert built.returncode == 0, built.stderr
    with tarfile.open(output / built.stdout.strip().splitlines()[-1]) as archive:
        requires = archive.extractfile("late-1.0/late.egg-info/requires.txt").read().decode()
    assert requires == "found-late\n\n[e]\nextra-late\n"


def test_failing_setuptools_and_legacy_builds(tmp_path):
    pytest.importorskip("setuptools")
    for kind in ("setuptools", "legacy"):
        project = write_project(Package("bad", "1.0"), tmp_path / kind, kind=kind, build_failure="boom: " + kind)
        output = tmp_path / f"{kind}-out"
        output.mkdir()
        backend = "setuptools.build_meta" if kind == "setuptools" else "setuptools.build_meta.__legacy__"
        failed = call_setuptools(project, backend, "build_sdist", output)
        assert failed.returncode != 0 and f"boom: {kind}" in failed.stderr


# ---------------------------------------------------------------- the index: pages


@pytest.fixture
def served(index, tmp_path):
    """An index holding one wheel (with metadata) and one sdist of project "Served.Pkg"."""
    wheel = build_wheel(Package("Served.Pkg", "1.0", requires_python=">=3.8"), tmp_path)
    sdist = build_sdist(Package("Served.Pkg", "0.9"), tmp_path)
    index.add(wheel, requires_python=">=3.8",
              upload_time=datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc))
    index.add(sdist, yanked="broken release")
    return index, wheel, sdist


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "text/html"),
    ("text/html", "text/html"),
    ("*/*", "text/html"),
    (JSON, JSON),
    ("application/vnd.pypi.simple.latest+json", JSON),
    ("application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.v1+html"),
    (f"{JSON}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01", JSON),
    (f"text/html, {JSON};q=0.5", "text/html"),
    (f"text/html;q=0.1, {JSON}", JSON),
    (f"{JSON};q=0, */*;q=0.5", "text/html"),
])
def test_project_page_format_follows_accept(served, accept, expected):
    index, _, _ = served
    status, headers, body = fetch(index.project_url("served-pkg"), {"Accept": accept} if accept else {})
    assert status == 200
    assert headers["Content-Type"] == expected
    if expected == JSON:
        assert json.loads(body)["name"] == "served-pkg"
    else:
        assert body.startswith(b"<!DOCTYPE html>")


def test_unacceptable_format_is_406(served):
    index, _, _ = served
    assert fetch(index.project_url("served-pkg"), {"Accept": "application/json"})[0] == 406


def test_json_project_page_describes_files(served):
    index, wheel, sdist = served
    status, _, body = fetch(index.project_url("served-pkg"), {"Accept": JSON})
    page = json.loads(body)
    assert status == 200
    assert page["meta"]["api-version"] == "1.1"
    assert page["versions"] == ["1.0", "0.9"]
    by_name = {entry["filename"]: entry for entry in page["files"]}
    wheel_entry, sdist_entry = by_name[wheel.name], by_name[sdist.name]
    assert wheel_entry["url"] == index.file_url(wheel.name)
    assert wheel_entry["hashes"] == {"sha256": sha256(wheel.read_bytes())}
    assert wheel_entry["size"] == wheel.stat().st_size
    assert wheel_entry["requires-python"] == ">=3.8"
    assert wheel_entry["yanked"] is False
    assert wheel_entry["upload-time"] == "2024-05-06T07:08:09.000000Z"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("served_pkg-1.0.dist-info/METADATA")
    assert wheel_entry["core-metadata"] == {"sha256": sha256(metadata)}
    assert wheel_entry["dist-info-metadata"] == wheel_entry["core-metadata"]
    assert sdist_entry["yanked"] == "broken release"
    assert "core-metadata" not in sdist_entry and "requires-python" not in sdist_entry
    assert fetch(wheel_entry["url"])[2] == wheel.read_bytes()


def test_html_project_page_links_with_pep_503_attributes(served):
    index, wheel, sdist = served
    _, _, body = fetch(index.project_url("served-pkg"))
    page = body.decode()
    assert '<meta name="pypi:repository-version" content="1.1">' in page
    digest = sha256(wheel.read_bytes())
    wheel_link = re.search(rf'<a href="{re.escape(index.file_url(wheel.name))}#sha256={digest}"([^>]*)>', page)
    assert wheel_link, page
    assert 'data-requires-python="&gt;=3.8"' in wheel_link.group(1)
    assert 'data-core-metadata="sha256=' in wheel_link.group(1)
    assert "data-yanked" not in wheel_link.group(1)
    sdist_link = re.search(rf'<a href="[^"]*{re.escape(sdist.name)}#sha256=[0-9a-f]{{64}}"([^>]*)>', page)
    assert 'data-yanked="broken release"' in sdist_link.group(1)


def test_root_listing_redirects_and_404(served):
    index, _, _ = served
    index.add_package(Package("second", "1.0"))
    _, _, html_body = fetch(index.url)
    assert '<a href="served-pkg/">served-pkg</a>' in html_body.decode()
    _, _, json_body = fetch(index.url, {"Accept": JSON})
    assert json.loads(json_body)["projects"] == [{"name": "second"}, {"name": "served-pkg"}]
    status, headers, _ = fetch(f"{index.url}Served_Pkg/")
    assert (status, headers["Location"]) == (301, "/simple/served-pkg/")
    status, headers, _ = fetch(f"{index.url}served-pkg")
    assert (status, headers["Location"]) == (301, "/simple/served-pkg/")
    # urllib follows the redirect by default and lands on the real page.
    with urllib.request.urlopen(f"{index.url}SERVED.pkg/", timeout=10) as response:
        assert response.url == index.project_url("served-pkg")
    assert fetch(f"{index.url}nothing-here/")[0] == 404
    assert fetch(f"{index.base_url}/files/nothing.whl")[0] == 404


def test_add_package_serves_wheel_and_sdist_and_yank_updates_live(index):
    added = index.add_package(Package("both", "1.0", requires_python=">=3.9"), sdist=True)
    assert [item.filename for item in added] == ["both-1.0-py3-none-any.whl", "both-1.0.tar.gz"]
    index.yank("both-1.0-py3-none-any.whl")
    assert 'data-yanked=""' in fetch(index.project_url("both"))[2].decode()
    index.yank("both-1.0-py3-none-any.whl", False)
    index.yank("both-1.0.tar.gz", "oops")
    page = json.loads(fetch(index.project_url("both"), {"Accept": JSON})[2])
    assert [(entry["requires-python"], entry["yanked"]) for entry in page["files"]] == [
        (">=3.9", False), (">=3.9", "oops")]
    index.relative_urls = True
    page = json.loads(fetch(index.project_url("both"), {"Accept": JSON})[2])
    assert page["files"][0]["url"] == "../../files/both-1.0-py3-none-any.whl"
    resolved = urllib.parse.urljoin(index.project_url("both"), page["files"][0]["url"])
    assert fetch(resolved)[2] == added[0].content
    assert "both-1.0.tar.gz" in fetch(index.files_url)[2].decode()


def test_metadata_files_can_be_switched_off(served):
    index, wheel, _ = served
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("served_pkg-1.0.dist-info/METADATA")
    status, _, body = fetch(index.metadata_url(wheel.name))
    assert (status, body) == (200, metadata)
    index.serve_metadata = False
    page = json.loads(fetch(index.project_url("served-pkg"), {"Accept": JSON})[2])
    assert all("core-metadata" not in entry and "dist-info-metadata" not in entry for entry in page["files"])
    assert b"data-core-metadata" not in fetch(index.project_url("served-pkg"))[2]
    assert fetch(index.metadata_url(wheel.name))[0] == 404


# ---------------------------------------------------------------- the index: files


@pytest.mark.parametrize(("range_header", "expected_slice"), [
    ("bytes=10-19", slice(10, 20)),
    ("bytes=0-0", slice(0, 1)),
    ("bytes=100-", slice(100, None)),
    ("bytes=-7", slice(-7, None)),
    ("bytes=5-99999999", slice(5, None)),
])
def test_range_requests_return_exact_slices(served, range_header, expected_slice):
    index, wheel, _ = served
    content = wheel.read_bytes()
    status, headers, body = fetch(index.file_url(wheel.name), {"Range": range_header})
    assert status == 206
    assert body == content[expected_slice]
    start = content.index(body) if expected_slice.start is not None and expected_slice.start >= 0 \
        else len(content) - len(body)
    assert headers["Content-Range"] == f"bytes {start}-{start + len(body) - 1}/{len(content)}"
    assert headers["Content-Length"] == str(len(body))


def test_unsatisfiable_range_is_416_and_head_reports_size(served):
    index, wheel, _ = served
    size = wheel.stat().st_size
    status, headers, _ = fetch(index.file_url(wheel.name), {"Range": f"bytes={size}-"})
    assert (status, headers["Content-Range"]) == (416, f"bytes */{size}")
    status, headers, body = fetch(index.file_url(wheel.name), method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(size)
    assert headers["Accept-Ranges"] == "bytes"
    # A multi-range request may be answered in full; the index does that.
    status, _, body = fetch(index.file_url(wheel.name), {"Range": "bytes=0-1,5-6"})
    assert (status, body) == (200, wheel.read_bytes())


def test_refused_ranges_send_the_whole_file(served):
    index, wheel, _ = served
    index.allow_ranges = False
    status, headers, body = fetch(index.file_url(wheel.name), {"Range": "bytes=0-9"})
    assert (status, body) == (200, wheel.read_bytes())
    assert "Accept-Ranges" not in headers and "Content-Range" not in headers


def test_caching_headers_and_conditional_requests(served):
    index, wheel, _ = served
    _, headers, _ = fetch(index.file_url(wheel.name))
    assert "ETag" not in headers and "Cache-Control" not in headers
    index.enable_caching(max_age=120)
    status, headers, _ = fetch(index.file_url(wheel.name))
    etag = headers["ETag"]
    assert (status, headers["Cache-Control"]) == (200, "max-age=120")
    status, headers, body = fetch(index.file_url(wheel.name), {"If-None-Match": etag})
    assert (status, body, headers["ETag"]) == (304, b"", etag)
    assert fetch(index.file_url(wheel.name), {"If-None-Match": '"stale"'})[0] == 200
    html_etag = fetch(index.project_url("served-pkg"))[1]["ETag"]
    json_status, json_headers, _ = fetch(index.project_url("served-pkg"), {"Accept": JSON})
    assert json_headers["ETag"] != html_etag and json_headers["Vary"] == "Accept"
    assert fetch(index.project_url("served-pkg"), {"Accept": JSON, "If-None-Match": html_etag})[0] == 200
    index.disable_caching()
    assert fetch(index.file_url(wheel.name), {"If-None-Match": etag})[0] == 200


def test_basic_auth(served):
    index, wheel, _ = served
    index.require_auth("alice", "s3cret:with colon")
    status, headers, _ = fetch(index.url)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
    wrong = base64.b64encode(b"alice:nope").decode()
    assert fetch(index.url, {"Authorization": f"Basic {wrong}"})[0] == 401
    right = base64.b64encode(b"alice:s3cret:with colon").decode()
    assert fetch(index.file_url(wheel.name), {"Authorization": f"Basic {right}"})[0] == 200
    assert index.url_with_credentials.startswith("http://alice:s3cret%3Awith%20colon@127.0.0.1:")
    index.disable_auth()
    assert fetch(index.url)[0] == 200


# ---------------------------------------------------------------- the index: faults


def test_fail_next_answers_with_the_status_then_recovers(served):
    index, wheel, _ = served
    index.fail_next(2, status=503, headers={"Retry-After": "0"})
    first = fetch(index.url)
    assert (first[0], first[1]["Retry-After"]) == (503, "0")
    assert fetch(index.file_url(wheel.name))[0] == 503
    assert fetch(index.url)[0] == 200
    index.fail_next(1, path_prefix="/files/")
    assert fetch(index.url)[0] == 200
    assert fetch(index.file_url(wheel.name))[0] == 500
    assert fetch(index.file_url(wheel.name))[0] == 200


def test_reset_next_drops_the_connection(served):
    index, _, _ = served
    index.reset_next(1)
    with pytest.raises((ConnectionError, http.client.HTTPException, urllib.error.URLError)):
        fetch(index.url)
    assert fetch(index.url)[0] == 200
    assert index.request_count == 2


def test_truncate_next_sends_a_short_body(served):
    index, wheel, _ = served
    index.truncate_next(1, path_prefix="/files/")
    connection = http.client.HTTPConnection("127.0.0.1", index.port, timeout=10)
    connection.request("GET", f"/files/{wheel.name}")
    response = connection.getresponse()
    assert response.getheader("Content-Length") == str(wheel.stat().st_size)
    with pytest.raises(http.client.IncompleteRead) as raised:
        response.read()
    assert raised.value.partial == wheel.read_bytes()[: wheel.stat().st_size // 2]
    connection.close()
    assert fetch(index.file_url(wheel.name))[2] == wheel.read_bytes()


def test_corrupt_serves_bytes_that_do_not_match_the_hash(served):
    index, wheel, _ = served
    advertised = json.loads(fetch(index.project_url("served-pkg"), {"Accept": JSON})[2])["files"][0]
    index.corrupt(wheel.name)
    served_bytes = fetch(index.file_url(wheel.name))[2]
    assert len(served_bytes) == wheel.stat().st_size
    assert sha256(served_bytes) != advertised["hashes"]["sha256"]
    # The page still advertises the true hash; only the download is wrong.
    again = json.loads(fetch(index.project_url("served-pkg"), {"Accept": JSON})[2])["files"][0]
    assert again["hashes"] == advertised["hashes"]
    index.corrupt(wheel.name + ".metadata", b"Metadata-Version: 2.1\nName: other\n")
    assert fetch(index.metadata_url(wheel.name))[2] == b"Metadata-Version: 2.1\nName: other\n"
    index.clear_faults()
    assert fetch(index.file_url(wheel.name))[2] == wheel.read_bytes()


def test_delay_slows_every_response(served):
    index, _, _ = served
    index.delay(0.3)
    started = time.monotonic()
    assert fetch(index.url)[0] == 200
    assert time.monotonic() - started >= 0.3
    index.delay(0)
    started = time.monotonic()
    fetch(index.url)
    assert time.monotonic() - started < 0.3


def test_request_log(served):
    index, wheel, _ = served
    fetch(index.url, {"Accept": JSON})
    fetch(index.file_url(wheel.name), {"Range": "bytes=0-3"})
    fetch(index.file_url(wheel.name), method="HEAD")
    assert index.request_count == 3
    method, path, headers = index.requests[0]
    assert (method, path, headers["accept"]) == ("GET", "/simple/", JSON)
    files = index.requests_for("/files/")
    assert [(request.method, request.header("Range")) for request in files] == [("GET", "bytes=0-3"), ("HEAD", None)]
    index.reset_log()
    assert index.request_count == 0 and index.requests == []


def test_close_is_prompt_with_an_idle_keep_alive_connection(tmp_path):
    index = LocalIndex().start()
    port = index.port
    index.add_package(Package("a", "1.0"))
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/simple/a/")
    assert connection.getresponse().read()
    started = time.monotonic()
    index.close()
    assert time.monotonic() - started < 2
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/simple/")
    connection.close()


# ---------------------------------------------------------------- the CLI runner


def test_environment_is_isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("YURT_INDEX_URL", "http://elsewhere")
    monkeypatch.setenv("PIP_INDEX_URL", "http://elsewhere")
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere")
    monkeypatch.setenv("HARMLESS", "kept")
    environment = yurt_environment(tmp_path, {"YURT_OFFLINE": "1", "HARMLESS": None})
    assert environment["YURT_CACHE_DIR"] == str(tmp_path)
    assert environment["YURT_OFFLINE"] == "1"
    assert environment["NO_COLOR"] == "1"
    assert environment["PYTHONPATH"] == str(SOURCE_DIRECTORY)
    assert (SOURCE_DIRECTORY / "yurt" / "__init__.py").is_file()
    assert not {"YURT_INDEX_URL", "PIP_INDEX_URL", "VIRTUAL_ENV", "HARMLESS"} & set(environment)


def test_run_yurt_imports_yurt_from_this_checkout(tmp_path):
    # From a directory outside the repository, only PYTHONPATH can find the package.
    result = run_yurt("--help", cwd=tmp_path, timeout=60)
    assert "No module named yurt" not in result.stderr
    assert isinstance(result.returncode, int)


STAND_IN_MAIN = """
import json, os, sys
print(json.dumps({"args": sys.argv[1:], "cwd": os.getcwd(), "stdin": sys.stdin.read(),
                  "cache": os.environ.get("YURT_CACHE_DIR"), "no_color": os.environ.get("NO_COLOR")}))
print("to stderr", file=sys.stderr)
raise SystemExit(int(os.environ.get("STAND_IN_EXIT", "0")))
"""


@pytest.fixture
def stand_in_yurt(tmp_path):
    """A tiny real program named yurt, to check the runner's plumbing independently of the CLI's state."""
    package = tmp_path / "stand-in" / "yurt"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(STAND_IN_MAIN)
    return {"PYTHONPATH": str(package.parent)}


def test_runner_passes_args_cwd_input_and_checks_exit_codes(yurt, cache_dir, stand_in_yurt, tmp_path):
    result = yurt("install", Path("x y"), cwd=tmp_path, env=stand_in_yurt, input="typed\n", check=True)
    seen = json.loads(result.stdout)
    assert seen == {"args": ["install", "x y"], "cwd": str(tmp_path), "stdin": "typed\n",
                    "cache": str(cache_dir), "no_color": "1"}
    assert result.stderr == "to stderr\n"
    failing = {**stand_in_yurt, "STAND_IN_EXIT": "2"}
    assert yurt("x", env=failing, check=False).returncode == 2
    assert yurt("x", env=failing, check=2).returncode == 2
    with pytest.raises(AssertionError, match="expected exit code 0, got exit code 2"):
        yurt("x", env=failing, check=True)
    with pytest.raises(AssertionError, match="non-zero"):
        yurt("x", env=stand_in_yurt, check=False)
    fresh = json.loads(run_yurt(env=stand_in_yurt).stdout)["cache"]
    assert fresh != str(cache_dir) and not Path(fresh).exists()


def test_mask_hides_timings_and_paths(tmp_path):
    text = (f"Resolved 3 packages in 12ms\nInstalled in 1.23s\nPrepared in 0.5ms\n"
            f"Wrote {tmp_path}/venv/lib and {tmp_path / 'cache'}\nkept in 3 packages\n")
    assert mask(text, {tmp_path: "[TEMP]", tmp_path / "cache": "[CACHE]"}) == (
        "Resolved 3 packages in [TIME]\nInstalled in [TIME]\nPrepared in [TIME]\n"
        "Wrote [TEMP]/venv/lib and [CACHE]\nkept in 3 packages\n")
