"""Registry of benchmark scenarios: each one says, as data, what yurt, uv and pip/python run.

Adding a scenario is one function registered with `@register(name, summary)`: it receives a
BenchContext (paths of the tools, a scratch workspace, bench-owned caches) and returns a
harness.Scenario whose commands are `Command`s with untimed `setup`, `prepare` and `teardown`
steps around the timed `argv`. `python bench/run.py --list` lists what is registered:

  venv-fresh, venv-rerun       `yurt venv` against `uv venv` and `python -m venv`
  compile-{trio-docs,seed}-*   resolve a workload with warm or empty caches
  install-trio-docs-no-op      re-run `venv` then `install` on a satisfied venv
  install-trio-docs-warm       fresh venv each run, caches filled by an untimed setup run; uv runs
                               twice, revalidating its pages and with `--offline`
  install-trio-docs-crossdev   as warm, with the caches on /dev/shm: copies only
  install-trio-docs-cold       fresh venv and empty caches each run; old caches are renamed away,
                               not deleted (see set_aside)
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bench.harness import Command, Scenario
from bench.tools import BENCH_DIRECTORY, ToolVenv, YurtCommand


@dataclass(frozen=True)
class BenchContext:
    """What a scenario builder may use: the programs under test and bench-owned directories."""

    python: str
    tool_venv: ToolVenv
    yurt: YurtCommand
    # Scratch space for this invocation; removed at the end unless kept.
    workspace: Path
    # Parent of the bench-owned caches; separate so a scenario can put them on another filesystem.
    cache_root: Path

    @property
    def uv(self) -> str:
        return str(self.tool_venv.uv)

    @property
    def pip(self) -> str:
        return str(self.tool_venv.pip)

    @property
    def yurt_cache(self) -> Path:
        return self.cache_root / "yurt"

    @property
    def uv_cache(self) -> Path:
        return self.cache_root / "uv"

    @property
    def pip_cache(self) -> Path:
        return self.cache_root / "pip"

    def scratch(self, *parts: str) -> Path:
        """Return a path inside the workspace whose parent directory exists."""
        path = self.workspace.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def data_file(self, name: str) -> Path:
        """Return a file shipped in bench/data (requirements files for install scenarios)."""
        return BENCH_DIRECTORY / "data" / name

    def yurt_env(self) -> dict[str, str]:
        return {**self.yurt.env, "YURT_CACHE_DIR": str(self.yurt_cache)}

    def uv_env(self) -> dict[str, str]:
        return {
            "UV_CACHE_DIR": str(self.uv_cache),
            # Pin uv to the very interpreter the others use, so it neither
            # searches PATH/pyenv for one nor tries to download one.
            "UV_PYTHON": self.python,
            "UV_PYTHON_DOWNLOADS": "never",
            # A uv.toml or pyproject.toml on this machine must not change what is measured.
            "UV_NO_CONFIG": "1",
        }

    def pip_env(self) -> dict[str, str]:
        # The harness's base environment already sets PIP_CONFIG_FILE=/dev/null
        # and drops every other PIP_* variable; only the cache is chosen here.
        return {"PIP_CACHE_DIR": str(self.pip_cache)}


@dataclass(frozen=True)
class Registration:
    """A scenario's name and one-line summary, and the function that builds it."""

    name: str
    summary: str
    build: Callable[[BenchContext], Scenario]


REGISTRY: dict[str, Registration] = {}


def register(name: str, summary: str) -> Callable[[Callable[[BenchContext], Scenario]], Callable[[BenchContext], Scenario]]:
    """Add the decorated builder to the registry under `name`."""

    def decorator(build: Callable[[BenchContext], Scenario]) -> Callable[[BenchContext], Scenario]:
        if name in REGISTRY:
            raise ValueError(f"scenario {name!r} registered twice")
        REGISTRY[name] = Registration(name=name, summary=summary, build=build)
        build.summary = summary  # type: ignore[attr-defined]
        return build

    return decorator


def remove_tree(path: Path) -> Callable[[], None]:
    """Return an action that deletes a directory tree if it is there."""

    def action() -> None:
        shutil.rmtree(path, ignore_errors=True)
        # ignore_errors would also hide a tree that could not be removed, which
        # would silently turn a "fresh" scenario into a "re-run" one.
        if path.exists():
            raise RuntimeError(f"could not remove {path}")

    return action


def set_aside(path: Path, trash: Path) -> Callable[[], None]:
    """Return an action that moves a tree out of the way (a rename) instead of deleting it.

    Why: ext4 skips the inodes freed in the last 30 s or so when it allocates new ones, and that
    search grows with every file just deleted. Deleting a full cache right before a cold install
    made the install's file creations (both tools' alike) several times slower than on a machine
    that had not just deleted thousands of files, as a fresh CI runner or container has not.
    The trash goes with the workspace at the end of the run.
    """
    counter = iter(range(1_000_000))

    def action() -> None:
        if path.exists():
            trash.mkdir(parents=True, exist_ok=True)
            os.rename(path, trash / f"{path.name}-{next(counter)}")

    return action


