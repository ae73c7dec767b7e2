"""`yurt cache clean | prune | size` on a realistic cache tree, and the cache lock between processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import yurt_environment
from yurt.cache import CACHEDIR_TAG, Cache
from yurt.cache.lock import LockTimeout
from yurt.cli.output import format_size

# Archive ids are wheel digests; short distinct ones keep the expectations readable.
REQUESTS_NEW = "a" * 64
REQUESTS_OLD = "b" * 64
IDNA = "c" * 64
SIX_MISSING = "d" * 64
MY_PKG = "e" * 64
ORPHAN = "f" * 64

HOLDER_SCRIPT = """
import sys
from pathlib import Path
from yurt.cache import Cache

with Cache(Path(sys.argv[1])).shared_lock(timeout=30):
    print("locked", flush=True)
    sys.stdin.readline()
"""


class CacheTree:
    """A fake cache written file by file, remembering sizes and hardlinks for the expectations."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sizes: dict[str, int] = {}
        # hardlink path -> the path it was linked from, so bytes count once per inode
        self.links: dict[str, str] = {}

    def file(self, relative: str, content: bytes | int = 100, mode: int | None = None) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content if isinstance(content, bytes) else bytes(range(256)) * (content // 256) + b"x" * (content % 256)
        path.write_bytes(data)
        if mode is not None:
            path.chmod(mode)
        self.sizes[relative] = len(data)

    def pointer(self, relative: str, archive_id: str) -> None:
        self.file(relative, json.dumps({"archive": archive_id}).encode())

    def hardlink(self, relative: str, original: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        os.link(self.root / original, path)
        self.sizes[relative] = self.sizes[original]
        self.links[relative] = original

    def bytes_of(self, relatives: set[str]) -> int:
        """Bytes of these files with each inode counted once, as yurt reports them."""
        inodes = {self.links.get(relative, relative) for relative in relatives}
        return sum(self.sizes[relative] for relative in inodes)


def build_cache(root: Path) -> CacheTree:
    """Every bucket, two indexes, pointers and archives, plus each kind of thing prune removes."""
    tree = CacheTree(root)
    tree.file("CACHEDIR.TAG", CACHEDIR_TAG)
    tree.file("interpreters-v1/python3.11-1a2b3c4d.json", 700)
    tree.file("simple-v1/pypi-0123/requests.msgpack", 2000)
    tree.file("simple-v1/pypi-0123/idna.msgpack", 900)
    tree.file("simple-v1/local-4567/requests.msgpack", 300)
    tree.file("metadata-v1/pypi-0123/requests/requests-2.31.0-py3-none-any.whl.metadata", 1200)
    tree.file("metadata-v1/pypi-0123/idna/idna-3.6-py3-none-any.whl.metadata", 800)
    tree.pointer("wheels-v1/pypi-0123/requests/requests-2.31.0-py3-none-any.whl.json", REQUESTS_NEW)
    tree.pointer("wheels-v1/local-4567/requests/requests-2.30.0-py3-none-any.whl.json", REQUESTS_OLD)
    tree.pointer("wheels-v1/pypi-0123/idna/idna-3.6-py3-none-any.whl.json", IDNA)
    tree.pointer("wheels-v1/pypi-0123/six/six-1.16.0-py2.py3-none-any.whl.json", SIX_MISSING)
    tree.pointer("builds-v1/sdist-89ab/my-pkg/my_pkg-1.0-py3-none-any.whl.json", MY_PKG)
    tree.file(f"archives-v1/{REQUESTS_NEW}/requests/__init__.py", 5000)
    tree.file(f"archives-v1/{REQUESTS_NEW}/requests/api.py", 7000)
    tree.file(f"archives-v1/{REQUESTS_NEW}/requests-2.31.0.dist-info/RECORD", 600, mode=0o444)
    # A read-only folder, as some wheels unpack, must not stop a removal.
    (root / f"archives-v1/{REQUESTS_NEW}/requests-2.31.0.dist-info").chmod(0o555)
    tree.file(f"archives-v1/{REQUESTS_OLD}/requests/__init__.py", 4900)
    tree.hardlink(f"archives-v1/{REQUESTS_OLD}/requests/api.py", f"archives-v1/{REQUESTS_NEW}/requests/api.py")
    tree.file(f"archives-v1/{IDNA}/idna/core.py", 13000)
    tree.hardlink(f"archives-v1/{IDNA}/idna/core-copy.py", f"archives-v1/{IDNA}/idna/core.py")
    tree.file(f"archives-v1/{MY_PKG}/my_pkg/__init__.py", 50)
    tree.file(f"archives-v1/{ORPHAN}/orphan/__init__.py", 3000)
    # What prune removes besides the orphan archive and the six pointer whose archive is missing:
    tree.file("simple-v0/pypi/requests.msgpack", 1500)
    tree.file(".yurt-tmp-99-01020304-CACHEDIR.TAG", 176)
    tree.file("archives-v1/.yurt-tmp-88-0e0f0a0b-" + "9" * 64 + "/partial/__init__.py", 400)
    tree.file("wheels-v1/pypi-0123/idna/.yurt-tmp-77-0a0b0c0d-idna-3.7-py3-none-any.whl.json", 30)
    return tree


def snapshot(root: Path) -> set[str]:
    """Every file and folder below root, relative, folders ending in `/`."""
    found = set()
    for folder, folders, files in os.walk(root):
        relative = Path(folder).relative_to(root)
        found.update(f"{(relative / name).as_posix()}/" for name in folders)
        found.update((relative / name).as_posix() for name in files)
    return found


def entries_under(entries: set[str], removed: set[str]) -> set[str]:
    """The removed files and folders (`name/`) with everything inside those folders."""
    return {entry for entry in entries
            if entry in removed or any(entry.startswith(folder) for folder in removed if folder.endswith("/"))}


@pytest.fixture
def tree(cache_dir):
    return build_cache(cache_dir)


@pytest.fixture
def hold_shared_lock(cache_dir):
    """Start a process that holds the cache's shared lock until the test releases it."""
    holders: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER_SCRIPT, str(cache_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=yurt_environment(cache_dir),
        )
        holders.append(holder)
        assert holder.stdout.readline().strip() == "locked"
        return holder

    yield start
    for holder in holders:
        release(holder)


def release(holder: subprocess.Popen) -> None:
    if holder.poll() is None:
        holder.stdin.close()
        try:
            holder.wait(timeout=10)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
    holder.stdout.close()


# prune


def test_prune_removes_exactly_the_unused_entries(yurt, cache_dir, tree):
    before = snapshot(cache_dir)
    removed_files = {
        "simple-v0/pypi/requests.msgpack",
        ".yurt-tmp-99-01020304-CACHEDIR.TAG",
        "archives-v1/.yurt-tmp-88-0e0f0a0b-" + "9" * 64 + "/partial/__init__.py",
        "wheels-v1/pypi-0123/idna/.yurt-tmp-77-0a0b0c0d-idna-3.7-py3-none-any.whl.json",
        "wheels-v1/pypi-0123/six/six-1.16.0-py2.py3-none-any.whl.json",
        f"archives-v1/{ORPHAN}/orphan/__init__.py",
    }
    removed = entries_under(before, {
        "simple-v0/",
        ".yurt-tmp-99-01020304-CACHEDIR.TAG",
        "archives-v1/.yurt-tmp-88-0e0f0a0b-" + "9" * 64 + "/",
        "wheels-v1/pypi-0123/idna/.yurt-tmp-77-0a0b0c0d-idna-3.7-py3-none-any.whl.json",
        # The dangling pointer, and the package folder it leaves empty.
        "wheels-v1/pypi-0123/six/",
        f"archives-v1/{ORPHAN}/",
    })
    assert removed_files <= removed

    result = yurt("cache", "prune", check=True)

    assert snapshot(cache_dir) == (before - removed) | {".lock"}
    assert result.stderr.splitlines() == [
        f"Pruning cache at: {cache_dir}",
        f"Removed 6 unused entries ({format_size(tree.bytes_of(removed_files))})",
    ]
    assert result.stdout == ""

    again = yurt("cache", "prune", check=True)
    assert again.stderr.splitlines()[-1] == "No unused entries found"
    assert snapshot(cache_dir) == (before - removed) | {".lock"}


def test_prune_keeps_archives_that_build_pointers_reference(yurt, cache_dir, tree):
    yurt("cache", "prune", check=True)
    assert (cache_dir / "archives-v1" / MY_PKG / "my_pkg" / "__init__.py").is_file()
    assert (cache_dir / "builds-v1/sdist-89ab/my-pkg/my_pkg-1.0-py3-none-any.whl.json").is_file()


# clean


def test_clean_names_removes_their_entries_in_every_bucket(yurt, cache_dir, tree):
    before = snapshot(cache_dir)
    requests_files = {
        "simple-v1/pypi-0123/requests.msgpack",
        "simple-v1/local-4567/requests.msgpack",
        "metadata-v1/pypi-0123/requests/requests-2.31.0-py3-none-any.whl.metadata",
        "wheels-v1/pypi-0123/requests/requests-2.31.0-py3-none-any.whl.json",
        "wheels-v1/local-4567/requests/requests-2.30.0-py3-none-any.whl.json",
        f"archives-v1/{REQUESTS_NEW}/requests/__init__.py",
        f"archives-v1/{REQUESTS_NEW}/requests/api.py",
        f"archives-v1/{REQUESTS_NEW}/requests-2.31.0.dist-info/RECORD",
        f"archives-v1/{REQUESTS_OLD}/requests/__init__.py",
        f"archives-v1/{REQUESTS_OLD}/requests/api.py",
    }
    my_pkg_files = {
        "builds-v1/sdist-89ab/my-pkg/my_pkg-1.0-py3-none-any.whl.json",
        f"archives-v1/{MY_PKG}/my_pkg/__init__.py",
    }
    gone = requests_files | my_pkg_files
    removed = entries_under(before, {
        "simple-v1/pypi-0123/requests.msgpack",
        "simple-v1/local-4567/requests.msgpack",
        "metadata-v1/pypi-0123/requests/",
        "wheels-v1/pypi-0123/requests/",
        "wheels-v1/local-4567/requests/",
        f"archives-v1/{REQUESTS_NEW}/",
        f"archives-v1/{REQUESTS_OLD}/",
        "builds-v1/sdist-89ab/my-pkg/",
        f"archives-v1/{MY_PKG}/",
    })
    assert gone <= removed

    # Names are matched as PEP 503 normalizes them; a name given twice is cleaned once.
    result = yurt("cache", "clean", "Requests", "My_Pkg", "my.pkg", "numpy", check=True)

    assert snapshot(cache_dir) == (before - removed) | {".lock"}
    # Index folders that held only this package stay: they are cheap and about to be refilled.
    assert "wheels-v1/local-4567/" in snapshot(cache_dir)
    assert result.stderr.splitlines() == [
        f"Removed 10 files for requests ({format_size(tree.bytes_of(requests_files))})",
        f"Removed 2 files for my-pkg ({format_size(tree.bytes_of(my_pkg_files))})",
        "No cache entries found for numpy",
    ]
    # The two requests archives share one hardlinked file: its bytes count once.
    assert tree.bytes_of(requests_files) == sum(tree.sizes[name] for name in requests_files) - 7000


def test_clean_removes_everything_but_the_lock_and_tag(yurt, cache_dir, tree):
    Cache(cache_dir).prepare_root()
    lock_inode = (cache_dir / ".lock").stat().st_ino
    everything = set(tree.sizes) - {"CACHEDIR.TAG"}

    result = yurt("cache", "clean", check=True)

    assert snapshot(cache_dir) == {".lock", "CACHEDIR.TAG"}
    # The same lock file, so processes waiting on it lock what the next ones will.
    assert (cache_dir / ".lock").stat().st_ino == lock_inode
    assert result.stderr.splitlines() == [
        f"Clearing cache at: {cache_dir}",
        f"Removed {len(everything)} files ({format_size(tree.bytes_of(everything))})",
    ]

    again = yurt("cache", "clean", check=True)
    assert again.stderr.splitlines()[-1] == "No cache entries found"


def test_no_cache_found(yurt, tmp_path):
    missing = tmp_path / "missing"
    for command in ("clean", "prune"):
        result = yurt("cache", command, env={"YURT_CACHE_DIR": str(missing)}, check=True)
        assert result.stderr == f"No cache found at: {missing}\n"
    assert yurt("cache", "size", env={"YURT_CACHE_DIR": str(missing)}, check=True).stdout == "0\n"
    assert not missing.exists()


# size


def test_size_counts_hardlinked_files_once(yurt, cache_dir, tree):
    result = yurt("cache", "size", check=True)
    assert result.stdout == f"{tree.bytes_of(set(tree.sizes))}\n"
    assert result.stderr == ""


def test_size_human(yurt, cache_dir):
    tree = CacheTree(cache_dir)
    tree.file("archives-v1/x/big.so", 3 * 1024 * 1024 // 2)
    tree.hardlink("archives-v1/y/big.so", "archives-v1/x/big.so")
    assert yurt("cache", "size", check=True).stdout == "1572864\n"
    assert yurt("cache", "size", "-H", check=True).stdout == "1.5MiB\n"
    assert yurt("cache", "size", "--human", check=True).stdout == "1.5MiB\n"


@pytest.mark.parametrize(("byte_count", "text"), [
    (0, "0B"), (1023, "1023B"), (1024, "1.0KiB"), (12_900_000, "12.3MiB"),
    (1024 * 1024 - 1, "1.0MiB"), (5 * 1024**4, "5.0TiB"), (3 * 1024**5, "3072.0TiB"),
])
def test_format_size(byte_count, text):
    assert format_size(byte_count) == text


# the lock


def test_clean_times_out_while_the_cache_is_in_use_and_removes_nothing(yurt, cache_dir, tree, hold_shared_lock):
    hold_shared_lock()
    before = snapshot(cache_dir)

    result = yurt("cache", "clean", env={"YURT_LOCK_TIMEOUT": "0.3"}, check=1)

    assert snapshot(cache_dir) == before
    assert result.stderr.count("Waiting for other yurt processes to finish using the cache...") == 1
    assert (
        f"error: timed out after 0.3 s waiting for other yurt processes using the cache at {cache_dir}\n"
    ) in result.stderr
    assert "hint: pass `--force` to clean without waiting" in result.stderr
    assert "Traceback" not in result.stderr

    forced = yurt("cache", "clean", "--force", env={"YURT_LOCK_TIMEOUT": "0.3"}, check=True)
    assert "Waiting" not in forced.stderr
    assert snapshot(cache_dir) == {".lock", "CACHEDIR.TAG"}


def test_prune_times_out_while_the_cache_is_in_use(yurt, cache_dir, tree, hold_shared_lock):
    hold_shared_lock()
    before = snapshot(cache_dir)
    result = yurt("cache", "prune", env={"YURT_LOCK_TIMEOUT": "0"}, check=1)
    assert snapshot(cache_dir) == before
    assert "error: timed out after 0 s waiting for other yurt processes using the cache at" in result.stderr


def test_clean_waits_and_proceeds_once_the_holder_exits(cache_dir, tree, hold_shared_lock):
    holder = hold_shared_lock()
    clean = subprocess.Popen(
        [sys.executable, "-m", "yurt", "cache", "clean"], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=yurt_environment(cache_dir, {"YURT_LOCK_TIMEOUT": "60"}),
    )
    try:
        assert clean.stderr.readline() == f"Clearing cache at: {cache_dir}\n"
        # Read only once clean has announced the wait, so the test never races the holder.
        assert clean.stderr.readline() == "Waiting for other yurt processes to finish using the cache...\n"
        assert len(snapshot(cache_dir)) > 2
        release(holder)
        stdout, stderr = clean.communicate(timeout=60)
    finally:
        if clean.poll() is None:
            clean.kill()
            clean.communicate()
    assert clean.returncode == 0, stderr
    assert stderr.startswith("Removed ")
    assert snapshot(cache_dir) == {".lock", "CACHEDIR.TAG"}


def test_shared_locks_coexist_and_exclude_the_exclusive_lock(cache_dir, hold_shared_lock):
    hold_shared_lock()
    cache = Cache(cache_dir)
    waits = []
    with cache.shared_lock(timeout=0, on_wait=lambda: waits.append(1)) as lock:
        assert lock.held
    assert waits == []
    with pytest.raises(LockTimeout, match="timed out after 0.2 s"):
        with cache.exclusive_lock(timeout=0.2, on_wait=lambda: waits.append(1)):
            pass
    assert waits == [1]


def test_exclusive_lock_is_granted_once_the_holder_exits(cache_dir, hold_shared_lock):
    holder = hold_shared_lock()
    release(holder)
    lock = Cache(cache_dir).exclusive_lock(timeout=5)
    assert lock.acquire() is False
    lock.release()


def test_taking_the_lock_creates_the_root_with_its_tag(tmp_path):
    root = tmp_path / "new" / "cache"
    with Cache(root).shared_lock(timeout=0):
        assert (root / ".lock").is_file()
        assert (root / "CACHEDIR.TAG").read_bytes() == CACHEDIR_TAG


def test_invalid_package_name_is_refused_before_anything_is_removed(yurt, cache_dir, tree):
    before = snapshot(cache_dir)
    result = yurt("cache", "clean", "requests", "../archives-v1", check=1)
    assert "error: '../archives-v1' is not a valid package name" in result.stderr
    assert snapshot(cache_dir) == before


def test_bad_lock_timeout_is_a_user_error(yurt, tree):
    result = yurt("cache", "clean", env={"YURT_LOCK_TIMEOUT": "soon"}, check=1)
    assert "YURT_LOCK_TIMEOUT must be a number of seconds, not 'soon'" in result.stderr
    assert "Traceback" not in result.stderr
