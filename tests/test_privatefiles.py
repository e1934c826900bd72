"""The one private-file writer: whole or not at all, 0600, never through a planted link."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from matlog import privatefiles
from matlog.privatefiles import create_new, replace_atomically, write_all


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_create_new_is_private_and_refuses_what_is_there(tmp_path: Path) -> None:
    path = tmp_path / "rescued.toml"
    create_new(path, b"record")
    assert path.read_bytes() == b"record" and mode(path) == 0o600
    with pytest.raises(FileExistsError):
        create_new(path, b"other")
    assert path.read_bytes() == b"record"


def test_create_new_never_writes_through_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"theirs")
    link = tmp_path / "rescued.toml"
    link.symlink_to(victim)
    with pytest.raises(FileExistsError):
        create_new(link, b"a private note")
    assert victim.read_bytes() == b"theirs"


def test_replace_keeps_the_old_file_whole_when_the_disk_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    path = folder / "backup.csv"
    path.write_bytes(b"old backup")

    def full_disk(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(privatefiles.os, "write", full_disk)
    with pytest.raises(OSError):
        replace_atomically(path, b"new export" * 1000, keep_mode=True)
    monkeypatch.undo()
    assert path.read_bytes() == b"old backup"
    assert [p.name for p in folder.iterdir()] == ["backup.csv"]  # no temporary left


def test_replace_keeps_the_mode_of_what_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    path.write_bytes(b"old")
    path.chmod(0o640)
    replace_atomically(path, b"new", keep_mode=True)
    assert path.read_bytes() == b"new" and mode(path) == 0o640
    fresh = tmp_path / "new.json"
    replace_atomically(fresh, b"{}")
    assert mode(fresh) == 0o600


def test_write_all_finishes_short_writes_and_refuses_a_disk_that_takes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write
    calls: list[int] = []

    def two_bytes_at_a_time(fd: int, data: bytes) -> int:
        calls.append(len(data))
        return real_write(fd, bytes(data)[:2])

    path = tmp_path / "f"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        monkeypatch.setattr(privatefiles.os, "write", two_bytes_at_a_time)
        write_all(fd, b"abcdefg")
        monkeypatch.setattr(privatefiles.os, "write", lambda fd, data: 0)
        with pytest.raises(OSError):
            write_all(fd, b"more")
    finally:
        monkeypatch.undo()
        os.close(fd)
    assert path.read_bytes() == b"abcdefg" and len(calls) == 4