def aside_then_run(steps: tuple[Callable[[], None], ...], argv: tuple[str, ...]) -> Callable[[], None]:
    """An action that runs `steps` (set_aside moves), then `argv`: a fresh start without deleting."""

    def action() -> None:
        for step in steps:
            step()
        subprocess.run(argv, check=True)

    return action


def interpreter_baseline(context: BenchContext) -> Command:
    """The bare start of the interpreter yurt runs on: the floor for anything written in Python."""
    return Command(argv=(context.yurt.interpreter or context.python, "-c", "pass"), cwd=str(context.workspace))


BASELINE_TOOL = "python -c pass"


def _venv_commands(context: BenchContext, scenario_name: str, uv_extra: tuple[str, ...], rerun: bool) -> dict[str, Command]:
    workspace = str(context.workspace)
    commands = {}
    argvs_and_environments = {
        "yurt": ((*context.yurt.argv, "venv"), context.yurt_env()),
        # --python as well as UV_PYTHON, so the argv in the results says it outright.
        "uv": ((context.uv, "venv", "--python", context.python, *uv_extra), context.uv_env()),
        "python -m venv": ((context.python, "-m", "venv", "--without-pip"), {}),
    }
    for tool, (argv, environment) in argvs_and_environments.items():
        # One directory per tool, so no tool ever finds another tool's venv.
        directory = context.scratch(scenario_name, tool.replace(" ", "-"), "venv")
        full_argv = (*argv, str(directory))
        commands[tool] = Command(
            argv=full_argv,
            env=environment,
            cwd=workspace,
            # Fresh: every run starts with no venv. Re-run: one untimed run makes
            # the venv, and every timed run then finds it there.
            prepare=None if rerun else remove_tree(directory),
            setup=full_argv if rerun else remove_tree(directory),
            teardown=remove_tree(directory),
        )
    commands[BASELINE_TOOL] = interpreter_baseline(context)
    return commands


@register("venv-fresh", "create a venv (no seed packages) in a directory that does not exist yet")
def venv_fresh(context: BenchContext) -> Scenario:
    return Scenario(
        name="venv-fresh",
        description=(
            "`yurt venv DIR` vs `uv venv --python PY DIR` vs `python -m venv --without-pip DIR`; "
            "DIR is deleted (untimed) before every run"
        ),
        commands=_venv_commands(context, "venv-fresh", uv_extra=(), rerun=False),
        baselines=frozenset({BASELINE_TOOL}),
    )


@register("venv-rerun", "re-run the venv command on a venv that it already made")
def venv_rerun(context: BenchContext) -> Scenario:
    return Scenario(
        name="venv-rerun",
        description=(
            "same commands run again on an existing venv; uv needs --allow-existing "
            "(it refuses an existing venv without it), yurt keeps an intact venv, "
            "python -m venv rewrites it"
        ),
        commands=_venv_commands(context, "venv-rerun", uv_extra=("--allow-existing",), rerun=True),
        baselines=frozenset({BASELINE_TOOL}),
    )


WORKLOADS = BENCH_DIRECTORY.parent.parent / "shared" / "workloads"


def _compile_commands(context: BenchContext, workload: Path, cold: bool) -> dict[str, Command]:
    """Resolve-only: `yurt pip compile`, `uv pip compile`, and pip's `install --dry-run --report`."""
    workspace = str(context.workspace)
    report = str(context.scratch("compile", "pip-report.json"))
    tools = {
        "yurt": ((*context.yurt.argv, "pip", "compile", "--python", context.python, str(workload)),
                 context.yurt_env(), context.yurt_cache),
        "uv": ((context.uv, "pip", "compile", "--python", context.python, str(workload)),
               context.uv_env(), context.uv_cache),
        "pip": ((context.pip, "--python", context.python, "install", "--dry-run", "--ignore-installed",
                 "--quiet", "--report", report, "-r", str(workload)), context.pip_env(), context.pip_cache),
    }
    commands = {}
    for tool, (argv, environment, cache) in tools.items():
        commands[tool] = Command(
            argv=argv,
            env=environment,
            cwd=workspace,
            # Cold: every run starts with an empty cache. Warm: one untimed run fills it first.
            prepare=remove_tree(cache) if cold else None,
            setup=remove_tree(cache) if cold else argv,
        )
    return commands


def _compile_scenario(name: str, workload_file: str, cold: bool) -> Callable[[BenchContext], Scenario]:
    def build(context: BenchContext) -> Scenario:
        workload = WORKLOADS / workload_file
        return Scenario(
            name=name,
            description=(
                f"resolve {workload_file} ({'empty caches every run' if cold else 'caches filled by an untimed run'}):"
                " `yurt pip compile` vs `uv pip compile` vs `pip install --dry-run --report`"
            ),
            commands=_compile_commands(context, workload, cold),
        )

    return build


