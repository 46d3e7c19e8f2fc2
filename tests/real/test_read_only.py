"""Recordings are read-only: ingesting a write-protected copy of every real recording (plus a ROS 2
bag switched to WAL mode, which SQLite would otherwise give a ``-wal`` and ``-shm``) leaves its
tree and bytes exactly as they were."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sessions_lib import Client
from sessions_lib.ingest import ingest_folder, recording_paths
from sessions_lib.readers import read_recording

REAL = Path(__file__).resolve().parents[3] / "shared" / "data" / "real"


def tree(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every entry under ``root``: its mode, size and (for files) the SHA-256 of its bytes."""
    return {
        path.relative_to(root).as_posix(): (
            path.lstat().st_mode,
            path.lstat().st_size if path.is_file() else 0,
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "",
        )
        for path in sorted(root.rglob("*"))
    }


def set_writable(root: Path, writable: bool) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        bits = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
        path.chmod(mode | stat.S_IWUSR if writable else mode & ~bits)


@pytest.fixture
def protected_copy(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "real"
    shutil.copytree(REAL, root)
    bag = next(root.rglob("*.db3"))
    wal_bag = bag.with_name("wal_mode.db3")
    shutil.copy(bag, wal_bag)
    with sqlite3.connect(wal_bag) as connection:  # the mode is kept in the file's header
        assert connection.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    assert not wal_bag.with_name("wal_mode.db3-wal").exists()
    set_writable(root, False)
    yield root
    set_writable(root, True)


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is not beside the project")
@pytest.mark.slow  # ingests every real recording
def test_ingesting_a_write_protected_copy_changes_nothing_in_it(client: Client, protected_copy: Path):
    before = tree(protected_copy)
    report = ingest_folder(protected_copy, roboto_client=client)
    assert "ros2/" in " ".join(report.registered)
    assert tree(protected_copy) == before  # nothing created, changed or locked beside the recordings
    assert ingest_folder(protected_copy, roboto_client=client).registered == ()
    assert tree(protected_copy) == before


def test_sqlite_sidecars_beside_a_database_are_not_recordings(tmp_path: Path):
    for name in ("talker.db3", "talker.db3-wal", "talker.db3-shm", "talker.db3-journal", "alone.db3-wal"):
        (tmp_path / name).write_bytes(b"x")
    assert sorted(p.name for p in recording_paths(tmp_path)) == ["alone.db3-wal", "talker.db3"]


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/data/real is not beside the project")
def test_writes_left_in_a_wal_beside_a_bag_are_noted_not_read(tmp_path: Path):
    bag = tmp_path / "live.db3"
    shutil.copy(next(REAL.rglob("*.db3")), bag)
    before = read_recording(bag)
    writer = sqlite3.connect(bag)
    try:
        writer.execute("PRAGMA journal_mode=WAL")
        writer.execute("PRAGMA wal_autocheckpoint=0")
        topic_id, last = writer.execute("SELECT topic_id, max(timestamp) FROM messages").fetchone()
        writer.execute(
            "INSERT INTO messages (topic_id, timestamp, data) VALUES (?, ?, x'00')", (topic_id, last + 1)
        )
        writer.commit()  # in the -wal only: the writer is still open
        assert bag.with_name("live.db3-wal").stat().st_size > 0
        during = read_recording(bag)
    finally:
        writer.close()
    assert [t.spans for t in during.topics] == [t.spans for t in before.topics]
    assert any("live.db3-wal" in note and "not read" in note for note in during.notes)
