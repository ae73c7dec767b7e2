"""One typed settings object, from flags, then YURT_* variables, then configuration files.

Records on the start-up path are NamedTuples rather than dataclasses: defining a dataclass costs
about a millisecond at import, and importing dataclasses pulls in inspect (see docs/performance.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from collections.abc import Callable, Mapping
from typing import NamedTuple

from yurt.errors import ConfigurationError

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


class Settings(NamedTuple):
    """Everything a command needs to know about how the user wants it to run."""

    cache_dir: Path
    # Where each value came from, for `-v` output and error messages: field name -> source.
    sources: Mapping[str, str]
    no_cache: bool = False
    offline: bool = False
    verbosity: int = 0
    quiet: int = 0
    color: bool = False
    python: str | None = None
    # Where packages come from (the default index is pip's own, looked up only when needed).
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    index_strategy: str = "first-index"
    allow_insecure_hosts: tuple[str, ...] = ()
    # Network and cache behaviour.
    concurrent_downloads: int = 8
    http_timeout: float = 30.0
    http_retries: int = 3
    index_ttl: float = 600.0
    refresh: bool = False
    refresh_packages: tuple[str, ...] = ()
    lock_timeout: float = 300.0
    # Installing.
    link_mode: str = "clone"
    compile_bytecode: bool = False


class Option(NamedTuple):
    """How one setting is spelled as an environment variable and a configuration key."""

    name: str
    environment_variable: str | None
    config_key: str | None
    parse: Callable[[str, str], object]


def parse_bool(text: str, origin: str) -> bool:
    word = str(text).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigurationError(
        f"{origin} must be true or false, not {text!r}",
        "use 1/true/yes/on or 0/false/no/off",
    )


def parse_path(text: str, origin: str) -> Path:
    if not str(text).strip():
        raise ConfigurationError(f"{origin} is empty")
    return Path(os.path.expanduser(str(text)))


def parse_text(text: str, origin: str) -> str:
    return str(text)


def parse_list(value: object, origin: str) -> tuple[str, ...]:
    """A list in a configuration file, or whitespace-separated words in a variable."""
    if isinstance(value, (list, tuple)):
        return tuple(str(item) for item in value)
    return tuple(str(value).split())


def parse_non_negative(text: str, origin: str, convert, description: str):
    try:
        number = convert(str(text).strip())
    except ValueError:
        raise ConfigurationError(f"{origin} must be {description}, not {text!r}") from None
    if number < 0:
        raise ConfigurationError(f"{origin} must not be negative, not {text!r}")
    return number


def parse_count(text: str, origin: str) -> int:
    return parse_non_negative(text, origin, int, "a whole number")


def parse_seconds(text: str, origin: str) -> float:
    return parse_non_negative(text, origin, float, "a number of seconds")


INDEX_STRATEGIES = ("first-index", "unsafe-best-match")
LINK_MODES = ("clone", "hardlink", "copy", "symlink")


def parse_choice(text: str, origin: str, choices: tuple[str, ...]) -> str:
    if text not in choices:
        raise ConfigurationError(f"{origin} must be one of {', '.join(choices)}, not {text!r}")
    return text


def parse_index_strategy(text: str, origin: str) -> str:
    return parse_choice(text, origin, INDEX_STRATEGIES)


OPTIONS = (
    Option("cache_dir", "YURT_CACHE_DIR", "cache-dir", parse_path),
    Option("no_cache", "YURT_NO_CACHE", "no-cache", parse_bool),
    Option("offline", "YURT_OFFLINE", "offline", parse_bool),
    Option("python", "YURT_PYTHON", "python", parse_text),
    Option("index_url", "YURT_INDEX_URL", "index-url", parse_text),
    Option("extra_index_urls", "YURT_EXTRA_INDEX_URL", "extra-index-url", parse_list),
    Option("find_links", "YURT_FIND_LINKS", "find-links", parse_list),
    Option("no_index", "YURT_NO_INDEX", "no-index", parse_bool),
    Option("index_strategy", "YURT_INDEX_STRATEGY", "index-strategy", parse_index_strategy),
    Option("allow_insecure_hosts", "YURT_INSECURE_HOST", "allow-insecure-host", parse_list),
    Option("concurrent_downloads", "YURT_CONCURRENT_DOWNLOADS", "concurrent-downloads", parse_count),
    Option("http_timeout", "YURT_HTTP_TIMEOUT", "http-timeout", parse_seconds),
    Option("http_retries", "YURT_HTTP_RETRIES", "http-retries", parse_count),
    Option("index_ttl", "YURT_INDEX_TTL", "index-ttl", parse_seconds),
    Option("refresh", None, None, parse_bool),
    Option("refresh_packages", None, None, parse_list),
    Option("lock_timeout", "YURT_LOCK_TIMEOUT", "lock-timeout", parse_seconds),
    Option("link_mode", "YURT_LINK_MODE", "link-mode", lambda text, origin: parse_choice(text, origin, LINK_MODES)),
    Option("compile_bytecode", "YURT_COMPILE_BYTECODE", "compile-bytecode", parse_bool),
)


def load_settings(
    flags: Mapping[str, object],
    environ: Mapping[str, str] | None = None,
    working_directory: Path | None = None,
) -> Settings:
    """Merge flags (None means not given) over YURT_* variables over configuration files."""
    environ = os.environ if environ is None else environ
    working_directory = working_directory or Path.cwd()
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    config = None  # read only when a setting is still open after flags and variables
    for option in OPTIONS:
        flag_value = flags.get(option.name)
        if flag_value is not None and flag_value is not False and flag_value != []:
            if isinstance(flag_value, list):
                flag_value = tuple(flag_value)
            values[option.name] = flag_value
            sources[option.name] = "command line"
            continue
        variable = option.environment_variable
        if variable and environ.get(variable) is not None:
            values[option.name] = option.parse(environ[variable], variable)
            sources[option.name] = variable
            continue
        if config is None:
            config = read_configuration(working_directory, environ)
        if option.config_key is not None and option.config_key in config.values:
            origin = f"`{option.config_key}` in {config.paths[option.config_key]}"
            raw = config.values[option.config_key]
            value = option.parse(raw, origin)
            if isinstance(value, Path) and not value.is_absolute():
                # A relative path in a file means relative to that file, not to the cwd.
                value = config.paths[option.config_key].parent / value
            values[option.name] = value
            sources[option.name] = str(config.paths[option.config_key])
    if "cache_dir" not in values:
        values["cache_dir"] = default_cache_dir(environ)
        sources["cache_dir"] = "default"
    values["verbosity"] = int(flags.get("verbosity") or 0)
    values["quiet"] = int(flags.get("quiet") or 0)
    values["color"] = wants_color(flags.get("color"), environ)
    return Settings(sources=sources, **values)


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """The platform's user cache folder plus `yurt`, as platformdirs defines it."""
    return user_directory("cache", environ)


