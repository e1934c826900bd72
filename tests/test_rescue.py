"""Rescue files in a shared temporary folder: nothing planted there ever receives a record.

Issue #10 (item 11): rescue files were opened without O_EXCL|O_NOFOLLOW and some names were
predictable (`rescued-<pid>`), so a file or link planted in /tmp received a private note.
Here the random part of every name matlog may choose is made predictable on purpose, and a
file or a symlink to a victim is planted at each: the record must still be saved (at a name
nobody planted) and the user told where.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest
from conftest import make_session

from matlog import paths
from matlog.errors import JournalWriteError, RecordRescued
from matlog.journal import Journal, load_file
from matlog.journal import rescue as rescue_module
from matlog.journal.rescue import append_or_rescue

SECRET = "a private note"


def refusing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Journal, records: object, **kwargs: object) -> list[object]:
        raise JournalWriteError(f"cannot write {self.path}: No space left on device", "")

    monkeypatch.setattr(Journal, "append", refuse)


@pytest.mark.parametrize("plant", ["file", "symlink", "symlink-to-missing"])
def test_a_planted_name_never_receives_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, plant: str
) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir(mode=0o1777)
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    # The state folder cannot hold the rescue file: it goes to the shared folder.
    paths.state_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.state_dir().write_text("not a folder")
    # An attacker who could predict the random part: the first 5 draws are known.
    draws = itertools.chain([b"\x00\x00\x00\x01"] * 5, (n.to_bytes(4) for n in itertools.count(2)))
    monkeypatch.setattr(rescue_module.os, "urandom", lambda n: next(draws)[:n])
    session = make_session(note=SECRET)
    victim = tmp_path / "victim"
    victim.write_text("the attacker's file\n")
    predictable = shared / f"rescued-{session.id}-00000001.toml"
    if plant == "file":
        predictable.write_text("planted\n")
        predictable.chmod(0o666)
    elif plant == "symlink":
        predictable.symlink_to(victim)
    else:
        predictable.symlink_to(tmp_path / "created-through-the-link")
    refusing(monkeypatch)
    with pytest.raises(RecordRescued) as raised:
        append_or_rescue(Journal(tmp_path / "journal.toml"), [session])
    saved = raised.value.saved
    assert saved is not None and saved.parent == shared and saved != predictable
    assert str(saved) in raised.value.message  # the user is told where
    [record] = load_file(saved).sessions
    assert record.note == SECRET and record.id == session.id
    assert saved.stat().st_mode & 0o777 == 0o600
    assert victim.read_text() == "the attacker's file\n"
    assert not (tmp_path / "created-through-the-link").exists()
    if plant == "file":
        assert predictable.read_text() == "planted\n"
    assert SECRET not in "".join(
        p.read_text() for p in shared.iterdir() if p != saved and p.exists()
    )
