"""Write the scripts that activate a virtual environment in sh, bash, zsh, fish, csh and PowerShell."""

from __future__ import annotations

import os
import pathlib
import re

from yurt.fs import atomic_write

__all__ = [
    "quote_csh",
    "quote_fish",
    "quote_posix_shell",
    "quote_powershell",
    "write_activation_scripts",
]


def quote_posix_shell(text: str) -> str:
    """Quote text as one word for sh, dash, bash and zsh."""
    # Nothing is special inside single quotes, so only the single quote itself
    # needs care: close the quotes, add an escaped quote, and reopen them.
    return "'" + text.replace("'", "'\\''") + "'"


def quote_fish(text: str) -> str:
    """Quote text as one word for fish."""
    # Inside fish's single quotes a backslash escapes only a backslash or a quote.
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_csh(text: str) -> str:
    """Quote text as one word for csh and tcsh."""
    if "\n" in text:
        # csh keeps no newline intact through "$variable" expansion, so the
        # value could not be used safely once it was stored.
        raise ValueError(f"csh cannot hold a newline in a quoted word: {text!r}")
    # Single quotes stop every substitution but history: "!" must be escaped
    # even inside them, and a quote is written outside them as \'.
    return "'" + text.replace("'", "'\\''").replace("!", "\\!") + "'"


def quote_powershell(text: str) -> str:
    """Quote text as a PowerShell verbatim string."""
    # PowerShell treats the typographic single quotes like the ASCII one, and
    # a quote character inside a verbatim string is written twice.
    for quote in ("'", "\u2018", "\u2019", "\u201a", "\u201b"):
        text = text.replace(quote, quote + quote)
    return "'" + text + "'"


# The sh script works out at run time how the running shell reads PS1, because
# the same file serves dash, bash and zsh, whose prompt syntaxes differ. Each
# character that any of them may treat as prompt syntax is written through a
# shell variable holding that character's escape for the running shell.
_POSIX_PROMPT_ESCAPE_VARIABLES = {
    "\\": "_yurt_backslash",
    "$": "_yurt_dollar",
    "`": "_yurt_backtick",
    "%": "_yurt_percent",
    "!": "_yurt_bang",
}


def _posix_prompt_expression(text: str) -> str:
    """Spell text as an sh word whose value shows as text when placed in PS1."""
    pieces: list[str] = []
    literal = ""
    for character in text:
        variable = _POSIX_PROMPT_ESCAPE_VARIABLES.get(character)
        if variable is None:
            literal += character
            continue
        if literal:
            pieces.append(quote_posix_shell(literal))
            literal = ""
        pieces.append('"$' + variable + '"')
    if literal or not pieces:
        pieces.append(quote_posix_shell(literal))
    return "".join(pieces)


def _tcsh_prompt_text(text: str) -> str:
    """Escape text so tcsh's prompt shows it as written."""
    # tcsh reads "%" sequences, "!" as the history number and "\" as an escape.
    return text.replace("\\", "\\\\").replace("%", "%%").replace("!", "\\!")


def _csh_prompt_text(text: str) -> str:
    """Escape text so the original csh's prompt shows it as written."""
    # The original csh knows only "!" (the history number) in its prompt.
    return text.replace("!", "\\!")


