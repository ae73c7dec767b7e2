"""Timing core: runs a scenario's commands in interleaved rounds and summarises wall time and peak RSS."""

from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence, Union

# Something to do outside the timed region: a Python callable, an argv that is
# run with the command's own environment and working directory and must exit 0,
# or a tuple of such steps run in order.
Action = Union[Callable[[], None], Sequence[str], Sequence[Union[Callable[[], None], Sequence[str]]], None]

REFERENCE_TOOL = "yurt"


@dataclass(frozen=True)
class Command:
    """One tool's way of doing a scenario, plus the untimed steps around it."""

    argv: tuple[str, ...]
    # Added on top of the harness's base environment (which has no PIP_* settings).
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    # Before every run, warmup included, e.g. delete the venv the last run made.
    prepare: Action = None
    # After every run.
    cleanup: Action = None
    # Once before this tool's first run, e.g. create the venv a re-run scenario re-runs on.
    setup: Action = None
    # Once after this tool's last run, also when the scenario fails.
    teardown: Action = None


@dataclass(frozen=True)
class Scenario:
    """What is measured: a name, a description, and each tool's command, in display order."""

    name: str
    description: str
    commands: Mapping[str, Command]
    # Rows that are there for scale (like a bare interpreter start), not as competitors.
    baselines: frozenset[str] = frozenset()
    reference: str = REFERENCE_TOOL


@dataclass(frozen=True)
class Sample:
    """One timed run of one command."""

    wall_seconds: float
    user_seconds: float
    system_seconds: float
    peak_rss_kib: int


@dataclass(frozen=True)
class ToolSummary:
    """The statistics of one tool's timed runs."""

    tool: str
    runs: int
    median_seconds: float
    min_seconds: float
    max_seconds: float
    mean_seconds: float
    stdev_seconds: float
    median_cpu_seconds: float
    median_peak_rss_kib: float
    # This tool's median divided by the reference's: 2.0 means it takes twice as long as yurt.
    time_over_reference: float


@dataclass(frozen=True)
class ScenarioResult:
    """Everything measured for one scenario."""

    scenario: Scenario
    rounds: int
    warmup: int
    started_utc: str
    samples: Mapping[str, tuple[Sample, ...]]
    summaries: Mapping[str, ToolSummary]


class ScenarioFailed(RuntimeError):
    """A command or one of its steps exited non-zero; the message carries its output."""


def base_environment() -> dict[str, str]:
    """Return the environment every command starts from."""
    environment = dict(os.environ)
    # pip on this machine is steered by config files and PIP_* variables; every
    # pip run (and, for uniformity, every other run) sees neither.
    for key in list(environment):
        if key.startswith(("PIP_", "UV_", "YURT_")):
            del environment[key]
    # An active venv or a PYTHONPATH from the caller's shell would leak into
    # what the tools see; scenarios add back whatever they need.
    for key in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONPATH", "PYTHONHOME"):
        environment.pop(key, None)
    environment["PIP_CONFIG_FILE"] = os.devnull
    return environment


def _tail(data: bytes, lines: int = 40) -> str:
    text = data.decode(errors="replace").rstrip()
    return "\n".join(text.splitlines()[-lines:])


def _run_action(action: Action, environment: Mapping[str, str], cwd: str | None, what: str) -> None:
    if action is None:
        return
    if callable(action):
        action()
        return
    if action and not isinstance(action[0], (str, os.PathLike)):
        for step in action:
            _run_action(step, environment, cwd, what)
        return
    completed = subprocess.run(
        [str(part) for part in action], env=dict(environment), cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True
    )
    if completed.returncode != 0:
        raise ScenarioFailed(
            f"{what} failed with exit code {completed.returncode}: {shlex.join(map(str, action))}\n"
            f"--- stderr ---\n{_tail(completed.stderr)}\n--- stdout ---\n{_tail(completed.stdout)}"
        )


