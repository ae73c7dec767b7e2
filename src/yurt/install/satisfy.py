"""Is an environment already enough? Follow the requirements through installed METADATA alone."""

from __future__ import annotations

from collections.abc import Mapping

from yurt import log
from yurt.install.site_packages import SitePackages, normalize_name
from yurt.requirements.manifest import Manifest, requirements_by_name


def fast_path_blockers(manifest: Manifest) -> str | None:
    """Why the no-op check cannot answer for this input (paths, URLs and editables need a look)."""
    for line in manifest.requirements + manifest.editables:
        if line.reference is not None or line.editable:
            return f"{line.text!r} is a path, URL or editable"
    return None


def check_satisfied(manifest: Manifest, site: SitePackages, markers: Mapping[str, str]) -> int | None:
    """The number of dists that together satisfy every requirement, or None if any is missing,
    of the wrong version, or installed twice."""
    from packaging.requirements import InvalidRequirement, Requirement

    constraints = requirements_by_name(manifest.constraints)
    overrides = requirements_by_name(manifest.overrides)
    environment = dict(markers)

    def applies(requirement, extra: str) -> bool:
        if requirement.marker is None:
            return True
        return requirement.marker.evaluate({**environment, "extra": extra})

    queue = []
    for line in manifest.requirements:
        if line.requirement is not None and applies(line.requirement, ""):
            queue.append(line.requirement)
    seen: set[tuple[str, frozenset[str]]] = set()
    checked: set[str] = set()
    while queue:
        requirement = queue.pop()
        name = normalize_name(requirement.name)
        effective = overrides.get(name, (requirement,))
        installed = site.find(name)
        if len(installed) != 1:
            log.debug("no-op check: %s is installed %d times", name, len(installed))
            return None
        dist = installed[0]
        for item in effective + constraints.get(name, ()):
            if item.specifier and not item.specifier.contains(dist.version, prereleases=True):
                log.debug("no-op check: %s %s does not satisfy %s", name, dist.version, item)
                return None
        checked.add(name)
        extras = frozenset(normalize_name(extra) for item in effective for extra in item.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        metadata = dist.metadata()
        if metadata is None:
            log.debug("no-op check: %s has no readable metadata", name)
            return None
        for text in metadata.requires_dist:
            try:
                dependency = Requirement(text)
            except InvalidRequirement:
                continue
            if applies(dependency, "") or any(applies(dependency, extra) for extra in extras):
                queue.append(dependency)
    return len(checked)
