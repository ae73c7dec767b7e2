"""A dependency-free PEP 517 / PEP 660 build backend that ships inside test sdists.

builders.py copies this file into each in-tree source tree as
``backend/__init__.py`` (next to ``backend/archives.py`` and
``backend/project.json``), and pyproject.toml points at it with
``build-backend = "backend"`` and ``backend-path = ["."]``. Source builds
therefore work offline: no setuptools, no downloads.

Everything the backend needs to know about the project comes from
``project.json``, written by builders.py; the files themselves are read from
the source tree at build time, so edits to an unpacked project show up in the
next build.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import archives

SOURCE_ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = Path(__file__).resolve().parent / "project.json"


def _config() -> dict:
    return json.loads(CONFIG_PATH.read_text(encoding="utf-8"))


def _fail_if_requested(config: dict) -> None:
    """Simulate a broken build (think: a compiler error) when the project asks for it."""
    message = config.get("build_failure")
    if message:
        print(message, file=sys.stderr, flush=True)
        raise RuntimeError(message)


def _metadata(config: dict) -> bytes:
    # Dynamic requirements are absent from PKG-INFO and only appear here,
    # which is exactly what a frontend must cope with for Dynamic: Requires-Dist.
    headers = [tuple(pair) for pair in config["metadata_headers"] + config["dynamic_headers"]]
    return archives.render_headers(headers, config["description"])


def _dist_info_members(config: dict) -> list[archives.Member]:
    dist_info = config["dist_info"]
    members = [
        archives.Member(f"{dist_info}/METADATA", _metadata(config)),
        archives.Member(f"{dist_info}/WHEEL",
                        archives.render_headers([tuple(pair) for pair in config["wheel_headers"]])),
    ]
    if config["entry_points"]:
        members.append(archives.Member(f"{dist_info}/entry_points.txt",
                                       config["entry_points"].encode("utf-8")))
    return members


def _data_members(config: dict) -> list[archives.Member]:
    members = []
    for category, paths in config["data_files"].items():
        for path in paths:
            source = SOURCE_ROOT / "wheel_data" / category / path
            mode = archives.EXECUTABLE_MODE if category == "scripts" else archives.REGULAR_MODE
            members.append(archives.Member(f"{config['data_dir']}/{category}/{path}",
                                           source.read_bytes(), mode))
    return members


def get_requires_for_build_wheel(config_settings=None):
    return list(_config()["build_requires"])


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return list(_config()["build_requires"])


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    config = _config()
    for member in _dist_info_members(config):
        target = Path(metadata_directory) / member.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(member.content)
    return config["dist_info"]


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    config = _config()
    _fail_if_requested(config)
    print(f"backend: building {config['wheel_filename']}", flush=True)
    members = [archives.Member(path, (SOURCE_ROOT / path).read_bytes()) for path in config["files"]]
    members += _data_members(config) + _dist_info_members(config)
    archives.write_wheel(Path(wheel_directory) / config["wheel_filename"], members, config["dist_info"])
    return config["wheel_filename"]


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    config = _config()
    _fail_if_requested(config)
    print(f"backend: building editable {config['wheel_filename']}", flush=True)
    # A .pth line that is a directory puts the source tree itself on sys.path,
    # the simplest editable mechanism PEP 660 allows.
    pth_name = f"__editable__.{config['dist_info'][:-len('.dist-info')]}.pth"
    members = [archives.Member(pth_name, f"{SOURCE_ROOT}\n".encode("utf-8"))]
    members += _data_members(config) + _dist_info_members(config)
    archives.write_wheel(Path(wheel_directory) / config["wheel_filename"], members, config["dist_info"])
    return config["wheel_filename"]


def build_sdist(sdist_directory, config_settings=None):
    config = _config()
    root = config["sdist_root"]
    members = [archives.Member(f"{root}/PKG-INFO", config["pkg_info"].encode("utf-8"))]
    for path in config["sdist_paths"]:
        members.append(archives.Member(f"{root}/{path}", (SOURCE_ROOT / path).read_bytes()))
    archives.write_sdist(Path(sdist_directory) / config["sdist_filename"], members)
    return config["sdist_filename"]
