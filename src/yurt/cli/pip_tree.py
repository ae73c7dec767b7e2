"""`yurt pip tree`: installed dists drawn as a tree of their dependencies, or of their dependents."""

from __future__ import annotations

import argparse

from yurt.cli.output import Output
from yurt.cli.pip_inspect import InstalledGraph, find_readable_environment, report_environment
from yurt.install.site_packages import normalize_name, scan
from yurt.settings import Settings

BRANCH = "├── "
LAST_BRANCH = "└── "
CONTINUED = "│   "
BLANK = "    "
SHOWN_MARK = " (*)"


def run(arguments: argparse.Namespace, settings: Settings, output: Output) -> int:
    environment = find_readable_environment(arguments, settings)
    report_environment(output, environment)
    graph = InstalledGraph(scan(environment.site_packages), environment.interpreter.markers)
    tree = Tree(graph, invert=arguments.invert, show_specifiers=arguments.show_version_specifiers)
    if arguments.packages:
        roots = []
        missing = []
        for name in arguments.packages:
            (roots if graph.site.find(name) else missing).append(normalize_name(name))
        if missing:
            output.warning(f"Package(s) not found: {', '.join(sorted(set(missing)))}")
        roots = sorted(set(roots))
    else:
        roots = tree.roots()
    lines = tree.render(roots, arguments.depth)
    for line in lines:
        output.data(line)
    if any(line.endswith(SHOWN_MARK) for line in lines):
        output.data("(*) Package tree already displayed")
    return 0


class Tree:
    """The installed dists as nodes; edges from a dist to its installed dependencies, or reversed."""

    def __init__(self, graph: InstalledGraph, *, invert: bool, show_specifiers: bool) -> None:
        self.graph = graph
        self.invert = invert
        self.show_specifiers = show_specifiers
        self.names = sorted({distribution.normalized_name for distribution in graph.distributions})

    def children(self, name: str) -> list[tuple[str, object]]:
        """(child name, the requirement that links them), sorted by name; dependencies not installed are left out."""
        if self.invert:
            linked = {dependent.normalized_name: requirement for dependent, requirement in self.graph.dependents(name)}
        else:
            distribution = self.graph.primary(name)
            linked = {
                required: requirement
                for required, requirement in self.graph.dependencies(distribution).items()
                if self.graph.site.find(required)
            }
        return sorted(linked.items())

    def roots(self) -> list[str]:
        """Nodes nothing points at; then, for dists reachable only through a cycle, the first of each by name."""
        pointed_at = {child for name in self.names for child, _ in self.children(name)}
        roots = [name for name in self.names if name not in pointed_at]
        reached = self.reachable(roots)
        for name in self.names:
            if name not in reached:
                roots.append(name)
                reached |= self.reachable([name])
        return sorted(roots)

    def reachable(self, starts: list[str]) -> set[str]:
        seen = set(starts)
        pending = list(starts)
        while pending:
            for child, _ in self.children(pending.pop()):
                if child not in seen:
                    seen.add(child)
                    pending.append(child)
        return seen

    def label(self, name: str, parent: str | None, requirement) -> str:
        text = f"{name} v{self.graph.primary(name).version}"
        if self.show_specifiers and requirement is not None:
            specifiers = specifier_text(requirement)
            if self.invert:
                # The child requires the parent: say what it asks of it.
                text += f" [requires: {parent} {specifiers}]"
            else:
                text += f" [required: {specifiers}]"
        return text

    def render(self, roots: list[str], depth: int) -> list[str]:
        """Lines as uv draws them; a subtree drawn once is marked `(*)` where it would repeat."""
        lines: list[str] = []
        expanded: set[str] = set()

        def draw(name: str, parent: str | None, requirement, prefix: str, connector: str, level: int) -> None:
            children = self.children(name) if level < depth else []
            label = self.label(name, parent, requirement)
            if children and name in expanded:
                lines.append(f"{prefix}{connector}{label}{SHOWN_MARK}")
                return
            lines.append(f"{prefix}{connector}{label}")
            if not children:
                return
            expanded.add(name)
            below = prefix + (BLANK if connector == LAST_BRANCH else CONTINUED if connector else "")
            for index, (child, child_requirement) in enumerate(children):
                last = index == len(children) - 1
                draw(child, name, child_requirement, below, LAST_BRANCH if last else BRANCH, level + 1)

        for root in roots:
            draw(root, None, None, "", "", 0)
        return lines


def specifier_text(requirement) -> str:
    """`>=2, <4` (bounds in version order, as they are usually written), or `*` for any version."""
    from packaging.version import InvalidVersion, Version

    def order(specifier) -> tuple:
        try:
            return Version(specifier.version.rstrip(".*")), specifier.operator
        except InvalidVersion:
            return Version("0"), specifier.operator

    specifiers = sorted(requirement.specifier, key=order)
    return ", ".join(str(specifier) for specifier in specifiers) or "*"
