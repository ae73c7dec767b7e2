"""The argument parser: every command's flags, defined without importing any command."""

from __future__ import annotations

import argparse
import os

from yurt.errors import YurtError

# Which module runs each command; imported only when that command is dispatched.
COMMAND_MODULES = {
    "venv": "yurt.cli.venv",
    "cache": "yurt.cli.cache",
    "pip compile": "yurt.cli.pip_compile",
    "pip install": "yurt.cli.pip_install",
    "pip sync": "yurt.cli.pip_install",
    "pip uninstall": "yurt.cli.pip_uninstall",
    "pip list": "yurt.cli.pip_list",
    "pip freeze": "yurt.cli.pip_list",
    "pip show": "yurt.cli.pip_show",
    "pip check": "yurt.cli.pip_check",
    "pip tree": "yurt.cli.pip_tree",
}


def command_key(arguments: argparse.Namespace) -> str:
    """`venv`, `cache`, or `pip compile`: the key of COMMAND_MODULES for a parsed command line."""
    if arguments.command == "pip":
        return f"pip {arguments.pip_command}"
    return arguments.command


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter with the terminal width measured once.

    argparse builds a formatter for every `add_argument` call and, without a width, imports
    shutil and asks for the terminal size each time: a measurable part of yurt's start-up.
    """

    width: int | None = None

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        if HelpFormatter.width is None:
            try:
                columns = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size(1).columns
            except (ValueError, OSError):
                columns = 80
            HelpFormatter.width = max(columns - 2, 40)
        super().__init__(prog, indent_increment, max_help_position, width or HelpFormatter.width)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is a user error (exit 1) in yurt's own format."""

    def __init__(self, *arguments, **keywords):
        keywords.setdefault("formatter_class", HelpFormatter)
        super().__init__(*arguments, **keywords)

    def error(self, message: str):  # type: ignore[override]
        raise YurtError(message, f"see `{self.prog} --help`")


