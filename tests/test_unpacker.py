"""Unzipping in helper processes: the same trees and the same errors as in-process, and a fallback."""

from __future__ import annotations

import os
import time
import zipfile
from pathlib import Path

import pytest

from support.builders import Package, build_wheel
from yurt.cache.archives import FILE_COST, UnsafeArchive, share
from yurt.cache.unpacker import SPLIT_SIZE, Unpacker
from yurt.errors import YurtError


def tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def bytes_written(pid: int) -> int:
    """What a process has written so far, by the kernel's count."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar line")


def wait_for_helpers(unpacker: Unpacker) -> None:
    deadline = time.monotonic() + 30
    while unpacker.helpers_ready == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert unpacker.helpers_ready > 0


@pytest.fixture
def unpacker():
    unpacker = Unpacker(helpers=1)
    yield unpacker
    unpacker.close()


def test_helpers_unzip_what_this_process_would(tmp_path, unpacker):
    wheels = [build_wheel(Package(f"pkg{number}", "1.0", files={f"pkg{number}/__init__.py": "x = 1\n",
                                                               f"pkg{number}/data/a.txt": "a" * 5000}), tmp_path)
              for number in range(3)]
    unpacker.unpack(wheels[0], tmp_path / "out0", "first")
    unpacker.unpack(wheels[1], tmp_path / "out1", "second")
    wait_for_helpers(unpacker)
    helper = unpacker._idle[0].process
    written_before = bytes_written(helper.pid)
    unpacker.unpack(wheels[2], tmp_path / "out2", "third")
    # The helper wrote the files (its own write count grew by at least their size), and stays.
    assert bytes_written(helper.pid) - written_before >= 5000
    assert helper.poll() is None
    with zipfile.ZipFile(wheels[2]) as archive:
        expected = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    assert tree(tmp_path / "out2") == expected
    assert not [entry for entry in os.listdir(tmp_path) if entry.startswith(".yurt-tmp-")]


def test_helper_errors_are_the_same_errors(tmp_path, unpacker):
    good = build_wheel(Package("good", "1.0"), tmp_path)
    unpacker.unpack(good, tmp_path / "a", "good")
    unpacker.unpack(good, tmp_path / "b", "good")
    wait_for_helpers(unpacker)
    evil = build_wheel(Package("evil", "1.0"), tmp_path, extra_members={"../escape.py": "x = 1\n"})
    with pytest.raises(UnsafeArchive) as unsafe:
        unpacker.unpack(evil, tmp_path / "evil", "evil-1.0-py3-none-any.whl")
    assert "leaves its folder" in unsafe.value.message
    broken = tmp_path / "broken-1.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(YurtError) as invalid:
        unpacker.unpack(broken, tmp_path / "broken", broken.name)
    assert "is not a valid wheel" in invalid.value.message
    assert not (tmp_path / "evil").exists() and not (tmp_path / "broken").exists()
    assert unpacker.helpers_ready == 1


def test_a_helper_that_dies_is_replaced_by_unzipping_here(tmp_path, unpacker):
    wheel = build_wheel(Package("pkg", "1.0"), tmp_path)
    unpacker.unpack(wheel, tmp_path / "a", "pkg")
    unpacker.unpack(wheel, tmp_path / "b", "pkg")
    wait_for_helpers(unpacker)
    helper = unpacker._idle[0].process
    helper.kill()
    helper.wait()
    unpacker.unpack(wheel, tmp_path / "c", "pkg")
    assert tree(tmp_path / "c") == tree(tmp_path / "a")
    assert unpacker.helpers_ready == 0


def test_helpers_start_when_two_wheels_are_expected(unpacker):
    unpacker.expect(1)
    assert unpacker._started == []
    unpacker.expect(2)
    wait_for_helpers(unpacker)


def test_shares_cover_every_member_once_in_runs_of_equal_work():
    members = [zipfile.ZipInfo(f"pkg/file{number}") for number in range(50)]
    for number, info in enumerate(members):
        info.file_size = (number % 7) * 10_000
    for count in (1, 2, 3, 4):
        shares = [share(members, number, count) for number in range(count)]
        assert [info for part in shares for info in part] == members
        work = [sum(info.file_size + FILE_COST for info in part) for part in shares]
        total = sum(work)
        assert max(work) - min(work) <= 2 * (60_000 + FILE_COST), (count, work, total)


def large_wheel(tmp_path: Path) -> Path:
    """A wheel over SPLIT_SIZE: incompressible data files and many small modules."""
    random_files = {f"big/data/blob{number}.bin": os.urandom(1024 * 1024) for number in range(3)}
    small_files = {f"big/module{number}.py": f"value = {number}\n" * 20 for number in range(200)}
    wheel = build_wheel(Package("big", "1.0", files={"big/__init__.py": "", **random_files, **small_files}),
                        tmp_path)
    assert wheel.stat().st_size >= SPLIT_SIZE
    return wheel


def test_a_large_wheel_is_shared_by_the_helpers(tmp_path):
    unpacker = Unpacker(helpers=2)
    try:
        unpacker.expect(2)
        deadline = time.monotonic() + 30
        while unpacker.helpers_ready < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert unpacker.helpers_ready == 2
        helpers = [helper.process.pid for helper in unpacker._idle]
        wheel = large_wheel(tmp_path)
        with zipfile.ZipFile(wheel) as archive:
            expected = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
        shared = []
        # A helper done with its share early may take the other one too (that is allowed), so a
        # few tries are given to see both at work.
        for attempt in range(5):
            before = {pid: bytes_written(pid) for pid in helpers}
            unpacker.unpack(wheel, tmp_path / f"out{attempt}", wheel.name)
            assert tree(tmp_path / f"out{attempt}") == expected
            written = [bytes_written(pid) - before[pid] for pid in helpers]
            assert sum(written) >= 3 * 1024 * 1024, written
            # Both helpers wrote files of it (the shares balance bytes against file counts).
            shared.append(min(written) >= 10_000)
        assert any(shared)
        assert not [entry for entry in os.listdir(tmp_path) if entry.startswith(".yurt-tmp-")]
    finally:
        unpacker.close()


def test_a_shared_wheel_with_a_corrupt_member_leaves_nothing(tmp_path):
    wheel = large_wheel(tmp_path)
    data = bytearray(wheel.read_bytes())
    # Flip bytes inside the last blob's data: its CRC-32 no longer matches.
    position = data.rfind(b"big/data/blob2.bin") + 200
    data[position:position + 64] = bytes(64)
    wheel.write_bytes(bytes(data))
    unpacker = Unpacker(helpers=2)
    try:
        with pytest.raises(YurtError, match="corrupt|not a valid wheel"):
            unpacker.unpack(wheel, tmp_path / "out", wheel.name)
    finally:
        unpacker.close()
    assert not (tmp_path / "out").exists()
    assert not [entry for entry in os.listdir(tmp_path) if entry.startswith(".yurt-tmp-")]


def test_a_wheel_that_arrives_while_the_helpers_start_waits_for_them(tmp_path):
    wheel = build_wheel(Package("early", "1.0", files={"early/__init__.py": "", "early/data.txt": "d" * 20_000}),
                        tmp_path)
    unpacker = Unpacker(helpers=1)
    try:
        unpacker.expect(2)
        assert unpacker.helpers_ready == 0
        helper = unpacker._started[0].process
        before = bytes_written(helper.pid)
        unpacker.unpack(wheel, tmp_path / "out", wheel.name)
        # Unzipped by the helper once it was up, not here.
        assert bytes_written(helper.pid) - before >= 20_000
        assert (tmp_path / "out" / "early" / "data.txt").read_text() == "d" * 20_000
    finally:
        unpacker.close()


def test_a_closed_unpacker_stops_instead_of_unzipping_here(tmp_path):
    wheel = build_wheel(Package("late", "1.0"), tmp_path)
    unpacker = Unpacker(helpers=1)
    unpacker.close()
    with pytest.raises(YurtError, match="was stopped"):
        unpacker.unpack(wheel, tmp_path / "out", wheel.name)
    assert not (tmp_path / "out").exists()


def test_wheels_the_plan_left_out_are_not_unzipped(tmp_path, unpacker):
    kept = build_wheel(Package("kept", "1.0"), tmp_path)
    dropped = build_wheel(Package("dropped", "1.0"), tmp_path)
    unpacker.keep_only(frozenset({kept.name}))
    with pytest.raises(YurtError, match="does not need it"):
        unpacker.unpack(dropped, tmp_path / "dropped", dropped.name)
    unpacker.unpack(kept, tmp_path / "kept", kept.name)
    assert not (tmp_path / "dropped").exists()
    assert (tmp_path / "kept" / "kept" / "__init__.py").is_file()


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the helper's memory map")
def test_helpers_inflate_with_what_this_process_would(tmp_path, unpacker):
    from yurt.cache.archives import deflate

    wheels = [build_wheel(Package(f"mapped{number}", "1.0"), tmp_path) for number in range(2)]
    for number, wheel in enumerate(wheels):
        unpacker.unpack(wheel, tmp_path / f"out{number}", wheel.name)
    wait_for_helpers(unpacker)
    helper = unpacker._idle[0].process
    maps = Path(f"/proc/{helper.pid}/maps").read_text()
    # The helper runs with -I -S, so its path is passed on: it loads ISA-L's inflate when this
    # process has it, from the same file.
    if deflate.__name__ == "zlib":
        pytest.skip("ISA-L is not installed here")
    assert deflate.__file__ in maps


@pytest.mark.parametrize("codec", ["zlib", "isal"])
def test_either_inflater_unzips_the_same_and_catches_corruption(tmp_path, monkeypatch, codec):
    import zlib

    from yurt.cache import archives

    if codec == "isal":
        isal_zlib = pytest.importorskip("isal.isal_zlib")
        monkeypatch.setattr(archives, "deflate", isal_zlib)
        monkeypatch.setattr(archives, "INFLATE_ERRORS", (zlib.error, isal_zlib.error))
    else:
        monkeypatch.setattr(archives, "deflate", zlib)
        monkeypatch.setattr(archives, "INFLATE_ERRORS", (zlib.error,))
    # Members above this are inflated piece by piece: cover that path with a small limit.
    monkeypatch.setattr(archives, "WHOLE_MEMBER_LIMIT", 64 * 1024)
    files = {"pkg/__init__.py": "x = 1\n", "pkg/big.txt": "line of text\n" * 40_000, "pkg/empty.txt": ""}
    wheel = build_wheel(Package("pkg", "1.0", files=files), tmp_path)
    (tmp_path / "out").mkdir()
    archives.extract_wheel(wheel, tmp_path / "out", wheel.name)
    with zipfile.ZipFile(wheel) as archive:
        expected = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    assert tree(tmp_path / "out") == expected
    data = bytearray(wheel.read_bytes())
    position = data.find(b"pkg/big.txt") + 400
    data[position:position + 32] = bytes(range(32))
    wheel.write_bytes(bytes(data))
    (tmp_path / "again").mkdir()
    with pytest.raises(YurtError, match="does not inflate|corrupt"):
        archives.extract_wheel(wheel, tmp_path / "again", wheel.name)
