"""The command line's contract: version, help, errors, settings precedence and lazy imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import yurt

SOURCE = Path(__file__).resolve().parent.parent / "src"
# Modules that the fast commands must never load: network, archives, resolver, progress bars.
HEAVY_MODULES = ("urllib3", "http.client", "ssl", "zipfile", "msgspec", "rich", "tqdm", "yurt.index", "yurt.resolve")


def imported_modules(*arguments: str, cwd: Path) -> set[str]:
    """Modules a command imports, as `python -X importtime` reports them."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("YURT_", "PIP_"))}
    environment["PYTHONPATH"] = str(SOURCE)
    environment["YURT_CACHE_DIR"] = str(cwd / "cache")
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", *arguments],
        capture_output=True, text=True, cwd=cwd, env=environment,
    )
    assert completed.returncode == 0, completed.stderr
    modules = set()
    for line in completed.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            modules.add(line.rsplit("|", 1)[1].strip())
    return modules


@pytest.mark.parametrize("arguments", [("--version",), ("--help",), ("venv", "env"), ("venv", "env")])
def test_fast_commands_import_nothing_heavy(arguments, tmp_path):
    # The interpreter's own start-up (site, .pth files) may import anything: only yurt's additions count.
    baseline = imported_modules("-c", "pass", cwd=tmp_path)
    modules = imported_modules("-m", "yurt", *arguments, cwd=tmp_path)
    assert "yurt.cli.main" in modules
    heavy = sorted(name for name in modules - baseline if name.startswith(HEAVY_MODULES))
    assert heavy == []


def test_version(yurt):
    for flag in ("--version", "-V"):
        result = yurt(flag)
        assert result.returncode == 0
        assert result.stdout == f"yurt {yurt_version()}\n"


def yurt_version() -> str:
    return yurt.__version__


def test_help_lists_commands_and_help_command_matches(yurt):
    result = yurt("--help")
    assert result.returncode == 0
    for command in ("venv", "cache", "help"):
        assert command in result.stdout
    venv_help = yurt("help", "venv")
    assert venv_help.returncode == 0
    assert venv_help.stdout == yurt("venv", "--help").stdout
    assert "--allow-existing" in venv_help.stdout
    assert yurt("help", "cache", "dir").returncode == 0


def test_usage_error_is_a_user_error(yurt):
    result = yurt("frobnicate")
    assert result.returncode == 1
    assert result.stderr.startswith("error: argument COMMAND: invalid choice: 'frobnicate'")
    assert "\n\nhint: see `yurt --help`" in result.stderr
    result = yurt("help", "frobnicate")
    assert result.returncode == 1
    assert "error: unknown command 'frobnicate'" in result.stderr


def test_global_options_work_after_the_command(yurt, tmp_path):
    result = yurt("cache", "dir", "--cache-dir", str(tmp_path / "here"))
    assert result.returncode == 0
    assert result.stdout == f"{tmp_path / 'here'}\n"


def test_cache_dir_precedence(yurt, tmp_path):
    project = tmp_path / "project"
    nested = project / "src" / "deep"
    nested.mkdir(parents=True)
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.yurt]\ncache-dir = "from-pyproject"\n')
    # The nearest project configuration applies, relative to its own file.
    result = yurt("cache", "dir", cwd=nested, env={"YURT_CACHE_DIR": None, "XDG_CONFIG_HOME": str(tmp_path / "config")})
    assert result.stdout == f"{project / 'from-pyproject'}\n", result.stderr
    # A YURT_* variable beats the file, and a flag beats both.
    result = yurt("cache", "dir", cwd=nested, env={"YURT_CACHE_DIR": str(tmp_path / "env")})
    assert result.stdout == f"{tmp_path / 'env'}\n"
    result = yurt("cache", "dir", "--cache-dir", str(tmp_path / "flag"), cwd=nested,
                  env={"YURT_CACHE_DIR": str(tmp_path / "env")})
    assert result.stdout == f"{tmp_path / 'flag'}\n"


