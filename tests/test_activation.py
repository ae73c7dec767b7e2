"""Source the activation scripts in real shells and check what they change and restore."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess

import pytest

from yurt.venv.activation import (
    quote_csh,
    quote_fish,
    quote_posix_shell,
    quote_powershell,
    write_activation_scripts,
)

# Every character the brief calls dangerous, plus the ones csh, zsh and bash
# give meaning to; no ":" because PATH could never hold such a directory.
AWKWARD_DIRECTORY_NAME = "my venv 'single' \"double\" $HOME \\back `tick` !bang %percent"
SIMPLE_PROMPT = "my 'env\" x"
# Every character that some shell reads as prompt syntax.
AWKWARD_PROMPT = "we'ird \"env\" $HOME \\ `id` %~ !"
BASE_PROMPT = "base> "
PYTHON_STUB_OUTPUT = "stub python from the virtual environment"
UNSET = "<unset>"


def find_shell(*names: str, why_missing: str = "the CI setup installs it from Debian") -> str:
    """Return the first of names on PATH, or skip the test saying which shell is missing."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(f"{' / '.join(names)} is not installed here ({why_missing})")


def make_venv(parent: pathlib.Path, prompt: str = SIMPLE_PROMPT) -> pathlib.Path:
    """Lay out a directory like a venv, with a stub python, and write its activation scripts."""
    venv = parent / AWKWARD_DIRECTORY_NAME
    bin_directory = venv / "bin"
    bin_directory.mkdir(parents=True)
    python = bin_directory / "python"
    python.write_text(f"#!/bin/sh\necho '{PYTHON_STUB_OUTPUT}'\n")
    python.chmod(0o755)
    write_activation_scripts(venv, prompt)
    return venv


def shell_environment(home: pathlib.Path, shell: str, **extra: str) -> dict[str, str]:
    """A small, known environment: no developer's venv, pyenv shims or rc files leak in."""
    home.mkdir(exist_ok=True)
    directories = [os.path.dirname(shell), "/usr/local/bin", "/usr/bin", "/bin"]
    environment = {
        "PATH": os.pathsep.join(dict.fromkeys(directories)),
        # Any "$HOME" the scripts wrongly expanded would show this value.
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
    }
    environment.update(extra)
    return environment


