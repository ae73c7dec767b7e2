"""End-to-end checks on the public index (marked `network`; deselected by default)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKLOADS = Path(__file__).resolve().parents[2] / "shared" / "workloads"
UV = Path(__file__).resolve().parents[1] / "bench" / ".tools" / "venv" / "bin" / "uv"

pytestmark = pytest.mark.network


def pins(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line and not line.lstrip().startswith("#")]


@pytest.mark.parametrize("workload", ["trio-docs.in", "seed.txt"])
def test_compile_matches_uv(yurt, tmp_path, workload):
    path = WORKLOADS / workload
    if not path.exists():
        pytest.skip(f"{path} is not here")
    result = yurt("pip", "compile", "--no-header", "--python", sys.executable, str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    if not UV.exists():
        pytest.skip("uv is not installed in bench/.tools (run bench/tools.py)")
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("UV_", "PIP_"))}
    reference = subprocess.run([str(UV), "pip", "compile", "--no-header", "--python", sys.executable,
                                "--cache-dir", str(tmp_path / "uv-cache"), str(path)],
                               capture_output=True, text=True, env=environment)
    assert reference.returncode == 0, reference.stderr
    # Same pins and the same annotations, line for line.
    assert pins(result.stdout) == pins(reference.stdout)


def test_install_trio_docs_end_to_end(yurt, tmp_path):
    path = WORKLOADS / "trio-docs.in"
    if not path.exists():
        pytest.skip(f"{path} is not here")
    assert yurt("venv", ".venv", cwd=tmp_path).returncode == 0
    first = yurt("pip", "install", "-r", str(path), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = yurt("pip", "install", "-r", str(path), cwd=tmp_path)
    assert again.stderr.splitlines()[-1].startswith("Checked ")
    python = tmp_path / ".venv" / "bin" / "python"
    imported = subprocess.run([str(python), "-c", "import sphinx, jinja2, attrs, idna, outcome, sniffio, OpenSSL"],
                              capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    check = yurt("pip", "check", "--python", ".venv", cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    shutil.rmtree(tmp_path / ".venv")
    assert yurt("venv", ".venv", cwd=tmp_path).returncode == 0
    warm = yurt("pip", "install", "--offline", "-r", str(path), cwd=tmp_path)
    assert warm.returncode == 0, warm.stderr
