"""Installing unpacked wheels into real venvs, scanning site-packages and uninstalling, on real files."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from support.builders import Package, build_wheel
from yurt.cache import Cache
from yurt.cache.archives import unpack_wheel
from yurt.fs import TEMPORARY_PREFIX
from yurt.install.bytecode import compile_bytecode
from yurt.install.link import Linker, LinkMode
from yurt.install.noop import fingerprint
from yurt.install.site_packages import DIST_INFO, EGG_INFO, EGG_INFO_FILE, EGG_LINK, scan
from yurt.install.uninstall import UninstallError, uninstall
from yurt.install.wheel import InstallError, InvalidWheel, Scheme, install_wheel
from yurt.python.interpreter import probe
from yurt.venv.create import VenvOptions, create

PYTHON_DIRECTORY = f"python{sys.version_info[0]}.{sys.version_info[1]}"
DEMO = Package(
    "demo-pkg",
    "1.0",
    files={
        "demo_pkg/__init__.py": 'def main():\n    print("demo-pkg 1.0")\n',
        "demo_pkg/cli.py": "class Tool:\n    @staticmethod\n    def run():\n        print('run')\n        return 3\n",
        "demo_pkg/data/table.csv": "a,b\n1,2\n",
        "demo_top.py": "VALUE = 1\n",
    },
    entry_points={
        "console_scripts": {"demo": "demo_pkg:main", "demo-run": "demo_pkg.cli:Tool.run [fancy]"},
        "gui_scripts": {"demo-gui": "demo_pkg:main"},
        "demo.plugins": {"ignored": "demo_pkg:main"},
    },
    data_files={
        "scripts": {"tool": "#!python\nprint('hi from tool')\n", "plain": "#!/bin/sh\necho plain\n"},
        "data": {"share/demo/readme.txt": "shared data\n"},
        "headers": {"demo.h": "int demo;\n"},
    },
)


def record_hash(content: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()


def filesystem_type(path: Path) -> str:
    return subprocess.run(["stat", "-f", "-c", "%T", str(path)], capture_output=True, text=True, check=True).stdout.strip()


def snapshot(directory: Path) -> dict[str, object]:
    """Every path under the folder: file contents, link targets, and folders."""
    result: dict[str, object] = {}
    for root, directories, files in os.walk(directory):
        for name in directories + files:
            path = Path(root) / name
            relative = str(path.relative_to(directory))
            if path.is_symlink():
                result[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                result[relative] = "folder"
            else:
                result[relative] = path.read_bytes()
    return result


def read_record(dist_info: Path) -> list[list[str]]:
    return list(csv.reader((dist_info / "RECORD").read_text().splitlines()))


class Environment:
    """A real venv made by yurt, described by a probe of its own interpreter."""

    def __init__(self, path: Path, base) -> None:
        create(path, base, VenvOptions())
        self.path = path
        self.interpreter = probe(path / "bin" / "python", None)
        self.scheme = Scheme.for_interpreter(self.interpreter)
        self.site_packages = self.scheme.purelib

    def run(self, *arguments: str | Path, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(argument) for argument in arguments], capture_output=True, text=True, check=check)

    def python(self, code: str) -> str:
        return self.run(self.path / "bin" / "python", "-c", code).stdout


@pytest.fixture(scope="module")
def base_interpreter():
    return probe(Path(sys.executable), None)


@pytest.fixture
def environment(tmp_path, base_interpreter):
    return Environment(tmp_path / "venv", base_interpreter)


@pytest.fixture
def cache(tmp_path):
    return Cache(tmp_path / "cache")


def unpacked(package: Package, cache: Cache, **options) -> tuple[Path, str]:
    """Build the wheel and unzip it into the cache as the downloader does; returns (archive, filename)."""
    with tempfile.TemporaryDirectory() as directory:
        wheel = build_wheel(package, Path(directory), **options)
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        return unpack_wheel(wheel, cache, digest), wheel.name


def make_linker(mode: LinkMode, cache: Cache, environment: Environment, warnings: list[str]) -> Linker:
    return Linker(mode, cache=cache.root, environment=environment.path, warn=warnings.append)


def install(package: Package, cache: Cache, environment: Environment, linker: Linker | None = None, **options):
    archive, filename = unpacked(package, cache)
    linker = linker or make_linker(LinkMode.CLONE, cache, environment, [])
    return install_wheel(archive, filename, environment.scheme, linker, **options)


# ---------------------------------------------------------------- installing


def test_installs_files_scripts_and_metadata(environment, cache):
    before = snapshot(environment.path)
    direct_url = {"url": "https://example.invalid/demo_pkg-1.0-py3-none-any.whl", "archive_info": {}}
    installed = install(DEMO, cache, environment, requested=True, direct_url=direct_url)
    site = environment.site_packages
    bin_directory = environment.path / "bin"

    assert (installed.name, installed.version) == ("demo-pkg", "1.0")
    assert installed.dist_info == site / "demo_pkg-1.0.dist-info"
    assert (site / "demo_pkg" / "__init__.py").is_file()
    assert (site / "demo_pkg" / "data" / "table.csv").read_text() == "a,b\n1,2\n"
    assert (site / "demo_top.py").is_file()
    assert (environment.path / "share" / "demo" / "readme.txt").read_text() == "shared data\n"
    assert (environment.path / "include" / "site" / PYTHON_DIRECTORY / "demo-pkg" / "demo.h").is_file()

    # Entry points: plain function, `module:object.attribute` with `[extras]`, and GUI scripts.
    assert environment.run(bin_directory / "demo").stdout == "demo-pkg 1.0\n"
    completed = environment.run(bin_directory / "demo-run", check=False)
    assert (completed.returncode, completed.stdout) == (3, "run\n")
    assert environment.run(bin_directory / "demo-gui").stdout == "demo-pkg 1.0\n"
    assert not (bin_directory / "ignored").exists()

    # `#!python` is rewritten to the venv's interpreter; other scripts keep their first line.
    tool = bin_directory / "tool"
    assert tool.read_text().splitlines()[0] == f"#!{environment.path / 'bin' / 'python'}"
    assert environment.run(tool).stdout == "hi from tool\n"
    assert (bin_directory / "plain").read_text().startswith("#!/bin/sh\n")
    assert environment.run(bin_directory / "plain").stdout == "plain\n"
    for name in ("demo", "demo-run", "demo-gui", "tool", "plain"):
        assert os.stat(bin_directory / name).st_mode & stat.S_IXUSR, name

    dist_info = installed.dist_info
    assert (dist_info / "INSTALLER").read_text() == "yurt\n"
    assert (dist_info / "REQUESTED").exists()
    assert json.loads((dist_info / "direct_url.json").read_text()) == direct_url

    # RECORD lists exactly the files that appeared, with hashes and sizes of the installed bytes.
    rows = read_record(dist_info)
    assert rows[-1] == ["demo_pkg-1.0.dist-info/RECORD", "", ""]
    listed = {}
    for path, digest, size in rows[:-1]:
        absolute = Path(os.path.normpath(site / path))
        content = absolute.read_bytes()
        assert digest == record_hash(content), path
        assert int(size) == len(content), path
        listed[str(absolute.relative_to(environment.path))] = content
    listed[str((dist_info / "RECORD").relative_to(environment.path))] = (dist_info / "RECORD").read_bytes()
    added = {path: value for path, value in snapshot(environment.path).items() if path not in before and value != "folder"}
    assert added == listed
    assert "../../../bin/demo" in {row[0] for row in rows}
    assert set(installed.files) == {row[0] for row in rows}
    assert all(path.exists() for path in installed.paths())


def test_the_environment_itself_sees_the_dist(environment, cache):
    install(DEMO, cache, environment)
    report = json.loads(environment.python(
        "import importlib.metadata as m, json\n"
        "d = m.distribution('demo-pkg')\n"
        "print(json.dumps({'version': d.version, 'installer': d.read_text('INSTALLER'),\n"
        "  'missing': [str(f) for f in d.files if not f.locate().exists()],\n"
        "  'scripts': sorted(e.name for e in d.entry_points if e.group == 'console_scripts')}))\n"
    ))
    assert report == {"version": "1.0", "installer": "yurt\n", "missing": [], "scripts": ["demo", "demo-run"]}
    assert environment.python("import demo_pkg.cli, demo_top; print(demo_top.VALUE)") == "1\n"


def test_a_dependency_gets_no_requested_and_no_direct_url(environment, cache):
    installed = install(Package("dep"), cache, environment)
    assert not (installed.dist_info / "REQUESTED").exists()
    assert not (installed.dist_info / "direct_url.json").exists()
    assert {row[0] for row in read_record(installed.dist_info)} == {
        "dep/__init__.py", "dep-1.0.dist-info/METADATA", "dep-1.0.dist-info/WHEEL",
        "dep-1.0.dist-info/INSTALLER", "dep-1.0.dist-info/RECORD",
    }


def test_platform_wheels_go_to_platlib(environment, cache):
    installed = install(Package("native", tag="cp311-cp311-linux_x86_64"), cache, environment)
    assert installed.dist_info.parent == environment.scheme.platlib
    assert (environment.scheme.platlib / "native" / "__init__.py").is_file()


def test_interpreter_path_with_spaces_goes_through_sh(tmp_path, base_interpreter, cache):
    environment = Environment(tmp_path / "with space" / "venv", base_interpreter)
    install(DEMO, cache, environment)
    for name, output in (("tool", "hi from tool\n"), ("demo", "demo-pkg 1.0\n")):
        script = environment.path / "bin" / name
        assert script.read_text().startswith("#!/bin/sh\n'''exec' ")
        assert environment.run(script, "--flag").stdout == output


# ---------------------------------------------------------------- link modes


def cache_file(cache: Cache, name: str = "demo_pkg/__init__.py") -> Path:
    [archive] = (cache.root / "archives-v1").iterdir()
    return archive / name


def test_hardlink_mode_shares_the_cache_files(environment, cache):
    warnings: list[str] = []
    linker = make_linker(LinkMode.HARDLINK, cache, environment, warnings)
    install(DEMO, cache, environment, linker)
    installed = environment.site_packages / "demo_pkg" / "__init__.py"
    assert os.stat(installed).st_nlink >= 2
    assert os.path.samefile(installed, cache_file(cache))
    assert (linker.mode, warnings) == (LinkMode.HARDLINK, [])
    # Rewritten files are never links: editing them must not reach the cache.
    assert os.stat(environment.path / "bin" / "tool").st_nlink == 1
    assert os.stat(environment.site_packages / "demo_pkg-1.0.dist-info" / "RECORD").st_nlink == 1


def test_copy_mode_makes_independent_files(environment, cache):
    warnings: list[str] = []
    linker = make_linker(LinkMode.COPY, cache, environment, warnings)
    install(DEMO, cache, environment, linker)
    installed = environment.site_packages / "demo_pkg" / "__init__.py"
    assert os.stat(installed).st_nlink == 1
    assert installed.read_bytes() == cache_file(cache).read_bytes()
    assert os.stat(environment.path / "bin" / "plain").st_mode & stat.S_IXUSR
    assert (linker.mode, warnings) == (LinkMode.COPY, [])


def test_symlink_mode_points_at_the_cache(environment, cache):
    linker = make_linker(LinkMode.SYMLINK, cache, environment, [])
    install(DEMO, cache, environment, linker)
    installed = environment.site_packages / "demo_pkg" / "__init__.py"
    assert installed.is_symlink()
    assert Path(os.readlink(installed)) == cache_file(cache)
    assert environment.run(environment.path / "bin" / "demo").stdout == "demo-pkg 1.0\n"


def test_clone_falls_back_to_hardlink_silently_on_ext4(environment, cache, tmp_path):
    if filesystem_type(tmp_path) != "ext2/ext3":
        pytest.skip(f"needs ext4 (no reflinks); {tmp_path} is on {filesystem_type(tmp_path)}")
    warnings: list[str] = []
    linker = make_linker(LinkMode.CLONE, cache, environment, warnings)
    install(DEMO, cache, environment, linker)
    assert (linker.mode, warnings) == (LinkMode.HARDLINK, [])
    assert os.stat(environment.site_packages / "demo_pkg" / "__init__.py").st_nlink >= 2


@pytest.fixture
def other_filesystem_cache(tmp_path):
    """A cache on tmpfs (/dev/shm) while the venv is on tmp_path's filesystem."""
    if not os.path.isdir("/dev/shm") or os.stat("/dev/shm").st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the temporary folder")
    directory = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="yurt-test-"))
    yield Cache(directory / "c")
    shutil.rmtree(directory)


