"""`yurt pip install` and `sync` through the real CLI: results in the venv, output, no-op path, safety."""

from __future__ import annotations

import base64
import csv
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.builders import Package
from support.cli import mask, yurt_environment

PYTHON_TAG = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def site_packages(venv: Path) -> Path:
    return venv / "lib" / PYTHON_TAG / "site-packages"


def dist_infos(venv: Path) -> list[str]:
    return sorted(entry for entry in os.listdir(site_packages(venv)) if entry.endswith(".dist-info"))


@pytest.fixture
def venv(yurt, tmp_path):
    assert yurt("venv", ".venv", cwd=tmp_path).returncode == 0
    return tmp_path / ".venv"


@pytest.fixture
def packages(index):
    index.add_package(Package("app", "1.0", dependencies=("lib>=1",),
                              entry_points={"console_scripts": {"app-run": "app:main"}}))
    index.add_package(Package("lib", "1.0"))
    index.add_package(Package("lib", "2.0", data_files={"scripts": {"lib-tool": "#!python\nimport lib\nprint('tool', lib.__version__)\n"}}))
    index.add_package(Package("extra-thing", "1.0"))
    return index


def install(yurt, tmp_path, index, *arguments, **keywords):
    return yurt("pip", "install", "--index-url", index.url, *arguments, cwd=tmp_path, **keywords)


def test_install_places_dists_and_reports(yurt, tmp_path, venv, packages):
    result = install(yurt, tmp_path, packages, "app")
    assert result.returncode == 0, result.stderr
    assert mask(result.stderr) == (
        f"Using Python {sys.version.split()[0]} environment at: .venv\n"
        "Resolved 2 packages in [TIME]\n"
        "Prepared 2 packages in [TIME]\n"
        "Installed 2 packages in [TIME]\n"
        " + app==1.0\n"
        " + lib==2.0\n"
    )
    assert result.stdout == ""
    assert dist_infos(venv) == ["app-1.0.dist-info", "lib-2.0.dist-info"]
    run = subprocess.run([str(venv / "bin" / "app-run")], capture_output=True, text=True)
    assert run.stdout.strip() == "app 1.0"
    tool = subprocess.run([str(venv / "bin" / "lib-tool")], capture_output=True, text=True)
    assert tool.stdout.strip() == "tool 2.0"
    assert (site_packages(venv) / "app-1.0.dist-info" / "INSTALLER").read_text().strip() == "yurt"
    assert (site_packages(venv) / "app-1.0.dist-info" / "REQUESTED").exists()
    assert not (site_packages(venv) / "lib-2.0.dist-info" / "REQUESTED").exists()


def assert_record_matches(venv: Path, dist_info: str) -> None:
    """Every file RECORD lists exists with the hash and size it gives."""
    record = site_packages(venv) / dist_info / "RECORD"
    rows = list(csv.reader(record.read_text().splitlines()))
    assert rows
    for path, digest, size in rows:
        target = (site_packages(venv) / path).resolve()
        assert target.exists(), path
        if not digest:
            assert path.endswith("RECORD")
            continue
        data = target.read_bytes()
        algorithm, value = digest.split("=", 1)
        expected = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=").decode()
        assert value == expected, path
        assert int(size) == len(data), path


def test_record_matches_every_installed_file(yurt, tmp_path, venv, packages):
    assert install(yurt, tmp_path, packages, "app").returncode == 0
    for dist_info in ("app-1.0.dist-info", "lib-2.0.dist-info"):
        assert_record_matches(venv, dist_info)


@pytest.fixture
def many_packages(packages):
    """Enough wheels that a warm install links them from two processes."""
    for number in range(6):
        packages.add_package(Package(f"many-{number}", "1.0", files={f"many_{number}/__init__.py": f"N = {number}\n",
                                                                        f"many_{number}/data/a.txt": "a\n"}))
    return packages


