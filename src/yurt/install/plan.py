"""Compare a resolution with what is installed: what to keep, fetch, reinstall and remove."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import InvalidVersion, Version

from yurt.dists import Resolution, ResolvedDist
from yurt.install.site_packages import InstalledDistribution, SitePackages

# What `yurt venv --seed` puts in; `sync` leaves them alone unless the input names them, as uv does.
SEED_PACKAGES = frozenset({"pip", "setuptools", "wheel"})


@dataclass(frozen=True, slots=True)
class Plan:
    """The changes that bring an environment to a resolution."""

    install: tuple[ResolvedDist, ...]
    # Installed dists to remove first: older versions of what `install` brings, and (sync) extras.
    remove: tuple[InstalledDistribution, ...]
    unchanged: tuple[ResolvedDist, ...]

    @property
    def is_empty(self) -> bool:
        return not self.install and not self.remove


def same_version(installed: str, wanted: Version) -> bool:
    try:
        return Version(installed) == wanted
    except InvalidVersion:
        return False


def same_source(installed: InstalledDistribution, dist: ResolvedDist) -> bool:
    """A direct reference is kept only if it was installed from the same place (PEP 610 direct_url.json).

    A local folder named on the command line is always reinstalled: its content may have changed.
    """
    if dist.source is None:
        return True
    if dist.source.rebuild and not dist.source.editable:
        return False
    import json

    try:
        recorded = json.loads((installed.path / "direct_url.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded == dist.source.direct_url()


def make_plan(
    resolution: Resolution,
    site: SitePackages,
    *,
    sync: bool = False,
    reinstall_all: bool = False,
    reinstall: frozenset[str] = frozenset(),
) -> Plan:
    install, remove, unchanged = [], [], []
    for dist in resolution.dists:
        installed = site.find(dist.name)
        keep = (
            len(installed) == 1
            and same_version(installed[0].version, dist.version)
            and same_source(installed[0], dist)
            and not reinstall_all
            and dist.name not in reinstall
        )
        if keep:
            unchanged.append(dist)
        else:
            install.append(dist)
            remove.extend(installed)
    if sync:
        wanted = {dist.name for dist in resolution.dists}
        for installed in site.distributions():
            if installed.normalized_name not in wanted and installed.normalized_name not in SEED_PACKAGES:
                remove.append(installed)
    return Plan(tuple(install), tuple(remove), tuple(unchanged))
