"""`yurt pip check`: find installed dists whose requirements the environment does not meet."""

from __future__ import annotations

import argparse
import time

from yurt.cli.output import Output, format_duration
from yurt.cli.pip_inspect import InstalledGraph, find_readable_environment, plural, report_environment
from yurt.install.site_packages import InstalledDistribution, scan
from yurt.settings import Settings


def run(arguments: argparse.Namespace, settings: Settings, output: Output) -> int:
    from packaging.version import Version

    started = time.perf_counter()
    environment = find_readable_environment(arguments, settings)
    report_environment(output, environment)
    if arguments.python_version or arguments.python_platform:
        from yurt.resolve.target import cross_target

        target = cross_target(environment.interpreter, arguments.python_version, arguments.python_platform)
        markers, python_version = target.markers, target.python_version
    else:
        markers, python_version = environment.interpreter.markers, Version(environment.interpreter.version_text)
    graph = InstalledGraph(scan(environment.site_packages), markers)
    problems = find_problems(graph, python_version)
    output.status(f"Checked {plural(len(graph.distributions))} in {format_duration(time.perf_counter() - started)}")
    if not problems:
        output.status("All installed packages are compatible")
        return 0
    output.status(f"Found {len(problems)} {'incompatibility' if len(problems) == 1 else 'incompatibilities'}")
    for problem in problems:
        output.status(problem)
    return 1


def find_problems(graph: InstalledGraph, python_version) -> list[str]:
    """One sentence per problem, by dist name: duplicates, unreadable metadata, Python, requirements."""
    problems = []
    reported_duplicates = set()
    for distribution in graph.distributions:
        name = distribution.normalized_name
        installed = graph.site.find(name)
        if len(installed) > 1 and name not in reported_duplicates:
            reported_duplicates.add(name)
            by_path = sorted(installed, key=lambda item: str(item.path))
            versions = ", ".join(f"{item.version} ({item.path})" for item in by_path)
            problems.append(f"{name} is installed more than once: {versions}.")
        problems.extend(problems_of(distribution, graph, python_version))
    return problems


def problems_of(distribution: InstalledDistribution, graph: InstalledGraph, python_version) -> list[str]:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    label = f"{distribution.normalized_name} {distribution.version}"
    metadata = graph.metadata(distribution)
    if metadata is None:
        return [f"{label} has no readable metadata ({distribution.path})."]
    problems = []
    if metadata.requires_python:
        try:
            supported = SpecifierSet(metadata.requires_python).contains(python_version, prereleases=True)
        except InvalidSpecifier:
            supported = True  # an unreadable Requires-Python restricts nothing, as installers treat it
        if not supported:
            problems.append(
                f"{label} requires Python {metadata.requires_python}, but you have Python {python_version}."
            )
    for name, requirement in sorted(graph.dependencies(distribution).items()):
        installed = graph.site.find(name)
        if not installed:
            problems.append(f"{label} requires {name}, which is not installed.")
            continue
        satisfied = False
        for candidate in installed:
            try:
                satisfied = requirement.specifier.contains(Version(candidate.version), prereleases=True)
            except InvalidVersion:
                satisfied = True  # a version PEP 440 cannot read cannot be judged either way
            if satisfied:
                break
        if not satisfied:
            wanted = f"{name}{requirement_extras(requirement)}{requirement.specifier}"
            by_version = sorted(installed, key=lambda item: item.version)
            have = " and ".join(f"{name} {candidate.version}" for candidate in by_version)
            problems.append(f"{label} has requirement {wanted}, but you have {have}.")
    return problems


def requirement_extras(requirement) -> str:
    return f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
