"""A hard-linked journal stays one file through `undo`, `rate` and `edit` (issue #10, item 14).

Replacing the file (a new inode renamed over the name) would leave the other link holding
the old journal: two files that drift apart. With more than one link, matlog changes the
file in place instead, after saving a private copy of the old bytes, and says so.
"""

from __future__ import annotations

import errno
import os
from datetime import datetime
from pathlib import Path

import pytest
from conftest import CET, make_session

from matlog import paths
from matlog.errors import JournalWriteError
from matlog.journal import Journal, remove_last_session
from matlog.ratings import add_after_ratings


def _linked(journal_path: Path) -> Path:
    Journal(journal_path).append(
        [
            make_session(datetime(2026, 11, 20 + i, 22, 0, tzinfo=CET), note=f"n{i}")
            for i in range(3)
        ]
    )
    other = journal_path.parent / "synced" / "journal.toml"
    other.parent.mkdir()
    os.link(journal_path, other)
    return other


def _backups() -> list[Path]:
    folder = paths.state_dir() / "backups"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_undo_changes_both_links_and_says_so(invoke, journal_path: Path) -> None:
    other = _linked(journal_path)
    inode = journal_path.stat().st_ino
    result = invoke("undo", "--yes")
    assert result.exit_code == 0, result.output
    assert journal_path.stat().st_ino == inode and journal_path.stat().st_nlink == 2
    assert other.read_bytes() == journal_path.read_bytes()
    assert [s.note for s in Journal(other).read().sessions] == ["n0", "n1"]
    notes = [line for line in result.stderr.splitlines() if "hard links" in line]
    assert len(notes) == 1 and notes[0].startswith("matlog: ")
    assert _backups() == []  # the copy of the old bytes goes once the change is safe


def test_rate_changes_both_links(invoke, journal_path: Path) -> None:
    other = _linked(journal_path)
    result = invoke("rate", "pain=2")
    assert result.exit_code == 0, result.output
    assert Journal(other).read().sessions[-1].after == {"pain": 2}
    assert journal_path.stat().st_nlink == 2
    assert "hard links" in result.stderr


def test_a_journal_with_one_link_is_still_replaced_atomically(journal_path: Path) -> None:
    Journal(journal_path).append([make_session(note="a"), make_session(note="b")])
    inode = journal_path.stat().st_ino
    Journal(journal_path).rewrite(remove_last_session)
    assert journal_path.stat().st_ino != inode  # a new file renamed over the old one


def test_a_failed_write_in_place_puts_the_old_bytes_back(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = _linked(journal_path)
    before = journal_path.read_bytes()
    real_pwrite = os.pwrite
    calls = []

    def failing_once(fd: int, data: bytes, offset: int) -> int:
        calls.append(offset)
        if len(calls) == 1:
            real_pwrite(fd, data[: len(data) // 2], offset)  # half of it landed
            raise OSError(errno.EIO, "Input/output error")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr("matlog.journal.store.os.pwrite", failing_once)
    with pytest.raises(JournalWriteError, match="Input/output error"):
        add_after_ratings(Journal(journal_path), None, {"pain": 2})  # rewrites a middle
    assert len(calls) == 2  # the change, then the old bytes put back
    assert journal_path.read_bytes() == before == other.read_bytes()
    assert _backups() == []


def test_writers_through_two_names_of_one_journal_take_turns(journal_path: Path) -> None:
    """Each name has its own side lock; the journal's inode is locked too, so a writer
    through one name holds off a writer through the other (an append between another's
    read and its in-place write would be lost)."""
    import fcntl

    other = _linked(journal_path)
    with Journal(journal_path).locked():
        fd = os.open(other, os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    fd = os.open(other, os.O_RDONLY)  # released with the lock
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(fd)
