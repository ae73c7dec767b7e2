"""yurt.requirements: pip's requirements-file format, pyproject.toml and arguments, read into a Manifest."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from yurt.requirements.files import (
    ARCHIVE_SUFFIXES,
    parse_requirement_arguments,
    parse_requirements_text,
    read_requirements,
)
from yurt.requirements.manifest import Manifest, Origin, RequirementsError
from yurt.requirements.pyproject import read_pyproject
from yurt.requirements.sources import load_manifest

SOURCE = Path(__file__).resolve().parent.parent / "src"
SHA256_A = "a" * 64
SHA256_B = "b" * 64


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Every test runs in its own folder: local paths in requirements are taken from the current directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: str, text: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(textwrap.dedent(text))
    return path


def make_project(path: str) -> str:
    write(f"{path}/pyproject.toml", "[project]\nname = 'local'\nversion = '1.0'\n")
    return path


def make_file(path: str) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(b"")
    return path


def read(text: str, environment: dict[str, str] | None = None) -> Manifest:
    return read_requirements(write("requirements.txt", text), environment or {})


def failure(text: str, environment: dict[str, str] | None = None) -> RequirementsError:
    with pytest.raises(RequirementsError) as caught:
        read(text, environment)
    return caught.value


def texts(lines) -> list[str]:
    return [line.text for line in lines]


# PEP 508 lines


def test_pep508_lines_keep_extras_markers_and_specifiers():
    manifest = read("""\
        requests [security] >= 2.8.1, == 2.8.* ; python_version < "2.7"
        docopt == 0.6.1
        urllib3 @ https://example.com/urllib3-1.26.8.zip
        Flask
    """)
    first, second, third, fourth = manifest.requirements
    assert first.name == "requests"
    assert first.extras == {"security"}
    assert str(first.requirement.specifier) == "==2.8.*,>=2.8.1"
    assert str(first.marker) == 'python_version < "2.7"'
    assert first.origin == Origin("requirements.txt", 1)
    assert str(first.origin) == "requirements.txt:1"
    assert first.reference is None and not first.editable
    assert str(second.requirement) == "docopt==0.6.1"
    assert third.reference.kind == "url"
    assert third.reference.url == "https://example.com/urllib3-1.26.8.zip"
    assert fourth.name == "Flask"
    assert manifest.editables == manifest.constraints == manifest.overrides == ()


def test_comments_are_removed_but_url_fragments_stay():
    manifest = read("""\
        # a comment line
           # an indented comment
        requests==2.31.0  # pinned for a reason
        tool @ https://example.com/tool-1.0.tar.gz#sha256=abc  # the fragment is part of the URL
        git+https://example.com/repo.git#egg=repo
        plain # comment after one space

    """)
    assert texts(manifest.requirements) == [
        "requests==2.31.0",
        "tool @ https://example.com/tool-1.0.tar.gz#sha256=abc",
        "git+https://example.com/repo.git#egg=repo",
        "plain",
    ]
    assert manifest.requirements[1].requirement.url == "https://example.com/tool-1.0.tar.gz#sha256=abc"
    assert manifest.requirements[2].name == "repo"
    assert [line.origin.line_number for line in manifest.requirements] == [3, 4, 5, 6]


def test_continuations_join_lines_and_report_the_first_line_number():
    manifest = read(f"""\
        first==1.0
        second==2.0 \\
            --hash=sha256:{SHA256_A} \\
            --hash=sha256:{SHA256_B}
        thi\\
        rd
        fourth==4.0 \\
        # a comment line ends the continuation
        fifth  # comments go after joining, so this one swallows the next line \\
        swallowed
        sixth
    """)
    assert texts(manifest.requirements) == ["first==1.0", "second==2.0", "third", "fourth==4.0", "fifth", "sixth"]
    assert [line.origin.line_number for line in manifest.requirements] == [1, 2, 5, 7, 9, 11]
    assert manifest.requirements[1].hashes == (f"sha256:{SHA256_A}", f"sha256:{SHA256_B}")


def test_a_comment_line_ending_in_a_backslash_does_not_continue():
    manifest = read("# note \\\nrequests\n")
    assert texts(manifest.requirements) == ["requests"]
    assert manifest.requirements[0].origin.line_number == 2


def test_an_error_on_a_continued_line_names_its_first_line():
    error = failure("ok\n\nrequests=\\\n2.31\n")
    assert error.message == "requirements.txt:3: invalid requirement: 'requests=2.31'"


# Includes


def test_nested_includes_are_found_from_the_including_file():
    write("requirements.txt", "-r requirements/base.txt\n--requirement=requirements/dev.txt\ntop\n")
    write("requirements/base.txt", "-c ../constraints/pins.txt\nbase\n")
    write("requirements/dev.txt", "--requirement common/extra.txt\n-rcommon/more.txt\ndev\n")
    write("requirements/common/extra.txt", "extra\n--constraint=../../constraints/more.txt\n")
    write("requirements/common/more.txt", "more\n")
    write("constraints/pins.txt", "base<2\n-c more.txt\n")
    write("constraints/more.txt", "extra==1.0\n")
    manifest = read_requirements("requirements.txt", {})
    assert texts(manifest.requirements) == ["base", "extra", "more", "dev", "top"]
    assert [str(line.origin) for line in manifest.requirements] == [
        "requirements/base.txt:2",
        "requirements/common/extra.txt:1",
        "requirements/common/more.txt:1",
        "requirements/dev.txt:3",
        "requirements.txt:3",
    ]
    assert texts(manifest.constraints) == ["base<2", "extra==1.0", "extra==1.0"]
    assert str(manifest.constraints[0].origin) == "constraints/pins.txt:1"
    assert str(manifest.constraints[1].origin) == "constraints/more.txt:1"


def test_includes_work_from_another_working_directory(tmp_path, monkeypatch):
    write("project/requirements.txt", "-r base.txt\n")
    write("project/base.txt", "base\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    manifest = read_requirements(str(tmp_path / "project" / "requirements.txt"), {})
    assert texts(manifest.requirements) == ["base"]
    assert manifest.requirements[0].origin == Origin(str(tmp_path / "project" / "base.txt"), 1)


def test_an_include_cycle_is_an_error_naming_the_chain():
    write("a.txt", "one\n-r b.txt\n")
    write("b.txt", "two\n-c sub/../a.txt\n")
    with pytest.raises(RequirementsError) as caught:
        read_requirements("a.txt", {})
    assert caught.value.message == "b.txt:2: requirements files include each other: a.txt -> b.txt -> a.txt"
    assert caught.value.hints == ("remove one of the `-r`/`-c` lines that close the cycle",)


def test_a_file_including_itself_is_a_cycle():
    error = failure("-r requirements.txt\n")
    assert error.message == (
        "requirements.txt:1: requirements files include each other: requirements.txt -> requirements.txt"
    )


def test_the_same_file_included_twice_without_a_cycle_is_read_twice():
    write("common.txt", "common\n")
    manifest = read("-r common.txt\n-c common.txt\n-r common.txt\n")
    assert texts(manifest.requirements) == ["common", "common"]
    assert texts(manifest.constraints) == ["common"]


def test_a_missing_include_names_the_including_line():
    error = failure("ok\n-r missing.txt\n")
    assert error.message == "requirements.txt:2: file not found: 'missing.txt'"


def test_a_missing_top_level_file():
    with pytest.raises(RequirementsError) as caught:
        read_requirements("nothing.txt", {})
    assert caught.value.message == "file not found: 'nothing.txt'"


def test_a_remote_include_is_not_supported_yet():
    error = failure("-r https://example.com/requirements.txt\n")
    assert error.message == (
        "requirements.txt:1: remote requirement files are not supported yet: 'https://example.com/requirements.txt'"
    )
    assert error.hints == ("download the file first (for example with `curl -O`) and pass its local path",)


def test_a_file_url_include_is_a_local_file(tmp_path):
    write("base.txt", "base\n")
    manifest = read(f"-r {(tmp_path / 'base.txt').as_uri()}\n")
    assert texts(manifest.requirements) == ["base"]


def test_including_a_directory_explains_itself():
    make_project("proj")
    error = failure("-r proj\n")
    assert error.message == "requirements.txt:1: 'proj' is a directory, not a requirements file"
    assert error.hints == ("to install the project in `proj`, name it as a requirement (`proj`), without -r",)


# Constraints and overrides


def test_constraints_may_pin_by_version_or_url():
    write("constraints.txt", "a==1.0\nb @ https://example.com/b-1.0-py3-none-any.whl\nc<3 ; python_version < '3.12'\n")
    manifest = read("-c constraints.txt\n")
    assert texts(manifest.constraints) == [
        "a==1.0", "b @ https://example.com/b-1.0-py3-none-any.whl", "c<3 ; python_version < '3.12'",
    ]
    assert manifest.requirements == ()


@pytest.mark.parametrize(("line", "text", "hint"), [
    ("requests[socks]==2.31", "requests[socks]==2.31",
     "constraints cannot have extras: constrain the project alone (`name==1.0`) and ask for the extras in the requirements"),
    ("-e ./proj", "./proj", "constraints cannot be editable: move the `-e` line to a requirements file"),
    ("./proj", "./proj", "a constraint must name its project: write `name @ ./proj`"),
])
def test_constraints_follow_pips_rules(line, text, hint):
    make_project("proj")
    write("constraints.txt", f"ok\n{line}\n")
    error = failure("-c constraints.txt\n")
    assert error.message == f"constraints.txt:2: invalid constraint: '{text}'"
    assert error.hints == (hint,)


def test_overrides_use_the_same_syntax():
    write("overrides.txt", "--extra-index-url https://extra.example/simple\nnumpy<2\n-r more-overrides.txt\n-c pins.txt\n")
    write("more-overrides.txt", "scipy[all]>=1\n")
    write("pins.txt", "numpy==1.26.4\n")
    manifest = load_manifest(override_files=["overrides.txt"], environment={})
    assert texts(manifest.overrides) == ["numpy<2", "scipy[all]>=1"]
    assert texts(manifest.constraints) == ["numpy==1.26.4"]
    assert manifest.requirements == ()
    assert manifest.extra_index_urls == ("https://extra.example/simple",)


def test_an_override_must_name_its_project():
    make_project("proj")
    write("overrides.txt", "./proj\n")
    with pytest.raises(RequirementsError) as caught:
        load_manifest(override_files=["overrides.txt"])
    assert caught.value.message == "overrides.txt:1: invalid override: './proj'"
    assert caught.value.hints == ("an override must name its project: write `name @ ./proj`",)


# Editables, paths, URLs and VCS


def test_editables_in_every_spelling():
    make_project("proj")
    make_project("other project")
    make_project("third")
    manifest = read("""\
        -e ./proj
        --editable=proj[dev,test]
        -e "./other project" --config-settings editable_mode=compat
        -ethird
        --editable git+https://example.com/repo.git@v2#egg=repo
    """)
    assert manifest.requirements == ()
    proj, proj_with_extras, other, third, repo = manifest.editables
    assert all(line.editable for line in manifest.editables)
    assert proj.reference.kind == "directory"
    assert proj.reference.path == os.path.abspath("proj")
    assert proj.reference.url == Path("proj").resolve().as_uri()
    assert proj.requirement is None and proj.name is None
    assert proj_with_extras.extras == {"dev", "test"}
    assert proj_with_extras.reference.path == os.path.abspath("proj")
    assert other.reference.path == os.path.abspath("other project")
    assert other.config_settings == ("editable_mode=compat",)
    assert third.reference.path == os.path.abspath("third")
    assert repo.name == "repo"
    assert (repo.reference.kind, repo.reference.repository, repo.reference.revision) == (
        "vcs", "https://example.com/repo.git", "v2",
    )


def test_local_paths_and_archives():
    make_project("pkg")
    make_project("nested/dir")
    make_file("dist/x_y-1.0-py3-none-any.whl")
    make_file("x-1.0.tar.gz")
    make_file("unnamed.zip")
    manifest = read("""\
        ./pkg
        pkg/[extra] ; python_version >= "3"
        nested/dir
        ./dist/x_y-1.0-py3-none-any.whl
        x-1.0.tar.gz
        ./unnamed.zip
    """)
    pkg, pkg_with_extra, nested, wheel, sdist, unnamed = manifest.requirements
    assert (pkg.reference.kind, pkg.reference.path, pkg.name) == ("directory", os.path.abspath("pkg"), None)
    assert pkg_with_extra.extras == {"extra"}
    assert str(pkg_with_extra.marker) == 'python_version >= "3"'
    assert nested.reference.path == os.path.abspath("nested/dir")
    assert (wheel.reference.kind, wheel.name) == ("archive", "x-y")
    assert str(wheel.requirement) == f"x-y @ {Path('dist/x_y-1.0-py3-none-any.whl').resolve().as_uri()}"
    assert (sdist.reference.kind, sdist.name) == ("archive", "x")
    assert (unnamed.reference.kind, unnamed.name, unnamed.requirement) == ("archive", None, None)


def test_the_current_directory_and_file_urls(tmp_path):
    make_project(".")
    make_file("dist/pkg-2.0-py3-none-any.whl")
    url = (tmp_path / "dist" / "pkg-2.0-py3-none-any.whl").as_uri()
    manifest = read(f".[dev]\n{url}\nnamed @ {tmp_path.as_uri()}\n")
    here, wheel, named = manifest.requirements
    assert (here.reference.path, here.extras) == (str(tmp_path), {"dev"})
    assert (wheel.reference.kind, wheel.reference.path, wheel.name) == (
        "archive", str(tmp_path / "dist" / "pkg-2.0-py3-none-any.whl"), "pkg",
    )
    assert (named.name, named.reference.kind, named.reference.path) == ("named", "directory", str(tmp_path))


def test_local_paths_are_taken_from_the_current_directory_not_the_file():
    make_project("pkg")
    write("requirements/deep.txt", "./pkg\n")
    manifest = read_requirements("requirements/deep.txt", {})
    assert manifest.requirements[0].reference.path == os.path.abspath("pkg")


def test_remote_urls_and_git_references():
    manifest = read("""\
        https://example.com/files/tool-2.0-py3-none-any.whl
        https://example.com/files/lib-1.5.tar.gz#sha256=abcd
        https://example.com/archive/main.zip#egg=fromegg&subdirectory=python
        name @ git+ssh://git@github.com/org/repo.git@0123abc#subdirectory=sub/dir
        git+https://github.com/org/other.git#egg=other
        git+file:///srv/repos/local.git@main#egg=local
    """)
    wheel, sdist, egg, ssh, https, file = manifest.requirements
    assert (wheel.reference.kind, wheel.name) == ("url", "tool")
    assert str(wheel.requirement) == "tool @ https://example.com/files/tool-2.0-py3-none-any.whl"
    assert (sdist.name, sdist.reference.url) == ("lib", "https://example.com/files/lib-1.5.tar.gz#sha256=abcd")
    assert (egg.name, egg.reference.subdirectory) == ("fromegg", "python")
    assert ssh.reference == ssh.reference._replace(
        kind="vcs", vcs="git", repository="ssh://git@github.com/org/repo.git", revision="0123abc",
        subdirectory="sub/dir",
    )
    assert ssh.name == "name"
    assert (https.name, https.reference.revision, https.reference.repository) == (
        "other", None, "https://github.com/org/other.git",
    )
    assert (file.reference.repository, file.reference.revision) == ("file:///srv/repos/local.git", "main")


@pytest.mark.parametrize(("line", "hint"), [
    ("hg+https://example.com/repo#egg=repo", "yurt supports git repositories only, not hg"),
    ("git+https://example.com/repo.git@#egg=repo",
     "the revision after `@` is empty: write `@TAG`, `@BRANCH` or `@COMMIT`, or drop the `@`"),
    ("ftp://example.com/x-1.0.tar.gz", "unsupported URL scheme `ftp`: use https://, http://, file:// or git+"),
    ("https://example.com/x.whl", "invalid wheel filename 'x.whl': expected name-version[-build]-python-abi-platform.whl, found 1 dash-separated parts"),
    ("https://example.com/archive.zip#egg=pkg[extra]",
     "`#egg=pkg[extra]` is not a project name: write `NAME[extras] @ URL` without `#egg=`"),
])
def test_unusable_urls(line, hint):
    error = failure(f"{line}\n")
    assert error.message == f"requirements.txt:1: invalid requirement: '{line}'"
    assert error.hints == (hint,)


def test_path_problems(tmp_path):
    (tmp_path / "empty").mkdir()
    make_file("notes.txt")
    cases = {
        "./missing": f"`./missing` does not exist (a relative path is taken from the current directory, {tmp_path})",
        "empty/": "`empty/` is not a Python project: it has no pyproject.toml, setup.py or setup.cfg",
        "./notes.txt": "`./notes.txt` is neither a wheel nor a source archive; to read it as a requirements file, write `-r ./notes.txt`",
        "gone-1.0.tar.gz": f"`gone-1.0.tar.gz` does not exist (a relative path is taken from the current directory, {tmp_path})",
    }
    for line, hint in cases.items():
        error = failure(f"{line}\n")
        assert error.message == f"requirements.txt:1: invalid requirement: '{line}'"
        assert error.hints == (hint,)


# Malformed lines and their hints


@pytest.mark.parametrize(("line", "hints"), [
    ("requests=2.31", ("did you mean `requests==2.31`?",)),
    ("requests[socks] = 2.31 ; python_version > '3'", ("did you mean `requests[socks]==2.31 ; python_version > '3'`?",)),
    ("pip install requests", ("remove `pip install`: write `requests`",)),
    ("python -m pip install -r other.txt", ("remove `python -m pip install`: write `-r other.txt`",)),
    ("pip3 install", ("remove `pip3 install`",)),
    ("requests==", ("put a version after `==`, or drop `==` to accept any version",)),
    ("requests>= ; python_version > '3'", ("put a version after `>=`, or drop `>=` to accept any version",)),
    ("https://github.com/org/repo/archive/refs/tags/1.26.8.zip",
     ("the project name is missing: write it as `NAME @ https://github.com/org/repo/archive/refs/tags/1.26.8.zip`",)),
    ("git+https://github.com/org/repo.git@main",
     ("the project name is missing: write it as `NAME @ git+https://github.com/org/repo.git@main`",)),
])
def test_malformed_lines_name_file_line_and_text_with_a_hint(line, hints):
    error = failure(f"fine==1.0\n\n{line}\n")
    assert error.message == f"requirements.txt:3: invalid requirement: '{line}'"
    assert error.hints == hints


def test_an_unrecognized_line_gets_the_parsers_explanation():
    error = failure("requests (>=2\n")
    assert error.message == "requirements.txt:1: invalid requirement: 'requests (>=2'"
    assert len(error.hints) == 1 and "Expected" in error.hints[0]


@pytest.mark.parametrize(("line", "hints"), [
    ("-e requests", (
        "`requests` does not exist (a relative path is taken from the current directory, {cwd})",
        "`-e` takes a local project directory or a git URL: `-e ./path/to/project` or `-e git+https://host/repo.git#egg=NAME`",
        "to install `requests` from the index, drop `-e`",
    )),
    ("-e ./dist/pkg-1.0-py3-none-any.whl", (
        "`-e` takes a local project directory or a git URL: `-e ./path/to/project` or `-e git+https://host/repo.git#egg=NAME`",
        "an archive cannot be installed in editable mode: drop `-e`",
    )),
    ("-e https://example.com/pkg-1.0.tar.gz", (
        "`-e` takes a local project directory or a git URL: `-e ./path/to/project` or `-e git+https://host/repo.git#egg=NAME`",
        "an archive cannot be installed in editable mode: drop `-e`",
    )),
    ("-e git+https://example.com/repo.git", ("the project name is missing: add `#egg=NAME` to the URL",)),
])
def test_editables_must_be_local_directories_or_vcs_urls(line, hints, tmp_path):
    make_file("dist/pkg-1.0-py3-none-any.whl")
    error = failure(f"{line}\n")
    assert error.message == f"requirements.txt:1: invalid editable requirement: '{line.removeprefix('-e ')}'"
    assert error.hints == tuple(hint.replace("{cwd}", str(tmp_path)) for hint in hints)


def test_the_first_bad_line_is_reported():
    error = failure("good\nfirst=1\nalso good\nsecond=2\n")
    assert error.message == "requirements.txt:2: invalid requirement: 'first=1'"


# Options


def test_index_options_are_recorded(tmp_path):
    (tmp_path / "requirements" / "wheels").mkdir(parents=True)
    write("requirements/more.txt", """\
        --index-url=https://second.example/simple
        --extra-index-url https://extra.example/simple
        -f ./wheels
        --find-links=https://links.example/
    """)
    manifest = read("""\
        -i https://first.example/simple
        --extra-index-url https://extra.example/simple
        --extra-index-url=https://other.example/simple
        -r requirements/more.txt
        --no-index
        --pre
        --prefer-binary
        --require-hashes
        --trusted-host internal.example:8080
    """)
    assert manifest.index_url == "https://second.example/simple"
    assert manifest.extra_index_urls == ("https://extra.example/simple", "https://other.example/simple")
    assert manifest.find_links == (str(tmp_path / "requirements" / "wheels"), "https://links.example/")
    assert manifest.no_index and manifest.pre and manifest.prefer_binary and manifest.require_hashes
    assert manifest.insecure_hosts == ("internal.example:8080",)


def test_defaults_when_no_options_appear():
    manifest = read("requests\n")
    assert manifest.index_url is None
    assert manifest.extra_index_urls == manifest.find_links == manifest.insecure_hosts == ()
    assert not (manifest.no_index or manifest.pre or manifest.prefer_binary or manifest.require_hashes)
    assert manifest.no_binary == manifest.only_binary == frozenset()


def test_several_options_on_one_line():
    manifest = read("--pre --no-index --find-links https://links.example/\n")
    assert manifest.pre and manifest.no_index
    assert manifest.find_links == ("https://links.example/",)


@pytest.mark.parametrize(("lines", "no_binary", "only_binary"), [
    (["--no-binary :all:"], {":all:"}, set()),
    (["--only-binary=:all:"], set(), {":all:"}),
    (["--no-binary Foo_Bar,baz"], {"foo-bar", "baz"}, set()),
    (["--no-binary :all:", "--no-binary :none:"], set(), set()),
    (["--no-binary :all:", "--only-binary numpy"], {":all:"}, {"numpy"}),
    (["--only-binary numpy,scipy", "--no-binary numpy"], {"numpy"}, {"scipy"}),
    (["--no-binary :none:,lxml"], {"lxml"}, set()),
    (["--only-binary lxml", "--only-binary :none:"], set(), set()),
])
def test_binary_options_follow_pips_semantics(lines, no_binary, only_binary):
    manifest = read("\n".join(lines) + "\n")
    assert manifest.no_binary == no_binary
    assert manifest.only_binary == only_binary


def test_binary_option_with_a_bad_name():
    error = failure("--no-binary :al:\n")
    assert error.message == "requirements.txt:1: invalid value for `--no-binary`: ':al:'"
    assert error.hints == ("give project names separated by commas, `:all:` or `:none:`",)


def test_hashes_in_every_spelling():
    sha512 = "c" * 128
    manifest = read(f"""\
        a==1.0 --hash=sha256:{SHA256_A.upper()} --hash sha256:{SHA256_B}
        b==2.0 --hash=SHA512:{sha512}
        c @ https://example.com/c-1.0-py3-none-any.whl --hash=sha256:{SHA256_A}
    """)
    assert [line.hashes for line in manifest.requirements] == [
        (f"sha256:{SHA256_A}", f"sha256:{SHA256_B}"),
        (f"sha512:{sha512}",),
        (f"sha256:{SHA256_A}",),
    ]


@pytest.mark.parametrize("value", ["md5:" + "a" * 32, "sha256:abc", "sha256" + SHA256_A, f"sha256:{'g' * 64}"])
def test_invalid_hashes(value):
    error = failure(f"a==1.0 --hash={value}\n")
    assert error.message == f"requirements.txt:1: invalid hash: '{value}'"
    assert error.hints == ("write `--hash=sha256:` and 64 hexadecimal digits (sha384 and sha512 digests are accepted too)",)


def test_a_hash_alone_on_its_line():
    error = failure(f"a==1.0\n--hash=sha256:{SHA256_A}\n")
    assert error.message == "requirements.txt:2: `--hash` must follow a requirement on the same line"


def test_config_settings_are_kept_raw():
    make_project("proj")
    manifest = read("./proj --config-settings=--build-option=--fast --config-settings key=value\n")
    assert manifest.requirements[0].config_settings == ("--build-option=--fast", "key=value")


def test_a_run_option_on_a_requirement_line():
    error = failure("requests --pre\n")
    assert error.message == "requirements.txt:1: `--pre` must be on a line of its own"
    assert error.hints == (
        "options other than --hash and --config-settings apply to the whole run, not to one requirement: "
        "move `--pre` to its own line",
    )


def test_unknown_and_unsupported_options():
    error = failure("--frobnicate\n")
    assert error.message == "requirements.txt:1: unknown option '--frobnicate'"
    assert error.hints[0].startswith("requirements files accept -r, -c, -e")
    error = failure("-x value\n")
    assert error.message == "requirements.txt:1: unknown option '-x'"
    error = failure("--use-feature=truststore\n")
    assert error.message == "requirements.txt:1: unsupported option '--use-feature'"
    assert error.hints == ("`--use-feature` is a pip option that yurt does not use: remove it",)


def test_option_values_are_checked():
    assert failure("--index-url\n").message == "requirements.txt:1: `--index-url` needs a value"
    assert failure("--pre=yes\n").message == "requirements.txt:1: `--pre` takes no value: '--pre=yes'"
    assert failure("--no-index stray\n").message == "requirements.txt:1: unexpected 'stray'"
    assert failure("-e ./a -e ./b\n").message.startswith("requirements.txt:1: more than one requirement on a line")


# Environment variables


def test_environment_variables_in_the_braced_form_only():
    environment = {"TOKEN": "s3cret", "INDEX_HOST": "pypi.example", "lower": "no"}
    manifest = read("""\
        --index-url https://user:${TOKEN}@${INDEX_HOST}/simple
        --extra-index-url https://$INDEX_HOST/simple
        private @ https://${TOKEN}@files.example/private-1.0-py3-none-any.whl
        unset @ https://files.example/${UNSET_VARIABLE}/unset-1.0-py3-none-any.whl
        lower @ https://files.example/${lower}/lower-1.0-py3-none-any.whl
    """, environment)
    assert manifest.index_url == "https://user:s3cret@pypi.example/simple"
    assert manifest.extra_index_urls == ("https://$INDEX_HOST/simple",)
    private, unset, lower = manifest.requirements
    assert private.requirement.url == "https://s3cret@files.example/private-1.0-py3-none-any.whl"
    # The text stays as written, so a secret never reaches a message or a compiled file.
    assert private.text == "private @ https://${TOKEN}@files.example/private-1.0-py3-none-any.whl"
    assert unset.requirement.url == "https://files.example/${UNSET_VARIABLE}/unset-1.0-py3-none-any.whl"
    assert lower.requirement.url == "https://files.example/${lower}/lower-1.0-py3-none-any.whl"


def test_environment_variables_in_includes_and_hashes():
    write("sub/base.txt", "base\n")
    manifest = read("-r ${SUBDIR}/base.txt\nb==1 --hash=sha256:${DIGEST}\n", {"SUBDIR": "sub", "DIGEST": SHA256_A})
    assert texts(manifest.requirements) == ["base", "b==1"]
    assert manifest.requirements[1].hashes == (f"sha256:{SHA256_A}",)


def test_the_process_environment_is_the_default(monkeypatch):
    monkeypatch.setenv("YURT_TEST_INDEX", "https://env.example/simple")
    manifest = read_requirements(write("requirements.txt", "-i ${YURT_TEST_INDEX}\n"))
    assert manifest.index_url == "https://env.example/simple"


# Encodings


def test_encodings(tmp_path):
    (tmp_path / "bom.txt").write_bytes("\ufeffrequests\n".encode("utf-8"))
    (tmp_path / "utf16.txt").write_bytes("requests\n".encode("utf-16"))
    (tmp_path / "latin.txt").write_bytes("# -*- coding: latin-1 -*-\n--extra-index-url https://caf\xe9.example/simple\n".encode("latin-1"))
    assert texts(read_requirements("bom.txt", {}).requirements) == ["requests"]
    assert texts(read_requirements("utf16.txt", {}).requirements) == ["requests"]
    assert read_requirements("latin.txt", {}).extra_index_urls == ("https://café.example/simple",)
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9\n")
    with pytest.raises(RequirementsError) as caught:
        read_requirements("bad.txt", {})
    assert caught.value.message == "'bad.txt' is not valid utf-8: invalid continuation byte at byte 3"


# Stdin and arguments


def test_stdin_text_finds_includes_from_the_current_directory():
    write("sub/base.txt", "base\n")
    manifest = parse_requirements_text("-r sub/base.txt\nflask  # from stdin\n", environment={})
    assert texts(manifest.requirements) == ["base", "flask"]
    assert manifest.requirements[1].origin == Origin("<stdin>", 2)


def test_arguments_with_editables_among_them_or_apart():
    make_project("local")
    make_project("proj")
    make_project("apart")
    manifest = parse_requirement_arguments(
        ["flask>=2", "./local", "-e", "./proj", "-e./proj", "--editable=./proj", "name @ https://example.com/n-1.0.tar.gz"],
        editables=["./apart"],
    )
    assert texts(manifest.requirements) == ["flask>=2", "./local", "name @ https://example.com/n-1.0.tar.gz"]
    assert texts(manifest.editables) == ["./proj", "./proj", "./proj", "./apart"]
    assert all(line.origin is None for line in manifest.requirements + manifest.editables)
    assert manifest.editables[-1].reference.path == os.path.abspath("apart")


def test_argument_errors_have_no_origin():
    with pytest.raises(RequirementsError) as caught:
        parse_requirement_arguments(["requests=2.31"])
    assert caught.value.message == "invalid requirement: 'requests=2.31'"
    assert caught.value.hints == ("did you mean `requests==2.31`?",)
    with pytest.raises(RequirementsError) as caught:
        parse_requirement_arguments(["-e"])
    assert caught.value.message == "`-e` needs a value"
    with pytest.raises(RequirementsError) as caught:
        parse_requirement_arguments(["--upgrade"])
    assert caught.value.message == "unexpected option among the requirements: '--upgrade'"
    with pytest.raises(RequirementsError) as caught:
        parse_requirement_arguments(["requirements.txt"])
    assert caught.value.message == "invalid requirement: 'requirements.txt'"
    assert caught.value.hints == ("to read requirements from a file, use `-r requirements.txt`",)


# pyproject.toml


PYPROJECT = """\
    [project]
    name = "My.Project"
    version = "1.0"
    dependencies = ["requests>=2", "click ; python_version >= '3.8'"]

    [project.optional-dependencies]
    Socks = ["pysocks"]
    test = ["pytest>=8", "my-project[socks]"]
    all = ["my_project[test] ; sys_platform == 'linux'"]

    [dependency-groups]
    lint = ["ruff"]
    Typing = ["mypy", {include-group = "lint"}]
    dev = [{include-group = "typing"}, "my-project[socks]", "ipython"]
