"""What a resolution is for: the marker environment, the Python version and the supported tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from packaging.version import Version

from yurt.python.interpreter import Interpreter
from yurt.spec.tags import SupportedTags, interpreter_platforms, interpreter_tags, ordered_tags, target_tags

# Marker values of a `--python-platform` target, by operating system, for markers that
# requirements commonly test (`sys_platform == "win32"`, `platform_system == "Darwin"`).
PLATFORM_MARKERS = {
    "linux": {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux"},
    "macos": {"os_name": "posix", "sys_platform": "darwin", "platform_system": "Darwin"},
    "windows": {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows"},
}


@dataclass(frozen=True, slots=True)
class Target:
    """The environment a resolution must fit."""

    markers: Mapping[str, str]
    python_version: Version
    tags: SupportedTags
    description: str

    def evaluate(self, marker, extra: str = "") -> bool:
        """A `packaging.markers.Marker` for this target, with `extra` set as the caller asks."""
        if marker is None:
            return True
        return marker.evaluate({**self.markers, "extra": extra})


def interpreter_target(interpreter: Interpreter) -> Target:
    return Target(
        markers=dict(interpreter.markers),
        python_version=Version(interpreter.version_text),
        tags=interpreter_tags(interpreter),
        description=interpreter.describe(),
    )


def platform_family(platform: str) -> str:
    text = platform.lower()
    if "windows" in text or text.startswith("win"):
        return "windows"
    if "apple" in text or "darwin" in text or "macos" in text:
        return "macos"
    return "linux"


def machine_of(platform: str, family: str) -> str:
    architecture = platform.lower().split("-", 1)[0]
    if architecture in ("linux", "macos", "windows"):
        architecture = "arm64" if family == "macos" else "x86_64"
    if family == "windows":
        return {"x86_64": "AMD64", "aarch64": "ARM64", "i686": "x86"}.get(architecture, architecture)
    if family == "macos" and architecture == "aarch64":
        return "arm64"
    return architecture


def cross_target(interpreter: Interpreter, python_version: str | None, python_platform: str | None) -> Target:
    """`--python-version 3.12` and/or `--python-platform x86_64-manylinux_2_28`: resolve for another
    target than the interpreter; markers and tags follow the target."""
    markers = dict(interpreter.markers)
    if python_version:
        parts = [int(part) for part in python_version.split(".")]
        minor = (parts + [0])[:2]
        markers["python_version"] = f"{minor[0]}.{minor[1]}"
        # Without a patch level, assume the first release of that minor version, as uv does.
        markers["python_full_version"] = ".".join(str(part) for part in (parts + [0, 0])[:3])
        markers["implementation_version"] = markers["python_full_version"]
    version = Version(markers["python_full_version"])
    family = None
    if python_platform:
        family = platform_family(python_platform)
        markers.update(PLATFORM_MARKERS[family])
        markers["platform_machine"] = machine_of(python_platform, family)
        markers["platform_release"] = ""
        markers["platform_version"] = ""
        tags = target_tags((version.major, version.minor), interpreter.implementation, python_platform)
    elif python_version:
        # Same machine, another Python: this interpreter's platforms with the target's ABI.
        nodot = f"{version.major}{version.minor}"
        tags = SupportedTags(tuple(ordered_tags(
            interpreter.implementation, (version.major, version.minor), [f"cp{nodot}"],
            interpreter_platforms(interpreter),
        )))
    else:
        tags = interpreter_tags(interpreter)
    description = f"Python {version}" + (f" on {python_platform}" if python_platform else "")
    return Target(markers=markers, python_version=version, tags=tags, description=description)
