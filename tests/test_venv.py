"""`yurt venv`: creating, keeping, refusing and clearing environments, run through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PYENV_VERSIONS = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"


def other_python() -> Path | None:
    """An interpreter of another minor version than the one running the tests, if one is installed."""
    for candidate in sorted(PYENV_VERSIONS.glob("3.*/bin/python3")):
        version = candidate.parent.parent.name.split(".")
        if len(version) >= 2 and (int(version[0]), int(version[1])) >= (3, 8):
            if (int(version[0]), int(version[1])) != sys.version_info[:2]:
                return candidate
    return None


def venv_python(venv: Path, code: str) -> str:
    completed = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def snapshot(directory: Path) -> dict[str, int]:
    """Every path under the folder with its modification time, to prove nothing was rewritten."""
    result = {}
    for root, directories, files in os.walk(directory):
        for name in directories + files:
            path = Path(root) / name
            result[str(path.relative_to(directory))] = path.lstat().st_mtime_ns
    return result


def test_creates_a_working_venv(yurt, tmp_path):
    result = yurt("venv", ".venv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"Using CPython {sys.version.split()[0]} interpreter at: {sys.executable}"
    assert lines[1:] == ["Creating virtual environment at: .venv", "Activate with: source .venv/bin/activate"]
    assert result.stdout == ""
    venv = tmp_path / ".venv"
    config = dict(line.split(" = ", 1) for line in (venv / "pyvenv.cfg").read_text().splitlines())
    assert config["home"] == str(Path(sys.executable).resolve().parent)
    assert config["version_info"] == sys.version.split()[0]
    assert config["include-system-site-packages"] == "false"
    assert config["implementation"] == "CPython"
    assert config["prompt"] == ".venv"
    assert "yurt" in config
    assert (venv / ".gitignore").read_text().splitlines()[-1] == "*"
    facts = json.loads(
        venv_python(venv, "import sys, json, site; print(json.dumps([sys.prefix, sys.base_prefix, site.getsitepackages()]))")
    )
    assert facts[0] == str(venv)
    assert facts[1] != str(venv)
    site_packages = venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    assert site_packages.is_dir()
    assert str(site_packages) in facts[2]
    for name in ("activate", "activate.fish", "activate.csh", "activate.ps1"):
        assert (venv / "bin" / name).is_file(), name
    for alias in ("python3", f"python3.{sys.version_info[1]}"):
        assert (venv / "bin" / alias).resolve() == (venv / "bin" / "python").resolve()


def test_rerun_keeps_an_intact_venv_untouched(yurt, tmp_path):
    assert yurt("venv", cwd=tmp_path).returncode == 0
    venv = tmp_path / ".venv"
    marker = next(venv.glob("lib/python*/site-packages")) / "placed_by_user.py"
    marker.write_text("VALUE = 1\n")
    before = snapshot(venv)
    config_mtime = (venv / "pyvenv.cfg").stat().st_mtime_ns
    result = yurt("venv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "Using existing virtual environment at: .venv"
    assert marker.read_text() == "VALUE = 1\n"
    assert (venv / "pyvenv.cfg").stat().st_mtime_ns == config_mtime
    assert snapshot(venv) == before


def test_rerun_keeps_a_venv_made_by_the_standard_library(yurt, tmp_path):
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    before = snapshot(venv)
    result = yurt("venv", "env", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Using existing virtual environment at: env" in result.stderr
    assert snapshot(venv) == before


@pytest.mark.skipif(other_python() is None, reason="needs a second CPython minor version")
def test_venv_of_another_interpreter_is_refused_then_cleared(yurt, tmp_path):
    other = other_python()
    assert yurt("venv", "--python", str(other), cwd=tmp_path).returncode == 0
    venv = tmp_path / ".venv"
    before = snapshot(venv)
    result = yurt("venv", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("Using CPython")
    assert "error: a virtual environment already exists at: .venv" in result.stderr
    assert "hint: pass `--clear` to replace it" in result.stderr
    assert snapshot(venv) == before
    result = yurt("venv", "--clear", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Recreating virtual environment at: .venv" in result.stderr
    assert venv_python(venv, "import sys; print(sys.version_info[:2])") == str(sys.version_info[:2])


def test_broken_venv_without_pyvenv_cfg_needs_clear(yurt, tmp_path):
    assert yurt("venv", cwd=tmp_path).returncode == 0
    venv = tmp_path / ".venv"
    (venv / "pyvenv.cfg").unlink()
    result = yurt("venv", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: a broken virtual environment already exists at: .venv (it has no pyvenv.cfg)" in result.stderr
    assert "hint: pass `--clear` to replace it" in result.stderr
    assert not (venv / "pyvenv.cfg").exists()
    assert yurt("venv", "--clear", cwd=tmp_path).returncode == 0
    assert (venv / "pyvenv.cfg").is_file()


def test_dangling_interpreter_link_is_broken(yurt, tmp_path):
    assert yurt("venv", cwd=tmp_path).returncode == 0
    link = tmp_path / ".venv" / "bin" / "python"
    link.unlink()
    link.symlink_to(tmp_path / "no-such-python")
    result = yurt("venv", cwd=tmp_path)
    assert result.returncode == 1
    assert "(its interpreter link is dangling)" in result.stderr
    assert "hint: pass `--clear`" in result.stderr
    assert yurt("venv", "--clear", cwd=tmp_path).returncode == 0
    assert link.resolve().exists()


def test_a_folder_that_is_not_a_venv_survives_venv_and_clear(yurt, tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious\n")
    result = yurt("venv", "project", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: a directory that is not a virtual environment already exists at: project" in result.stderr
    assert (folder / "notes.txt").read_text() == "precious\n"
    result = yurt("venv", "--clear", "project", cwd=tmp_path)
    assert result.returncode == 1
    assert "yurt will not clear a directory that is not a virtual environment: project" in result.stderr
    assert "hint: pass `--force`" in result.stderr
    assert sorted(os.listdir(folder)) == ["notes.txt"]


def test_allow_existing_writes_into_a_folder_without_removing(yurt, tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious\n")
    result = yurt("venv", "--allow-existing", "project", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (folder / "notes.txt").read_text() == "precious\n"
    assert (folder / "pyvenv.cfg").is_file()


def test_clear_with_force_empties_a_non_venv_folder(yurt, tmp_path):
    folder = tmp_path / "scratch"
    folder.mkdir()
    (folder / "junk.txt").write_text("x")
    result = yurt("venv", "--clear", "--force", "scratch", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (folder / "junk.txt").exists()
    assert (folder / "pyvenv.cfg").is_file()


def test_an_empty_folder_is_used(yurt, tmp_path):
    (tmp_path / "empty").mkdir()
    result = yurt("venv", "empty", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Creating virtual environment at: empty" in result.stderr


def test_a_file_at_the_path_is_refused(yurt, tmp_path):
    (tmp_path / "taken").write_text("data")
    result = yurt("venv", "taken", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: a file already exists at: taken" in result.stderr
    assert (tmp_path / "taken").read_text() == "data"


def test_prompt_and_system_site_packages(yurt, tmp_path):
    result = yurt("venv", "--prompt", "my project", "--system-site-packages", "env", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = (tmp_path / "env" / "pyvenv.cfg").read_text()
    assert "prompt = my project\n" in config
    assert "include-system-site-packages = true\n" in config
    sys_path = json.loads(venv_python(tmp_path / "env", "import sys, json; print(json.dumps(sys.path))"))
    base_site = next(path for path in sys.path if path.endswith("site-packages") and sys.base_prefix in path)
    assert base_site in sys_path
    # Asking again without the flag is a different environment: refused, not silently changed.
    result = yurt("venv", "env", cwd=tmp_path)
    assert result.returncode == 1
    assert "without system site-packages" in result.stderr


def test_python_version_request_and_probe_cache(yurt, tmp_path):
    other = other_python()
    if other is None:
        pytest.skip("needs a second CPython minor version")
    version = other.parent.parent.name
    minor = ".".join(version.split(".")[:2])
    first = yurt("-v", "venv", "--python", minor, "env", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert f"Using CPython {version} interpreter at:" in first.stderr
    assert "probing interpreter" in first.stderr
    assert venv_python(tmp_path / "env", "import platform; print(platform.python_version())") == version
    second = yurt("-v", "venv", "--python", minor, "env", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Using existing virtual environment at: env" in second.stderr
    # The probe is cached by path, size and mtime: the second run spawns no interpreter.
    assert "probing interpreter" not in second.stderr


def test_a_base_interpreter_probed_without_site_reports_the_same_facts(tmp_path):
    """run_probe passes -S for an interpreter outside a venv: site must change none of the facts."""
    from yurt.python.interpreter import PROBE_SCRIPT, run_probe

    bases = [Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"]
    bases += sorted(PYENV_VERSIONS.glob("3.*/bin/python3"))[:6]
    checked = 0
    for base in bases:
        if not base.is_file() or (base.parent / "pyvenv.cfg").exists() or (base.parent.parent / "pyvenv.cfg").exists():
            continue
        with_site = json.loads(subprocess.run([str(base), "-I", str(PROBE_SCRIPT)], capture_output=True,
                                              check=True).stdout)
        assert run_probe(base) == with_site, base
        checked += 1
    assert checked


def test_the_probe_asks_for_site_when_a_sitecustomize_would_run(tmp_path):
    """Under -S a sitecustomize module does not run, and it may change the facts (Homebrew's
    does): the probe reports one, and run_probe then probes again with site."""
    from yurt.python import probe_script

    (tmp_path / "sitecustomize.py").write_text("")
    code = (f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {str(Path(probe_script.__file__).parent)!r}]; "
            "import probe_script; print(probe_script.site_customized())")
    found = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "True"


def test_python_spellings(yurt, tmp_path):
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for index, spelling in enumerate((minor, f"python{minor}", f"cpython{minor}", sys.executable)):
        result = yurt("venv", "--python", spelling, f"env{index}", cwd=tmp_path)
        assert result.returncode == 0, (spelling, result.stderr)
        assert f"Using CPython {sys.version.split()[0]}" in result.stderr
    # A venv folder names its interpreter too.
    result = yurt("venv", "--python", str(tmp_path / "env0"), "from-venv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    home = (tmp_path / "from-venv" / "pyvenv.cfg").read_text().splitlines()[0]
    assert home == f"home = {Path(sys.executable).resolve().parent}"


def test_unknown_python_lists_what_was_found(yurt, tmp_path):
    result = yurt("venv", "--python", "3.99", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: no interpreter found for Python 3.99" in result.stderr
    assert "hint: interpreters found: " in result.stderr
    assert f"python{sys.version_info[0]}.{sys.version_info[1]} (" in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_missing_python_path(yurt, tmp_path):
    result = yurt("venv", "--python", str(tmp_path / "nowhere" / "python"), cwd=tmp_path)
    assert result.returncode == 1
    assert "the path does not exist" in result.stderr


def test_seed_installs_pip(yurt, tmp_path):
    result = yurt("venv", "--seed", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert " + pip" in result.stderr
    version = venv_python(tmp_path / ".venv", "import pip; print(pip.__version__)")
    assert version[0].isdigit()


def test_activate_line_follows_the_shell(yurt, tmp_path):
    result = yurt("venv", "my env", cwd=tmp_path, env={"SHELL": "/usr/bin/fish"})
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines()[-1] == "Activate with: source 'my env/bin/activate.fish'"


@pytest.mark.parametrize("make", ["yurt", "stdlib", "stdlib-copies"])
def test_a_new_venv_is_described_from_its_base_interpreter(yurt, tmp_path, make):
    """A venv whose interpreter links to its base gets the base's probe with its own paths, the
    same facts the real probe reports; a copied interpreter is probed for real."""
    from yurt.cache import Cache
    from yurt.python.interpreter import run_probe, venv_probe_from_base

    venv = tmp_path / "v"
    if make == "yurt":
        assert yurt("venv", str(venv)).returncode == 0
    else:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", *(["--copies"] if make == "stdlib-copies" else []),
                        str(venv)], check=True)
    executable = venv / "bin" / "python3"
    derived = venv_probe_from_base(executable, Cache(tmp_path / "cache"))
    if make == "stdlib-copies":
        assert derived is None
        return
    real = run_probe(executable)
    # The real probe of a venv names the base through the venv on old Pythons; the derived one
    # names the base itself. Everything else matches exactly.
    assert {key: value for key, value in derived.items() if key != "base_executable"} == \
           {key: value for key, value in real.items() if key != "base_executable"}
    assert os.path.realpath(derived["base_executable"]) == os.path.realpath(real["base_executable"])