@pytest.mark.parametrize("mode", [LinkMode.CLONE, LinkMode.HARDLINK])
def test_across_filesystems_one_warning_then_copies(environment, other_filesystem_cache, mode):
    cache = other_filesystem_cache
    warnings: list[str] = []
    linker = make_linker(mode, cache, environment, warnings)
    packages = [DEMO, Package("second", files={f"second/m{index}.py": f"N = {index}\n" for index in range(20)}),
                Package("third")]
    for package in packages:
        install(package, cache, environment, linker)
    assert warnings == [
        "Failed to hardlink files; falling back to full copy. "
        f"The cache ({cache.root}) and the environment ({environment.path}) are on different filesystems: "
        "use --cache-dir on the environment's filesystem for faster installs, "
        "or --link-mode=copy to silence this warning."
    ]
    assert linker.mode is LinkMode.COPY
    archives = {archive.name.split("-")[0]: archive for archive in (cache.root / "archives-v1").iterdir()}
    for index in range(20):
        installed = environment.site_packages / "second" / f"m{index}.py"
        assert installed.read_text() == f"N = {index}\n"
        assert os.stat(installed).st_nlink == 1 and not installed.is_symlink()
    assert archives  # the sources are untouched and still there
    assert environment.run(environment.path / "bin" / "demo").stdout == "demo-pkg 1.0\n"