def time_command(tool: str, command: Command, environment: Mapping[str, str]) -> Sample:
    """Run the command once and return its wall time and the child's resource usage."""
    # Output goes to unnamed files, not pipes: a pipe nobody reads until the child
    # exits could fill and stall it, and reading concurrently would cost time.
    with tempfile.TemporaryFile() as standard_output, tempfile.TemporaryFile() as standard_error:
        started = time.perf_counter()
        process = subprocess.Popen(
            command.argv,
            env=environment,
            cwd=command.cwd,
            stdin=subprocess.DEVNULL,
            stdout=standard_output,
            stderr=standard_error,
        )
        # wait4 rather than Popen.wait: it also hands back the child's rusage,
        # whose ru_maxrss (KiB on Linux) is the peak RSS of the child and of any
        # grandchildren it waited for (uv's interpreter query, for instance).
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        # Tell Popen the child is reaped so it never waits on the pid again.
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            standard_error.seek(0)
            standard_output.seek(0)
            raise ScenarioFailed(
                f"{tool} exited with code {process.returncode}: {shlex.join(map(str, command.argv))}\n"
                f"--- stderr ---\n{_tail(standard_error.read())}\n"
                f"--- stdout ---\n{_tail(standard_output.read())}"
            )
    return Sample(
        wall_seconds=elapsed,
        user_seconds=usage.ru_utime,
        system_seconds=usage.ru_stime,
        peak_rss_kib=usage.ru_maxrss,
    )


def rotated(tools: Sequence[str], round_index: int) -> list[str]:
    """Return the tools in the order for a round: each round starts one tool later."""
    # Rotating spreads any "whoever runs right after X" effect (warm page cache,
    # CPU frequency, a neighbour's burst) evenly over the tools.
    offset = round_index % len(tools)
    return list(tools[offset:]) + list(tools[:offset])


def summarise(scenario: Scenario, samples: Mapping[str, Sequence[Sample]]) -> dict[str, ToolSummary]:
    """Compute per-tool statistics and each tool's median relative to the reference's."""
    reference_median = statistics.median(sample.wall_seconds for sample in samples[scenario.reference])
    summaries = {}
    for tool, tool_samples in samples.items():
        walls = [sample.wall_seconds for sample in tool_samples]
        median = statistics.median(walls)
        summaries[tool] = ToolSummary(
            tool=tool,
            runs=len(walls),
            median_seconds=median,
            min_seconds=min(walls),
            max_seconds=max(walls),
            mean_seconds=statistics.fmean(walls),
            stdev_seconds=statistics.stdev(walls) if len(walls) > 1 else 0.0,
            median_cpu_seconds=statistics.median(s.user_seconds + s.system_seconds for s in tool_samples),
            median_peak_rss_kib=statistics.median(s.peak_rss_kib for s in tool_samples),
            time_over_reference=median / reference_median,
        )
    return summaries


def run_scenario(scenario: Scenario, rounds: int = 10, warmup: int = 2, progress: bool = True) -> ScenarioResult:
    """Run warmup then timed rounds, every tool once per round, and summarise."""
    if scenario.reference not in scenario.commands:
        raise ValueError(f"scenario {scenario.name} has no {scenario.reference!r} command to compare against")
    if rounds < 1:
        raise ValueError("need at least one timed round")
    tools = list(scenario.commands)
    base = base_environment()
    # Built before timing so that no dict merging happens inside the timed region.
    environments = {tool: {**base, **command.env} for tool, command in scenario.commands.items()}
    samples: dict[str, list[Sample]] = {tool: [] for tool in tools}
    started_utc = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    set_up: list[str] = []
    # A rewritten status line helps at a terminal but is noise in a log file.
    live_progress = progress and sys.stderr.isatty()
    if progress and not live_progress:
        print(f"  {scenario.name}: {warmup} warmup + {rounds} timed rounds of {len(tools)} commands", file=sys.stderr)
    try:
        for tool in tools:
            command = scenario.commands[tool]
            set_up.append(tool)
            _run_action(command.setup, environments[tool], command.cwd, f"{tool} setup")
        for round_index in range(warmup + rounds):
            timed = round_index >= warmup
            if live_progress:
                label = f"round {round_index - warmup + 1}/{rounds}" if timed else f"warmup {round_index + 1}/{warmup}"
                print(f"\r  {scenario.name}: {label}   ", end="", file=sys.stderr, flush=True)
            for tool in rotated(tools, round_index):
                command = scenario.commands[tool]
                environment = environments[tool]
                _run_action(command.prepare, environment, command.cwd, f"{tool} prepare")
                sample = time_command(tool, command, environment)
                _run_action(command.cleanup, environment, command.cwd, f"{tool} cleanup")
                if timed:
                    samples[tool].append(sample)
    finally:
        if live_progress:
            print(file=sys.stderr)
        # Teardown failures must not hide the error that got us here.
        for tool in set_up:
            command = scenario.commands[tool]
            try:
                _run_action(command.teardown, environments[tool], command.cwd, f"{tool} teardown")
            except Exception as error:  # noqa: BLE001 - reported, then the original error wins
                print(f"warning: {tool} teardown failed: {error}", file=sys.stderr)
    frozen_samples = {tool: tuple(tool_samples) for tool, tool_samples in samples.items()}
    return ScenarioResult(
        scenario=scenario,
        rounds=rounds,
        warmup=warmup,
        started_utc=started_utc,
        samples=frozen_samples,
        summaries=summarise(scenario, frozen_samples),
    )