for _workload in ("trio-docs.in", "seed.txt"):
    _stem = _workload.split(".")[0]
    for _cold in (False, True):
        _name = f"compile-{_stem}-{'cold' if _cold else 'warm'}"
        register(_name, f"resolve {_workload} with {'empty' if _cold else 'filled'} caches")(
            _compile_scenario(_name, _workload, _cold)
        )


def _install_commands(context: BenchContext, name: str, workload: Path, mode: str,
                      cache_root: Path | None = None) -> dict[str, Command]:
    """Install a workload into a venv: `no-op` (re-run, venv command first), `warm` (fresh venv, full
    caches) or `cold` (fresh venv, empty caches). `cache_root` moves the caches (cross-device runs)."""
    caches = cache_root or context.cache_root
    workspace = str(context.workspace)
    commands = {}
    # The warm target is set against uv with `--offline` (no revalidation of its pages), so a
    # warm run on one filesystem times that too, over uv's own cache.
    tools = ("yurt", "uv", "uv --offline", "pip") if mode == "warm" and cache_root is None else ("yurt", "uv", "pip")
    for tool in tools:
        venv = context.scratch(name, tool.replace(" ", ""), "venv")
        python = str(venv / "bin" / "python")
        cache = caches / tool.split()[0]
        if tool == "yurt":
            environment = {**context.yurt.env, "YURT_CACHE_DIR": str(cache)}
            make_venv = (*context.yurt.argv, "venv", str(venv))
            install = (*context.yurt.argv, "pip", "install", "--python", str(venv), "-r", str(workload))
        elif tool.startswith("uv"):
            environment = {**context.uv_env(), "UV_CACHE_DIR": str(cache)}
            make_venv = (context.uv, "venv", "--allow-existing", "--python", context.python, str(venv))
            install = (context.uv, "pip", "install", "--python", python, "-r", str(workload), *tool.split()[1:])
            if cache_root is not None:
                install = (*install, "--link-mode=copy")
        else:
            environment = {"PIP_CACHE_DIR": str(cache)}
            make_venv = (context.python, "-m", "venv", "--without-pip", str(venv))
            install = (context.pip, "--python", python, "install", "--quiet", "-r", str(workload))
        # The environment comes from the tool's own venv command, but uv and pip get it made by
        # the same command every time: only `install` (and for no-op the venv re-run) is timed.
        empty_venv = (context.python, "-m", "venv", "--without-pip", "--clear", str(venv))
        if mode == "no-op":
            timed = ("/bin/sh", "-c", f"{shlex.join(make_venv)} >/dev/null 2>&1 && {shlex.join(install)}")
            commands[tool] = Command(argv=timed, env=environment, cwd=workspace,
                                     setup=("/bin/sh", "-c", f"{shlex.join(make_venv)} && {shlex.join(install)}"),
                                     teardown=remove_tree(venv))
        elif mode == "warm":
            trash = context.scratch(name, "trash", tool)
            # The last round's venv is renamed away, not deleted (see set_aside): deleting its
            # 3,669 files slowed the next round's file creations, by how much depending on which
            # tool ran right after.
            commands[tool] = Command(argv=install, env=environment, cwd=workspace,
                                     setup=("/bin/sh", "-c", f"{shlex.join(empty_venv)} && {shlex.join(install)}"),
                                     prepare=aside_then_run((set_aside(venv, trash),), empty_venv))
        else:
            trash = context.scratch(name, "trash", tool)
            # Renamed away, not deleted: see set_aside. The cache and the venv start empty.
            steps = (set_aside(cache, trash), set_aside(venv, trash))
            commands[tool] = Command(argv=install, env=environment, cwd=workspace,
                                     prepare=aside_then_run(steps, empty_venv))
    commands[BASELINE_TOOL] = interpreter_baseline(context)
    return commands


def _install_scenario(name: str, workload_file: str, mode: str, cross_device: bool = False):
    def build(context: BenchContext) -> Scenario:
        cache_root = None
        if cross_device:
            cache_root = Path(tempfile.mkdtemp(prefix="yurt-bench-", dir="/dev/shm"))
        what = {"no-op": "re-run `venv` then `install` on a satisfied venv",
                "warm": "install into a fresh venv with full caches",
                "cold": "install into a fresh venv with empty caches"}[mode]
        where = "; caches on /dev/shm, venvs on disk (uv with --link-mode=copy)" if cross_device else ""
        return Scenario(
            name=name,
            description=f"{what}: {workload_file}{where}",
            commands=_install_commands(context, name, WORKLOADS / workload_file, mode, cache_root),
            baselines=frozenset({BASELINE_TOOL}),
        )

    return build


for _mode in ("no-op", "warm", "cold"):
    _name = f"install-trio-docs-{_mode}"
    register(_name, f"{_mode} install of trio-docs.in")(_install_scenario(_name, "trio-docs.in", _mode))
register("install-trio-docs-crossdev", "warm install of trio-docs.in, cache on another filesystem")(
    _install_scenario("install-trio-docs-crossdev", "trio-docs.in", "warm", cross_device=True)
)