def test_across_filesystems_copy_mode_is_quiet(environment, other_filesystem_cache):
    warnings: list[str] = []
    linker = make_linker(LinkMode.COPY, other_filesystem_cache, environment, warnings)
    install(DEMO, other_filesystem_cache, environment, linker)
    install(Package("third"), other_filesystem_cache, environment, linker)
    assert warnings == []
    assert (environment.site_packages / "third" / "__init__.py").is_file()


# ---------------------------------------------------------------- refusals and failures


def test_wheel_version_2_is_refused(environment, cache):
    before = snapshot(environment.path)
    archive, filename = unpacked(DEMO, cache, wheel_version="2.0")
    with pytest.raises(InvalidWheel, match="version 2.0 wheel"):
        install_wheel(archive, filename, environment.scheme, make_linker(LinkMode.CLONE, cache, environment, []))
    assert snapshot(environment.path) == before


def test_wheel_without_record_is_refused(environment, cache):
    archive, filename = unpacked(Package("norecord"), cache, include_record=False)
    with pytest.raises(InvalidWheel, match="no RECORD"):
        install_wheel(archive, filename, environment.scheme, make_linker(LinkMode.CLONE, cache, environment, []))


def test_failure_midway_leaves_the_environment_as_it_was(environment, cache):
    site = environment.site_packages
    # A file the wheel also ships: it is replaced during the install and must come back.
    (site / "demo_top.py").write_text("OLD = True\n")
    # Entry-point scripts are written after every payload file, so this fails the install late.
    (environment.path / "bin" / "demo").mkdir()
    before = snapshot(environment.path)
    with pytest.raises(InstallError, match="a folder is in the way"):
        install(DEMO, cache, environment)
    assert snapshot(environment.path) == before
    assert not list(site.glob("*.dist-info"))
    assert not [path for path in site.iterdir() if path.name.startswith(TEMPORARY_PREFIX)]
    assert scan([site]).find("demo-pkg") == []


