"""The wheel tags an interpreter, or a target platform, supports, best first (PEP 425, PEP 600)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from packaging.tags import Tag, compatible_tags, cpython_tags, generic_tags, mac_platforms

# PEP 425's abbreviations; other implementations use their full name.
SHORT_NAMES = {"cpython": "cp", "pypy": "pp", "ironpython": "ip", "jython": "jy"}

# Architectures a manylinux wheel may be built for (the manylinux PEPs, plus the two that
# `packaging` has added since). armv7l counts only for the hard-float ABI.
MANYLINUX_ARCHITECTURES = frozenset(
    {"x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64"}
)
# The legacy manylinux names (PEPs 513, 571, 599) and the glibc each one stands for.
LEGACY_MANYLINUX = {(2, 5): "manylinux1", (2, 12): "manylinux2010", (2, 17): "manylinux2014"}
# glibc 2.5 (manylinux1) is the floor on x86; every other architecture starts at manylinux2014.
X86_ARCHITECTURES = frozenset({"x86_64", "i686"})

# What uv's `--python-platform` chooses when a name leaves it open: manylinux_2_28 for glibc
# (uv's default since 0.8), musl 1.2, the oldest macOS Apple still supports.
DEFAULT_GLIBC = (2, 28)
DEFAULT_MUSL = (1, 2)
DEFAULT_MACOS_VERSION = (13, 0)
PLATFORM_ALIASES = {
    "linux": "x86_64-unknown-linux-gnu",
    "macos": "aarch64-apple-darwin",
    "windows": "x86_64-pc-windows-msvc",
}
ARCHITECTURE_ALIASES = {"amd64": "x86_64", "arm64": "aarch64", "armv7": "armv7l", "x86": "i686", "i386": "i686"}
WINDOWS_PLATFORMS = {"x86_64": "win_amd64", "aarch64": "win_arm64", "i686": "win32"}
MACOS_ARCHITECTURES = {"x86_64": "x86_64", "aarch64": "arm64"}
TARGET_PATTERN = re.compile(
    r"(?P<arch>[a-z0-9_]+)-(?:"
    r"unknown-linux-(?P<linux_libc>gnu|musl)(?:eabihf)?"
    r"|(?P<policy>manylinux|musllinux)_(?P<major>\d+)_(?P<minor>\d+)"
    r"|(?P<apple>apple-darwin)"
    r"|(?P<windows>pc-windows-msvc))"
)
LIBC_PATTERN = re.compile(r"(glibc|musl) (\d+)\.(\d+)")
CPYTHON_ABI = re.compile(r"cp(\d+)([a-z]*)")


class InvalidTarget(ValueError):
    """A target platform or Python version that yurt cannot compute tags for."""


class InterpreterFacts(Protocol):
    """The parts of an interpreter probe that decide its tags (yurt.python's Interpreter has them)."""

    version: tuple[int, int, int]
    implementation: str
    platform: str
    libc: str | None
    pointer_bits: int
    soabi: str | None
    markers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class SupportedTags:
    """Tags in priority order, with a lookup from tag to its rank (lower is better)."""

    tags: tuple[Tag, ...]
    ranks: Mapping[Tag, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ranks: dict[Tag, int] = {}
        for rank, tag in enumerate(self.tags):
            ranks.setdefault(tag, rank)
        object.__setattr__(self, "ranks", ranks)

    def priority(self, tag: Tag) -> int | None:
        """The rank of one tag, or None when it is not supported."""
        return self.ranks.get(tag)

    def best_priority(self, tags: Iterable[Tag]) -> int | None:
        """The best rank among a wheel's tags, or None when the wheel is not installable here."""
        lookup = self.ranks.get
        best = None
        for tag in tags:
            rank = lookup(tag)
            if rank is not None and (best is None or rank < best):
                best = rank
        return best


def interpreter_tags(interpreter: InterpreterFacts) -> SupportedTags:
    """The tags a probed interpreter supports, in the order `packaging.tags.sys_tags` gives inside it."""
    python_version = (interpreter.version[0], interpreter.version[1])
    return SupportedTags(
        tuple(
            ordered_tags(
                interpreter.implementation,
                python_version,
                interpreter_abis(interpreter),
                interpreter_platforms(interpreter),
            )
        )
    )


def target_tags(
    python_version: tuple[int, int],
    implementation: str = "cpython",
    platform: str = "linux",
    *,
    free_threaded: bool = False,
    macos_version: tuple[int, int] = DEFAULT_MACOS_VERSION,
) -> SupportedTags:
    """The tags of an interpreter yurt does not have, named as uv's `--python-platform` names them."""
    if len(python_version) != 2 or python_version[0] < 2:
        raise InvalidTarget(f"invalid target Python version {python_version!r}: expected (major, minor)")
    if implementation not in ("cpython", "pypy"):
        raise InvalidTarget(f"cannot compute tags for implementation {implementation!r}: use cpython or pypy")
    if free_threaded and (implementation != "cpython" or python_version < (3, 13)):
        raise InvalidTarget("free-threaded builds exist only for CPython 3.13 and later")
    nodot = f"{python_version[0]}{python_version[1]}"
    if implementation == "pypy":
        # Every PyPy release since 7.3 (2020) uses the pp73 ABI tag.
        abis = [f"pypy{nodot}_pp73"]
    elif free_threaded:
        abis = [f"cp{nodot}t"]
    elif python_version < (3, 8):
        # pymalloc builds, the default before 3.8, carry the `m` flag.
        abis = [f"cp{nodot}m"]
    else:
        abis = [f"cp{nodot}"]
    platforms = target_platforms(platform, macos_version)
    return SupportedTags(tuple(ordered_tags(implementation, python_version, abis, platforms)))


def ordered_tags(
    implementation: str, python_version: tuple[int, int], abis: list[str], platforms: list[str]
) -> Iterator[Tag]:
    """Interpreter-specific tags, then the generic `py*` ones, as `sys_tags` orders them."""
    # `packaging` falls back to the running system's platforms on an empty list: never pass one.
    assert platforms, "a platform list is never empty"
    nodot = f"{python_version[0]}{python_version[1]}"
    if implementation == "cpython":
        yield from cpython_tags(python_version, abis, platforms)
        yield from compatible_tags(python_version, f"cp{nodot}", platforms)
        return
    yield from generic_tags(f"{SHORT_NAMES.get(implementation, implementation)}{nodot}", abis, platforms)
    yield from compatible_tags(python_version, "pp3" if implementation == "pypy" else None, platforms)


def interpreter_abis(interpreter: InterpreterFacts) -> list[str]:
    """The ABI tags of an interpreter, read from its SOABI (`cpython-313t-x86_64-linux-gnu`)."""
    soabi = interpreter.soabi or ""
    major, minor = interpreter.version[0], interpreter.version[1]
    if interpreter.implementation == "cpython":
        if soabi.startswith("cpython-"):
            abi = "cp" + soabi.split("-")[1]
        elif soabi.startswith("cp"):
            abi = soabi.split("-")[0]  # Windows since 3.13: `cp313-win_amd64`
        else:
            abi = f"cp{major}{minor}"  # Windows before 3.13 sets no SOABI
        abis = [abi]
        match = CPYTHON_ABI.fullmatch(abi)
        # Since 3.8 a debug build (`cp313td`) also loads extensions built for the release ABI.
        if match is not None and "d" in match.group(2) and (major, minor) >= (3, 8):
            abis.append(f"cp{match.group(1)}{match.group(2).replace('d', '')}")
        return abis
    if not soabi:
        return []
    # Keep the ABI parts, drop the platform parts that follow them.
    if interpreter.implementation == "pypy":
        soabi = "-".join(soabi.split("-")[:2])
    elif interpreter.implementation == "graalpy":
        soabi = "-".join(soabi.split("-")[:3])
    return [normalize_platform(soabi)]


def interpreter_platforms(interpreter: InterpreterFacts) -> list[str]:
    """Platform tags for a probed interpreter, best first."""
    platform = interpreter.platform
    if platform.startswith("linux-"):
        architecture = normalize_platform(platform[len("linux-") :])
        if interpreter.pointer_bits == 32:
            # A 32-bit interpreter on a 64-bit kernel reports the kernel's machine.
            architecture = {"x86_64": "i686", "aarch64": "armv8l"}.get(architecture, architecture)
        hard_float = (interpreter.soabi or "").endswith("gnueabihf")
        return linux_platforms(architecture, parse_libc(interpreter.libc), hard_float=hard_float)
    if platform.startswith("macosx-"):
        machine = interpreter.markers.get("platform_machine") or platform.rsplit("-", 1)[-1]
        return list(mac_platforms(macos_version(interpreter), machine))
    return [normalize_platform(platform)]


def linux_platforms(
    architecture: str, libc: tuple[str, int, int] | None, *, hard_float: bool = False
) -> list[str]:
    """manylinux (or musllinux) tags down to the oldest policy, then plain `linux_<arch>`."""
    # A 32-bit ARM interpreter on an ARMv8 CPU also runs ARMv7 code.
    architectures = ["armv8l", "armv7l"] if architecture == "armv8l" else [architecture]
    platforms = []
    if libc is not None and libc[0] == "glibc" and manylinux_capable(architectures, hard_float):
        for name in architectures:
            platforms.extend(manylinux_platforms(name, (libc[1], libc[2])))
    elif libc is not None and libc[0] == "musl":
        for name in architectures:
            platforms.extend(f"musllinux_{libc[1]}_{minor}_{name}" for minor in range(libc[2], -1, -1))
    platforms.extend(f"linux_{name}" for name in architectures)
    return platforms


def manylinux_capable(architectures: list[str], hard_float: bool) -> bool:
    """Whether manylinux wheels exist for these architectures (ARMv7 only with hard float)."""
    if "armv7l" in architectures:
        return hard_float
    return any(name in MANYLINUX_ARCHITECTURES for name in architectures)


def manylinux_platforms(architecture: str, glibc: tuple[int, int]) -> Iterator[str]:
    """manylinux_2_N from the given glibc down to the architecture's floor, legacy names after theirs."""
    # glibc has never left major version 2; PEP 600 tags only exist for it.
    if glibc[0] != 2:
        return
    floor = 5 if architecture in X86_ARCHITECTURES else 17
    for minor in range(glibc[1], floor - 1, -1):
        yield f"manylinux_2_{minor}_{architecture}"
        legacy = LEGACY_MANYLINUX.get((2, minor))
        if legacy is not None:
            yield f"{legacy}_{architecture}"


def parse_libc(libc: str | None) -> tuple[str, int, int] | None:
    """`glibc 2.36` -> ("glibc", 2, 36); also `musl 1.2`; None when unknown."""
    match = LIBC_PATTERN.match(libc or "")
    if match is None:
        return None
    return match.group(1), int(match.group(2)), int(match.group(3))


def macos_version(interpreter: InterpreterFacts) -> tuple[int, int]:
    """The running macOS release, from the Darwin kernel version in the interpreter's markers."""
    darwin = interpreter.markers.get("platform_release", "").split(".")[0]
    if darwin.isdigit() and int(darwin) >= 20:
        return int(darwin) - 9, 0  # Darwin 20 is macOS 11; each macOS since bumps the major
    if darwin.isdigit() and int(darwin) >= 4:
        return 10, int(darwin) - 4  # Darwin 19 is macOS 10.15
    # Unknown kernel: the deployment target in `macosx-11.0-arm64` is a safe lower bound.
    parts = interpreter.platform.split("-")
    major, _, minor = (parts[1] if len(parts) == 3 else "11.0").partition(".")
    return int(major), int(minor or 0)


def target_platforms(platform: str, macos_target: tuple[int, int]) -> list[str]:
    """Platform tags for a `--python-platform` value such as `linux` or `aarch64-manylinux_2_28`."""
    name = PLATFORM_ALIASES.get(platform.lower(), platform.lower())
    match = TARGET_PATTERN.fullmatch(name)
    if match is None:
        raise InvalidTarget(
            f"unknown target platform {platform!r}: expected linux, macos, windows, or a name such as "
            "x86_64-unknown-linux-gnu, aarch64-manylinux_2_28, x86_64-musllinux_1_2, "
            "aarch64-apple-darwin, x86_64-pc-windows-msvc"
        )
    architecture = ARCHITECTURE_ALIASES.get(match["arch"], match["arch"])
    if match["windows"]:
        if architecture not in WINDOWS_PLATFORMS:
            raise InvalidTarget(f"unknown Windows architecture {match['arch']!r} in {platform!r}")
        return [WINDOWS_PLATFORMS[architecture]]
    if match["apple"]:
        if architecture not in MACOS_ARCHITECTURES:
            raise InvalidTarget(f"unknown macOS architecture {match['arch']!r} in {platform!r}")
        return list(mac_platforms(macos_target, MACOS_ARCHITECTURES[architecture]))
    if match["linux_libc"] == "gnu":
        libc = ("glibc", *DEFAULT_GLIBC)
    elif match["linux_libc"] == "musl":
        libc = ("musl", *DEFAULT_MUSL)
    else:
        libc = ("glibc" if match["policy"] == "manylinux" else "musl", int(match["major"]), int(match["minor"]))
        floor = 5 if architecture in X86_ARCHITECTURES else 17
        if libc[0] == "glibc" and (libc[1] != 2 or libc[2] < floor):
            raise InvalidTarget(f"no manylinux policy matches {platform!r}: the oldest is manylinux_2_{floor}")
    # Targets name 64-bit or hard-float systems; the ARM soft-float ABI has no manylinux policy.
    return linux_platforms(architecture, libc, hard_float=True)


def normalize_platform(text: str) -> str:
    """A platform or ABI string in tag form: `.`, `-` and spaces become `_`."""
    return text.replace(".", "_").replace("-", "_").replace(" ", "_")