def user_directory(kind: str, environ: Mapping[str, str]) -> Path:
    """`~/.cache/yurt` or `~/.config/yurt` and their equivalents on other platforms."""
    import sys

    if sys.platform == "linux":
        # The XDG rule platformdirs applies on Linux, without paying for its import on every start.
        variable, fallback = {"cache": ("XDG_CACHE_HOME", ".cache"), "config": ("XDG_CONFIG_HOME", ".config")}[kind]
        base = environ.get(variable, "").strip()
        return Path(base if os.path.isabs(base) else os.path.expanduser(f"~/{fallback}")) / "yurt"
    import platformdirs

    if kind == "cache":
        return Path(platformdirs.user_cache_dir("yurt", appauthor=False))
    return Path(platformdirs.user_config_dir("yurt", appauthor=False))


def wants_color(choice: object, environ: Mapping[str, str]) -> bool:
    """Decide colour for stderr: the flag wins, then NO_COLOR, then FORCE_COLOR, then a TTY test."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    import sys

    return sys.stderr.isatty() and environ.get("TERM") != "dumb"


class Configuration(NamedTuple):
    """Values read from configuration files, and the file each came from."""

    values: Mapping[str, object]
    paths: Mapping[str, Path]


def read_configuration(working_directory: Path, environ: Mapping[str, str]) -> Configuration:
    """Read `[tool.yurt]` or `yurt.toml` of the project, then the user's `yurt.toml` beneath it."""
    values: dict[str, object] = {}
    paths: dict[str, Path] = {}
    for path, table in reversed(configuration_tables(working_directory, environ)):
        known = {option.config_key for option in OPTIONS}
        unknown = sorted(set(table) - known)
        if unknown:
            raise ConfigurationError(
                f"unknown setting {unknown[0]!r} in {path}",
                "known settings: " + ", ".join(sorted(key for key in known if key)),
            )
        for key, value in table.items():
            values[key] = value
            paths[key] = path
    return Configuration(values, paths)


def configuration_tables(working_directory: Path, environ: Mapping[str, str]) -> list[tuple[Path, dict]]:
    """Tables found, most important first: the nearest project's, then the user's."""
    tables = []
    project = find_project_configuration(working_directory)
    if project is not None:
        tables.append(project)
    user_file = user_config_dir(environ) / "yurt.toml"
    if user_file.is_file():
        tables.append((user_file, load_toml(user_file)))
    return tables


def find_project_configuration(working_directory: Path) -> tuple[Path, dict] | None:
    """Walk up from the working folder to the first `yurt.toml`, or `pyproject.toml` with `[tool.yurt]`."""
    for directory in (working_directory, *working_directory.parents):
        candidate = directory / "yurt.toml"
        if candidate.is_file():
            return candidate, load_toml(candidate)
        candidate = directory / "pyproject.toml"
        try:
            data = candidate.read_bytes()
        except OSError:
            continue
        # Most pyproject.toml files have no yurt table: skip the TOML parse for them.
        if b"tool.yurt" not in data:
            continue
        table = load_toml(candidate, data).get("tool", {}).get("yurt")
        if isinstance(table, dict):
            return candidate, table
    return None


def load_toml(path: Path, data: bytes | None = None) -> dict:
    import tomllib

    try:
        text = (path.read_bytes() if data is None else data).decode("utf-8")
        return tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"cannot read {path}: {error}") from None


def user_config_dir(environ: Mapping[str, str]) -> Path:
    return user_directory("config", environ)