def test_replaced_files_are_not_kept_after_success(environment, cache):
    site = environment.site_packages
    (site / "demo_top.py").write_text("OLD = True\n")
    install(DEMO, cache, environment)
    assert (site / "demo_top.py").read_text() == "VALUE = 1\n"
    assert not [path for path in site.iterdir() if path.name.startswith(TEMPORARY_PREFIX)]


def test_installing_over_an_installed_dist_is_refused(environment, cache):
    install(DEMO, cache, environment)
    with pytest.raises(InstallError, match="already installed"):
        install(DEMO, cache, environment)


# ---------------------------------------------------------------- bytecode


def test_compile_bytecode_in_the_environment(environment, cache):
    installed = install(DEMO, cache, environment)
    record_before = (installed.dist_info / "RECORD").read_text()
    count = compile_bytecode(environment.path / "bin" / "python", installed.paths())
    assert count == 3  # demo_pkg/__init__.py, demo_pkg/cli.py, demo_top.py
    tag = environment.python("import sys; print(sys.implementation.cache_tag)").strip()
    for module in ("demo_pkg/__pycache__/__init__", "demo_pkg/__pycache__/cli", "__pycache__/demo_top"):
        assert (environment.site_packages / f"{module}.{tag}.pyc").is_file(), module
    assert (installed.dist_info / "RECORD").read_text() == record_before

    [distribution] = scan([environment.site_packages]).find("demo-pkg")
    uninstall(distribution, environment.path, warn=pytest.fail)
    assert not (environment.site_packages / "demo_pkg").exists()
    assert not (environment.site_packages / "__pycache__").exists()


