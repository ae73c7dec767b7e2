"""`yurt pip uninstall|list|freeze|show|check|tree` on real venvs filled by the real pip, through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.builders import Package, build_wheel, write_project
from support.cli import mask, run_yurt
from yurt.install.noop import STATE_FILE

# The dists of the shared environment: a chain, a shared dependency, a marker and an extra that
# do not apply, an editable project and a dist installed from a wheel's path.
STANDARD_PACKAGES = (
    Package("app", "1.0", dependencies=("lib>=1.0", 'never-needed; python_version < "3"'),
            extras={"fancy": ("fancy-dep>=1",)}),
    Package("lib", "1.5", dependencies=("core>=1,<3",)),
    Package("core", "2.0"),
    Package("tool", "1.0", dependencies=("lib", "core>=2")),
)


def pip(venv: Path, *arguments: str) -> subprocess.CompletedProcess:
    """The machine's own pip acting on the venv, blind to the developer's pip settings."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("PIP_") and name not in ("VIRTUAL_ENV", "PYTHONPATH")}
    environment["PIP_CONFIG_FILE"] = os.devnull
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "--disable-pip-version-check",
         *arguments],
        env=environment, capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed


def pip_install(venv: Path, wheels: Path, *arguments: str) -> None:
    pip(venv, "install", "--no-index", "--find-links", str(wheels), *arguments)


def pip_names(venv: Path) -> set[str]:
    return {row["name"].lower() for row in json.loads(pip(venv, "list", "--format", "json").stdout)}