def add_global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Global flags, accepted before or after the command name."""
    default = argparse.SUPPRESS if suppress else None
    group = parser.add_argument_group("global options")
    group.add_argument(
        "-v", "--verbose", dest="verbosity", action="count",
        default=argparse.SUPPRESS if suppress else 0,
        help="show debug logging (-vv for trace); YURT_LOG=debug does the same",
    )
    group.add_argument(
        "-q", "--quiet", dest="quiet", action="count",
        default=argparse.SUPPRESS if suppress else 0,
        help="print less: -q hides status lines, -qq data as well",
    )
    group.add_argument(
        "--color", choices=("auto", "always", "never"), default=default,
        help="colour on stderr (default auto; honours NO_COLOR and FORCE_COLOR)",
    )
    group.add_argument(
        "--cache-dir", type=str, default=default, metavar="DIR",
        help="the cache folder [env: YURT_CACHE_DIR]",
    )
    group.add_argument(
        "-n", "--no-cache", action="store_true", default=default,
        help="use a temporary cache, removed at exit [env: YURT_NO_CACHE]",
    )
    group.add_argument(
        "--offline", action="store_true", default=default,
        help="never touch the network; answer from the cache [env: YURT_OFFLINE]",
    )


class UnusedParser:
    """Stands in for the parser of a command that is not running: its options are never added.

    Defining every option of every command costs more than the rest of a no-op run, so only the
    running command's options are defined (see `selected_commands`); the others keep their name
    and one-line help for the command list.
    """

    def add_argument(self, *arguments, **keywords) -> None:
        return None

    def add_argument_group(self, *arguments, **keywords) -> UnusedParser:
        return self

    def add_mutually_exclusive_group(self, *arguments, **keywords) -> UnusedParser:
        return self

    def add_subparsers(self, *arguments, **keywords) -> UnusedParser:
        return self

    def add_parser(self, *arguments, **keywords) -> UnusedParser:
        return self


# Global options that take a value, so that the word after them is not read as a command.
VALUE_OPTIONS = frozenset({"--color", "--cache-dir"})


def selected_commands(argv: list[str] | None) -> frozenset[str] | None:
    """The command and subcommand an argument list runs (`{"pip", "pip install"}`); None means all."""
    if argv is None:
        return None
    words = []
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word in VALUE_OPTIONS:
            skip = True
            continue
        if word.startswith("-"):
            continue
        words.append(word)
        if len(words) == 3:
            break
    selected = set()
    if words[:1] == ["help"]:
        # `yurt help pip install` runs `help` and shows the options of `pip install`.
        selected.add("help")
        words = words[1:]
    if words:
        selected.add(words[0])
        if len(words) > 1:
            selected.add(f"{words[0]} {words[1]}")
    return frozenset(selected)


def build_parser(argv: list[str] | None = None) -> Parser:
    """The parser; given the argument list, only the options of the command it runs are defined."""
    wanted = selected_commands(argv)
    parser = Parser(
        prog="yurt",
        description="A fast Python package installer and virtual-environment manager.",
        epilog="Run `yurt help COMMAND` for a command's options.",
    )
    parser.add_argument("-V", "--version", action="store_true", help="print yurt's version")
    add_global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        if wanted is not None and name not in wanted:
            return UnusedParser()
        add_global_options(sub, suppress=True)
        return sub

    venv = command("venv", "Create a virtual environment, or keep an intact one already there")
    venv.add_argument("path", nargs="?", default=".venv", metavar="PATH", help="where (default: .venv)")
    venv.add_argument(
        "-p", "--python", default=None,
        help="interpreter: a path, a venv, 3.12, python3.12 or cpython3.12 [env: YURT_PYTHON]",
    )
    venv.add_argument("--prompt", default=None, help="the prompt shown when active ('.' for the current folder's name)")
    venv.add_argument("--system-site-packages", action="store_true", help="see the interpreter's own site-packages")
    venv.add_argument("--seed", action="store_true", help="install pip into the new environment")
    venv.add_argument("-c", "--clear", action="store_true", help="remove an existing environment and start afresh")
    venv.add_argument(
        "--allow-existing", action="store_true",
        help="write into an existing folder or environment without removing anything",
    )
    venv.add_argument(
        "--force", action="store_true",
        help="with --clear, also empty a folder that is not a virtual environment",
    )

    cache = command("cache", "Inspect and clean the cache")
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="COMMAND", required=True, parser_class=Parser)
    cache_dir = cache_commands.add_parser("dir", help="print the cache folder", description="Print the cache folder")
    add_global_options(cache_dir, suppress=True)
    cache_clean = cache_commands.add_parser(
        "clean", help="remove every cache entry, or those of the named packages",
        description="Remove every cache entry, or those of the named packages",
    )
    cache_clean.add_argument("names", nargs="*", metavar="NAME", help="packages whose entries to remove (default: all)")
    cache_clean.add_argument(
        "--force", action="store_true",
        help="remove without waiting for other yurt processes using the cache, which may then fail"
             " (the wait is at most YURT_LOCK_TIMEOUT seconds, default 300)",
    )
    add_global_options(cache_clean, suppress=True)
    cache_prune = cache_commands.add_parser(
        "prune", help="remove unused entries: old bucket versions, leftovers, orphaned archives",
        description="Remove unused entries: old bucket versions, temporary leftovers, orphaned archives",
    )
    add_global_options(cache_prune, suppress=True)
    cache_size = cache_commands.add_parser(
        "size", help="print the cache's size in bytes", description="Print the cache's size in bytes",
    )
    cache_size.add_argument("-H", "--human", action="store_true", help="print it as 12.3MiB (binary units)")
    add_global_options(cache_size, suppress=True)

    pip = command("pip", "Install, resolve and inspect packages with pip's requirement syntax")
    pip_commands = pip.add_subparsers(dest="pip_command", metavar="COMMAND", required=True, parser_class=Parser)

    def pip_command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = pip_commands.add_parser(name, help=help_text, description=help_text)
        if wanted is not None and f"pip {name}" not in wanted:
            return UnusedParser()
        add_global_options(sub, suppress=True)
        return sub

    add_install_options(pip_command("install", "Install packages into an environment, keeping unrelated ones"))
    add_sync_options(pip_command("sync", "Make an environment hold exactly what the requirements list"))
    add_compile_options(pip_command("compile", "Resolve requirements into pinned `name==version` lines"))
    add_uninstall_options(pip_command("uninstall", "Remove packages from an environment"))
    add_list_options(pip_command("list", "List the installed packages"))
    add_freeze_options(pip_command("freeze", "Print the installed packages as requirements (`name==version`)"))
    add_show_options(pip_command("show", "Show what is known about installed packages"))
    add_check_options(pip_command("check", "Check that the installed packages' requirements are met"))
    add_tree_options(pip_command("tree", "Show the installed packages as a dependency tree"))

    help_command = command("help", "Show help for a command")
    help_command.add_argument("topic", nargs="*", metavar="COMMAND")
    return parser


def find_subparser(parser: argparse.ArgumentParser, names: list[str]) -> argparse.ArgumentParser:
    """The parser for `yurt help venv` or `yurt help cache dir`."""
    current = parser
    for name in names:
        actions = [action for action in current._actions if isinstance(action, argparse._SubParsersAction)]
        if not actions or name not in actions[0].choices:
            raise YurtError(f"unknown command {' '.join(names)!r}", "run `yurt help` for the list of commands")
        current = actions[0].choices[name]
    return current


def add_requirement_sources(parser: argparse.ArgumentParser) -> None:
    """Where requirements come from: files, constraints, overrides, extras and groups."""
    group = parser.add_argument_group("requirement sources")
    group.add_argument("-c", "--constraint", dest="constraint_files", action="append", default=[], metavar="FILE",
                       help="constrain versions with a requirements file, without asking for the packages")
    group.add_argument("--override", dest="override_files", action="append", default=[], metavar="FILE",
                       help="replace every declared requirement on the packages a file names")
    group.add_argument("--extra", dest="extras", action="append", default=[], metavar="NAME",
                       help="include an optional-dependencies extra of a pyproject.toml source")
    group.add_argument("--all-extras", action="store_true", help="include every extra of a pyproject.toml source")
    group.add_argument("--group", dest="groups", action="append", default=[], metavar="NAME",
                       help="include a PEP 735 dependency group of pyproject.toml")


def add_index_options(parser: argparse.ArgumentParser) -> None:
    """Where packages come from and how the index is asked (dests match Settings fields)."""
    group = parser.add_argument_group("index options")
    group.add_argument("-i", "--index-url", "--default-index", dest="index_url", default=None, metavar="URL",
                       help="the default index (default: pip's default index) [env: YURT_INDEX_URL]")
    group.add_argument("--extra-index-url", "--index", dest="extra_index_urls", action="append", default=[],
                       metavar="URL", help="another index, asked before the default one [env: YURT_EXTRA_INDEX_URL]")
    group.add_argument("-f", "--find-links", dest="find_links", action="append", default=[], metavar="PATH_OR_URL",
                       help="a folder or HTML page of distribution files [env: YURT_FIND_LINKS]")
    group.add_argument("--no-index", action="store_true", default=None,
                       help="ignore every index; only --find-links [env: YURT_NO_INDEX]")
    group.add_argument("--index-strategy", choices=("first-index", "unsafe-best-match"), default=None,
                       help="take a package from the first index that has it (default), or compare all"
                            " [env: YURT_INDEX_STRATEGY]")
    group.add_argument("--allow-insecure-host", "--trusted-host", dest="allow_insecure_hosts", action="append",
                       default=[], metavar="HOST", help="allow plain HTTP or unverified TLS to this host")
    group.add_argument("--refresh", action="store_true", default=None, help="revalidate every cached index page")
    group.add_argument("--refresh-package", dest="refresh_packages", action="append", default=[], metavar="NAME",
                       help="revalidate the cached pages of one package")


def add_resolver_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("resolver options")
    group.add_argument("-U", "--upgrade", action="store_true", help="prefer the newest versions over pinned or installed ones")
    group.add_argument("-P", "--upgrade-package", dest="upgrade_packages", action="append", default=[], metavar="NAME",
                       help="upgrade one package, keep the other preferences")
    group.add_argument("--prerelease", choices=("if-necessary-or-explicit", "if-necessary", "allow", "disallow", "explicit"),
                       default=None, help="when pre-releases may be chosen (default: if a requirement names one or"
                                          " nothing else fits)")
    group.add_argument("--pre", action="store_true", help="same as --prerelease allow")
    group.add_argument("--resolution", choices=("highest", "lowest", "lowest-direct"), default="highest",
                       help="which versions to prefer (default highest)")
    group.add_argument("--exclude-newer", default=None, metavar="DATE",
                       help="ignore files uploaded after this date (RFC 3339 timestamp or YYYY-MM-DD)")
    group.add_argument("--no-binary", action="append", default=[], metavar="NAME",
                       help="do not use wheels for this package (:all: for every package)")
    group.add_argument("--only-binary", action="append", default=[], metavar="NAME",
                       help="use only wheels for this package (:all: for every package)")
    group.add_argument("--no-build", action="store_true",
                       help="never build from source: the same as --only-binary :all:")
    group.add_argument("--no-build-isolation", action="store_true",
                       help="build in the target environment, whose build requirements must already be there")
    group.add_argument("-C", "--config-setting", "--config-settings", dest="config_settings", action="append",
                       default=[], metavar="KEY=VALUE", help="pass a setting to every PEP 517 build backend")
    group.add_argument("-p", "--python", default=None,
                       help="the interpreter to resolve for [env: YURT_PYTHON]")
    group.add_argument("--python-version", default=None, metavar="X.Y",
                       help="resolve for another Python version; markers and tags follow")
    group.add_argument("--python-platform", default=None, metavar="PLATFORM",
                       help="resolve for another platform (linux, macos, windows, x86_64-manylinux_2_28, ...)")


def add_compile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src_files", nargs="+", metavar="SRC_FILE",
                        help="requirements files (.in, .txt) or pyproject.toml; - for stdin")
    add_requirement_sources(parser)
    add_index_options(parser)
    add_resolver_options(parser)
    group = parser.add_argument_group("output options")
    group.add_argument("-o", "--output-file", default=None, metavar="FILE",
                       help="write the pins here (its pins are then preferred) instead of stdout")
    group.add_argument("--no-header", action="store_true", help="leave out the header comment")
    group.add_argument("--no-annotate", action="store_true", help="leave out the `# via` comments")
    group.add_argument("--generate-hashes", action="store_true",
                       help="add --hash lines for every file of each pinned version")


def add_installer_options(parser: argparse.ArgumentParser) -> None:
    """What install and sync share: the target environment and how files are placed."""
    group = parser.add_argument_group("installer options")
    group.add_argument("--system", action="store_true", help="install into the interpreter's own environment")
    group.add_argument("--break-system-packages", action="store_true",
                       help="with --system, install even into an externally managed interpreter")
    group.add_argument("-t", "--target", default=None, metavar="DIR",
                       help="install packages (and scripts, into DIR/bin) straight into this folder")
    group.add_argument("--prefix", default=None, metavar="DIR",
                       help="install into the interpreter's layout under this folder (DIR/lib/pythonX.Y/...)")
    group.add_argument("--link-mode", choices=("clone", "hardlink", "copy", "symlink"), default=None,
                       help="how files get from the cache into the environment (default clone, falling back to"
                            " hardlink, then copy) [env: YURT_LINK_MODE]")
    group.add_argument("--compile-bytecode", action="store_true", default=None,
                       help="write .pyc files after installing [env: YURT_COMPILE_BYTECODE]")
    group.add_argument("--reinstall", "--force-reinstall", action="store_true",
                       help="reinstall every package, even those already installed")
    group.add_argument("--reinstall-package", dest="reinstall_packages", action="append", default=[],
                       metavar="NAME", help="reinstall one package")
    group.add_argument("--dry-run", action="store_true", help="resolve and show the changes, change nothing")
    group.add_argument("--no-deps", action="store_true", help="install the named packages without their dependencies")


def add_install_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("packages", nargs="*", metavar="PACKAGE", help="requirements such as `flask>=3`")
    parser.add_argument("-r", "--requirement", dest="requirement_files", action="append", default=[],
                        metavar="FILE", help="install from a requirements file or pyproject.toml (- for stdin)")
    parser.add_argument("-e", "--editable", dest="editables", action="append", default=[], metavar="PATH",
                        help="install a local project in editable mode")
    add_requirement_sources(parser)
    add_index_options(parser)
    add_resolver_options(parser)
    add_installer_options(parser)


def add_sync_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src_files", nargs="+", metavar="SRC_FILE",
                        help="requirements files (usually compiled, with pins) or pyproject.toml")
    add_requirement_sources(parser)
    add_index_options(parser)
    add_resolver_options(parser)
    add_installer_options(parser)


def add_environment_options(parser: argparse.ArgumentParser, changes: bool = False) -> None:
    """Which environment the commands after install act on (the same discovery as install)."""
    group = parser.add_argument_group("environment options")
    group.add_argument("-p", "--python", default=None,
                       help="the interpreter or environment to act on [env: YURT_PYTHON]")
    if changes:
        group.add_argument("--system", action="store_true", help="act on the interpreter's own environment")
        group.add_argument("--break-system-packages", action="store_true",
                           help="with --system, change even an externally managed interpreter")
    else:
        group.add_argument("--system", action="store_true",
                           help="read the interpreter's own environment (also the fallback without a virtual one)")


def add_uninstall_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("packages", nargs="*", metavar="PACKAGE", help="names of the packages to remove")
    parser.add_argument("-r", "--requirement", dest="requirement_files", action="append", default=[],
                        metavar="FILE", help="remove the packages a requirements file names (- for stdin)")
    parser.add_argument("--dry-run", action="store_true", help="show what would be removed, remove nothing")
    add_environment_options(parser, changes=True)


def add_exclude_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exclude-editable", action="store_true", help="leave out editable installs")
    parser.add_argument("--exclude", action="append", default=[], metavar="NAME", help="leave out this package")


def add_list_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("columns", "freeze", "json"), default="columns",
                        help="a table (default), `name==version` lines, or JSON")
    parser.add_argument("-e", "--editable", action="store_true", help="list only editable installs")
    add_exclude_options(parser)
    parser.add_argument("--outdated", action="store_true",
                        help="list only packages the index has a newer release of, with that release")
    add_environment_options(parser)
    add_index_options(parser)


def add_freeze_options(parser: argparse.ArgumentParser) -> None:
    add_exclude_options(parser)
    add_environment_options(parser)


def add_show_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("packages", nargs="+", metavar="PACKAGE", help="names of installed packages")
    parser.add_argument("-f", "--files", action="store_true", help="list the files each package installed")
    add_environment_options(parser)


def add_check_options(parser: argparse.ArgumentParser) -> None:
    add_environment_options(parser)
    parser.add_argument("--python-version", default=None, metavar="X.Y",
                        help="check Requires-Python and markers for another Python version")
    parser.add_argument("--python-platform", default=None, metavar="PLATFORM",
                        help="evaluate markers for another platform (linux, macos, windows, ...)")


def add_tree_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-d", "--depth", type=int, default=255, metavar="N",
                        help="draw dependencies this many levels deep (default 255)")
    parser.add_argument("--invert", "--reverse", action="store_true",
                        help="draw each package's dependents instead of its dependencies")
    parser.add_argument("--package", dest="packages", action="append", default=[], metavar="NAME",
                        help="draw the tree of this package only")
    parser.add_argument("--show-version-specifiers", action="store_true",
                        help="show the versions each requirement allows")
    add_environment_options(parser)