# ---------------------------------------------------------------- scanning


def write_egg_info(site: Path, name: str, files: dict[str, str]) -> Path:
    egg_info = site / name
    egg_info.mkdir()
    for file, content in files.items():
        (egg_info / file).write_text(content)
    return egg_info


def test_scan_finds_each_kind_and_skips_leftovers(environment, cache, tmp_path):
    site = environment.site_packages
    install(DEMO, cache, environment)
    write_egg_info(site, "legacy-2.0-py3.11.egg-info", {
        "PKG-INFO": "Metadata-Version: 1.1\nName: Legacy\nVersion: 2.0\n",
        "requires.txt": "six\n\n[speed]\nfast>=1\n\n[:sys_platform == 'win32']\ncolorama\n",
    })
    (site / "distutils_thing-0.5-py3.11.egg-info").write_text("Metadata-Version: 1.0\nName: distutils-thing\nVersion: 0.5\n")
    project = tmp_path / "project"
    project.mkdir()
    write_egg_info(project, "Dev_Project.egg-info",
                   {"PKG-INFO": "Metadata-Version: 2.1\nName: dev-project\nVersion: 0.1.dev0\nRequires-Dist: attrs\n"})
    (site / "Dev_Project.egg-link").write_text(f"{project}\n.")
    (site / f"{TEMPORARY_PREFIX}123-abcd-half-1.0.dist-info").mkdir()
    (site / "~alf-1.0.dist-info").mkdir()

    found = scan([site, site])
    assert sorted(found.by_name) == ["demo-pkg", "dev-project", "distutils-thing", "legacy"]
    [demo] = found.find("Demo_Pkg")
    assert (demo.name, demo.version, demo.kind, demo.path) == ("demo_pkg", "1.0", DIST_INFO, site / "demo_pkg-1.0.dist-info")
    assert demo.installer() == "yurt"
    assert demo.direct_url() is None and not demo.editable()
    assert str(site / "demo_pkg" / "__init__.py") in demo.files()
    [legacy] = found.find("legacy")
    assert (legacy.version, legacy.kind) == ("2.0", EGG_INFO)
    metadata = legacy.metadata()
    assert metadata.requires_dist == ("six", 'fast>=1; extra == "speed"', "colorama; sys_platform == 'win32'")
    assert metadata.provides_extra == ("speed",)
    [distutils_thing] = found.find("distutils.thing")
    assert (distutils_thing.version, distutils_thing.kind) == ("0.5", EGG_INFO_FILE)
    [development] = found.find("dev-project")
    assert (development.version, development.kind, development.editable()) == ("0.1.dev0", EGG_LINK, True)
    assert development.metadata().requires_dist == ("attrs",)

    assert sorted(scan([site], names=["LEGACY"]).by_name) == ["legacy"]
    assert scan([site / "missing"]).by_name == {}


