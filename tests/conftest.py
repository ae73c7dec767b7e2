"""Shared fixtures: a live local index, an isolated cache, and the yurt CLI bound to it."""

from __future__ import annotations

import functools

import pytest

from support.cli import run_yurt
from support.index import LocalIndex


@pytest.fixture
def index():
    """A running LocalIndex, empty, torn down after the test."""
    with LocalIndex() as local_index:
        yield local_index


@pytest.fixture
def cache_dir(tmp_path):
    """A fresh cache directory for this test only."""
    directory = tmp_path / "cache"
    directory.mkdir()
    return directory


@pytest.fixture
def yurt(cache_dir):
    """``yurt("install", "a", check=True)``: run_yurt with this test's cache directory."""
    return functools.partial(run_yurt, cache_dir=cache_dir)