_POSIX_TEMPLATE = r"""# Activates the virtual environment in sh, dash, bash or zsh. Source it
# (". bin/activate"); run as a program it could change only a shell that ends at once.

# Leave any environment that is active now, so that its PATH entry and prompt
# do not stay behind under ours.
case $(type deactivate 2>/dev/null) in
    *function*) deactivate nondestructive ;;
esac

deactivate () {
    # Put back only what activation saved: a variable that was unset stays unset.
    if [ -n "${_yurt_saved_path+set}" ]; then
        PATH=$_yurt_saved_path
        export PATH
        unset _yurt_saved_path
    fi
    if [ -n "${_yurt_saved_pythonhome+set}" ]; then
        PYTHONHOME=$_yurt_saved_pythonhome
        export PYTHONHOME
        unset _yurt_saved_pythonhome
    fi
    if [ -n "${_yurt_saved_ps1+set}" ]; then
        PS1=$_yurt_saved_ps1
        unset _yurt_saved_ps1
    fi
    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT
    # The shell may remember commands found inside the environment; forget them.
    hash -r 2>/dev/null
    # "deactivate nondestructive" restores the shell but keeps this function,
    # which is how a fresh activation clears a previous one.
    if [ "${1-}" != nondestructive ]; then
        unset -f deactivate
    fi
}

VIRTUAL_ENV=@VIRTUAL_ENV@
export VIRTUAL_ENV
VIRTUAL_ENV_PROMPT=@PROMPT@
export VIRTUAL_ENV_PROMPT

_yurt_saved_path=$PATH
PATH=@SCRIPTS_DIRECTORY@${PATH:+":$PATH"}
export PATH

# A PYTHONHOME meant for another Python would stop this one from finding its
# standard library.
if [ -n "${PYTHONHOME+set}" ]; then
    _yurt_saved_pythonhome=$PYTHONHOME
    unset PYTHONHOME
fi

# Scripts test whether PS1 is set to tell an interactive shell, so an unset PS1
# stays unset.
if [ -z "${VIRTUAL_ENV_DISABLE_PROMPT-}" ] && [ -n "${PS1+set}" ]; then
    # Escapes for the characters that the running shell reads as prompt syntax,
    # so that the prompt shows the environment's name exactly as written.
    _yurt_backslash='\' _yurt_dollar='$' _yurt_backtick='`' _yurt_percent='%' _yurt_bang='!'
    if [ -n "${ZSH_VERSION-}" ]; then
        if [[ -o promptpercent ]]; then
            _yurt_percent='%%'
        fi
        if [[ -o promptbang ]]; then
            _yurt_bang='!!'
        fi
        if [[ -o promptsubst ]]; then
            _yurt_backslash='\\' _yurt_dollar='\$' _yurt_backtick='\`'
        fi
    elif [ -n "${BASH_VERSION-}" ]; then
        # bash first decodes its backslash escapes, then (with promptvars on)
        # expands the result as if it stood in double quotes.
        if shopt -q promptvars 2>/dev/null; then
            _yurt_backslash='\\\\' _yurt_dollar='\\$' _yurt_backtick='\\`'
        else
            _yurt_backslash='\\'
        fi
        case :${SHELLOPTS-}: in
            *:posix:*) _yurt_bang='!!' ;;
        esac
    else
        # Other POSIX shells expand PS1 as if it stood in double quotes.
        _yurt_backslash='\\' _yurt_dollar='\$' _yurt_backtick='\`'
    fi
    _yurt_saved_ps1=$PS1
    PS1=@PROMPT_PREFIX@$PS1
    unset _yurt_backslash _yurt_dollar _yurt_backtick _yurt_percent _yurt_bang
fi

# Commands remembered before activation may hide the environment's own.
hash -r 2>/dev/null
:
"""


_FISH_TEMPLATE = r"""# Activates the virtual environment in fish. Source it ("source bin/activate.fish").

# Leave any environment that is active now, so that its PATH entry and prompt
# do not stay behind under ours.
if functions -q deactivate
    deactivate nondestructive
end

function deactivate --description 'Leave the virtual environment'
    # Put back only what activation saved: a variable that was unset stays unset.
    if set -q _yurt_saved_path
        set -gx PATH $_yurt_saved_path
        set -e _yurt_saved_path
    end
    if set -q _yurt_saved_pythonhome
        set -gx PYTHONHOME $_yurt_saved_pythonhome
        set -e _yurt_saved_pythonhome
    end
    if set -q _yurt_replaced_fish_prompt
        functions -e fish_prompt
        if functions -q _yurt_saved_fish_prompt
            functions -c _yurt_saved_fish_prompt fish_prompt
            functions -e _yurt_saved_fish_prompt
        end
        functions -e _yurt_return_status
        set -e _yurt_replaced_fish_prompt
    end
    set -e VIRTUAL_ENV
    set -e VIRTUAL_ENV_PROMPT
    # "deactivate nondestructive" restores the shell but keeps this function,
    # which is how a fresh activation clears a previous one.
    if test "$argv[1]" != nondestructive
        functions -e deactivate
    end
end

set -gx VIRTUAL_ENV @VIRTUAL_ENV@
set -gx VIRTUAL_ENV_PROMPT @PROMPT@

set -g _yurt_saved_path $PATH
set -gx PATH @SCRIPTS_DIRECTORY@ $PATH

# A PYTHONHOME meant for another Python would stop this one from finding its
# standard library.
if set -q PYTHONHOME
    set -g _yurt_saved_pythonhome $PYTHONHOME
    set -e PYTHONHOME
end

if test -z "$VIRTUAL_ENV_DISABLE_PROMPT"
    set -g _yurt_replaced_fish_prompt 1
    if functions -q fish_prompt
        functions -c fish_prompt _yurt_saved_fish_prompt
    end

    # Calling a function that returns a number is how fish sets $status.
    function _yurt_return_status
        return $argv[1]
    end

    function fish_prompt --description 'Show the virtual environment before the usual prompt'
        # The usual prompt may show the last command's status: hand it on.
        set -l last_status $status
        printf '%s' @PROMPT_PREFIX@
        if functions -q _yurt_saved_fish_prompt
            _yurt_return_status $last_status
            _yurt_saved_fish_prompt
        end
    end
end
"""