def test_editable_and_url_metadata(environment, cache):
    install(Package("editable-one"), cache, environment,
            direct_url={"url": "file:///src/editable-one", "dir_info": {"editable": True}})
    [distribution] = scan([environment.site_packages]).find("editable-one")
    assert distribution.editable()
    assert distribution.direct_url()["url"] == "file:///src/editable-one"


def test_fingerprint_changes_only_when_dists_do(environment, cache):
    site = environment.site_packages
    first = fingerprint([site])
    assert fingerprint([site]) == first
    install(Package("one"), cache, environment)
    second = fingerprint([site])
    assert second != first and "one-1.0.dist-info" in [entry[0] for entry in second]
    assert fingerprint([site]) == second
    [distribution] = scan([site]).find("one")
    uninstall(distribution, environment.path, warn=pytest.fail)
    assert fingerprint([site]) not in (first, second)


# ---------------------------------------------------------------- uninstalling


def test_uninstall_removes_what_record_lists_and_nothing_else(environment, cache):
    site = environment.site_packages
    before = snapshot(environment.path)
    install(DEMO, cache, environment)
    (site / "unrelated.py").write_text("x = 1\n")
    (site / "demo_pkg" / "notes.txt").write_text("the user's own file\n")
    [distribution] = scan([site]).find("demo-pkg")
    removed = uninstall(distribution, environment.path, warn=pytest.fail)

    assert (removed.name, removed.version) == ("demo_pkg", "1.0")
    assert str(environment.path / "bin" / "demo") in removed.paths
    after = snapshot(environment.path)
    added = {path for path in after if path not in before}
    kept = f"lib/{PYTHON_DIRECTORY}/site-packages"
    assert added == {f"{kept}/unrelated.py", f"{kept}/demo_pkg", f"{kept}/demo_pkg/notes.txt"}
    assert scan([site]).find("demo-pkg") == []
    assert not (environment.path / "share").exists()
    assert (environment.path / "bin" / "python").exists()
    assert not [path for path in site.parent.iterdir() if path.name.startswith(TEMPORARY_PREFIX)]