def test_user_configuration_file(yurt, tmp_path):
    config_home = tmp_path / "config"
    (config_home / "yurt").mkdir(parents=True)
    (config_home / "yurt" / "yurt.toml").write_text(f'cache-dir = "{tmp_path / "user-cache"}"\n')
    result = yurt("cache", "dir", cwd=tmp_path, env={"YURT_CACHE_DIR": None, "XDG_CONFIG_HOME": str(config_home)})
    assert result.stdout == f"{tmp_path / 'user-cache'}\n", result.stderr
    # A project's yurt.toml overrides the user's file.
    (tmp_path / "yurt.toml").write_text('cache-dir = "project-cache"\n')
    result = yurt("cache", "dir", cwd=tmp_path, env={"YURT_CACHE_DIR": None, "XDG_CONFIG_HOME": str(config_home)})
    assert result.stdout == f"{tmp_path / 'project-cache'}\n"


def test_default_cache_dir_is_the_platform_user_cache(yurt, tmp_path):
    result = yurt("cache", "dir", cwd=tmp_path, env={"YURT_CACHE_DIR": None, "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert result.stdout == f"{tmp_path / 'xdg' / 'yurt'}\n"


def test_bad_settings_are_named(yurt, tmp_path):
    result = yurt("cache", "dir", env={"YURT_OFFLINE": "maybe"})
    assert result.returncode == 1
    assert "error: YURT_OFFLINE must be true or false, not 'maybe'" in result.stderr
    (tmp_path / "yurt.toml").write_text("cache-directory = 'x'\n")
    result = yurt("cache", "dir", cwd=tmp_path, env={"YURT_CACHE_DIR": None})
    assert result.returncode == 1
    assert f"error: unknown setting 'cache-directory' in {tmp_path / 'yurt.toml'}" in result.stderr
    (tmp_path / "yurt.toml").write_text("cache-dir = \n")
    result = yurt("cache", "dir", cwd=tmp_path, env={"YURT_CACHE_DIR": None})
    assert result.returncode == 1
    assert f"error: cannot read {tmp_path / 'yurt.toml'}" in result.stderr


def test_pip_configuration_is_not_read(yurt, tmp_path):
    pip_config = tmp_path / "pip.conf"
    pip_config.write_text("[global]\ncache-dir = /nonexistent/pip\n")
    result = yurt("cache", "dir", env={"PIP_CONFIG_FILE": str(pip_config), "PIP_CACHE_DIR": "/nonexistent"})
    assert "/nonexistent" not in result.stdout


def test_no_cache_uses_a_temporary_cache_removed_at_exit(yurt):
    result = yurt("--no-cache", "cache", "dir")
    assert result.returncode == 0
    temporary = Path(result.stdout.strip())
    assert temporary.name.startswith("yurt-cache-")
    assert not temporary.exists()


def test_colour_follows_flags_and_no_color(yurt):
    plain = yurt("frobnicate")
    assert "\x1b[" not in plain.stderr
    coloured = yurt("--color", "always", "cache", "dir", env={"YURT_OFFLINE": "maybe"})
    assert "\x1b[1;31merror\x1b[0m: YURT_OFFLINE" in coloured.stderr
    forced = yurt("cache", "dir", env={"YURT_OFFLINE": "maybe", "NO_COLOR": "", "FORCE_COLOR": "1"})
    assert "\x1b[1;31merror" in forced.stderr


def test_quiet_hides_status_but_not_errors(yurt, tmp_path):
    result = yurt("-q", "venv", "env", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ""
    (tmp_path / "file").write_text("x")
    result = yurt("-qq", "venv", "file", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: a file already exists at: file" in result.stderr


def test_verbose_and_yurt_log_show_debug_lines(yurt, tmp_path):
    assert "DEBUG" in yurt("-v", "venv", "env", cwd=tmp_path).stderr
    assert "DEBUG" in yurt("venv", "env", cwd=tmp_path, env={"YURT_LOG": "debug"}).stderr
    assert "DEBUG" not in yurt("venv", "env", cwd=tmp_path).stderr


def test_python_dash_m_and_console_script_agree(yurt):
    result = yurt("--version")
    assert result.stdout.startswith("yurt ")
