"""`yurt cache dir`: where the cache lives."""

from __future__ import annotations

import argparse

from yurt.cli.output import Output
from yurt.settings import Settings


def run(arguments: argparse.Namespace, settings: Settings, output: Output) -> int:
    if arguments.cache_command == "dir":
        output.data(str(settings.cache_dir.absolute()))
        return 0
    raise AssertionError(f"unknown cache command {arguments.cache_command!r}")