def test_uninstall_does_not_follow_record_outside_the_environment(environment, cache, tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me\n")
    installed = install(Package("evil"), cache, environment)
    relative = os.path.relpath(outside, installed.dist_info.parent)
    assert relative.startswith("../../../../")
    with open(installed.dist_info / "RECORD", "a") as record:
        record.write(f"{relative},,\n/etc/passwd,,\n")
    warnings: list[str] = []
    [distribution] = scan([environment.site_packages]).find("evil")
    uninstall(distribution, environment.path, warn=warnings.append)
    assert outside.read_text() == "keep me\n"
    assert os.path.exists("/etc/passwd")
    assert len(warnings) == 2 and all("outside the environment" in warning for warning in warnings)
    assert str(outside) in warnings[0] and "/etc/passwd" in warnings[1]
    assert not (environment.site_packages / "evil").exists()


def test_uninstall_restores_everything_when_a_removal_fails(environment, cache):
    # Running as root, permissions stop nothing. The immutable attribute does: the kernel refuses
    # to rename or delete such a file even for root, so the move of that one file really fails.
    install(DEMO, cache, environment)
    before = snapshot(environment.path)
    stuck = environment.site_packages / "demo_pkg" / "cli.py"
    if subprocess.run(["chattr", "+i", str(stuck)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here (needs CAP_LINUX_IMMUTABLE and ext2/3/4, btrfs or xfs)")
    try:
        [distribution] = scan([environment.site_packages]).find("demo-pkg")
        with pytest.raises(UninstallError, match="Operation not permitted") as caught:
            uninstall(distribution, environment.path, warn=pytest.fail)
        assert caught.value.hints == ("nothing was removed",)
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=True)
    # The .dist-info moved first and other files after it; all of them are back.
    assert snapshot(environment.path) == before
    assert scan([environment.site_packages]).find("demo-pkg")
    assert not [path for path in environment.site_packages.parent.iterdir() if path.name.startswith(TEMPORARY_PREFIX)]


def test_uninstall_egg_info_with_installed_files(environment):
    site = environment.site_packages
    (site / "legacy").mkdir()
    (site / "legacy" / "__init__.py").write_text("")
    (site / "legacy" / "__pycache__").mkdir()
    (site / "legacy" / "__pycache__" / "__init__.cpython-311.pyc").write_bytes(b"")
    (environment.path / "bin" / "legacy-cli").write_text("#!/bin/sh\n")
    egg_info = write_egg_info(site, "legacy-2.0-py3.11.egg-info", {
        "PKG-INFO": "Metadata-Version: 1.1\nName: legacy\nVersion: 2.0\n",
        "installed-files.txt": "../legacy/__init__.py\n../../../../bin/legacy-cli\nPKG-INFO\n./\n",
    })
    [distribution] = scan([site]).find("legacy")
    uninstall(distribution, environment.path, warn=pytest.fail)
    assert not egg_info.exists() and not (site / "legacy").exists()
    assert not (environment.path / "bin" / "legacy-cli").exists()


def test_uninstall_bare_egg_info_by_top_level(environment):
    site = environment.site_packages
    (site / "bare").mkdir()
    (site / "bare" / "__init__.py").write_text("")
    (site / "bare_module.py").write_text("")
    (site / "shared_namespace").mkdir()
    egg_info = write_egg_info(site, "bare-1.0-py3.11.egg-info", {
        "PKG-INFO": "Metadata-Version: 1.1\nName: bare\nVersion: 1.0\n",
        "top_level.txt": "bare\nbare_module\nshared_namespace\n",
        "namespace_packages.txt": "shared_namespace\n",
    })
    [distribution] = scan([site]).find("bare")
    uninstall(distribution, environment.path, warn=pytest.fail)
    assert not egg_info.exists() and not (site / "bare").exists() and not (site / "bare_module.py").exists()
    assert (site / "shared_namespace").is_dir()


def test_uninstall_distutils_egg_info_file_warns(environment):
    site = environment.site_packages
    (site / "old-0.1-py3.11.egg-info").write_text("Metadata-Version: 1.0\nName: old\nVersion: 0.1\n")
    warnings: list[str] = []
    [distribution] = scan([site]).find("old")
    uninstall(distribution, environment.path, warn=warnings.append)
    assert not (site / "old-0.1-py3.11.egg-info").exists()
    assert len(warnings) == 1 and "distutils" in warnings[0]


def test_uninstall_egg_link_and_its_easy_install_line(environment, tmp_path):
    site = environment.site_packages
    project = tmp_path / "project"
    project.mkdir()
    write_egg_info(project, "Dev_Project.egg-info", {"PKG-INFO": "Metadata-Version: 2.1\nName: dev-project\nVersion: 0.1\n"})
    (site / "Dev_Project.egg-link").write_text(f"{project}\n.")
    (site / "easy-install.pth").write_text(f"/elsewhere/other\n{project}\n")
    [distribution] = scan([site]).find("dev-project")
    uninstall(distribution, environment.path, warn=pytest.fail)
    assert not (site / "Dev_Project.egg-link").exists()
    assert (site / "easy-install.pth").read_text() == "/elsewhere/other\n"
    assert (project / "Dev_Project.egg-info" / "PKG-INFO").is_file()


def test_uninstall_without_record_is_refused(environment, cache):
    installed = install(Package("norecord"), cache, environment)
    (installed.dist_info / "RECORD").unlink()
    [distribution] = scan([environment.site_packages]).find("norecord")
    with pytest.raises(UninstallError, match="no RECORD"):
        uninstall(distribution, environment.path, warn=pytest.fail)
    assert (environment.site_packages / "norecord" / "__init__.py").exists()
