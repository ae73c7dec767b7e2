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


def find_local_wheel(name: str) -> Path | None:
    """A wheel of `name` already on this machine (ensurepip's bundle, distribution folders): no network."""
    import ensurepip

    patterns = [
        os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", f"{name}-*.whl"),
        f"/usr/share/python-wheels/{name}-*.whl",
        f"/opt/pypi/files/{name}-*.whl",
        os.path.join(os.path.dirname(os.path.dirname(sys.base_prefix)), "*", "lib", "python3*", "test", "**",
                     f"{name}-*-py3-none-any.whl"),
    ]
    for pattern in patterns:
        found = sorted(glob.glob(pattern, recursive=True))
        if found:
            return Path(found[-1])
    return None


@pytest.fixture
def setuptools_index(index):
    for name in ("setuptools", "wheel"):
        wheel = find_local_wheel(name)
        if wheel is None:
            pytest.skip(f"no {name} wheel on this machine")
        index.add(wheel)
    # Newer wheel releases depend on packaging instead of vendoring it.
    packaging = find_local_wheel("packaging")
    if packaging is not None:
        index.add(packaging)
    return index


def test_legacy_setup_py_sdist_builds_with_setuptools(yurt, tmp_path, setuptools_index, venv):
    add_sdist(setuptools_index, tmp_path, Package("oldstyle", "1.0", dependencies=("dep>=1",)), kind="legacy")
    setuptools_index.add_package(Package("dep", "1.0"))
    result = install(yurt, tmp_path, setuptools_index, "oldstyle")
    assert result.returncode == 0, result.stderr
    assert " + oldstyle==1.0" in result.stderr and " + dep==1.0" in result.stderr
    assert run_python(venv, "import oldstyle; print(oldstyle.__version__)") == "1.0"


def test_setuptools_project_with_dynamic_dependencies(yurt, tmp_path, setuptools_index, venv):
    add_sdist(setuptools_index, tmp_path, Package("modern", "1.0", dependencies=("dep>=1",)), kind="setuptools",
              dynamic_dependencies=True)
    setuptools_index.add_package(Package("dep", "1.0"))
    result = install(yurt, tmp_path, setuptools_index, "modern")
    assert result.returncode == 0, result.stderr
    assert " + dep==1.0" in result.stderr and " + modern==1.0" in result.stderr


# ---------------------------------------------------------------- editables and local folders


def test_editable_install_shows_edits_and_uninstalls_cleanly(yurt, tmp_path, index, venv):
    index.add_package(Package("dep", "1.0"))
    project = write_project(Package("proj", "0.3", dependencies=("dep",)), tmp_path / "proj")
    result = install(yurt, tmp_path, index, "-e", str(project))
    assert result.returncode == 0, result.stderr
    assert " + proj==0.3" in result.stderr and " + dep==1.0" in result.stderr
    dist_info = site_packages(venv) / "proj-0.3.dist-info"
    direct_url = json.loads((dist_info / "direct_url.json").read_text())
    assert direct_url == {"url": project.as_uri(), "dir_info": {"editable": True}}
    assert run_python(venv, "import proj; print(proj.__version__)") == "0.3"
    (project / "proj" / "__init__.py").write_text("__version__ = 'edited'\n")
    assert run_python(venv, "import proj; print(proj.__version__)") == "edited"
    # Installed already from the same place: nothing to do.
    again = install(yurt, tmp_path, index, "-e", str(project))
    assert again.returncode == 0 and "Installed" not in again.stderr
    pth = site_packages(venv) / "__editable__.proj-0.3.pth"
    assert pth.exists()
    removed = yurt("pip", "uninstall", "proj", cwd=tmp_path)
    if removed.returncode == 0:
        assert not pth.exists() and not dist_info.exists()


def test_local_folder_named_on_the_command_line_is_rebuilt(yurt, tmp_path, index, venv):
    project = write_project(Package("localproj", "1.0"), tmp_path / "localproj")
    result = install(yurt, tmp_path, index, "./localproj")
    assert result.returncode == 0, result.stderr
    assert " + localproj==1.0" in result.stderr
    direct_url = json.loads((site_packages(venv) / "localproj-1.0.dist-info" / "direct_url.json").read_text())
    assert direct_url == {"url": project.as_uri(), "dir_info": {}}
    (project / "localproj" / "__init__.py").write_text("__version__ = 'changed'\n")
    result = install(yurt, tmp_path, index, "./localproj")
    assert result.returncode == 0, result.stderr
    assert " ~ localproj==1.0" in result.stderr
    assert run_python(venv, "import localproj; print(localproj.__version__)") == "changed"


# ---------------------------------------------------------------- archives, URLs and git


def test_local_archives_install(yurt, tmp_path, index, venv):
    folder = tmp_path / "files"
    folder.mkdir()
    wheel = build_wheel(Package("wheelish", "1.0"), folder)
    sdist = build_sdist(Package("sdistish", "2.0"), folder)
    result = install(yurt, tmp_path, index, str(wheel), str(sdist))
    assert result.returncode == 0, result.stderr
    assert " + wheelish==1.0" in result.stderr and " + sdistish==2.0" in result.stderr
    direct_url = json.loads((site_packages(venv) / "sdistish-2.0.dist-info" / "direct_url.json").read_text())
    assert direct_url["url"] == sdist.as_uri() and "sha256" in direct_url["archive_info"]["hashes"]


