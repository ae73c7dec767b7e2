"""Turn a manifest into a resolution: root requirements for the solver, then the annotated answer."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from yurt.dists import Resolution, ResolvedDist
from yurt.errors import YurtError
from yurt.index.session import IndexSession
from yurt.requirements.manifest import Manifest, RequirementLine, requirements_by_name
from yurt.resolve.options import ResolveOptions
from yurt.resolve.provider import DirectDist, IndexProvider, extra_package, split_package
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


def read_direct_references(lines: list[RequirementLine], builder) -> tuple[list[RequirementLine], dict[str, DirectDist]]:
    """Fetch every path, URL and VCS requirement and read its metadata: each becomes a named requirement."""
    from concurrent.futures import ThreadPoolExecutor

    from yurt.build.sources import fetch_reference

    references = [line for line in lines if line.reference is not None]
    if references and builder is None:
        raise YurtError(f"{references[0].text!r}: a path, URL or VCS reference cannot be used here",
                        "require the package by name from an index or --find-links folder")

    def read(line: RequirementLine):
        source = fetch_reference(line, builder.cache, builder.session.downloader)
        return source, builder.source_metadata(source, line.text)

    read_references = {}
    if references:
        # Clones, downloads and metadata builds of different references overlap.
        with ThreadPoolExecutor(max_workers=min(8, len(references)), thread_name_prefix="yurt-direct") as pool:
            futures = [(line, pool.submit(read, line)) for line in references]
            read_references = {id(line): future.result() for line, future in futures}
    named: list[RequirementLine] = []
    direct: dict[str, DirectDist] = {}
    for line in lines:
        if line.reference is None:
            named.append(line)
            continue
        source, metadata = read_references[id(line)]
        name = canonicalize_name(metadata.name)
        if line.requirement is not None and canonicalize_name(line.requirement.name) != name:
            raise YurtError(f"{line.text!r} names `{line.requirement.name}`, but the project there is"
                            f" `{metadata.name}`", "correct the name before `@` (or in `#egg=`)")
        try:
            version = Version(metadata.version)
        except InvalidVersion:
            raise YurtError(f"{line.text!r}: the project's version {metadata.version!r} is not a valid version") from None
        known = direct.get(name)
        if known is not None and known.source.url != source.url:
            raise YurtError(f"`{name}` is required from two places: {known.source.url} and {source.url}",
                            "keep one of the two requirements")
        if known is None or source.editable:
            direct[name] = DirectDist(version, metadata, source)
        extras = line.extras or (frozenset(line.requirement.extras) if line.requirement is not None else frozenset())
        extras_text = f"[{','.join(sorted(extras))}]" if extras else ""
        named.append(line._replace(requirement=Requirement(f"{name}{extras_text}")))
    return named, direct


def resolve(manifest: Manifest, session: IndexSession, target: Target, options: ResolveOptions,
            builder=None, download_ahead: bool = False) -> Resolution:
    """Resolve the manifest's requirements for the target; raises NoSolution with an explanation.

    `builder` (a yurt.build.builder.SourceBuilder) reads or builds the metadata of sdists and of
    direct references; without it, such requirements are refused. `download_ahead` starts each
    decided version's wheel download during the resolve, for a command that installs the answer.
    """
    options = replace(
        options,
        constraints={**requirements_by_name(manifest.constraints), **options.constraints},
        overrides={**requirements_by_name(manifest.overrides), **options.overrides},
    )
    lines = [line for line in manifest.requirements + manifest.editables if target.evaluate(line.marker)]
    lines, direct = read_direct_references(lines, builder)
    direct_roots = frozenset(canonicalize_name(line.requirement.name) for line in lines)
    provider = IndexProvider(session, target, options, direct_roots=direct_roots, builder=builder,
                             download_ahead=download_ahead)
    for name, dist in direct.items():
        provider.add_direct(name, dist)
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
        # The solver takes the roots one at a time: ask for all their metadata at once now.
        for root in roots:
            provider.expect(root.package, root.versions)
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
                source=provider.direct_source(name),
                extras=frozenset(requested_extras.get(name, ())),
                parents=tuple(sorted(parents[name])),
                origins=tuple(dict.fromkeys(origins.get(name, ()))),
                hashes=tuple(hashes),
            )
        )
    return Resolution(tuple(dists))