def run(arguments: list[str], environment: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        arguments, input=stdin, env=environment, capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, f"{arguments} failed:\nstdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    return completed


def report(output: str) -> dict[str, str]:
    """Parse the KEY=value lines that the shell snippets print."""
    values = {}
    for line in output.splitlines():
        key, separator, value = line.partition("=")
        if separator and key.isupper():
            values[key] = value
    return values


# ---------------------------------------------------------------- sh, bash, zsh

POSIX_SESSION = r"""
PS1='base> '
. "$YURT_TEST_ACTIVATE"
printf 'VIRTUAL_ENV=%s\n' "${VIRTUAL_ENV-<unset>}"
printf 'VIRTUAL_ENV_PROMPT=%s\n' "${VIRTUAL_ENV_PROMPT-<unset>}"
printf 'FIRST_PATH_ENTRY=%s\n' "${PATH%%:*}"
printf 'PYTHON=%s\n' "$(command -v python)"
printf 'PYTHON_OUTPUT=%s\n' "$(python)"
printf 'PYTHONHOME=%s\n' "${PYTHONHOME-<unset>}"
printf 'PROMPT=%s\n' "$PS1"
deactivate
printf 'AFTER_PATH=%s\n' "$PATH"
printf 'AFTER_PYTHON=%s\n' "$(command -v python)"
printf 'AFTER_PROMPT=%s\n' "$PS1"
printf 'AFTER_VIRTUAL_ENV=%s\n' "${VIRTUAL_ENV-<unset>}"
printf 'AFTER_VIRTUAL_ENV_PROMPT=%s\n' "${VIRTUAL_ENV_PROMPT-<unset>}"
printf 'AFTER_PYTHONHOME=%s\n' "${PYTHONHOME-<unset>}"
case $(type deactivate 2>&1) in
    *function*) printf 'AFTER_DEACTIVATE=defined\n' ;;
    *) printf 'AFTER_DEACTIVATE=gone\n' ;;
esac
"""

POSIX_SHELLS = {
    # Debian's sh is dash; elsewhere sh is whatever POSIX shell the system has.
    "dash": ("dash", "sh"),
    "bash": ("bash",),
    "zsh": ("zsh",),
}


def posix_shell_command(name: str) -> list[str]:
    shell = find_shell(*POSIX_SHELLS[name])
    # zsh -f skips the user's rc files; the others read none with -c.
    return [shell, "-f", "-c"] if name == "zsh" else [shell, "-c"]


def check_session(values: dict[str, str], venv: pathlib.Path, original_path: str, prompt_shown: bool) -> None:
    """The assertions every shell's session shares."""
    bin_directory = str(venv / "bin")
    assert values["VIRTUAL_ENV"] == str(venv)
    assert values["VIRTUAL_ENV_PROMPT"] == SIMPLE_PROMPT
    assert values["FIRST_PATH_ENTRY"] == bin_directory
    assert values["PYTHON"] == str(venv / "bin" / "python")
    assert values["PYTHON_OUTPUT"] == PYTHON_STUB_OUTPUT
    assert values["PYTHONHOME"] == UNSET
    if prompt_shown:
        assert values["PROMPT"].startswith(f"({SIMPLE_PROMPT}) ")
        assert values["PROMPT"] == f"({SIMPLE_PROMPT}) {BASE_PROMPT}"
    else:
        assert values["PROMPT"] == BASE_PROMPT
    assert values["AFTER_PATH"] == original_path
    # The shell must not still find the environment's python through its command hash.
    assert values["AFTER_PYTHON"] != values["PYTHON"]
    assert values["AFTER_PROMPT"] == BASE_PROMPT
    assert values["AFTER_VIRTUAL_ENV"] == UNSET
    assert values["AFTER_VIRTUAL_ENV_PROMPT"] == UNSET
    assert values["AFTER_PYTHONHOME"] == "/previous/python/home"
    assert values["AFTER_DEACTIVATE"] == "gone"


@pytest.mark.parametrize("name", list(POSIX_SHELLS))
@pytest.mark.parametrize("prompt_disabled", [False, True], ids=["prompt", "prompt-disabled"])
def test_posix_shells_activate_and_deactivate(tmp_path, name, prompt_disabled):
    command = posix_shell_command(name)
    venv = make_venv(tmp_path)
    extra = {"YURT_TEST_ACTIVATE": str(venv / "bin" / "activate"), "PYTHONHOME": "/previous/python/home"}
    if prompt_disabled:
        extra["VIRTUAL_ENV_DISABLE_PROMPT"] = "1"
    environment = shell_environment(tmp_path / "home", command[0], **extra)

    completed = run([*command, POSIX_SESSION], environment)

    check_session(report(completed.stdout), venv, environment["PATH"], prompt_shown=not prompt_disabled)


@pytest.mark.parametrize("name", list(POSIX_SHELLS))
def test_posix_reactivation_does_not_stack_and_nondestructive_keeps_deactivate(tmp_path, name):
    command = posix_shell_command(name)
    venv = make_venv(tmp_path)
    environment = shell_environment(tmp_path / "home", command[0], YURT_TEST_ACTIVATE=str(venv / "bin" / "activate"))
    session = r"""
PS1='base> '
. "$YURT_TEST_ACTIVATE"
. "$YURT_TEST_ACTIVATE"
printf 'PATH_WHILE_ACTIVE=%s\n' "$PATH"
printf 'PROMPT_WHILE_ACTIVE=%s\n' "$PS1"
deactivate nondestructive
printf 'AFTER_NONDESTRUCTIVE_PATH=%s\n' "$PATH"
printf 'AFTER_NONDESTRUCTIVE_PYTHONHOME=%s\n' "${PYTHONHOME-<unset>}"
case $(type deactivate 2>&1) in
    *function*) printf 'AFTER_NONDESTRUCTIVE=defined\n' ;;
    *) printf 'AFTER_NONDESTRUCTIVE=gone\n' ;;
esac
deactivate
"""

    values = report(run([*command, session], environment).stdout)

    assert values["PATH_WHILE_ACTIVE"] == str(venv / "bin") + ":" + environment["PATH"]
    assert values["PROMPT_WHILE_ACTIVE"] == f"({SIMPLE_PROMPT}) {BASE_PROMPT}"
    assert values["AFTER_NONDESTRUCTIVE_PATH"] == environment["PATH"]
    # PYTHONHOME was unset before activation, so it stays unset after.
    assert values["AFTER_NONDESTRUCTIVE_PYTHONHOME"] == UNSET
    assert values["AFTER_NONDESTRUCTIVE"] == "defined"


def test_bash_leaves_an_unset_ps1_unset(tmp_path):
    # Non-interactive bash has no PS1, and scripts test for one to tell an interactive shell.
    command = posix_shell_command("bash")
    venv = make_venv(tmp_path)
    environment = shell_environment(tmp_path / "home", command[0], YURT_TEST_ACTIVATE=str(venv / "bin" / "activate"))
    session = r"""
unset PS1
. "$YURT_TEST_ACTIVATE"
printf 'PROMPT=%s\n' "${PS1-<unset>}"
deactivate
printf 'AFTER_PROMPT=%s\n' "${PS1-<unset>}"
"""

    values = report(run([*command, session], environment).stdout)

    assert values == {"PROMPT": UNSET, "AFTER_PROMPT": UNSET}


# How each shell shows PS1, given the options users commonly turn on: the
# prompt must show every awkward character as written and expand nothing.
RENDERED_PROMPT_CASES = {
    "bash": ("bash", ["-c"], r'''PS1='base> '; . "$YURT_TEST_ACTIVATE"; printf '%s\n' "${PS1@P}"'''),
    "bash-posix": ("bash", ["--posix", "-c"], r'''PS1='base> '; . "$YURT_TEST_ACTIVATE"; printf '%s\n' "${PS1@P}"'''),
    "zsh": ("zsh", ["-f", "-c"], r'''PS1='base> '; . "$YURT_TEST_ACTIVATE"; print -r -- "${(%%)PS1}"'''),
    "zsh-promptsubst-promptbang": (
        "zsh",
        ["-f", "-c"],
        r'''setopt promptsubst promptbang; PS1='base> '; . "$YURT_TEST_ACTIVATE"; print -r -- "${(%%)PS1}"''',
    ),
}


@pytest.mark.parametrize("case", list(RENDERED_PROMPT_CASES))
def test_awkward_prompt_is_shown_as_written(tmp_path, case):
    shell_name, options, session = RENDERED_PROMPT_CASES[case]
    shell = find_shell(shell_name)
    venv = make_venv(tmp_path, prompt=AWKWARD_PROMPT)
    environment = shell_environment(tmp_path / "home", shell, YURT_TEST_ACTIVATE=str(venv / "bin" / "activate"))

    completed = run([shell, *options, session], environment)

    assert completed.stdout.splitlines()[-1] == f"({AWKWARD_PROMPT}) {BASE_PROMPT}"


def test_awkward_prompt_is_shown_as_written_by_interactive_dash(tmp_path):
    # dash has no way to print an expanded PS1 on demand, so run it interactively
    # and read the prompt it writes to stderr before the last command.
    shell = find_shell("dash")
    venv = make_venv(tmp_path, prompt=AWKWARD_PROMPT)
    environment = shell_environment(tmp_path / "home", shell, YURT_TEST_ACTIVATE=str(venv / "bin" / "activate"))

    completed = run([shell, "-i"], environment, stdin="PS1='base> '\n. \"$YURT_TEST_ACTIVATE\"\nexit\n")

    assert f"({AWKWARD_PROMPT}) {BASE_PROMPT}" in completed.stderr


# ------------------------------------------------------------------------ fish

FISH_SESSION = r"""
function fish_prompt
    printf 'base[%s]> ' $status
end
function show
    # show NAME LABEL: print LABEL=value, or LABEL=<unset>.
    if set -q $argv[1]
        printf '%s=%s\n' $argv[2] "$$argv[1]"
    else
        printf '%s=<unset>\n' $argv[2]
    end
end
source $YURT_TEST_ACTIVATE
show VIRTUAL_ENV VIRTUAL_ENV
show VIRTUAL_ENV_PROMPT VIRTUAL_ENV_PROMPT
printf 'FIRST_PATH_ENTRY=%s\n' $PATH[1]
printf 'PYTHON=%s\n' (command -v python)
printf 'PYTHON_OUTPUT=%s\n' (python)
show PYTHONHOME PYTHONHOME
false
printf 'PROMPT=%s\n' (fish_prompt)
deactivate
printf 'AFTER_PATH=%s\n' "$PATH"
printf 'AFTER_PYTHON=%s\n' (command -v python; or echo none)
false
printf 'AFTER_PROMPT=%s\n' (fish_prompt)
show VIRTUAL_ENV AFTER_VIRTUAL_ENV
show VIRTUAL_ENV_PROMPT AFTER_VIRTUAL_ENV_PROMPT
show PYTHONHOME AFTER_PYTHONHOME
if functions -q deactivate
    printf 'AFTER_DEACTIVATE=defined\n'
else
    printf 'AFTER_DEACTIVATE=gone\n'
end
"""


@pytest.mark.parametrize("prompt_disabled", [False, True], ids=["prompt", "prompt-disabled"])
def test_fish_activates_and_deactivates(tmp_path, prompt_disabled):
    shell = find_shell("fish")
    venv = make_venv(tmp_path)
    extra = {"YURT_TEST_ACTIVATE": str(venv / "bin" / "activate.fish"), "PYTHONHOME": "/previous/python/home"}
    if prompt_disabled:
        extra["VIRTUAL_ENV_DISABLE_PROMPT"] = "1"
    environment = shell_environment(tmp_path / "home", shell, **extra)

    values = report(run([shell, "--no-config", "-c", FISH_SESSION], environment).stdout)

    # The user's prompt still sees the status of the command before it ("[1]").
    expected_prompt = "base[1]> " if prompt_disabled else f"({SIMPLE_PROMPT}) base[1]> "
    assert values.pop("PROMPT") == expected_prompt
    assert values.pop("AFTER_PROMPT") == "base[1]> "
    values["PROMPT"] = BASE_PROMPT if prompt_disabled else f"({SIMPLE_PROMPT}) {BASE_PROMPT}"
    values["AFTER_PROMPT"] = BASE_PROMPT
    check_session(values, venv, environment["PATH"], prompt_shown=not prompt_disabled)


def test_fish_shows_an_awkward_prompt_as_written(tmp_path):
    shell = find_shell("fish")
    venv = make_venv(tmp_path, prompt=AWKWARD_PROMPT)
    environment = shell_environment(tmp_path / "home", shell, YURT_TEST_ACTIVATE=str(venv / "bin" / "activate.fish"))
    session = "function fish_prompt; printf 'base> '; end; source $YURT_TEST_ACTIVATE; fish_prompt"

    completed = run([shell, "--no-config", "-c", session], environment)

    assert completed.stdout == f"({AWKWARD_PROMPT}) {BASE_PROMPT}"


# ------------------------------------------------------------------ csh / tcsh

# csh expands aliases when it reads a line, so the session is a file of
# separate lines: on one -c line "deactivate" would be looked up before the
# script that defines it had been sourced.
CSH_SESSION = r"""
set prompt = 'base> '
source "$YURT_TEST_ACTIVATE:q"
printf 'VIRTUAL_ENV=%s\n' "$VIRTUAL_ENV:q"
printf 'VIRTUAL_ENV_PROMPT=%s\n' "$VIRTUAL_ENV_PROMPT:q"
printf 'FIRST_PATH_ENTRY=%s\n' "`printenv PATH | cut -d: -f1`"
printf 'PYTHON=%s\n' "`which python`"
printf 'PYTHON_OUTPUT=%s\n' "`python`"
if ( $?PYTHONHOME ) then
    printf 'PYTHONHOME=%s\n' "$PYTHONHOME:q"
else
    printf 'PYTHONHOME=<unset>\n'
endif
printf 'PROMPT=%s\n' "$prompt:q"
deactivate
printf 'AFTER_PATH=%s\n' "$PATH:q"
printf 'AFTER_PYTHON=%s\n' "`which python`"
printf 'AFTER_PROMPT=%s\n' "$prompt:q"
if ( $?VIRTUAL_ENV ) then
    printf 'AFTER_VIRTUAL_ENV=%s\n' "$VIRTUAL_ENV:q"
else
    printf 'AFTER_VIRTUAL_ENV=<unset>\n'
endif
if ( $?VIRTUAL_ENV_PROMPT ) then
    printf 'AFTER_VIRTUAL_ENV_PROMPT=%s\n' "$VIRTUAL_ENV_PROMPT:q"
else
    printf 'AFTER_VIRTUAL_ENV_PROMPT=<unset>\n'
endif
if ( $?PYTHONHOME ) then
    printf 'AFTER_PYTHONHOME=%s\n' "$PYTHONHOME:q"
else
    printf 'AFTER_PYTHONHOME=<unset>\n'
endif
if ( "`alias deactivate`" != "" ) then
    printf 'AFTER_DEACTIVATE=defined\n'
else
    printf 'AFTER_DEACTIVATE=gone\n'
endif
"""


@pytest.mark.parametrize("prompt_disabled", [False, True], ids=["prompt", "prompt-disabled"])
def test_tcsh_activates_and_deactivates(tmp_path, prompt_disabled):
    shell = find_shell("tcsh", "csh")
    venv = make_venv(tmp_path)
    session = tmp_path / "session.csh"
    session.write_text(CSH_SESSION)
    extra = {"YURT_TEST_ACTIVATE": str(venv / "bin" / "activate.csh"), "PYTHONHOME": "/previous/python/home"}
    if prompt_disabled:
        extra["VIRTUAL_ENV_DISABLE_PROMPT"] = "1"
    environment = shell_environment(tmp_path / "home", shell, **extra)

    values = report(run([shell, "-f", str(session)], environment).stdout)

    check_session(values, venv, environment["PATH"], prompt_shown=not prompt_disabled)


def test_tcsh_shows_an_awkward_prompt_as_written(tmp_path):
    # Run tcsh interactively and read the prompt it prints before the last command.
    shell = find_shell("tcsh")
    venv = make_venv(tmp_path, prompt=AWKWARD_PROMPT)
    environment = shell_environment(tmp_path / "home", shell, YURT_TEST_ACTIVATE=str(venv / "bin" / "activate.csh"))

    completed = run([shell, "-f", "-i"], environment, stdin="set prompt = 'base> '\nsource \"$YURT_TEST_ACTIVATE:q\"\nexit\n")

    assert f"({AWKWARD_PROMPT}) {BASE_PROMPT}" in completed.stdout + completed.stderr


# ------------------------------------------------------------------ PowerShell


def test_powershell_script_text(tmp_path):
    # PowerShell is not packaged for Debian, so without pwsh only the text is checked.
    venv = make_venv(tmp_path, prompt=AWKWARD_PROMPT)
    raw = (venv / "bin" / "activate.ps1").read_bytes()
    # Windows PowerShell 5.1 needs the byte-order mark to read the file as UTF-8.
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert f"$env:VIRTUAL_ENV = {quote_powershell(str(venv))}" in text
    assert f"$env:VIRTUAL_ENV_PROMPT = {quote_powershell(AWKWARD_PROMPT)}" in text
    assert quote_powershell(str(venv / "bin")) + " + [System.IO.Path]::PathSeparator + $env:PATH" in text
    assert "function global:deactivate" in text
    assert "Remove-Item -Path Env:PYTHONHOME" in text
    assert "$env:VIRTUAL_ENV_DISABLE_PROMPT" in text
    assert "function global:prompt" in text


def test_powershell_activates_and_deactivates(tmp_path):
    shell = find_shell("pwsh", why_missing="PowerShell is not packaged for Debian; its script text is checked instead")
    venv = make_venv(tmp_path)
    session = tmp_path / "session.ps1"
    session.write_text(
        "function global:prompt { 'base> ' }\n"
        ". $env:YURT_TEST_ACTIVATE\n"
        "'VIRTUAL_ENV=' + $env:VIRTUAL_ENV\n"
        "'FIRST_PATH_ENTRY=' + ($env:PATH -split [System.IO.Path]::PathSeparator)[0]\n"
        "'PYTHON=' + (Get-Command -Name python -CommandType Application)[0].Source\n"
        "'PYTHONHOME=' + $(if (Test-Path Env:PYTHONHOME) { $env:PYTHONHOME } else { '<unset>' })\n"
        "'PROMPT=' + (prompt)\n"
        "deactivate\n"
        "'AFTER_PATH=' + $env:PATH\n"
        "'AFTER_PROMPT=' + (prompt)\n"
        "'AFTER_VIRTUAL_ENV=' + $(if (Test-Path Env:VIRTUAL_ENV) { $env:VIRTUAL_ENV } else { '<unset>' })\n"
        "'AFTER_PYTHONHOME=' + $(if (Test-Path Env:PYTHONHOME) { $env:PYTHONHOME } else { '<unset>' })\n"
        "'AFTER_DEACTIVATE=' + $(if (Test-Path Function:deactivate) { 'defined' } else { 'gone' })\n"
    )
    environment = shell_environment(
        tmp_path / "home",
        shell,
        YURT_TEST_ACTIVATE=str(venv / "bin" / "activate.ps1"),
        PYTHONHOME="/previous/python/home",
    )

    values = report(run([shell, "-NoProfile", "-NonInteractive", "-File", str(session)], environment).stdout)

    assert values["VIRTUAL_ENV"] == str(venv)
    assert values["FIRST_PATH_ENTRY"] == str(venv / "bin")
    assert values["PYTHON"] == str(venv / "bin" / "python")
    assert values["PYTHONHOME"] == UNSET
    assert values["PROMPT"] == f"({SIMPLE_PROMPT}) {BASE_PROMPT}"
    assert values["AFTER_PATH"] == environment["PATH"]
    assert values["AFTER_PROMPT"] == BASE_PROMPT
    assert values["AFTER_VIRTUAL_ENV"] == UNSET
    assert values["AFTER_PYTHONHOME"] == "/previous/python/home"
    assert values["AFTER_DEACTIVATE"] == "gone"


# ------------------------------------------------------- quoting and writing

QUOTING_SAMPLES = ["", "plain", "a b", "it's", 'say "hi"', "$HOME ${x} `id` $(id)", "back\\slash\\", "!bang !! %~ *?[a]"]


def test_quote_posix_shell_round_trips_through_dash(tmp_path):
    shell = find_shell("dash", "sh")
    for sample in QUOTING_SAMPLES:
        completed = run([shell, "-c", "printf '%s' " + quote_posix_shell(sample)], shell_environment(tmp_path / "home", shell))
        assert completed.stdout == sample


def test_quote_fish_round_trips(tmp_path):
    shell = find_shell("fish")
    for sample in QUOTING_SAMPLES:
        completed = run([shell, "--no-config", "-c", "printf '%s' " + quote_fish(sample)], shell_environment(tmp_path / "home", shell))
        assert completed.stdout == sample


def test_quote_csh_round_trips(tmp_path):
    shell = find_shell("tcsh", "csh")
    script = tmp_path / "quote.csh"
    for sample in QUOTING_SAMPLES:
        # Through a variable, as the activation script uses its values.
        script.write_text(f"set value = {quote_csh(sample)}\nprintf '%s' \"$value:q\"\n")
        completed = run([shell, "-f", str(script)], shell_environment(tmp_path / "home", shell))
        assert completed.stdout == sample


def test_quote_powershell_doubles_every_kind_of_single_quote():
    assert quote_powershell("it's") == "'it''s'"
    assert quote_powershell("\u2018a\u2019") == "'\u2018\u2018a\u2019\u2019'"
    assert quote_powershell("$env:HOME `n") == "'$env:HOME `n'"


def test_writes_four_scripts_atomically_and_replaces_old_ones(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "activate").write_text("stale\n")

    written = write_activation_scripts(venv, "first-prompt")
    written_again = write_activation_scripts(venv, "second-prompt")

    names = ["activate", "activate.fish", "activate.csh", "activate.ps1"]
    assert written == written_again == [venv / "bin" / name for name in names]
    # Only the scripts are left: no temporary files from the atomic writes.
    assert sorted(path.name for path in (venv / "bin").iterdir()) == sorted(names)
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o644
        text = path.read_text(encoding="utf-8-sig")
        assert "second-prompt" in text and "first-prompt" not in text
        assert "\r" not in text


def test_scripts_directory_name_is_honoured(tmp_path):
    written = write_activation_scripts(tmp_path / "venv", "env", scripts_directory_name="Scripts")

    assert {path.parent for path in written} == {tmp_path / "venv" / "Scripts"}
    assert quote_posix_shell(str(tmp_path / "venv" / "Scripts")) in (tmp_path / "venv" / "Scripts" / "activate").read_text()


def test_relative_venv_path_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    write_activation_scripts(pathlib.Path("relative venv"), "env")

    text = (tmp_path / "relative venv" / "bin" / "activate").read_text()
    assert f"VIRTUAL_ENV={quote_posix_shell(str(tmp_path / 'relative venv'))}\n" in text


@pytest.mark.parametrize("where", ["path", "prompt"])
def test_newline_is_refused(tmp_path, where):
    venv = tmp_path / ("new\nline" if where == "path" else "venv")
    prompt = "new\nline" if where == "prompt" else "env"

    with pytest.raises(ValueError, match="newline"):
        write_activation_scripts(venv, prompt)
