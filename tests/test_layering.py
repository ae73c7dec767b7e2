"""The code's shape: imports only go downward, and nothing below the command line prints."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "yurt"

# Lower layers first. A package may import its own layer and the ones before it. `build`,
# `resolve` and `install` form one layer on purpose: an isolated build environment is filled by
# yurt's own resolver and installer, and the resolver asks the builder for metadata.
LAYERS = [
    {"errors", "log", "fs"},
    {"spec", "settings"},
    {"cache"},
    {"python"},
    {"index", "venv", "requirements"},
    {"dists"},
    {"resolve", "build", "install"},
    {"cli"},
]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def imports_of(path: Path) -> set[str]:
    """Top-level yurt packages a module imports, at module level or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("yurt."):
                found.add(node.module.split(".")[1])
            elif node.module == "yurt":
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[1] for alias in node.names if alias.name.startswith("yurt."))
    return found


def package_of(path: Path) -> str:
    parts = path.relative_to(SOURCE).parts
    return parts[0].removesuffix(".py")


def test_imports_only_go_downward():
    violations = []
    for path in sorted(SOURCE.rglob("*.py")):
        package = package_of(path)
        if package not in RANK:
            continue
        for imported in imports_of(path):
            if imported in RANK and RANK[imported] > RANK[package]:
                violations.append(f"{path.relative_to(SOURCE)} imports yurt.{imported}")
    assert violations == []


def test_every_package_has_a_layer():
    packages = {package_of(path) for path in SOURCE.rglob("*.py")} - {"__init__", "__main__"}
    assert packages - set(RANK) == set()


def test_nothing_below_the_command_line_prints():
    printing = re.compile(r"\bprint\(|sys\.(stdout|stderr)\.write")
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        relative = path.relative_to(SOURCE)
        # log.py is the logger; probe_script.py runs inside another interpreter and answers on stdout,
        # as unpack_helper.py does inside a helper process (its stdout is a pipe to yurt).
        if relative.parts[0] == "cli" or str(relative) in ("log.py", "python/probe_script.py", "__main__.py",
                                                            "cache/unpack_helper.py"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if printing.search(line) and not line.lstrip().startswith("#"):
                offenders.append(f"{relative}:{number}")
    assert offenders == []


def test_every_module_has_a_docstring():
    missing = [str(path.relative_to(SOURCE)) for path in sorted(SOURCE.rglob("*.py"))
               if ast.get_docstring(ast.parse(path.read_text())) is None]
    assert missing == []