def _milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def ratio_sentences(result: ScenarioResult) -> list[str]:
    """Say, for each competitor, how yurt's median compares, with the direction spelled out."""
    reference = result.scenario.reference
    sentences = []
    for tool, summary in result.summaries.items():
        if tool == reference or tool in result.scenario.baselines:
            continue
        other_over_yurt = summary.time_over_reference
        yurt_over_other = 1 / other_over_yurt
        verdict = "yurt faster" if yurt_over_other < 1 else "yurt slower" if yurt_over_other > 1 else "equal"
        sentences.append(
            f"yurt/{tool} = {yurt_over_other:.2f}: yurt takes {yurt_over_other:.2f}x the time of {tool} "
            f"({tool} {other_over_yurt:.2f}x yurt; {verdict})"
        )
    return sentences


def format_table(result: ScenarioResult) -> str:
    """Return a compact text table of one scenario's results."""
    scenario = result.scenario
    header = ("tool", "median ms", "min ms", "max ms", "cpu ms", "peak RSS MiB", f"time / {scenario.reference}")
    rows = [header]
    for tool, summary in result.summaries.items():
        name = f"{tool} (baseline)" if tool in scenario.baselines else tool
        rows.append((
            name,
            _milliseconds(summary.median_seconds),
            _milliseconds(summary.min_seconds),
            _milliseconds(summary.max_seconds),
            _milliseconds(summary.median_cpu_seconds),
            f"{summary.median_peak_rss_kib / 1024:.1f}",
            "1.00 (reference)" if tool == scenario.reference else f"{summary.time_over_reference:.2f}",
        ))
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [
        f"{scenario.name}: {scenario.description}",
        f"  {result.rounds} interleaved rounds after {result.warmup} warmup; wall times are medians unless marked",
    ]
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  " + "  ".join(cells))
    lines.extend("  " + sentence for sentence in ratio_sentences(result))
    return "\n".join(lines)


def machine_facts() -> dict[str, object]:
    """Return the facts about this machine that make a result comparable to another."""
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": cpu_model,
        # A busy machine explains a noisy result better than anything else recorded here.
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "harness_python": sys.version.split()[0],
        "harness_executable": sys.executable,
    }


def result_document(result: ScenarioResult, extra: Mapping[str, object] | None = None) -> dict[str, object]:
    """Return the JSON-ready record of one scenario's run."""
    scenario = result.scenario
    reference = scenario.reference
    ratios = {
        # Both directions, keyed as the division they are: "uv/yurt" is uv's median over yurt's.
        tool: {
            f"{tool}/{reference}": summary.time_over_reference,
            f"{reference}/{tool}": 1 / summary.time_over_reference,
        }
        for tool, summary in result.summaries.items()
        if tool != reference
    }
    return {
        "scenario": scenario.name,
        "description": scenario.description,
        "started_utc": result.started_utc,
        "rounds": result.rounds,
        "warmup": result.warmup,
        "reference": reference,
        "baselines": sorted(scenario.baselines),
        "commands": {
            tool: {"argv": [str(part) for part in command.argv], "env": dict(command.env), "cwd": command.cwd}
            for tool, command in scenario.commands.items()
        },
        "summary": {tool: asdict(summary) for tool, summary in result.summaries.items()},
        "ratios": ratios,
        "samples": {tool: [asdict(sample) for sample in samples] for tool, samples in result.samples.items()},
        **(extra or {}),
    }


def write_result(result: ScenarioResult, directory: Path, extra: Mapping[str, object] | None = None) -> Path:
    """Write the result as bench/results/<scenario>-<UTC timestamp>.json and return the path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{result.scenario.name}-{stamp}.json"
    counter = 1
    # Two runs of one scenario in the same second must not overwrite each other.
    while path.exists():
        counter += 1
        path = directory / f"{result.scenario.name}-{stamp}-{counter}.json"
    path.write_text(json.dumps(result_document(result, extra), indent=2) + "\n")
    return path