def test_direct_url_with_wrong_hash_is_refused(yurt, tmp_path, index, venv):
    folder = tmp_path / "files"
    folder.mkdir()
    sdist = build_sdist(Package("hashed", "1.0"), folder)
    index.add(sdist)
    before = dist_infos(venv)
    url = index.file_url(sdist.name)
    result = install(yurt, tmp_path, index, f"hashed @ {url}#sha256={'0' * 64}")
    assert result.returncode == 1
    assert "hash mismatch for hashed-1.0.tar.gz" in result.stderr
    assert dist_infos(venv) == before
    import hashlib

    digest = hashlib.sha256(sdist.read_bytes()).hexdigest()
    result = install(yurt, tmp_path, index, f"hashed @ {url}#sha256={digest}")
    assert result.returncode == 0, result.stderr
    assert " + hashed==1.0" in result.stderr


def git(*arguments: str, cwd: Path) -> str:
    environment = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *arguments], cwd=cwd, env=environment, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture
def repository(tmp_path):
    folder = tmp_path / "repo"
    write_project(Package("gitpkg", "1.0"), folder / "sub")
    git("init", "--quiet", "--initial-branch=main", cwd=folder)
    git("add", ".", cwd=folder)
    git("commit", "--quiet", "-m", "one", cwd=folder)
    git("tag", "v1.0", cwd=folder)
    first = git("rev-parse", "HEAD", cwd=folder)
    write_project(Package("gitpkg", "2.0"), folder / "sub")
    git("commit", "--quiet", "-am", "two", cwd=folder)
    return folder, first


def test_git_requirement_at_a_tag_and_at_a_commit(yurt, tmp_path, index, venv, repository):
    folder, first = repository
    url = f"git+{folder.as_uri()}"
    result = install(yurt, tmp_path, index, f"gitpkg @ {url}@v1.0#subdirectory=sub")
    assert result.returncode == 0, result.stderr
    assert " + gitpkg==1.0" in result.stderr
    direct_url = json.loads((site_packages(venv) / "gitpkg-1.0.dist-info" / "direct_url.json").read_text())
    assert direct_url["vcs_info"] == {"vcs": "git", "commit_id": first, "requested_revision": "v1.0"}
    assert direct_url["subdirectory"] == "sub"
    head = git("rev-parse", "HEAD", cwd=folder)
    result = install(yurt, tmp_path, index, f"gitpkg @ {url}@{head}#subdirectory=sub")
    assert result.returncode == 0, result.stderr
    assert " - gitpkg==1.0" in result.stderr and " + gitpkg==2.0" in result.stderr
    compiled = yurt("pip", "compile", "-", "--index-url", index.url, "--no-header", "--no-annotate", cwd=tmp_path,
                    input=f"gitpkg @ {url}@main#subdirectory=sub\n")
    assert compiled.returncode == 0, compiled.stderr
    assert compiled.stdout.strip() == f"gitpkg @ {url}@{head}#subdirectory=sub"


def test_missing_build_requirement_names_the_build(yurt, tmp_path, index, venv):
    add_sdist(index, tmp_path, Package("needy", "1.0"), metadata_version="2.2", build_requires=("nowhere>=1",))
    result = install(yurt, tmp_path, index, "needy")
    assert result.returncode == 1
    assert "error: failed to build needy==1.0" in result.stderr
    assert "nowhere" in result.stderr
    assert dist_infos(venv) == []


def test_no_build_isolation_builds_in_the_target_environment(yurt, tmp_path, index, cache_dir, venv):
    add_sdist(index, tmp_path, Package("plain", "1.0"), metadata_version="2.2")
    result = install(yurt, tmp_path, index, "plain", "--no-build-isolation")
    assert result.returncode == 0, result.stderr
    assert " + plain==1.0" in result.stderr
    assert build_environments(cache_dir) == []


def test_config_settings_reach_the_backend(yurt, tmp_path, index, venv):
    project = write_project(Package("configured", "1.0"), tmp_path / "configured")
    backend = project / "backend" / "__init__.py"
    # Wrap the test backend's build_wheel so it records what the frontend passed.
    backend.write_text(backend.read_text() + (
        "\n\n_build_wheel = build_wheel\n\n\n"
        "def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):\n"
        "    (SOURCE_ROOT / 'settings.json').write_text(json.dumps(config_settings))\n"
        "    return _build_wheel(wheel_directory, config_settings, metadata_directory)\n"
    ))
    result = install(yurt, tmp_path, index, "./configured", "-C", "color=blue", "-C", "color=red",
                     "--config-setting", "level=3")
    assert result.returncode == 0, result.stderr
    assert json.loads((project / "settings.json").read_text()) == {"color": ["blue", "red"], "level": "3"}
