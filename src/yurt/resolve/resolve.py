"""Turn a manifest into a resolution: root requirements for the solver, then the annotated answer."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from yurt.dists import Resolution, ResolvedDist
from yurt.errors import YurtError
from yurt.index.session import IndexSession
from yurt.requirements.manifest import Manifest, RequirementLine
from yurt.resolve.provider import IndexProvider, ResolveOptions, extra_package, split_package
from yurt.resolve.solver import RootRequirement, solve
from yurt.resolve.target import Target


def origin_label(line: RequirementLine) -> str | None:
    """`requirements.txt:3` for a line of a file; None for a command-line argument."""
    return None if line.origin is None else str(line.origin)


def source_label(line: RequirementLine) -> str:
    """How `compile` names a root requirement's source in `# via`: `-r file`, or the argument."""
    if line.origin is None:
        return "command line"
    source = line.origin.source
    return source if source.startswith("<") else f"-r {source}"


def requirements_by_name(lines: tuple[RequirementLine, ...]) -> dict[str, tuple[Requirement, ...]]:
    grouped: dict[str, list[Requirement]] = {}
    for line in lines:
        if line.requirement is not None:
            grouped.setdefault(canonicalize_name(line.requirement.name), []).append(line.requirement)
    return {name: tuple(items) for name, items in grouped.items()}


def resolve(manifest: Manifest, session: IndexSession, target: Target, options: ResolveOptions) -> Resolution:
    """Resolve the manifest's requirements for the target; raises NoSolution with an explanation."""
    options = replace(
        options,
        constraints={**requirements_by_name(manifest.constraints), **options.constraints},
        overrides={**requirements_by_name(manifest.overrides), **options.overrides},
    )
    lines = [line for line in manifest.requirements + manifest.editables if target.evaluate(line.marker)]
    for line in lines:
        if line.reference is not None:
            raise YurtError(
                f"{line.text!r}: installing from a path, URL or VCS reference is not supported yet",
                "require the package by name from an index or --find-links folder",
            )
    direct_roots = frozenset(canonicalize_name(line.requirement.name) for line in lines)
    provider = IndexProvider(session, target, options, direct_roots=direct_roots)
    try:
        roots: list[RootRequirement] = []
        origins: dict[str, list[str]] = {}
        requested_extras: dict[str, set[str]] = {}
        for line in lines:
            name = canonicalize_name(line.requirement.name)
            provider.prefetch_page(name)
        for line in lines:
            name = canonicalize_name(line.requirement.name)
            origins.setdefault(name, []).append(source_label(line))
            for requirement in provider.effective_requirements(line.requirement):
                provider.note_requirement(name, requirement, direct=True)
                packages: list[Hashable] = [name]
                for extra in sorted(requirement.extras):
                    packages.append(extra_package(name, canonicalize_name(extra)))
                    requested_extras.setdefault(name, set()).add(canonicalize_name(extra))
                for package in packages:
                    versions = provider.requirement_set(package, name, [requirement.specifier])
                    roots.append(RootRequirement(package, versions, origin_label(line)))
        chosen = solve(roots, provider)
        return build_resolution(chosen, provider, origins, requested_extras)
    finally:
        provider.close()


def build_resolution(chosen, provider: IndexProvider, origins, requested_extras) -> Resolution:
    versions = {}
    for package, version in chosen.items():
        name, extra = split_package(package)
        versions[name] = version
        if extra is not None:
            requested_extras.setdefault(name, set()).add(extra)
    parents: dict[str, set[str]] = {name: set() for name in versions}
    for package, version in chosen.items():
        name, _ = split_package(package)
        for dependency in provider.dependency_names.get((name, version), ()):
            if dependency in parents and dependency != name:
                parents[dependency].add(name)
    dists = []
    for name in sorted(versions):
        version = versions[name]
        candidate = provider.candidate(name, version) or provider.candidate(name, version, allow_yanked=True)
        hashes = sorted({
            f"{algorithm}:{digest}"
            for dist in provider.files(name).get(version, ())
            for algorithm, digest in dist.file.hashes.items()
            if algorithm == "sha256"
        })
        dists.append(
            ResolvedDist(
                name=name,
                version=version,
                dist=candidate.dist,
                is_wheel=candidate.is_wheel,
                extras=frozenset(requested_extras.get(name, ())),
                parents=tuple(sorted(parents[name])),
                origins=tuple(dict.fromkeys(origins.get(name, ()))),
                hashes=tuple(hashes),
            )
        )
    return Resolution(tuple(dists))
