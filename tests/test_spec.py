"""yurt.spec: project names, wheel and sdist filenames, and the tags an interpreter or target supports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import packaging
import pytest
from packaging.tags import Tag, sys_tags
from packaging.version import Version

from yurt.python.interpreter import Interpreter, run_probe
from yurt.spec.filenames import (
    InvalidFilename,
    distribution_kind,
    parse_sdist_filename,
    parse_wheel_filename,
)
from yurt.spec.names import is_valid_name, normalize_name
from yurt.spec.tags import InvalidTarget, interpreter_tags, target_tags

PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
# The tags `packaging` gives inside another interpreter, using the very `packaging` these tests import.
SYS_TAGS_SCRIPT = (
    "import json, sys; sys.path.insert(0, sys.argv[1]); from packaging.tags import sys_tags; "
    "print(json.dumps([str(tag) for tag in sys_tags()]))"
)


@pytest.fixture(scope="module")
def running() -> Interpreter:
    return Interpreter.from_probe(run_probe(Path(sys.executable)))


def strings(tags) -> list[str]:
    return [str(tag) for tag in tags]


# Names


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Django", "django"),
        ("typing_extensions", "typing-extensions"),
        ("zope.interface", "zope-interface"),
        ("Foo.._-Bar", "foo-bar"),
        ("ruamel.yaml.clib", "ruamel-yaml-clib"),
    ],
)
def test_normalize_name(name, normalized):
    assert normalize_name(name) == normalized


@pytest.mark.parametrize("name", ["requests", "zope.interface", "A", "a_b-c.d", "9x"])
def test_valid_names(name):
    assert is_valid_name(name)


@pytest.mark.parametrize("name", ["", "-foo", "foo-", "foo bar", "foo!", "_x", "x."])
def test_invalid_names(name):
    assert not is_valid_name(name)


# Wheel filenames


def test_wheel_with_compressed_platform_tags():
    wheel = parse_wheel_filename("numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    assert wheel.name == "numpy"
    assert wheel.version == Version("1.26.4")
    assert wheel.build_tag == ()
    assert wheel.tags == {
        Tag("cp311", "cp311", "manylinux_2_17_x86_64"),
        Tag("cp311", "cp311", "manylinux2014_x86_64"),
    }
    assert wheel.filename == "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"


def test_wheel_with_compressed_python_tags():
    wheel = parse_wheel_filename("six-1.16.0-py2.py3-none-any.whl")
    assert wheel.tags == {Tag("py2", "none", "any"), Tag("py3", "none", "any")}


@pytest.mark.parametrize(
    ("filename", "name", "version"),
    [
        ("typing_extensions-4.9.0-py3-none-any.whl", "typing-extensions", "4.9.0"),
        ("Django-5.0.1-py3-none-any.whl", "django", "5.0.1"),
        (
            "zope.interface-6.1-cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64"
            ".manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "zope-interface",
            "6.1",
        ),
        ("pydantic_core-2.16.1-pp310-pypy310_pp73-win_amd64.whl", "pydantic-core", "2.16.1"),
        ("cryptography-42.0.2-cp39-abi3-macosx_10_12_universal2.whl", "cryptography", "42.0.2"),
        ("torch-2.2.0+cu121-cp311-cp311-linux_x86_64.whl", "torch", "2.2.0+cu121"),
    ],
)
def test_wheel_names_and_versions(filename, name, version):
    wheel = parse_wheel_filename(filename)
    assert (wheel.name, wheel.version) == (name, Version(version))


def test_wheel_zope_interface_tags_expand_every_platform():
    wheel = parse_wheel_filename(
        "zope.interface-6.1-cp311-cp311-manylinux_2_5_x86_64.manylinux1_x86_64"
        ".manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    )
    assert {tag.platform for tag in wheel.tags} == {
        "manylinux_2_5_x86_64",
        "manylinux1_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
    }


@pytest.mark.parametrize(
    ("filename", "build_tag"),
    [
        ("foo-1.0-1-py3-none-any.whl", (1, "")),
        ("foo-1.0-20b-py3-none-any.whl", (20, "b")),
        ("foo-1.0-007_nightly-py3-none-any.whl", (7, "_nightly")),
    ],
)
def test_wheel_build_tags(filename, build_tag):
    assert parse_wheel_filename(filename).build_tag == build_tag


def test_build_tags_sort_numerically():
    first = parse_wheel_filename("foo-1.0-9-py3-none-any.whl").build_tag
    second = parse_wheel_filename("foo-1.0-10-py3-none-any.whl").build_tag
    assert first < second


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("foo-1.0.whl", "expected name-version[-build]-python-abi-platform.whl, found 2"),
        ("foo-1.0-py3-none-any.zip", "does not end in `.whl`"),
        ("foo-bar-1.0-1-py3-none-any.whl", "found 7"),
        ("foo-notaversion-py3-none-any.whl", "'notaversion' is not a valid version"),
        ("foo-1.0-abc-py3-none-any.whl", "build tag 'abc' must start with a digit"),
        ("foo-1.0-py3..py2-none-any.whl", "'py3..py2' is not a valid tag"),
        ("foo-1.0-py3-none-.whl", "'' is not a valid tag"),
        ("foo!-1.0-py3-none-any.whl", "'foo!' is not a valid project name"),
        ("-1.0-py3-none-any.whl", "'' is not a valid project name"),
    ],
)
def test_bad_wheel_filenames(filename, message):
    with pytest.raises(InvalidFilename) as raised:
        parse_wheel_filename(filename)
    assert message in str(raised.value)
    assert repr(filename) in str(raised.value)
    assert isinstance(raised.value, ValueError)


# Sdist filenames


@pytest.mark.parametrize(
    ("filename", "name", "version", "extension"),
    [
        ("requests-2.31.0.tar.gz", "requests", "2.31.0", ".tar.gz"),
        ("apache-airflow-providers-http-4.8.0.tar.gz", "apache-airflow-providers-http", "4.8.0", ".tar.gz"),
        ("flake8-2020-1.8.1.tar.gz", "flake8-2020", "1.8.1", ".tar.gz"),
        ("zope.interface-6.1.tar.gz", "zope-interface", "6.1", ".tar.gz"),
        ("zope_interface-6.1.tar.gz", "zope-interface", "6.1", ".tar.gz"),
        ("PyYAML-6.0.1.tar.gz", "pyyaml", "6.0.1", ".tar.gz"),
        ("pywin32-ctypes-0.2.2.zip", "pywin32-ctypes", "0.2.2", ".zip"),
        ("Foo-1.0rc1.tar.bz2", "foo", "1.0rc1", ".tar.bz2"),
        ("foo-2.0.tgz", "foo", "2.0", ".tgz"),
        ("foo-2.0.tar.xz", "foo", "2.0", ".tar.xz"),
        ("foo-2.0.tar", "foo", "2.0", ".tar"),
        ("python-dateutil-2.8.2.tar.gz", "python-dateutil", "2.8.2", ".tar.gz"),
    ],
)
def test_sdist_filenames(filename, name, version, extension):
    sdist = parse_sdist_filename(filename)
    assert (sdist.name, sdist.version, sdist.extension, sdist.filename) == (
        name,
        Version(version),
        extension,
        filename,
    )


def test_sdist_split_by_project_name():
    # Without the project name, `foo-1.0-1` could be foo 1.0.post1 or foo-1.0 version 1.
    sdist = parse_sdist_filename("foo-1.0-1.tar.gz", project_name="Foo")
    assert (sdist.name, sdist.version) == ("foo", Version("1.0.post1"))
    sdist = parse_sdist_filename("Django_Rest-Framework-3.0.tar.gz", project_name="django-rest.framework")
    assert (sdist.name, sdist.version) == ("django-rest-framework", Version("3.0"))


def test_sdist_of_another_project_is_refused():
    with pytest.raises(InvalidFilename, match="'bar-1.0' is not a valid version"):
        parse_sdist_filename("foo-bar-1.0.tar.gz", project_name="foo")
    with pytest.raises(InvalidFilename, match="does not start with project name 'baz'"):
        parse_sdist_filename("foo-bar-1.0.tar.gz", project_name="baz")


@pytest.mark.parametrize(
    ("filename", "message"),
    [
        ("foo.tar.gz", "expected name-version.tar.gz"),
        ("foo-bar.tar.gz", "expected name-version.tar.gz"),
        ("foo-1.0.rar", "expected one of .tar.gz, .zip"),
        ("foo-1.0.tar.lz", "expected one of"),
        ("-1.0.tar.gz", "expected name-version.tar.gz"),
    ],
)
def test_bad_sdist_filenames(filename, message):
    with pytest.raises(InvalidFilename, match=message):
        parse_sdist_filename(filename)


@pytest.mark.parametrize(
    ("filename", "kind"),
    [
        ("six-1.16.0-py2.py3-none-any.whl", "wheel"),
        ("requests-2.31.0.tar.gz", "sdist"),
        ("pywin32-ctypes-0.2.2.zip", "sdist"),
        ("foo-1.0.tar.bz2", "sdist"),
        ("foo-1.0-py3.8.egg", None),
        ("foo-1.0.win32.exe", None),
        ("foo-1.0.tar.lz", None),
        ("index.html", None),
    ],
)
def test_distribution_kind(filename, kind):
    assert distribution_kind(filename) == kind


# Tags of real interpreters


def test_running_interpreter_tags_equal_sys_tags(running):
    assert interpreter_tags(running).tags == tuple(sys_tags())


def other_interpreters() -> list[Path]:
    found = []
    for minor in (8, 9, 10, 12, 13):
        candidates = sorted(PYENV_VERSIONS.glob(f"3.{minor}.*/bin/python3"))
        if candidates:
            found.append(candidates[-1])
    return found


@pytest.mark.parametrize("executable", other_interpreters(), ids=lambda path: path.parent.parent.name)
def test_other_interpreter_tags_equal_its_sys_tags(executable, tmp_path):
    # Link only the `packaging` package onto the other interpreter's path: its own site-packages
    # stays out of the way, and both sides compute with the same library version.
    (tmp_path / "packaging").symlink_to(Path(packaging.__file__).parent)
    completed = subprocess.run(
        [str(executable), "-I", "-c", SYS_TAGS_SCRIPT, str(tmp_path)], capture_output=True, text=True, check=True
    )
    expected = json.loads(completed.stdout)
    probed = Interpreter.from_probe(run_probe(executable))
    assert strings(interpreter_tags(probed).tags) == expected


def test_python38_tag_structure():
    tags = strings(target_tags((3, 8), platform="x86_64-manylinux_2_17").tags)
    assert tags[0] == "cp38-cp38-manylinux_2_17_x86_64"
    assert [tag.split("-")[0] for tag in tags if "-abi3-manylinux_2_17_x86_64" in tag] == [
        f"cp3{minor}" for minor in range(8, 1, -1)
    ]
    assert [tag.split("-")[0] for tag in tags if tag.endswith("-none-manylinux_2_17_x86_64")] == [
        "cp38",
        "py38",
        "py3",
        *(f"py3{minor}" for minor in range(7, -1, -1)),
    ]
    assert tags[-1] == "py30-none-any"
    assert tags[-11] == "cp38-none-any"


# Tags of targets and of described interpreters


def test_target_equals_the_running_interpreter_with_the_same_glibc(running):
    if not running.platform.startswith("linux-") or not (running.libc or "").startswith("glibc 2."):
        pytest.skip("needs a glibc Linux interpreter")
    architecture = running.platform.split("-", 1)[1]
    minor = running.libc.split(".")[1]
    target = target_tags(running.version[:2], platform=f"{architecture}-manylinux_2_{minor}")
    assert target.tags == interpreter_tags(running).tags


def test_manylinux_2_28_target():
    tags = strings(target_tags((3, 12), platform="x86_64-manylinux_2_28").tags)
    platforms = [tag.split("-")[2] for tag in tags if tag.startswith("cp312-cp312-")]
    assert platforms[:3] == ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_26_x86_64"]
    assert platforms[platforms.index("manylinux_2_17_x86_64") + 1] == "manylinux2014_x86_64"
    assert platforms[platforms.index("manylinux_2_12_x86_64") + 1] == "manylinux2010_x86_64"
    assert platforms[-3:] == ["manylinux_2_5_x86_64", "manylinux1_x86_64", "linux_x86_64"]
    assert len(platforms) == (28 - 5 + 1) + 3 + 1


def test_linux_alias_is_manylinux_2_28_on_x86_64():
    assert target_tags((3, 12), platform="linux") == target_tags((3, 12), platform="x86_64-manylinux_2_28")
    assert target_tags((3, 12), platform="x86_64-unknown-linux-gnu") == target_tags((3, 12), platform="linux")


def test_aarch64_stops_at_manylinux2014():
    tags = strings(target_tags((3, 12), platform="aarch64-manylinux_2_28").tags)
    platforms = [tag.split("-")[2] for tag in tags if tag.startswith("cp312-cp312-")]
    assert platforms[0] == "manylinux_2_28_aarch64"
    assert platforms[-3:] == ["manylinux_2_17_aarch64", "manylinux2014_aarch64", "linux_aarch64"]


def test_musllinux_interpreter_and_target(running):
    musl = running._replace(
        version=(3, 12, 1), platform="linux-x86_64", libc="musl 1.2", soabi="cpython-312-x86_64-linux-musl"
    )
    tags = strings(interpreter_tags(musl).tags)
    assert tags[:4] == [
        "cp312-cp312-musllinux_1_2_x86_64",
        "cp312-cp312-musllinux_1_1_x86_64",
        "cp312-cp312-musllinux_1_0_x86_64",
        "cp312-cp312-linux_x86_64",
    ]
    assert not any("manylinux" in tag for tag in tags)
    assert interpreter_tags(musl) == target_tags((3, 12), platform="x86_64-unknown-linux-musl")
    assert interpreter_tags(musl) == target_tags((3, 12), platform="x86_64-musllinux_1_2")


def test_macos_arm64_target():
    tags = strings(target_tags((3, 12), platform="aarch64-apple-darwin").tags)
    platforms = [tag.split("-")[2] for tag in tags if tag.startswith("cp312-cp312-")]
    assert platforms[:6] == [
        "macosx_13_0_arm64",
        "macosx_13_0_universal2",
        "macosx_12_0_arm64",
        "macosx_12_0_universal2",
        "macosx_11_0_arm64",
        "macosx_11_0_universal2",
    ]
    # Arm64 Macs run no code older than 11.0, but universal2 wheels may claim older releases.
    assert "macosx_10_9_universal2" in platforms
    assert not any(platform.startswith("macosx_10_") and platform.endswith("arm64") for platform in platforms)
    assert not any("x86_64" in platform for platform in platforms)
    assert target_tags((3, 12), platform="macos") == target_tags((3, 12), platform="aarch64-apple-darwin")
    later = strings(target_tags((3, 12), platform="macos", macos_version=(15, 0)).tags)
    assert later[0] == "cp312-cp312-macosx_15_0_arm64"


def test_macos_interpreter_uses_the_running_release(running):
    # Darwin 23 is macOS 14; the build's own deployment target (11.0) is only a floor.
    mac = running._replace(
        platform="macosx-11.0-arm64",
        libc=None,
        soabi="cpython-311-darwin",
        markers={**running.markers, "platform_release": "23.1.0", "platform_machine": "arm64"},
    )
    assert interpreter_tags(mac) == target_tags(running.version[:2], platform="macos", macos_version=(14, 0))


def test_windows_target():
    supported = target_tags((3, 12), platform="windows")
    assert supported == target_tags((3, 12), platform="x86_64-pc-windows-msvc")
    expected = [
        "cp312-cp312-win_amd64",
        "cp312-abi3-win_amd64",
        "cp312-none-win_amd64",
        *(f"cp3{minor}-abi3-win_amd64" for minor in range(11, 1, -1)),
        "py312-none-win_amd64",
        "py3-none-win_amd64",
        *(f"py3{minor}-none-win_amd64" for minor in range(11, -1, -1)),
        "cp312-none-any",
        "py312-none-any",
        "py3-none-any",
        *(f"py3{minor}-none-any" for minor in range(11, -1, -1)),
    ]
    assert strings(supported.tags) == expected
    assert target_tags((3, 12), platform="aarch64-pc-windows-msvc").tags[0] == Tag("cp312", "cp312", "win_arm64")


def test_windows_interpreter_without_soabi(running):
    windows = running._replace(platform="win-amd64", libc=None, soabi=None)
    assert interpreter_tags(windows) == target_tags(running.version[:2], platform="windows")


def test_free_threaded_interpreter_has_no_abi3(running):
    free_threaded = running._replace(version=(3, 13, 0), soabi="cpython-313t-x86_64-linux-gnu")
    tags = interpreter_tags(free_threaded).tags
    assert tags[0].interpreter == "cp313" and tags[0].abi == "cp313t"
    assert not any(tag.abi == "abi3" for tag in tags)
    assert not any(tag.abi == "cp313" for tag in tags)
    assert target_tags((3, 13), platform="x86_64-manylinux_2_28", free_threaded=True).tags[0] == Tag(
        "cp313", "cp313t", "manylinux_2_28_x86_64"
    )


def test_debug_interpreter_also_takes_release_abi(running):
    debug = running._replace(soabi=f"cpython-{running.version[0]}{running.version[1]}d-x86_64-linux-gnu")
    nodot = f"{running.version[0]}{running.version[1]}"
    abis = list(dict.fromkeys(tag.abi for tag in interpreter_tags(debug).tags))
    assert abis[:3] == [f"cp{nodot}d", f"cp{nodot}", "abi3"]


def test_pypy_interpreter(running):
    pypy = running._replace(implementation="pypy", version=(3, 10, 13), soabi="pypy310-pp73-x86_64-linux-gnu")
    tags = strings(interpreter_tags(pypy).tags)
    assert tags[0].startswith("pp310-pypy310_pp73-manylinux_")
    assert "pp3-none-any" in tags and "py310-none-any" in tags
    assert not any("abi3" in tag or tag.startswith("cp") for tag in tags)


def test_pypy_target():
    tags = strings(target_tags((3, 10), "pypy", "x86_64-manylinux_2_28").tags)
    assert tags[0] == "pp310-pypy310_pp73-manylinux_2_28_x86_64"
    assert tags.index("pp3-none-any") == tags.index("py310-none-any") - 1


def test_32_bit_interpreter_on_64_bit_kernel(running):
    thirty_two = running._replace(pointer_bits=32, libc="glibc 2.17", soabi="cpython-311-i386-linux-gnu")
    tags = strings(interpreter_tags(thirty_two).tags)
    assert tags[0].endswith("-manylinux_2_17_i686")
    assert not any("x86_64" in tag for tag in tags)


@pytest.mark.parametrize("soabi", ["cpython-311-arm-linux-gnueabihf", "cpython-311-arm-linux-gnueabi"])
def test_armv7_gets_manylinux_only_with_hard_float(running, soabi):
    arm = running._replace(platform="linux-armv7l", pointer_bits=32, libc="glibc 2.31", soabi=soabi)
    platforms = {tag.platform for tag in interpreter_tags(arm).tags}
    assert ("manylinux_2_31_armv7l" in platforms) == soabi.endswith("hf")
    assert "linux_armv7l" in platforms


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (((3, 12), "cpython", "solaris"), "unknown target platform 'solaris'"),
        (((3, 12), "cpython", "aarch64-manylinux_2_12"), "the oldest is manylinux_2_17"),
        (((3, 12), "cpython", "sparc-pc-windows-msvc"), "unknown Windows architecture"),
        (((3, 12), "jython", "linux"), "cannot compute tags for implementation 'jython'"),
        (((3,), "cpython", "linux"), "expected (major, minor)"),
    ],
)
def test_bad_targets(arguments, message):
    with pytest.raises(InvalidTarget) as raised:
        target_tags(*arguments)
    assert message in str(raised.value)


def test_free_threaded_target_needs_313():
    with pytest.raises(InvalidTarget, match="3.13"):
        target_tags((3, 12), platform="linux", free_threaded=True)


# Priorities


def test_priorities_follow_order(running):
    supported = interpreter_tags(running)
    for rank, tag in enumerate(supported.tags[:50]):
        assert supported.priority(tag) == rank
    assert supported.priority(Tag("cp27", "cp27mu", "linux_x86_64")) is None


def test_best_priority_of_wheels():
    supported = target_tags((3, 12), platform="x86_64-manylinux_2_28")
    numpy = parse_wheel_filename("numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    six = parse_wheel_filename("six-1.16.0-py2.py3-none-any.whl")
    windows = parse_wheel_filename("numpy-1.26.4-cp312-cp312-win_amd64.whl")
    newer = parse_wheel_filename("foo-1.0-cp312-cp312-manylinux_2_34_x86_64.whl")
    best_numpy_tag = Tag("cp312", "cp312", "manylinux_2_17_x86_64")
    assert supported.best_priority(numpy.tags) == supported.priority(best_numpy_tag)
    assert supported.best_priority(six.tags) == supported.priority(Tag("py3", "none", "any"))
    assert supported.best_priority(numpy.tags) < supported.best_priority(six.tags)
    assert supported.best_priority(windows.tags) is None
    assert supported.best_priority(newer.tags) is None
    assert supported.best_priority([]) is None
