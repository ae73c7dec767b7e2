"""Command line: python bench/run.py [SCENARIO...] [--rounds N] [--warmup N] [--yurt CMD] [--list]."""

from __future__ import annotations

import argparse
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script (python bench/run.py): make `bench` importable as a package.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness, scenarios, tools  # noqa: E402


def parse_arguments(arguments: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/run.py",
        description="Time yurt against uv and pip/python, interleaved, and report ratios to yurt.",
    )
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="scenarios to run (default: all; see --list)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("--rounds", type=int, default=10, metavar="N", help="timed rounds (default 10)")
    parser.add_argument("--warmup", type=int, default=2, metavar="N", help="untimed warmup rounds (default 2)")
    parser.add_argument(
        "--yurt", metavar="CMD",
        help="command that starts yurt, split like a shell would (default: the working tree, "
        "installed into bench/.tools/yurt)",
    )
    parser.add_argument(
        "--python", metavar="PATH",
        help="the real interpreter to use for python -m venv, uv and the baseline (default: the one running this)",
    )
    parser.add_argument("--workdir", metavar="DIR", help="parent of the scratch workspace (default: the temp dir)")
    parser.add_argument("--cache-root", metavar="DIR", help="where the bench-owned caches go (default: inside the workspace)")
    parser.add_argument("--keep-workdir", action="store_true", help="do not delete the scratch workspace afterwards")
    parser.add_argument(
        "--results-dir", metavar="DIR", default=str(tools.BENCH_DIRECTORY / "results"),
        help="where JSON results are written (default: bench/results)",
    )
    parser.add_argument("--no-json", action="store_true", help="print the table only")
    parser.add_argument("--refresh-tools", action="store_true", help="reinstall uv and pip in bench/.tools/venv first")
    options = parser.parse_args(arguments)
    if options.rounds < 1 or options.warmup < 0:
        parser.error("--rounds must be at least 1 and --warmup at least 0")
    unknown = [name for name in options.scenarios if name not in scenarios.REGISTRY]
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(scenarios.REGISTRY)}")
    return options


def main(arguments: list[str] | None = None) -> int:
    options = parse_arguments(arguments)
    if options.list:
        width = max(len(name) for name in scenarios.REGISTRY)
        for registration in scenarios.REGISTRY.values():
            print(f"{registration.name.ljust(width)}  {registration.summary}")
        return 0

    python = Path(options.python) if options.python else tools.real_python()
    tool_venv = tools.ensure_tool_venv(python, refresh=options.refresh_tools)
    yurt = tools.locate_yurt(python, options.yurt)
    versions = tools.tool_versions(python, tool_venv, yurt)
    print(f"python {python}; yurt: {shlex.join(yurt.argv)} ({yurt.origin})")
    print("versions: " + "; ".join(f"{name}: {version}" for name, version in versions.items()))
    if versions["yurt"].startswith("unavailable"):
        # Not fatal by itself (the version flag may lag behind the command being
        # timed), but a scenario that fails next will most likely say why.
        print(f"warning: `yurt --version` failed: {versions['yurt']}", file=sys.stderr)

    workspace = Path(tempfile.mkdtemp(prefix="yurt-bench-", dir=options.workdir))
    cache_root = Path(options.cache_root) if options.cache_root else workspace / "cache"
    context = scenarios.BenchContext(
        python=str(python), tool_venv=tool_venv, yurt=yurt, workspace=workspace, cache_root=cache_root,
    )
    machine = harness.machine_facts()
    machine["python"] = versions["python"]
    selected = options.scenarios or list(scenarios.REGISTRY)
    failures = 0
    try:
        for name in selected:
            scenario = scenarios.REGISTRY[name].build(context)
            try:
                result = harness.run_scenario(scenario, rounds=options.rounds, warmup=options.warmup)
            except harness.ScenarioFailed as error:
                failures += 1
                print(f"\nSCENARIO {name} FAILED\n{error}\n", file=sys.stderr)
                continue
            print()
            print(harness.format_table(result))
            if not options.no_json:
                extra = {
                    "machine": machine,
                    "tool_versions": versions,
                    "yurt_origin": yurt.origin,
                    "workspace": str(workspace),
                    "cache_root": str(cache_root),
                }
                path = harness.write_result(result, Path(options.results_dir), extra)
                print(f"  -> {path}")
    finally:
        if options.keep_workdir:
            print(f"workspace kept at {workspace}", file=sys.stderr)
        else:
            shutil.rmtree(workspace, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