def warm_install_many(run, tmp_path, index, *arguments):
    """Fill the cache through one venv, then install the same into a fresh one with `-v`."""
    names = ["app", *(f"many-{number}" for number in range(6))]
    for folder in ("first", "second"):
        assert run("venv", folder, cwd=tmp_path).returncode == 0
    first = run("pip", "install", "--python", "first", "--index-url", index.url, *arguments, *names, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    second = run("-v", "pip", "install", "--python", "second", "--index-url", index.url, *arguments, *names,
                 cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    return second


def test_a_warm_install_links_from_two_processes(yurt, tmp_path, many_packages):
    result = warm_install_many(yurt, tmp_path, many_packages)
    if (os.cpu_count() or 1) > 1:
        assert "linking 7 wheels from two processes" in result.stderr
    second = tmp_path / "second"
    assert dist_infos(second) == sorted(["app-1.0.dist-info", "lib-2.0.dist-info",
                                         *(f"many_{number}-1.0.dist-info" for number in range(6))])
    for dist_info in dist_infos(second):
        assert_record_matches(second, dist_info)
    assert "Installed 8 packages" in result.stderr
    assert sum(line.startswith(" + ") for line in result.stderr.splitlines()) == 8
    check = subprocess.run([str(second / "bin" / "python"), "-c",
                            "import app, many_0, many_5; print(many_5.N)"], capture_output=True, text=True)
    assert check.stdout.strip() == "5", check.stderr
    assert subprocess.run([str(second / "bin" / "app-run")], capture_output=True, text=True).stdout.strip() == "app 1.0"


def test_pip_sees_what_yurt_installed(yurt, tmp_path, venv, packages):
    assert install(yurt, tmp_path, packages, "app").returncode == 0
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    environment["PIP_CONFIG_FILE"] = os.devnull
    listed = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "list",
                             "--format", "freeze"], capture_output=True, text=True, env=environment)
    assert "app==1.0" in listed.stdout.splitlines()
    removed = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "uninstall",
                              "-y", "lib"], capture_output=True, text=True, env=environment)
    assert removed.returncode == 0, removed.stderr
    assert not (site_packages(venv) / "lib").exists()
    assert dist_infos(venv) == ["app-1.0.dist-info"]


def test_second_run_is_a_no_op_without_network(yurt, tmp_path, venv, packages):
    (tmp_path / "requirements.txt").write_text("app\n")
    assert install(yurt, tmp_path, packages, "-r", "requirements.txt").returncode == 0
    packages.reset_log()
    for _ in range(2):
        again = yurt("venv", ".venv", cwd=tmp_path)
        assert again.returncode == 0
        result = install(yurt, tmp_path, packages, "-r", "requirements.txt")
        assert result.returncode == 0, result.stderr
        assert mask(result.stderr).splitlines()[-1] == "Checked 2 packages in [TIME]"
    assert packages.request_count == 0


def test_no_op_notices_a_changed_requirement_file(yurt, tmp_path, venv, packages):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("lib==1.0\n")
    assert install(yurt, tmp_path, packages, "-r", "requirements.txt").returncode == 0
    assert install(yurt, tmp_path, packages, "-r", "requirements.txt").stderr.splitlines()[-1].startswith("Checked")
    time.sleep(0.01)
    requirements.write_text("lib==2.0\n")
    result = install(yurt, tmp_path, packages, "-r", "requirements.txt")
    assert result.returncode == 0, result.stderr
    assert " - lib==1.0" in result.stderr and " + lib==2.0" in result.stderr
    assert dist_infos(venv) == ["lib-2.0.dist-info"]


def test_no_op_notices_an_environment_change(yurt, tmp_path, venv, packages):
    assert install(yurt, tmp_path, packages, "app").returncode == 0
    assert install(yurt, tmp_path, packages, "app").stderr.splitlines()[-1].startswith("Checked")
    import shutil

    shutil.rmtree(site_packages(venv) / "lib-2.0.dist-info")
    result = install(yurt, tmp_path, packages, "app")
    assert result.returncode == 0, result.stderr
    assert " + lib==2.0" in result.stderr