def build_all(packages, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for package in packages:
        build_wheel(package, directory)
    return directory


def site_packages(venv: Path) -> Path:
    return next((venv / "lib").glob("python*/site-packages"))


def without_environment_line(text: str) -> str:
    """stderr minus the `Using Python X environment at: v` line every command starts with."""
    lines = text.splitlines(keepends=True)
    assert lines and lines[0].startswith("Using Python ") and lines[0].rstrip().endswith("environment at: v")
    return "".join(lines[1:])


def new_venv(yurt, directory: Path) -> Path:
    yurt("venv", "v", cwd=directory, check=True)
    return directory / "v"


@dataclass(frozen=True)
class Standard:
    root: Path
    venv: Path
    site: Path
    project: Path
    url_wheel: Path

    def masks(self) -> dict:
        return {self.site: "[SITE]", self.project: "[PROJECT]", self.root: "[ROOT]"}


@pytest.fixture(scope="module")
def standard(tmp_path_factory) -> Standard:
    """One environment for the commands that only read: building it costs two pip runs."""
    root = tmp_path_factory.mktemp("standard")
    run_yurt("venv", "v", cwd=root, cache_dir=root / "cache", check=True)
    venv = root / "v"
    wheels = build_all(STANDARD_PACKAGES, root / "wheels")
    url_wheel = build_wheel(Package("wheelpkg", "1.0"), root / "direct")
    project = write_project(Package("proj", "0.3", dependencies=("core",)), root / "proj")
    pip_install(venv, wheels, "app", "tool", str(url_wheel))
    pip_install(venv, wheels, "-e", str(project))
    return Standard(root, venv, site_packages(venv), project, url_wheel)


def read(yurt, standard: Standard, *arguments: str, check: bool | int | None = True):
    result = yurt("pip", *arguments, "--python", "v", cwd=standard.root, check=check)
    return result, mask(result.stdout, standard.masks())


# ---------------------------------------------------------------- uninstall


def test_uninstall_what_pip_installed_and_pip_sees_it_gone(yurt, tmp_path):
    venv = new_venv(yurt, tmp_path)
    wheels = build_all((Package("a", "1.0", dependencies=("b",)), Package("b", "1.0"), Package("keep", "1.0")),
                       tmp_path / "wheels")
    pip_install(venv, wheels, "a", "keep")
    (venv / STATE_FILE).write_text("{}")
    result = yurt("pip", "uninstall", "a", "B", "nothere", "--python", "v", cwd=tmp_path, check=True)
    assert mask(without_environment_line(result.stderr)) == (
        "warning: Skipping nothere as it is not installed\n"
        "Uninstalled 2 packages in [TIME]\n"
        " - a==1.0\n"
        " - b==1.0\n"
    )
    assert result.stdout == ""
    assert sorted(path.name for path in site_packages(venv).iterdir() if path.name[0] in "abk") == [
        "keep", "keep-1.0.dist-info"]
    assert not (venv / STATE_FILE).exists()
    assert {"a", "b"}.isdisjoint(pip_names(venv)) and "keep" in pip_names(venv)
    imported = subprocess.run([venv / "bin" / "python", "-c", "import a"], capture_output=True)
    assert imported.returncode != 0


def test_uninstall_dry_run_nothing_installed_and_requirement_files(yurt, tmp_path):
    venv = new_venv(yurt, tmp_path)
    wheels = build_all((Package("a", "1.0", dependencies=("b",)), Package("b", "1.0"), Package("c", "2.0")),
                       tmp_path / "wheels")
    pip_install(venv, wheels, "a", "c")
    site = site_packages(venv)

    dry = yurt("pip", "uninstall", "--dry-run", "a", "--python", "v", cwd=tmp_path, check=True)
    assert without_environment_line(dry.stderr) == "Would uninstall 1 package\n - a==1.0\n"
    assert (site / "a-1.0.dist-info").is_dir() and (site / "a" / "__init__.py").is_file()

    nothing = yurt("pip", "uninstall", "x", "y", "--python", "v", cwd=tmp_path, check=True)
    assert without_environment_line(nothing.stderr) == (
        "warning: Skipping x as it is not installed\n"
        "warning: Skipping y as it is not installed\n"
        "warning: No packages to uninstall\n"
    )

    (tmp_path / "requirements.txt").write_text("# what came with a\na==1.0\nb>=0.1 ; python_version >= '3'\n")
    from_file = yurt("pip", "uninstall", "-r", "requirements.txt", cwd=tmp_path, env={"VIRTUAL_ENV": venv},
                     check=True)
    assert mask(without_environment_line(from_file.stderr)) == (
        "Uninstalled 2 packages in [TIME]\n - a==1.0\n - b==1.0\n")

    from_stdin = yurt("pip", "uninstall", "-r", "-", "--python", "v", cwd=tmp_path, input="c\n", check=True)
    assert mask(without_environment_line(from_stdin.stderr)) == "Uninstalled 1 package in [TIME]\n - c==2.0\n"
    assert not [path for path in site.iterdir() if path.name[0] in "abc"]

    no_names = yurt("pip", "uninstall", "--python", "v", cwd=tmp_path, check=1)
    assert "error: nothing to uninstall" in no_names.stderr


def test_uninstall_editable_removes_its_pth_but_not_the_project(yurt, tmp_path):
    venv = new_venv(yurt, tmp_path)
    project = write_project(Package("proj", "0.3"), tmp_path / "proj")
    pip(venv, "install", "--no-index", "-e", str(project))
    site = site_packages(venv)
    assert (site / "__editable__.proj-0.3.pth").exists()
    result = yurt("pip", "uninstall", "proj", "--python", "v", cwd=tmp_path, check=True)
    assert mask(without_environment_line(result.stderr), {project: "[PROJECT]"}) == (
        "Uninstalled 1 package in [TIME]\n - proj==0.3 (from file://[PROJECT])\n")
    assert not list(site.glob("*proj*"))
    assert (project / "proj" / "__init__.py").is_file()
    assert "proj" not in pip_names(venv)


def test_uninstall_forgets_the_no_op_verdict_so_install_installs_again(yurt, index, tmp_path):
    index.add_package(Package("a", "1.0"))
    new_venv(yurt, tmp_path)
    install = ("pip", "install", "a", "--index-url", index.url, "--python", "v")
    yurt(*install, cwd=tmp_path, check=True)
    assert "Checked 1 package" in yurt(*install, cwd=tmp_path, check=True).stderr
    assert (tmp_path / "v" / STATE_FILE).exists()
    yurt("pip", "uninstall", "a", "--python", "v", cwd=tmp_path, check=True)
    assert not (tmp_path / "v" / STATE_FILE).exists()
    again = yurt(*install, cwd=tmp_path, check=True)
    assert " + a==1.0" in again.stderr


# ---------------------------------------------------------------- list


def location_rule(standard: Standard) -> str:
    """The dashes under `Editable project location`: as wide as the widest cell, the real path."""
    return "-" * max(len("Editable project location"), len(str(standard.project)))


def test_list_columns(yurt, standard):
    result, shown = read(yurt, standard, "list")
    assert shown == (
        "Package  Version Editable project location\n"
        f"-------- ------- {location_rule(standard)}\n"
        "app      1.0\n"
        "core     2.0\n"
        "lib      1.5\n"
        "proj     0.3     [PROJECT]\n"
        "tool     1.0\n"
        "wheelpkg 1.0\n"
    )
    assert without_environment_line(result.stderr) == ""


def test_list_json_and_freeze_formats(yurt, standard):
    result, _ = read(yurt, standard, "list", "--format", "json")
    assert json.loads(result.stdout) == [
        {"name": "app", "version": "1.0"},
        {"name": "core", "version": "2.0"},
        {"name": "lib", "version": "1.5"},
        {"name": "proj", "version": "0.3", "editable_project_location": str(standard.project)},
        {"name": "tool", "version": "1.0"},
        {"name": "wheelpkg", "version": "1.0"},
    ]
    _, shown = read(yurt, standard, "list", "--format", "freeze", "--exclude", "APP", "--exclude", "wheelpkg")
    assert shown == "core==2.0\nlib==1.5\nproj==0.3\ntool==1.0\n"


def test_list_editable_filters(yurt, standard):
    _, only = read(yurt, standard, "list", "-e")
    assert only == (
        "Package Version Editable project location\n"
        f"------- ------- {location_rule(standard)}\n"
        "proj    0.3     [PROJECT]\n"
    )
    _, without = read(yurt, standard, "list", "--exclude-editable", "--exclude", "core")
    assert without == (
        "Package  Version\n"
        "-------- -------\n"
        "app      1.0\n"
        "lib      1.5\n"
        "tool     1.0\n"
        "wheelpkg 1.0\n"
    )
    both, _ = read(yurt, standard, "list", "--editable", "--exclude-editable", check=1)
    assert "error: `--editable` cannot be used with `--exclude-editable`" in both.stderr


def test_list_through_virtual_env_variable(yurt, standard):
    result = yurt("pip", "list", "--format", "freeze", cwd=standard.root.parent,
                  env={"VIRTUAL_ENV": standard.venv}, check=True)
    assert result.stdout.splitlines()[0] == "app==1.0"


def test_list_outdated_asks_the_index(yurt, index, tmp_path):
    for version in ("1.0", "2.0"):
        index.add_package(Package("core", version))
    index.add_package(Package("core", "2.5"), wheel=False, sdist=True)
    index.add_package(Package("core", "2.6", requires_python=">=3.99"))
    index.add_package(Package("core", "2.7", tag="py2-none-any"))
    index.add_package(Package("core", "2.8"), yanked="broken")
    index.add_package(Package("core", "3.0b1"))
    index.add_package(Package("lib", "1.5"))
    new_venv(yurt, tmp_path)
    yurt("pip", "install", "core==1.0", "lib", "--index-url", index.url, "--python", "v", cwd=tmp_path, check=True)

    columns = yurt("pip", "list", "--outdated", "--index-url", index.url, "--python", "v", cwd=tmp_path, check=True)
    assert columns.stdout == (
        "Package Version Latest Type\n"
        "------- ------- ------ -----\n"
        "core    1.0     2.5    sdist\n"
    )
    as_json = yurt("pip", "list", "--outdated", "--format", "json", "--index-url", index.url, "--python", "v",
                   cwd=tmp_path, check=True)
    assert json.loads(as_json.stdout) == [
        {"name": "core", "version": "1.0", "latest_version": "2.5", "latest_filetype": "sdist"}]
    refused = yurt("pip", "list", "--outdated", "--format", "freeze", "--python", "v", cwd=tmp_path, check=1)
    assert "error: `--outdated` cannot be used with `--format freeze`" in refused.stderr


# ---------------------------------------------------------------- freeze


def test_freeze_exactly(yurt, standard):
    _, shown = read(yurt, standard, "freeze")
    assert shown == (
        "app==1.0\n"
        "core==2.0\n"
        "lib==1.5\n"
        "-e [PROJECT]\n"
        "tool==1.0\n"
        f"wheelpkg @ file://{mask(str(standard.url_wheel), standard.masks())}\n"
    )


def test_freeze_exclusions(yurt, standard):
    _, shown = read(yurt, standard, "freeze", "--exclude-editable", "--exclude", "WheelPkg", "--exclude", "lib")
    assert shown == "app==1.0\ncore==2.0\ntool==1.0\n"


# ---------------------------------------------------------------- show


def test_show_fields_requires_and_required_by(yurt, standard):
    result, shown = read(yurt, standard, "show", "app", "core")
    assert shown == (
        "Name: app\n"
        "Version: 1.0\n"
        "Summary: The app test package\n"
        "Home-page:\n"
        "License:\n"
        "Location: [SITE]\n"
        "Requires: lib\n"
        "Required-by:\n"
        "---\n"
        "Name: core\n"
        "Version: 2.0\n"
        "Summary: The core test package\n"
        "Home-page:\n"
        "License:\n"
        "Location: [SITE]\n"
        "Requires:\n"
        "Required-by: lib, proj, tool\n"
    )
    assert without_environment_line(result.stderr) == ""


def test_show_editable_and_files(yurt, standard):
    _, shown = read(yurt, standard, "show", "proj")
    assert "Editable project location: [PROJECT]\nRequires: core\n" in shown
    _, files = read(yurt, standard, "show", "--files", "lib")
    listed = files.split("Files:\n", 1)[1].splitlines()
    assert "  lib/__init__.py" in listed
    assert "  lib-1.5.dist-info/METADATA" in listed and "  lib-1.5.dist-info/RECORD" in listed
    assert listed == sorted(listed)


def test_show_unknown_names(yurt, standard):
    partly, shown = read(yurt, standard, "show", "tool", "nope", "Also_Missing")
    assert shown.startswith("Name: tool\n")
    assert without_environment_line(partly.stderr) == "warning: Package(s) not found: Also_Missing, nope\n"
    missing, shown = read(yurt, standard, "show", "nope", check=1)
    assert shown == ""
    assert without_environment_line(missing.stderr) == "warning: Package(s) not found: nope\n"


# ---------------------------------------------------------------- check


def test_check_clean_environment(yurt, standard):
    result, _ = read(yurt, standard, "check")
    assert mask(without_environment_line(result.stderr)) == (
        "Checked 6 packages in [TIME]\nAll installed packages are compatible\n")
    assert result.stdout == ""


def test_check_broken_environment(yurt, tmp_path):
    venv = new_venv(yurt, tmp_path)
    wheels = build_all((
        Package("a", "1.0", dependencies=("b>=2", "c", 'd; sys_platform == "never"'), extras={"x": ("e",)}),
        Package("b", "1.0"),
        Package("old", "1.0", requires_python=">=3.99"),
        Package("modern", "1.0", requires_python=">=3.8"),
    ), tmp_path / "wheels")
    pip_install(venv, wheels, "--no-deps", "--ignore-requires-python", "a", "b", "old", "modern")
    site = site_packages(venv)
    # A second, older b beside the first, as a botched copy leaves it; and a dist without METADATA.
    (site / "b-0.5.dist-info").mkdir()
    (site / "b-0.5.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: b\nVersion: 0.5\n")
    (site / "ghost-1.0.dist-info").mkdir()
    python = subprocess.run([venv / "bin" / "python", "-c", "import platform; print(platform.python_version())"],
                            capture_output=True, text=True, check=True).stdout.strip()

    result = yurt("pip", "check", "--python", "v", cwd=tmp_path, check=1)
    masks = {site: "[SITE]"}
    expected = (
        "Checked 6 packages in [TIME]\n"
        "Found 5 incompatibilities\n"
        "a 1.0 has requirement b>=2, but you have b 0.5 and b 1.0.\n"
        "a 1.0 requires c, which is not installed.\n"
        "b is installed more than once: 0.5 ([SITE]/b-0.5.dist-info), 1.0 ([SITE]/b-1.0.dist-info).\n"
        "ghost 1.0 has no readable metadata ([SITE]/ghost-1.0.dist-info).\n"
        f"old 1.0 requires Python >=3.99, but you have Python {python}.\n"
    )
    assert mask(without_environment_line(result.stderr), masks) == expected

    older = yurt("pip", "check", "--python-version", "3.7", "--python", "v", cwd=tmp_path, check=1)
    assert "modern 1.0 requires Python >=3.8, but you have Python 3.7.0.\n" in older.stderr
    assert "Found 6 incompatibilities\n" in older.stderr

    (site / "ghost-1.0.dist-info").rmdir()
    for leftover in site.glob("b-0.5.dist-info/*"):
        leftover.unlink()
    (site / "b-0.5.dist-info").rmdir()
    pip(venv, "uninstall", "--yes", "old")
    fixed_wheels = build_all((Package("b", "2.0"), Package("c", "1.0")), tmp_path / "more")
    pip_install(venv, fixed_wheels, "--no-deps", "b==2.0", "c")
    fixed = yurt("pip", "check", "--python", "v", cwd=tmp_path, check=True)
    assert mask(without_environment_line(fixed.stderr)) == (
        "Checked 4 packages in [TIME]\nAll installed packages are compatible\n")


# ---------------------------------------------------------------- tree


def test_tree_with_dedupe_mark(yurt, standard):
    result, shown = read(yurt, standard, "tree")
    assert shown == (
        "app v1.0\n"
        "└── lib v1.5\n"
        "    └── core v2.0\n"
        "proj v0.3\n"
        "└── core v2.0\n"
        "tool v1.0\n"
        "├── core v2.0\n"
        "└── lib v1.5 (*)\n"
        "wheelpkg v1.0\n"
        "(*) Package tree already displayed\n"
    )
    assert without_environment_line(result.stderr) == ""


def test_tree_depth(yurt, standard):
    _, one = read(yurt, standard, "tree", "--depth", "1")
    assert one == (
        "app v1.0\n"
        "└── lib v1.5\n"
        "proj v0.3\n"
        "└── core v2.0\n"
        "tool v1.0\n"
        "├── core v2.0\n"
        "└── lib v1.5\n"
        "wheelpkg v1.0\n"
    )
    _, zero = read(yurt, standard, "tree", "-d", "0")
    assert zero == "app v1.0\nproj v0.3\ntool v1.0\nwheelpkg v1.0\n"


def test_tree_invert(yurt, standard):
    _, shown = read(yurt, standard, "tree", "--invert")
    assert shown == (
        "core v2.0\n"
        "├── lib v1.5\n"
        "│   ├── app v1.0\n"
        "│   └── tool v1.0\n"
        "├── proj v0.3\n"
        "└── tool v1.0\n"
        "wheelpkg v1.0\n"
    )


def test_tree_package_and_version_specifiers(yurt, standard):
    _, shown = read(yurt, standard, "tree", "--package", "Tool", "--show-version-specifiers")
    assert shown == (
        "tool v1.0\n"
        "├── core v2.0 [required: >=2]\n"
        "└── lib v1.5 [required: *]\n"
        "    └── core v2.0 [required: >=1, <3]\n"
    )
    _, inverted = read(yurt, standard, "tree", "--invert", "--package", "lib", "--show-version-specifiers")
    assert inverted == (
        "lib v1.5\n"
        "├── app v1.0 [requires: lib >=1.0]\n"
        "└── tool v1.0 [requires: lib *]\n"
    )


def test_tree_of_a_cycle(yurt, tmp_path):
    venv = new_venv(yurt, tmp_path)
    wheels = build_all((Package("x", "1.0", dependencies=("y",)), Package("y", "1.0", dependencies=("x",))),
                       tmp_path / "wheels")
    pip_install(venv, wheels, "x")
    result = yurt("pip", "tree", "--python", "v", cwd=tmp_path, check=True)
    assert result.stdout == (
        "x v1.0\n"
        "└── y v1.0\n"
        "    └── x v1.0 (*)\n"
        "(*) Package tree already displayed\n"
    )
