"""Source builds through the CLI: registry sdists, the built-wheel cache, editables, direct sources, git."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.builders import Package, build_sdist, build_wheel, write_project

PYTHON_TAG = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def site_packages(venv: Path) -> Path:
    return venv / "lib" / PYTHON_TAG / "site-packages"


def dist_infos(venv: Path) -> list[str]:
    return sorted(entry for entry in os.listdir(site_packages(venv)) if entry.endswith(".dist-info"))


def run_python(venv: Path, code: str) -> str:
    completed = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                               check=True)
    return completed.stdout.strip()


def build_environments(cache_dir: Path) -> list[str]:
    folder = cache_dir / "builds-v1" / "environments"
    return sorted(entry.name for entry in folder.iterdir()) if folder.is_dir() else []


def built_wheels(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "builds-v1" / "wheels").glob("*/*/*.whl"))


@pytest.fixture
def venv(yurt, tmp_path):
    assert yurt("venv", ".venv", cwd=tmp_path).returncode == 0
    return tmp_path / ".venv"


def install(yurt, tmp_path, index, *arguments, **keywords):
    return yurt("pip", "install", "--index-url", index.url, *arguments, cwd=tmp_path, **keywords)


def add_sdist(index, tmp_path, package: Package, **options) -> Path:
    folder = tmp_path / "dists"
    folder.mkdir(exist_ok=True)
    path = build_sdist(package, folder, **options)
    index.add(path)
    return path


# ---------------------------------------------------------------- registry sdists


def test_sdist_with_static_metadata_resolves_without_a_build(yurt, tmp_path, index, cache_dir):
    add_sdist(index, tmp_path, Package("lonely", "1.0", dependencies=("dep>=1",)), metadata_version="2.2")
    index.add_package(Package("dep", "1.0"))
    result = yurt("pip", "compile", "-", "--index-url", index.url, "--no-header", cwd=tmp_path,
                  input="lonely\n")
    assert result.returncode == 0, result.stderr
    assert "lonely==1.0" in result.stdout and "dep==1.0" in result.stdout
    assert build_environments(cache_dir) == []


def test_sdist_is_built_installed_and_its_wheel_reused(yurt, tmp_path, index, cache_dir, venv):
    add_sdist(index, tmp_path, Package("pywatch", "2.0", dependencies=("dep>=1",)), metadata_version="2.2")
    index.add_package(Package("dep", "1.0"))
    result = install(yurt, tmp_path, index, "pywatch")
    assert result.returncode == 0, result.stderr
    assert " + pywatch==2.0" in result.stderr
    assert run_python(venv, "import pywatch; print(pywatch.__version__)") == "2.0"
    assert len(built_wheels(cache_dir)) == 1
    wheel = built_wheels(cache_dir)[0]
    stamp = wheel.stat().st_mtime_ns
    # A fresh venv: the wheel is linked from the cache, nothing is built again.
    second = tmp_path / "second"
    second.mkdir()
    assert yurt("venv", ".venv", cwd=second).returncode == 0
    result = install(yurt, second, index, "pywatch", "-v")
    assert result.returncode == 0, result.stderr
    assert "calling build_wheel" not in result.stderr
    assert [path.stat().st_mtime_ns for path in built_wheels(cache_dir)] == [stamp]
    assert run_python(second / ".venv", "import pywatch; print(pywatch.__version__)") == "2.0"


def test_dynamic_dependencies_come_from_the_metadata_hook(yurt, tmp_path, index, cache_dir, venv):
    add_sdist(index, tmp_path, Package("dyn", "1.0", dependencies=("dep>=1",)), dynamic_dependencies=True,
              metadata_version="2.2")
    index.add_package(Package("dep", "1.0"))
    result = yurt("pip", "compile", "-", "--index-url", index.url, "--no-header", "-v", cwd=tmp_path,
                  input="dyn\n")
    assert result.returncode == 0, result.stderr
    assert "dep==1.0" in result.stdout
    assert "calling prepare_metadata_for_build_wheel" in result.stderr
    assert "calling build_wheel" not in result.stderr
    assert len(build_environments(cache_dir)) == 1
    # The metadata is kept: a second resolve calls no hook.
    again = yurt("pip", "compile", "-", "--index-url", index.url, "--no-header", "-v", cwd=tmp_path, input="dyn\n")
    assert again.returncode == 0 and "calling prepare_metadata" not in again.stderr
    result = install(yurt, tmp_path, index, "dyn")
    assert result.returncode == 0, result.stderr
    assert " + dep==1.0" in result.stderr and " + dyn==1.0" in result.stderr


def test_failed_build_names_the_dist_and_installs_nothing(yurt, tmp_path, index, venv):
    add_sdist(index, tmp_path, Package("broken", "1.0"), metadata_version="2.2",
              build_failure="fatal error: Python.h: No such file or directory")
    index.add_package(Package("fine", "1.0"))
    before = dist_infos(venv)
    result = install(yurt, tmp_path, index, "broken", "fine")
    assert result.returncode == 1
    assert "error: failed to build broken==1.0" in result.stderr
    assert "Python.h: No such file or directory" in result.stderr
    assert "hint: the Python headers are missing" in result.stderr
    assert "Traceback" not in result.stderr.split("[output]")[0]
    assert dist_infos(venv) == before


def test_no_build_refuses_sdists(yurt, tmp_path, index, venv):
    add_sdist(index, tmp_path, Package("srconly", "1.0"), metadata_version="2.2")
    result = install(yurt, tmp_path, index, "srconly", "--no-build")
    assert result.returncode == 1
    assert "srconly" in result.stderr


def test_build_environment_is_shared_and_build_requires_installed(yurt, tmp_path, index, cache_dir, venv):
    index.add_package(Package("helper", "1.0"))
    add_sdist(index, tmp_path, Package("one", "1.0"), metadata_version="2.2", build_requires=("helper",))
    add_sdist(index, tmp_path, Package("two", "1.0"), metadata_version="2.2", build_requires=("helper",))
    result = install(yurt, tmp_path, index, "one", "two")
    assert result.returncode == 0, result.stderr
    environments = build_environments(cache_dir)
    assert len(environments) == 1
    environment = cache_dir / "builds-v1" / "environments" / environments[0]
    assert list((environment / "lib" / PYTHON_TAG / "site-packages").glob("helper-1.0.dist-info"))
    # helper is only a build requirement: not in the target venv.
    assert not any(name.startswith("helper") for name in dist_infos(venv))