# csh aliases are one line, and a one-line "if" substitutes its variables
# before testing its condition, so each restore runs through eval, which
# substitutes only when the condition held.
_CSH_DEACTIVATE = "; ".join(
    [
        "if ($?_yurt_saved_path) eval 'setenv PATH \"$_yurt_saved_path:q\"'",
        "unset _yurt_saved_path",
        "if ($?_yurt_saved_pythonhome) eval 'setenv PYTHONHOME \"$_yurt_saved_pythonhome:q\"'",
        "unset _yurt_saved_pythonhome",
        "if ($?_yurt_saved_prompt) eval 'set prompt = \"$_yurt_saved_prompt:q\"'",
        "unset _yurt_saved_prompt",
        "unsetenv VIRTUAL_ENV",
        "unsetenv VIRTUAL_ENV_PROMPT",
        "rehash",
        # "!*" is the alias's arguments: "nondestructive" keeps the alias so a
        # fresh activation can clear a previous one.
        'if ("!*" != "nondestructive") unalias deactivate',
    ]
)


_CSH_TEMPLATE = r"""# Activates the virtual environment in csh or tcsh. Source it ("source bin/activate.csh").

# Leave any environment that is active now, so that its PATH entry and prompt
# do not stay behind under ours.
set _yurt_existing_alias = "`alias deactivate`"
if ( "$_yurt_existing_alias" != "" ) then
    deactivate nondestructive
endif
unset _yurt_existing_alias

# Puts back only what activation saved: a variable that was unset stays unset.
alias deactivate @DEACTIVATE@

setenv VIRTUAL_ENV @VIRTUAL_ENV@
setenv VIRTUAL_ENV_PROMPT @PROMPT@

set _yurt_saved_path = "$PATH:q"
setenv PATH @SCRIPTS_DIRECTORY@":$PATH:q"

# A PYTHONHOME meant for another Python would stop this one from finding its
# standard library.
if ( $?PYTHONHOME ) then
    set _yurt_saved_pythonhome = "$PYTHONHOME:q"
    unsetenv PYTHONHOME
endif

set _yurt_show_prompt = 1
if ( $?VIRTUAL_ENV_DISABLE_PROMPT ) then
    if ( "$VIRTUAL_ENV_DISABLE_PROMPT:q" != "" ) then
        set _yurt_show_prompt = 0
    endif
endif
# Scripts test whether prompt is set to tell an interactive shell, so an unset
# prompt stays unset.
if ( $_yurt_show_prompt && $?prompt ) then
    set _yurt_saved_prompt = "$prompt:q"
    # tcsh and the original csh read different escapes in the prompt.
    if ( $?tcsh ) then
        set prompt = @TCSH_PROMPT_PREFIX@"$prompt:q"
    else
        set prompt = @CSH_PROMPT_PREFIX@"$prompt:q"
    endif
endif
unset _yurt_show_prompt

# Commands remembered before activation may hide the environment's own.
rehash
"""


_POWERSHELL_TEMPLATE = r"""# Activates the virtual environment in PowerShell. Dot-source it (". bin/activate.ps1").

# Leave any environment that is active now, so that its PATH entry and prompt
# do not stay behind under ours.
if (Test-Path -Path Function:deactivate) {
    deactivate -NonDestructive
}

function global:deactivate {
    param([switch]$NonDestructive)
    # Put back only what activation saved: a variable that was unset stays unset.
    if (Get-Variable -Name _YurtSavedPath -Scope Global -ErrorAction SilentlyContinue) {
        $env:PATH = $global:_YurtSavedPath
        Remove-Variable -Name _YurtSavedPath -Scope Global
    }
    if (Get-Variable -Name _YurtSavedPythonHome -Scope Global -ErrorAction SilentlyContinue) {
        $env:PYTHONHOME = $global:_YurtSavedPythonHome
        Remove-Variable -Name _YurtSavedPythonHome -Scope Global
    }
    if (Get-Variable -Name _YurtSavedPrompt -Scope Global -ErrorAction SilentlyContinue) {
        Set-Item -Path Function:global:prompt -Value $global:_YurtSavedPrompt
        Remove-Variable -Name _YurtSavedPrompt -Scope Global
    }
    Remove-Item -Path Env:VIRTUAL_ENV -ErrorAction SilentlyContinue
    Remove-Item -Path Env:VIRTUAL_ENV_PROMPT -ErrorAction SilentlyContinue
    # -NonDestructive restores the shell but keeps this function, which is how
    # a fresh activation clears a previous one.
    if (-not $NonDestructive) {
        Remove-Item -Path Function:global:deactivate
    }
}

$env:VIRTUAL_ENV = @VIRTUAL_ENV@
$env:VIRTUAL_ENV_PROMPT = @PROMPT@

$global:_YurtSavedPath = $env:PATH
# Windows separates PATH entries with ";" and other systems with ":".
$env:PATH = @SCRIPTS_DIRECTORY@ + [System.IO.Path]::PathSeparator + $env:PATH

# A PYTHONHOME meant for another Python would stop this one from finding its
# standard library.
if (Test-Path -Path Env:PYTHONHOME) {
    $global:_YurtSavedPythonHome = $env:PYTHONHOME
    Remove-Item -Path Env:PYTHONHOME
}

if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT) {
    $global:_YurtSavedPrompt = $function:prompt
    function global:prompt {
        # Returned rather than written to the host, so line editors such as
        # PSReadLine see the whole prompt and know how wide it is.
        $usual = if ($global:_YurtSavedPrompt) { & $global:_YurtSavedPrompt } else { 'PS> ' }
        @PROMPT_PREFIX@ + (@($usual) -join '')
    }
}
"""


