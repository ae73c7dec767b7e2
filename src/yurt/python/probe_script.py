"""Runs inside a target interpreter (CPython 3.8+) and prints the facts yurt needs as JSON."""

# This file must stay importable by every Python yurt targets: no f-string `=`, no walrus,
# no imports beyond the standard library, and nothing from yurt.
import json
import os
import platform
import struct
import sys
import sysconfig

PLACEHOLDER = "/__yurt_base__"


def marker_environment():
    implementation = sys.implementation
    info = implementation.version
    implementation_version = "{0.major}.{0.minor}.{0.micro}".format(info)
    if info.releaselevel != "final":
        implementation_version += info.releaselevel[0] + str(info.serial)
    return {
        "implementation_name": implementation.name,
        "implementation_version": implementation_version,
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def venv_scheme():
    """Paths of a virtual environment relative to its root, as this interpreter lays them out."""
    names = sysconfig.get_scheme_names()
    scheme = "venv" if "venv" in names else ("posix_prefix" if os.name == "posix" else "nt")
    placeholders = {
        "base": PLACEHOLDER,
        "platbase": PLACEHOLDER,
        "installed_base": PLACEHOLDER,
        "installed_platbase": PLACEHOLDER,
    }
    paths = sysconfig.get_paths(scheme=scheme, vars=placeholders)
    relative = {}
    for key in ("purelib", "platlib", "scripts", "include", "data"):
        relative[key] = os.path.relpath(paths[key], PLACEHOLDER)
    return relative


def base_executable():
    """The interpreter a virtual environment of this one should point at."""
    if sys.prefix == sys.base_prefix:
        return os.path.realpath(sys.executable)
    candidate = getattr(sys, "_base_executable", None)
    if candidate and not os.path.realpath(candidate).startswith(os.path.realpath(sys.prefix) + os.sep):
        return candidate
    # Python 3.8-3.10 in a venv report the venv's own executable: follow pyvenv.cfg's home.
    home = None
    try:
        with open(os.path.join(sys.prefix, "pyvenv.cfg")) as config:
            for line in config:
                key, _, value = line.partition("=")
                if key.strip().lower() == "home":
                    home = value.strip()
    except OSError:
        pass
    if home:
        for name in ("python%d.%d" % sys.version_info[:2], "python3", "python"):
            path = os.path.join(home, name)
            if os.path.isfile(path):
                return path
    return os.path.realpath(sys.executable)


def musl_version():
    """`musl 1.2` when the interpreter is linked against musl, found from its ELF program interpreter."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open(sys.executable, "rb") as stream:
            head = stream.read(4096)
    except OSError:
        return None
    marker = head.find(b"/ld-musl-")
    if marker < 0:
        return None
    start = head.rfind(b"\0", 0, marker) + 1
    end = head.find(b"\0", marker)
    loader = head[start:end].decode("ascii", "replace")
    import re
    import subprocess

    try:
        # The musl loader prints its version on stderr when run without arguments.
        output = subprocess.run([loader], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL).stderr
    except OSError:
        return None
    match = re.search(rb"Version (\d+)\.(\d+)", output)
    return "musl %s.%s" % (match.group(1).decode(), match.group(2).decode()) if match else None


def site_customized():
    """Whether `site` would run a sitecustomize module here, which may change the facts below
    (Homebrew's does, for example). Under -S it did not run: the caller probes again without -S.
    With -I, a usercustomize module never runs, with or without -S."""
    import importlib.util
    import site

    if importlib.util.find_spec("sitecustomize") is not None:
        return True
    for directory in site.getsitepackages():
        for name in ("sitecustomize.py", "sitecustomize.pyc", "sitecustomize"):
            if os.path.exists(os.path.join(directory, name)):
                return True
    return False


def collect():
    config_vars = sysconfig.get_config_vars()
    stdlib = sysconfig.get_paths()["stdlib"]
    libc_version = None
    try:
        libc_version = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        pass
    if not libc_version:
        libc_version = musl_version()
    return {
        "executable": sys.executable,
        "base_executable": base_executable(),
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "version": list(sys.version_info),
        "implementation": sys.implementation.name,
        "markers": marker_environment(),
        "paths": sysconfig.get_paths(),
        "venv_scheme": venv_scheme(),
        "platform": sysconfig.get_platform(),
        "libc": libc_version,
        "pointer_bits": struct.calcsize("P") * 8,
        "soabi": config_vars.get("SOABI"),
        "ext_suffix": config_vars.get("EXT_SUFFIX"),
        "debug_build": bool(config_vars.get("Py_DEBUG")),
        "gil_disabled": bool(config_vars.get("Py_GIL_DISABLED")),
        "externally_managed": os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
    }


if __name__ == "__main__":
    facts = collect()
    if sys.flags.no_site:
        facts["site_customized"] = site_customized()
    json.dump(facts, sys.stdout)
