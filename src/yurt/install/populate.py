"""Install a list of requirements into a venv that is being built: what a build environment needs."""

from __future__ import annotations

from collections.abc import Sequence

from yurt import log
from yurt.install.link import Linker, LinkMode
from yurt.install.prepare import prepare
from yurt.install.wheel import Scheme, install_wheel


def populate_environment(requirements: Sequence[str], scheme: Scheme, interpreter, session, cache, builder,
                         options=None) -> None:
    """Resolve `requirements` for `interpreter`, then link every wheel into `scheme`, as `pip install` would."""
    from yurt.requirements.files import parse_requirement_arguments
    from yurt.resolve.options import ResolveOptions
    from yurt.resolve.resolve import resolve
    from yurt.resolve.target import interpreter_target

    manifest = parse_requirement_arguments(list(requirements))
    resolution = resolve(manifest, session, interpreter_target(interpreter), options or ResolveOptions(),
                         builder=builder, download_ahead=True)
    log.debug("build environment: installing %s",
              ", ".join(f"{dist.name}=={dist.version}" for dist in resolution.dists))
    wheels = prepare(resolution.dists, session, builder)
    linker = Linker(LinkMode.CLONE, cache=cache.root, environment=scheme.prefix, warn=log.debug)
    for dist in resolution.dists:
        wheel = wheels[dist.name]
        install_wheel(wheel.archive, wheel.filename, scheme, linker, requested=True)