def _fill(template: str, values: dict[str, str]) -> str:
    """Replace each @NAME@ marker in template with its already-quoted value."""
    # One pass, so a value that happens to contain "@NAME@" is never filled in again.
    return re.sub(r"@([A-Z_]+)@", lambda match: values[match.group(1)], template)


def write_activation_scripts(
    venv_directory: pathlib.Path,
    prompt: str,
    scripts_directory_name: str = "bin",
    location: pathlib.Path | None = None,
) -> list[pathlib.Path]:
    """Write activate, activate.fish, activate.csh and activate.ps1 into the venv's scripts directory.

    `location` is where the venv will live when the scripts run (default: `venv_directory`);
    it differs while a new venv is built in a staging folder before being renamed into place.
    """
    # abspath rather than resolve: a venv reached through a symlink should
    # report the path the user chose.
    venv_path = os.path.abspath(os.fspath(location or venv_directory))
    scripts_directory = pathlib.Path(os.path.abspath(venv_directory)) / scripts_directory_name
    scripts_path = os.path.join(venv_path, scripts_directory_name)
    prompt_prefix = f"({prompt}) "
    for value in (venv_path, prompt):
        if "\n" in value or "\0" in value:
            raise ValueError(f"a virtual environment path or prompt cannot contain a newline: {value!r}")

    scripts = {
        "activate": (
            _POSIX_TEMPLATE,
            {
                "VIRTUAL_ENV": quote_posix_shell(venv_path),
                "PROMPT": quote_posix_shell(prompt),
                "SCRIPTS_DIRECTORY": quote_posix_shell(scripts_path),
                "PROMPT_PREFIX": _posix_prompt_expression(prompt_prefix),
            },
            "utf-8",
        ),
        "activate.fish": (
            _FISH_TEMPLATE,
            {
                "VIRTUAL_ENV": quote_fish(venv_path),
                "PROMPT": quote_fish(prompt),
                "SCRIPTS_DIRECTORY": quote_fish(scripts_path),
                "PROMPT_PREFIX": quote_fish(prompt_prefix),
            },
            "utf-8",
        ),
        "activate.csh": (
            _CSH_TEMPLATE,
            {
                "DEACTIVATE": quote_csh(_CSH_DEACTIVATE),
                "VIRTUAL_ENV": quote_csh(venv_path),
                "PROMPT": quote_csh(prompt),
                "SCRIPTS_DIRECTORY": quote_csh(scripts_path),
                "TCSH_PROMPT_PREFIX": quote_csh(_tcsh_prompt_text(prompt_prefix)),
                "CSH_PROMPT_PREFIX": quote_csh(_csh_prompt_text(prompt_prefix)),
            },
            "utf-8",
        ),
        "activate.ps1": (
            _POWERSHELL_TEMPLATE,
            {
                "VIRTUAL_ENV": quote_powershell(venv_path),
                "PROMPT": quote_powershell(prompt),
                "SCRIPTS_DIRECTORY": quote_powershell(scripts_path),
                "PROMPT_PREFIX": quote_powershell(prompt_prefix),
            },
            # Windows PowerShell 5.1 reads a file without a byte-order mark in
            # the legacy code page, which would garble a non-ASCII path.
            "utf-8-sig",
        ),
    }

    scripts_directory.mkdir(parents=True, exist_ok=True)
    written: list[pathlib.Path] = []
    for name, (template, values, encoding) in scripts.items():
        path = scripts_directory / name
        # Encoding by hand keeps "\n" line endings on Windows too (sh and fish reject "\r"),
        # and surrogateescape round-trips undecodable path bytes.
        errors = "surrogateescape" if encoding == "utf-8" else "strict"
        atomic_write(path, _fill(template, values).encode(encoding, errors=errors), mode=0o644)
        written.append(path)
    return written