"""


def test_pyproject_dependencies():
    write("pyproject.toml", PYPROJECT)
    lines = read_pyproject("pyproject.toml")
    assert texts(lines) == ["requests>=2", "click ; python_version >= '3.8'"]
    assert str(lines[0].origin) == "pyproject.toml (project.dependencies)"
    assert lines[0].origin.line_number is None


def test_pyproject_extras_are_normalized_and_self_references_expanded():
    write("pyproject.toml", PYPROJECT)
    lines = read_pyproject("pyproject.toml", extras=["TEST"])
    assert texts(lines) == ["requests>=2", "click ; python_version >= '3.8'", "pytest>=8", "pysocks"]
    assert str(lines[3].origin) == "pyproject.toml (project.optional-dependencies.Socks)"


def test_pyproject_marked_self_reference_passes_its_marker_on():
    write("pyproject.toml", PYPROJECT)
    lines = read_pyproject("pyproject.toml", extras=["all"], project_dependencies=False)
    assert [str(line.requirement) for line in lines] == [
        'requests>=2; sys_platform == "linux"',
        'click; sys_platform == "linux" and python_version >= "3.8"',
        'pytest>=8; sys_platform == "linux"',
        'pysocks; sys_platform == "linux"',
    ]
    assert str(lines[1].marker) == 'sys_platform == "linux" and python_version >= "3.8"'


def test_pyproject_all_extras_includes_each_part_once():
    write("pyproject.toml", PYPROJECT)
    lines = read_pyproject("pyproject.toml", all_extras=True)
    assert texts(lines) == ["requests>=2", "click ; python_version >= '3.8'", "pysocks", "pytest>=8"]


def test_pyproject_dependency_groups_resolve_includes():
    write("pyproject.toml", PYPROJECT)
    lines = read_pyproject("pyproject.toml", groups=["DEV"], project_dependencies=False)
    assert texts(lines) == ["mypy", "ruff", "requests>=2", "click ; python_version >= '3.8'", "pysocks", "ipython"]
    assert str(lines[0].origin) == "pyproject.toml (dependency-groups.Typing)"
    assert str(lines[1].origin) == "pyproject.toml (dependency-groups.lint)"


def test_dependency_groups_without_a_project_table():
    write("pyproject.toml", '[dependency-groups]\ntest = ["pytest"]\n')
    assert texts(read_pyproject("pyproject.toml", groups=["test"], project_dependencies=False)) == ["pytest"]


@pytest.mark.parametrize(("document", "arguments", "message", "hints"), [
    (PYPROJECT, {"extras": ["nope"]},
     "pyproject.toml: no extra 'nope' in `project.optional-dependencies`", ("the extras are: Socks, test, all",)),
    (PYPROJECT, {"groups": ["nope"]},
     "pyproject.toml: no dependency group 'nope' in `dependency-groups`", ("the groups are: lint, Typing, dev",)),
    ('[project]\nname = "p"\n', {"groups": ["dev"], "project_dependencies": False},
     "pyproject.toml: no dependency group 'dev' in `dependency-groups`",
     ("the file has no `[dependency-groups]` table",)),
    ('[project]\nname = "p"\n', {"extras": ["dev"]},
     "pyproject.toml: no extra 'dev' in `project.optional-dependencies`", ("the project defines no extras",)),
    ('[dependency-groups]\na = [{include-group = "b"}]\nb = [{include-group = "c"}]\nc = ["x", {include-group = "a"}]\n',
     {"groups": ["a"], "project_dependencies": False}, "pyproject.toml: dependency groups include each other: a -> b -> c -> a",
     ("remove one of the `include-group` entries that close the cycle",)),
    ('[dependency-groups]\na = [{include-group = "missing"}]\n', {"groups": ["a"], "project_dependencies": False},
     "pyproject.toml: `dependency-groups.a` includes unknown group 'missing'", ("the groups are: a",)),
    ('[dependency-groups]\na = [3]\n', {"groups": ["a"], "project_dependencies": False},
     'pyproject.toml: `dependency-groups.a[0]` must be a requirement string or an `{include-group = "NAME"}` table', ()),
    ('[dependency-groups]\na = [{include-group = "a", extra = 1}]\n', {"groups": ["a"], "project_dependencies": False},
     'pyproject.toml: `dependency-groups.a[0]` must be a requirement string or an `{include-group = "NAME"}` table', ()),
    ('[dependency-groups]\nDev = ["x"]\ndev = ["y"]\n', {"groups": ["dev"], "project_dependencies": False},
     "pyproject.toml: `dependency-groups` has both 'Dev' and 'dev', one name once normalized",
     ("rename or merge one of the two groups",)),
    ('[dependency-groups]\na = ["requests="]\n', {"groups": ["a"], "project_dependencies": False},
     "pyproject.toml (dependency-groups.a): invalid requirement: 'requests='", None),
    ('[project]\nname = "p"\ndependencies = ["requests=2.31"]\n', {},
     "pyproject.toml (project.dependencies): invalid requirement: 'requests=2.31'", ("did you mean `requests==2.31`?",)),
    ('[project]\nname = "p"\ndependencies = "requests"\n', {},
     "pyproject.toml: `project.dependencies` must be an array of requirement strings", ()),
    ('[project]\nname = "p"\ndynamic = ["dependencies"]\n', {},
     "pyproject.toml: `project.dependencies` is dynamic", None),
    ('[tool.other]\nx = 1\n', {}, "pyproject.toml: no `[project]` table",
     ("yurt reads a project's requirements from `[project]` (PEP 621)",)),
    ('[project\nname = "p"\n', {}, None, None),
])
def test_pyproject_errors_name_the_file_and_the_key(document, arguments, message, hints):
    write("pyproject.toml", document)
    with pytest.raises(RequirementsError) as caught:
        read_pyproject("pyproject.toml", **arguments)
    if message is None:
        assert caught.value.message.startswith("pyproject.toml: invalid TOML: ")
    else:
        assert caught.value.message == message
    if hints is not None:
        assert caught.value.hints == hints


# load_manifest


def test_load_manifest_reads_every_source_in_order():
    write("pyproject.toml", PYPROJECT)
    write("requirements.txt", "-i https://index.example/simple\nfrom-file\n")
    write("constraints.txt", "requests<3\n")
    write("overrides.txt", "click>=8\n")
    make_project("proj")
    manifest = load_manifest(
        requirement_files=["requirements.txt", "pyproject.toml", "-"],
        constraint_files=["constraints.txt"],
        override_files=["overrides.txt"],
        arguments=["first"],
        editables=["./proj"],
        extras=["socks"],
        groups=["lint"],
        stdin_text="from-stdin\n",
        environment={},
    )
    assert texts(manifest.requirements) == [
        "first", "from-file", "requests>=2", "click ; python_version >= '3.8'", "pysocks", "ruff", "from-stdin",
    ]
    assert texts(manifest.editables) == ["./proj"]
    assert texts(manifest.constraints) == ["requests<3"]
    assert texts(manifest.overrides) == ["click>=8"]
    assert manifest.index_url == "https://index.example/simple"


def test_load_manifest_groups_alone_come_from_the_current_project():
    write("pyproject.toml", PYPROJECT)
    manifest = load_manifest(groups=["lint"])
    assert texts(manifest.requirements) == ["ruff"]


def test_load_manifest_stdin_as_constraints():
    manifest = load_manifest(arguments=["a"], constraint_files=["-"], stdin_text="a<2\n")
    assert texts(manifest.constraints) == ["a<2"]
    assert manifest.constraints[0].origin == Origin("<stdin>", 1)


def test_load_manifest_refusals():
    write("pyproject.toml", PYPROJECT)
    write("requirements.txt", "a\n")
    with pytest.raises(RequirementsError) as caught:
        load_manifest(requirement_files=["requirements.txt"], extras=["test"])
    assert caught.value.message == "`--extra` and `--all-extras` need a pyproject.toml to take the extras from"
    with pytest.raises(RequirementsError) as caught:
        load_manifest(constraint_files=["pyproject.toml"])
    assert caught.value.message == "constraints cannot be read from 'pyproject.toml'"
    for name in ("setup.py", "setup.cfg", "pylock.toml", "script.py"):
        with pytest.raises(RequirementsError) as caught:
            load_manifest(requirement_files=[name])
        assert caught.value.message == f"yurt cannot read requirements from '{name}' yet"
    with pytest.raises(ValueError):
        load_manifest(requirement_files=["-"])


# Import cost


def test_archive_suffixes_match_the_filename_parser():
    from yurt.spec.filenames import SDIST_EXTENSIONS, WHEEL_EXTENSION

    assert ARCHIVE_SUFFIXES == (WHEEL_EXTENSION, *SDIST_EXTENSIONS)


def test_reading_plain_requirements_imports_little(tmp_path):
    write("requirements.txt", f"-i https://index.example/simple\nrequests==2.31.0 --hash=sha256:{SHA256_A}\nflask\n")
    script = (
        "import sys; before = set(sys.modules)\n"
        "import yurt.requirements.sources as sources\n"
        "loaded = set(sys.modules) - before\n"
        "sources.load_manifest(requirement_files=['requirements.txt'])\n"
        "parsed = set(sys.modules) - before\n"
        "print(sorted(loaded)); print(sorted(parsed))\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(SOURCE)}
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               cwd=tmp_path, env=environment, check=True)
    loaded, parsed = (eval(line) for line in completed.stdout.splitlines())
    heavy = ("packaging", "tomllib", "shlex", "dataclasses", "urllib", "pathlib", "yurt.spec.filenames")
    assert [name for name in loaded if name.startswith(heavy)] == []
    # Plain names and hashes need PEP 508 parsing, and nothing for paths, URLs, quoting or TOML.
    assert [name for name in parsed if name.startswith(("tomllib", "shlex", "yurt.spec.filenames"))] == []
