"""`yurt venv`: create a virtual environment, or keep the intact one already there."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from yurt.cache import Cache
from yurt.cli.output import Output
from yurt.python.discovery import find_interpreter
from yurt.settings import Settings
from yurt.venv.create import VenvOptions, ensure_venv


def run(arguments: argparse.Namespace, settings: Settings, output: Output) -> int:
    interpreter = find_interpreter(arguments.python or settings.python, Cache(settings.cache_dir))
    output.status(f"Using {interpreter.describe()} interpreter at: {interpreter.executable}")
    display = arguments.path.rstrip("/") or "/"
    options = VenvOptions(
        prompt=arguments.prompt,
        system_site_packages=arguments.system_site_packages,
        clear=arguments.clear,
        allow_existing=arguments.allow_existing,
        force=arguments.force,
        seed=arguments.seed,
    )
    path = Path(arguments.path).expanduser()
    outcome = ensure_venv(path, display, interpreter, options)
    if not outcome.created:
        output.status(f"Using existing virtual environment at: {display}")
    else:
        verb = "Recreating" if outcome.cleared else "Creating"
        output.status(f"{verb} virtual environment at: {display}")
    if outcome.seeded:
        output.status(" + pip (seeded with ensurepip)")
    if outcome.created:
        output.status(f"Activate with: {activation_command(display)}")
    return 0


def activation_command(display: str) -> str:
    """The line to paste, for the user's shell as $SHELL names it."""
    shell = os.path.basename(os.environ.get("SHELL", ""))
    script = {"fish": "activate.fish", "csh": "activate.csh", "tcsh": "activate.csh"}.get(shell, "activate")
    return f"source {shlex.quote(display + '/bin/' + script)}"