def test_install_keeps_unrelated_and_sync_removes_them(yurt, tmp_path, venv, packages):
    assert install(yurt, tmp_path, packages, "extra-thing").returncode == 0
    assert install(yurt, tmp_path, packages, "lib==1.0").returncode == 0
    assert dist_infos(venv) == ["extra_thing-1.0.dist-info", "lib-1.0.dist-info"]
    (tmp_path / "requirements.txt").write_text("lib==2.0\n")
    result = yurt("pip", "sync", "requirements.txt", "--index-url", packages.url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = mask(result.stderr).splitlines()
    assert lines[-3:] == [" - extra-thing==1.0", " - lib==1.0", " + lib==2.0"]
    assert "Uninstalled 2 packages in [TIME]" in lines
    assert dist_infos(venv) == ["lib-2.0.dist-info"]
    assert not (site_packages(venv) / "extra_thing").exists()


def test_upgrade_and_reinstall(yurt, tmp_path, venv, packages):
    assert install(yurt, tmp_path, packages, "lib==1.0").returncode == 0
    kept = install(yurt, tmp_path, packages, "lib")
    assert kept.stderr.splitlines()[-1].startswith("Checked 1 package")
    upgraded = install(yurt, tmp_path, packages, "-U", "lib")
    assert upgraded.stderr.splitlines()[-2:] == [" - lib==1.0", " + lib==2.0"]
    reinstalled = install(yurt, tmp_path, packages, "--reinstall", "lib")
    assert reinstalled.returncode == 0, reinstalled.stderr
    assert reinstalled.stderr.splitlines()[-1] == " ~ lib==2.0"
    assert dist_infos(venv) == ["lib-2.0.dist-info"]


def wheel_downloads(index) -> list[str]:
    """Whole-file GETs of wheels (range reads for metadata are not downloads)."""
    return sorted(path.rsplit("/", 1)[-1] for method, path, headers in index.requests_for("/files/")
                  if method == "GET" and path.endswith(".whl") and "range" not in headers)


def test_wheels_download_once_and_installed_versions_not_at_all(yurt, tmp_path, venv, packages):
    assert install(yurt, tmp_path, packages, "lib==1.0").returncode == 0
    packages.reset_log()
    result = install(yurt, tmp_path, packages, "app")
    assert result.returncode == 0, result.stderr
    # lib 1.0 is installed and still fits: its wheel is neither downloaded ahead nor again.
    assert wheel_downloads(packages) == ["app-1.0-py3-none-any.whl"]
    assert dist_infos(venv) == ["app-1.0.dist-info", "lib-1.0.dist-info"]


def test_a_version_given_up_while_resolving_is_not_installed(yurt, tmp_path, venv, index):
    # `top` 2.0 is decided first and its wheel fetched ahead; `other` then rules it out.
    index.add_package(Package("top", "1.0", dependencies=("base",)))
    index.add_package(Package("top", "2.0", dependencies=("base==1.0",)))
    index.add_package(Package("other", "1.0", dependencies=("base==2.0",)))
    index.add_package(Package("base", "1.0"))
    index.add_package(Package("base", "2.0"))
    result = install(yurt, tmp_path, index, "top", "other")
    assert result.returncode == 0, result.stderr
    assert dist_infos(venv) == ["base-2.0.dist-info", "other-1.0.dist-info", "top-1.0.dist-info"]
    # Each page once, though the early fetch of the roots' pages and the resolver both ask for them.
    pages = [path for method, path, _ in index.requests_for("/simple/") if method == "GET"]
    assert sorted(pages) == ["/simple/base/", "/simple/other/", "/simple/top/"]
    lines = mask(result.stderr).splitlines()
    # Counted as uv counts: what the install needed, not what was fetched on the way.
    assert "Prepared 3 packages in [TIME]" in lines
    assert lines[-3:] == [" + base==2.0", " + other==1.0", " + top==1.0"]
    assert len(wheel_downloads(index)) == len(set(wheel_downloads(index)))


def test_dry_run_changes_nothing(yurt, tmp_path, venv, packages):
    result = install(yurt, tmp_path, packages, "--dry-run", "app")
    assert result.returncode == 0, result.stderr
    assert "Would change 2 packages:" in result.stderr
    assert dist_infos(venv) == []


def test_no_deps(yurt, tmp_path, venv, packages):
    assert install(yurt, tmp_path, packages, "--no-deps", "app").returncode == 0
    assert dist_infos(venv) == ["app-1.0.dist-info"]


def test_hash_mismatch_writes_nothing_into_the_venv(yurt, tmp_path, venv, packages):
    packages.corrupt("lib-2.0-py3-none-any.whl")
    before = sorted(os.listdir(site_packages(venv)))
    result = install(yurt, tmp_path, packages, "app")
    assert result.returncode == 1
    assert "hash mismatch for lib-2.0-py3-none-any.whl" in result.stderr
    assert sorted(os.listdir(site_packages(venv))) == before


def test_no_environment_is_a_clear_error(yurt, tmp_path, packages):
    result = install(yurt, tmp_path, packages, "app")
    assert result.returncode == 1
    assert "error: no virtual environment found" in result.stderr
    assert "hint: run `yurt venv`" in result.stderr


def test_virtual_env_variable_and_python_flag_choose_the_environment(yurt, tmp_path, packages):
    assert yurt("venv", "elsewhere", cwd=tmp_path).returncode == 0
    other = tmp_path / "elsewhere"
    result = install(yurt, tmp_path, packages, "lib", env={"VIRTUAL_ENV": str(other)})
    assert result.returncode == 0, result.stderr
    assert dist_infos(other) == ["lib-2.0.dist-info"]
    assert yurt("venv", "third", cwd=tmp_path).returncode == 0
    result = install(yurt, tmp_path, packages, "--python", "third", "lib==1.0")
    assert result.returncode == 0, result.stderr
    assert dist_infos(tmp_path / "third") == ["lib-1.0.dist-info"]


def test_cross_device_link_falls_back_once(tmp_path, packages):
    shared = Path("/dev/shm")
    if not shared.is_dir() or os.stat(shared).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the temp folder")
    import tempfile

    with tempfile.TemporaryDirectory(dir=shared) as cache:
        from support.cli import run_yurt

        assert run_yurt("venv", ".venv", cwd=tmp_path, cache_dir=cache).returncode == 0
        result = run_yurt("pip", "install", "--index-url", packages.url, "app", cwd=tmp_path, cache_dir=cache)
        assert result.returncode == 0, result.stderr
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
        assert warnings == [
            "warning: Failed to hardlink files; falling back to full copy. The cache "
            f"({os.path.realpath(cache)}) and the environment ({tmp_path / '.venv'}) are on different filesystems: use "
            "--cache-dir on the environment's filesystem for faster installs, or --link-mode=copy to silence this"
            " warning."
        ]
        installed = site_packages(tmp_path / ".venv") / "app" / "__init__.py"
        assert installed.stat().st_nlink == 1
        assert "__version__" in installed.read_text()
        quiet = run_yurt("pip", "install", "--index-url", packages.url, "--link-mode", "copy", "--reinstall", "app",
                         cwd=tmp_path, cache_dir=cache)
        assert quiet.returncode == 0, quiet.stderr
        assert "warning:" not in quiet.stderr


RECALLED = "install: the same request gave an empty environment"


def fresh_install(yurt, tmp_path, index, *arguments, env=None):
    """`venv --clear` then `pip install -v -r requirements.txt` into the same folder, as a container restart does."""
    assert yurt("venv", "--clear", "env", cwd=tmp_path).returncode == 0
    result = yurt("-v", "pip", "install", "--python", "env", "--index-url", index.url, "-r", "requirements.txt",
                  *arguments, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    return result


def summary(stderr: str) -> list[str]:
    """The lines a user sees without `-v`, timings masked."""
    return [line for line in mask(stderr).splitlines() if not line.startswith(("DEBUG", "debug", "  "))
            and not line.startswith("Using Python")]


def test_an_empty_venv_gets_what_the_same_request_gave_the_last_one(yurt, cache_dir, tmp_path, many_packages):
    (tmp_path / "requirements.txt").write_text("app\n" + "".join(f"many-{number}\n" for number in range(6)))
    first = fresh_install(yurt, tmp_path, many_packages)
    assert RECALLED not in first.stderr
    many_packages.reset_log()
    second = fresh_install(yurt, tmp_path, many_packages)
    assert RECALLED in second.stderr
    assert many_packages.requests == []
    assert [line for line in summary(second.stderr) if line[:1] in "RI +"] == \
        [line for line in summary(first.stderr) if line[:1] in "RI +" and not line.startswith("Prepared")]
    venv = tmp_path / "env"
    assert len(dist_infos(venv)) == 8
    for dist_info in dist_infos(venv):
        assert_record_matches(venv, dist_info)
    assert (site_packages(venv) / "app-1.0.dist-info" / "REQUESTED").exists()
    assert not (site_packages(venv) / "lib-2.0.dist-info" / "REQUESTED").exists()
    assert subprocess.run([str(venv / "bin" / "app-run")], capture_output=True, text=True).stdout.strip() == "app 1.0"
    # The installed venv then answers re-runs from its own state, as after any install.
    rerun = yurt("pip", "install", "--python", "env", "--index-url", many_packages.url, "-r", "requirements.txt",
                 cwd=tmp_path)
    assert mask(rerun.stderr).splitlines()[-1] == "Checked 8 packages in [TIME]"
    # Relinking parses no requirement and needs neither the index client nor the resolver, nor
    # even dataclasses or packaging's versions.
    assert yurt("venv", "--clear", "env", cwd=tmp_path).returncode == 0
    modules = imported_modules(["pip", "install", "--python", "env", "--index-url", many_packages.url, "-r",
                                "requirements.txt"], tmp_path, cache_dir)
    assert "yurt.install.recall" in modules
    assert not modules & {"packaging.requirements", "yurt.index.client", "yurt.resolve.resolve", "urllib3", "ssl",
                          "dataclasses", "packaging.version"}
    assert len(dist_infos(venv)) == 8


def test_what_an_empty_venv_got_is_not_reused_when_anything_differs(yurt, tmp_path, many_packages):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("app\nmany-0\nmany-1\nmany-2\nmany-3\n")
    fresh_install(yurt, tmp_path, many_packages)
    # Another flag on the command line.
    assert RECALLED not in fresh_install(yurt, tmp_path, many_packages, "--link-mode", "copy").stderr
    # A changed requirements file (the same size, so its time and content tell).
    time.sleep(0.01)
    requirements.write_text("app\nmany-0\nmany-1\nmany-2\nmany-4\n")
    changed = fresh_install(yurt, tmp_path, many_packages)
    assert RECALLED not in changed.stderr
    assert "many_4-1.0.dist-info" in dist_infos(tmp_path / "env")
    assert RECALLED in fresh_install(yurt, tmp_path, many_packages).stderr
    # A resolution past the index TTL.
    assert RECALLED not in fresh_install(yurt, tmp_path, many_packages, env={"YURT_INDEX_TTL": "0"}).stderr
    # An environment that already holds a dist.
    assert yurt("venv", "--clear", "env", cwd=tmp_path).returncode == 0
    assert yurt("pip", "install", "--python", "env", "--index-url", many_packages.url, "extra-thing",
                cwd=tmp_path).returncode == 0
    kept = yurt("-v", "pip", "install", "--python", "env", "--index-url", many_packages.url, "-r", "requirements.txt",
                cwd=tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert RECALLED not in kept.stderr
    assert "extra_thing-1.0.dist-info" in dist_infos(tmp_path / "env")


def test_a_cleaned_cache_is_noticed_before_anything_is_linked(yurt, tmp_path, many_packages):
    (tmp_path / "requirements.txt").write_text("app\nmany-0\nmany-1\nmany-2\nmany-3\n")
    fresh_install(yurt, tmp_path, many_packages)
    assert yurt("cache", "clean", cwd=tmp_path).returncode == 0
    again = fresh_install(yurt, tmp_path, many_packages)
    assert RECALLED not in again.stderr
    assert len(dist_infos(tmp_path / "env")) == 6


def test_requirements_that_read_variables_are_not_remembered(yurt, tmp_path, many_packages):
    (tmp_path / "requirements.txt").write_text("app\nmany-${NUMBER}\nmany-1\nmany-2\nmany-3\n")
    fresh_install(yurt, tmp_path, many_packages, env={"NUMBER": "0"})
    changed = fresh_install(yurt, tmp_path, many_packages, env={"NUMBER": "5"})
    assert RECALLED not in changed.stderr
    assert "many_5-1.0.dist-info" in dist_infos(tmp_path / "env")


def test_a_warm_cross_device_install_warns_once_from_two_processes(tmp_path, many_packages):
    shared = Path("/dev/shm")
    if not shared.is_dir() or os.stat(shared).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another filesystem than the temp folder")
    import functools
    import tempfile

    from support.cli import run_yurt

    with tempfile.TemporaryDirectory(dir=shared) as cache:
        result = warm_install_many(functools.partial(run_yurt, cache_dir=cache), tmp_path, many_packages)
        warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
        assert len(warnings) == 1
        assert warnings[0].startswith("warning: Failed to hardlink files; falling back to full copy.")
        second = tmp_path / "second"
        for dist_info in dist_infos(second):
            assert_record_matches(second, dist_info)
        copied = site_packages(second) / "many_3" / "__init__.py"
        assert copied.stat().st_nlink == 1
        assert copied.read_text() == "N = 3\n"


def test_a_killed_install_leaves_nothing_that_looks_installed(cache_dir, tmp_path, packages):
    from support.cli import run_yurt

    assert run_yurt("venv", ".venv", cwd=tmp_path, cache_dir=cache_dir).returncode == 0
    packages.delay(3.0)
    process = subprocess.Popen(
        [sys.executable, "-m", "yurt", "pip", "install", "--index-url", packages.url, "app"],
        cwd=tmp_path, env=yurt_environment(cache_dir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not packages.requests_for("/files/") and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    packages.delay(0)
    venv = tmp_path / ".venv"
    assert dist_infos(venv) == []
    result = run_yurt("pip", "install", "--index-url", packages.url, "app", cwd=tmp_path, cache_dir=cache_dir)
    assert result.returncode == 0, result.stderr
    assert dist_infos(venv) == ["app-1.0.dist-info", "lib-2.0.dist-info"]


def imported_modules(arguments, cwd, cache_dir, extra_env=None) -> set[str]:
    environment = yurt_environment(cache_dir, extra_env)
    completed = subprocess.run([sys.executable, "-X", "importtime", "-m", "yurt", *arguments], cwd=cwd,
                               env=environment, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return {line.rsplit("|", 1)[1].strip() for line in completed.stderr.splitlines()
            if line.startswith("import time:")}


def test_no_op_rerun_imports_neither_argparse_nor_packaging(yurt, cache_dir, tmp_path, venv, packages):
    (tmp_path / "requirements.txt").write_text("app\n")
    assert install(yurt, tmp_path, packages, "-r", "requirements.txt").returncode == 0
    # The first re-run checks installed METADATA and remembers the verdict; later ones recall it.
    assert yurt("pip", "install", "-r", "requirements.txt", cwd=tmp_path).returncode == 0
    baseline = imported_modules(["--version"], tmp_path, cache_dir)
    for arguments in (["venv"], ["pip", "install", "-r", "requirements.txt"]):
        modules = imported_modules(arguments, tmp_path, cache_dir) - (baseline - {"argparse"})
        heavy = sorted(name for name in modules if name.split(".")[0] in (
            "argparse", "packaging", "urllib3", "ssl", "zipfile", "msgspec", "pathlib", "typing")
            or name.startswith(("yurt.index", "yurt.resolve")))
        assert heavy == [], arguments


def test_fast_path_prints_what_the_full_path_prints(yurt, tmp_path, venv, packages):
    (tmp_path / "requirements.txt").write_text("app\n")
    assert install(yurt, tmp_path, packages, "-r", "requirements.txt").returncode == 0
    assert yurt("pip", "install", "-r", "requirements.txt", cwd=tmp_path).returncode == 0
    for arguments in (["venv"], ["pip", "install", "-r", "requirements.txt"],
                      ["pip", "install", "--python", ".venv", "-r", "requirements.txt"]):
        fast = yurt(*arguments, cwd=tmp_path)
        full = yurt(*arguments, cwd=tmp_path, env={"YURT_NO_FAST_PATH": "1"})
        assert fast.returncode == full.returncode == 0
        assert mask(fast.stderr) == mask(full.stderr)
        assert fast.stdout == full.stdout == ""


def test_target_and_prefix_folders(yurt, tmp_path, packages):
    result = install(yurt, tmp_path, packages, "--target", "target", "app")
    assert result.returncode == 0, result.stderr
    target = tmp_path / "target"
    assert sorted(entry for entry in os.listdir(target) if entry.endswith(".dist-info")) == [
        "app-1.0.dist-info", "lib-2.0.dist-info"]
    assert (target / "bin" / "app-run").is_file()
    run = subprocess.run([sys.executable, "-c", "import app; print(app.__version__)"], capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(target)})
    assert run.stdout.strip() == "1.0"
    result = install(yurt, tmp_path, packages, "--prefix", "prefix", "lib==1.0")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "prefix" / "lib" / PYTHON_TAG / "site-packages" / "lib-1.0.dist-info").is_dir()


def test_an_install_the_cache_answers_imports_no_network_code(yurt, cache_dir, tmp_path, venv, packages):
    """Warm: pages fresh, wheels unpacked. Neither the HTTP stack nor TLS is imported (the early
    page fetch only starts when the first page is missing or old), nor the resolver."""
    assert install(yurt, tmp_path, packages, "app").returncode == 0
    assert yurt("venv", "fresh", cwd=tmp_path).returncode == 0
    packages.reset_log()
    modules = imported_modules(["pip", "install", "--python", "fresh", "--index-url", packages.url, "app"],
                               tmp_path, cache_dir)
    assert packages.request_count == 0
    assert (tmp_path / "fresh" / "lib" / PYTHON_TAG / "site-packages" / "app-1.0.dist-info").is_dir()
    assert not {"urllib3", "ssl", "http.client", "yurt.index.http"} & modules
    # The answer was reused (same question, fresh pages): the resolver itself is not even imported.
    assert not {"yurt.resolve.solver", "yurt.resolve.provider"} & modules


def test_an_install_reads_small_wheels_whole_and_compile_by_ranges(yurt, tmp_path, venv):
    """Without PEP 658 files, an install fetches a small wheel once, whole, for its metadata and
    its files; `compile` installs nothing, so it reads the metadata by range requests."""
    from support.index import LocalIndex

    with LocalIndex(serve_metadata=False) as plain:
        plain.add_package(Package("app", "1.0", dependencies=("lib>=1",)))
        plain.add_package(Package("lib", "1.0"))
        result = install(yurt, tmp_path, plain, "app")
        assert result.returncode == 0, result.stderr
        assert dist_infos(venv) == ["app-1.0.dist-info", "lib-1.0.dist-info"]
        files = [(path.rsplit("/", 1)[-1], "range" in headers)
                 for method, path, headers in plain.requests_for("/files/") if method == "GET"]
        assert sorted(files) == [("app-1.0-py3-none-any.whl", False), ("lib-1.0-py3-none-any.whl", False)]
        assert not [entry for entry in os.listdir(tmp_path / "cache" / "archives-v1")
                    if entry.startswith(".yurt-tmp-")]
        plain.reset_log()
        compiled = yurt("pip", "compile", "--index-url", plain.url, "-", input="app\n", cwd=tmp_path,
                        cache_dir=tmp_path / "other-cache")
        assert compiled.returncode == 0, compiled.stderr
        assert "lib==1.0" in compiled.stdout
        ranged = [headers for method, path, headers in plain.requests_for("/files/") if method == "GET"]
        assert ranged and all("range" in headers for headers in ranged)
