"""`yurt`: parse the command line, load settings, run one command, turn failures into exit codes."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    import time

    started = time.perf_counter()
    arguments_list = sys.argv[1:] if argv is None else list(argv)
    if arguments_list[:1] in (["venv"], ["pip"]):
        from yurt.cli.fast import try_fast_path

        try:
            answered = try_fast_path(arguments_list, started)
        except Exception:  # noqa: BLE001 - anything odd here is for the full path to judge
            answered = None
        if answered is not None:
            return answered

    from yurt.cli.output import Output
    from yurt.errors import YurtError

    output = Output(color=False)
    verbose = False
    temporary_cache = None
    # A command builds many objects and few reference cycles, and then the process ends. The
    # cyclic collector's passes over the growing heap cost a cold install about 50 ms, and a
    # last pass at exit about 45 ms more: it is off for the run, and what the run built is frozen
    # (left out of that last pass) at the end. Reference counting still frees almost everything.
    import gc

    gc.disable()
    try:
        from yurt.cli.parser import COMMAND_MODULES, build_parser, command_key, find_subparser

        parser = build_parser(arguments_list)
        arguments = parser.parse_args(arguments_list)
        if arguments.version:
            from yurt import __version__

            sys.stdout.write(f"yurt {__version__}\n")
            return 0
        if arguments.command in (None, "help"):
            topic = getattr(arguments, "topic", None) or []
            find_subparser(parser, topic).print_help(sys.stdout)
            return 0

        from pathlib import Path

        from yurt import log
        from yurt.settings import load_settings, wants_color

        flags = vars(arguments)
        if flags.get("cache_dir") is not None:
            flags["cache_dir"] = Path(flags["cache_dir"]).expanduser()
        # Output and logging first, so that even a bad setting is reported in the chosen style.
        verbose = bool(flags.get("verbosity"))
        log.configure(flags.get("verbosity") or 0)
        output = Output(color=wants_color(flags.get("color"), os.environ), quiet=flags.get("quiet") or 0)
        settings = load_settings(flags)
        log.debug("settings: %s", settings)
        if settings.no_cache:
            import tempfile

            temporary_cache = tempfile.mkdtemp(prefix="yurt-cache-")
            settings = settings._replace(cache_dir=Path(temporary_cache))
        import importlib

        module = importlib.import_module(COMMAND_MODULES[command_key(arguments)])
        return module.run(arguments, settings, output)
    except YurtError as error:
        output.error(error.message, error.hints)
        return error.exit_code
    except KeyboardInterrupt:
        output.error("interrupted")
        return 130
    except BrokenPipeError:
        # A closed pipe (`yurt pip freeze | head`) is the reader's choice, not a failure.
        return 0
    except Exception as error:  # noqa: BLE001 - the last line of defence turns bugs into exit 2
        if verbose:
            import traceback

            traceback.print_exc()
        output.error(
            f"yurt failed unexpectedly: {type(error).__name__}: {error}",
            ("this is a bug in yurt; run again with `-v` for the traceback",) if not verbose else (),
        )
        return 2
    finally:
        if temporary_cache is not None:
            import shutil

            shutil.rmtree(temporary_cache, ignore_errors=True)
        gc.freeze()
