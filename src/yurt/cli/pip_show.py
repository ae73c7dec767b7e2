"""`yurt pip show`: what is known about installed dists, in pip's `Field: value` form."""

from __future__ import annotations

import argparse
import os

from yurt.cli.output import Output
from yurt.cli.pip_inspect import InstalledGraph, editable_location, find_readable_environment, report_environment
from yurt.install.site_packages import InstalledDistribution, normalize_name, parse_headers, scan
from yurt.settings import Settings


def run(arguments: argparse.Namespace, settings: Settings, output: Output) -> int:
    environment = find_readable_environment(arguments, settings)
    report_environment(output, environment)
    graph = InstalledGraph(scan(environment.site_packages), environment.interpreter.markers)
    found: list[InstalledDistribution] = []
    missing: dict[str, str] = {}
    for name in arguments.packages:
        distributions = graph.site.find(name)
        if distributions:
            found.extend(distribution for distribution in distributions if distribution not in found)
        else:
            missing.setdefault(normalize_name(name), name)
    for index, distribution in enumerate(sorted(found, key=lambda item: (item.normalized_name, item.version))):
        if index:
            output.data("---")
        for line in describe(distribution, graph, arguments.files):
            output.data(line)
    if missing:
        output.warning(f"Package(s) not found: {', '.join(missing[key] for key in sorted(missing))}")
    return 0 if found else 1


def describe(distribution: InstalledDistribution, graph: InstalledGraph, files: bool) -> list[str]:
    headers = parse_headers(distribution.metadata_text() or "")
    fields = [
        ("Name", distribution.normalized_name),
        ("Version", distribution.version),
        ("Summary", first_value(headers, "summary")),
        ("Home-page", first_value(headers, "home-page") or homepage_url(headers)),
        # A License field often holds the whole license text; its first line is what fits here.
        ("License", first_value(headers, "license-expression") or first_value(headers, "license").split("\n")[0]),
        ("Location", str(distribution.site_packages)),
    ]
    location = editable_location(distribution)
    if location is not None:
        fields.append(("Editable project location", location))
    requires = sorted(graph.dependencies(distribution))
    required_by = sorted({dependent.normalized_name for dependent, _ in graph.dependents(distribution.normalized_name)})
    fields.append(("Requires", ", ".join(requires)))
    fields.append(("Required-by", ", ".join(required_by)))
    lines = [f"{key}: {value}".rstrip() for key, value in fields]
    if files:
        listed = distribution.files()
        if listed is None:
            lines.append("Cannot locate RECORD or installed-files.txt")
        else:
            base = str(distribution.site_packages)
            lines.append("Files:")
            lines.extend(f"  {path}" for path in sorted(os.path.relpath(path, base) for path in listed))
    return lines


def first_value(headers: list[tuple[str, str]], key: str) -> str:
    for name, value in headers:
        if name.lower() == key:
            return value
    return ""


def homepage_url(headers: list[tuple[str, str]]) -> str:
    """The `Project-URL: Homepage, https://...` that newer metadata has instead of Home-page."""
    for name, value in headers:
        if name.lower() == "project-url":
            label, _, url = value.partition(",")
            if label.strip().lower().replace("-", "").replace("_", "").replace(" ", "") == "homepage":
                return url.strip()
    return ""
