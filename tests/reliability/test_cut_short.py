"""A write cut short by a kill: the next matlog settles it, and nothing is lost.

Linux stops copying a `write()` at a page boundary once SIGKILL is pending, so a writer
killed at that moment leaves part of a record at the journal's end (the kill -9 test in
test_crashes.py met it). Here the cut is made to happen every time: the writer's `write`
puts down part of the record, then the writer kills itself.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from rel_util import CET, journal_writes_through, sessions, write_journal

import matlog.journal.store as jmod
from matlog import paths
from matlog.errors import JournalError, JournalWriteError
from matlog.journal import Journal, intent, json_line, load_file, parse

NEW = datetime(2030, 1, 1, 22, 0, tzinfo=CET)


def _killed_mid_append(path: Path, keep: float, *, then_clear: bool = False) -> None:
    """Fork a writer whose one append lands `keep` of its bytes, then dies by SIGKILL."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        try:
            real_write = os.write

            class Os:
                def __getattr__(self, name: str) -> object:
                    return getattr(os, name)

                @staticmethod
                def write(fd: int, data: bytes) -> int:
                    real_write(fd, bytes(data)[: int(len(data) * keep)])
                    os.kill(os.getpid(), signal.SIGKILL)
                    raise AssertionError("unreachable")

            journal_writes_through(Os(), jmod)
            Journal(path).append([sessions(1, start=NEW, tag="cut")[0]])
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


@pytest.fixture(params=["toml", "jsonl"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, bytes]:
    path = tmp_path / f"journal.{request.param}"
    return path, write_journal(path, sessions(30))


def _lock(path: Path) -> Path:
    return path.parent / f".{path.name}.lock"


def test_a_part_record_is_cut_off_by_the_next_reader_and_the_record_is_rescued(
    journal: tuple[Path, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    path, base = journal
    _killed_mid_append(path, keep=0.5)
    torn = path.read_bytes()
    assert len(torn) > len(base) and parse(torn, path, Journal(path).kind)[1]  # broken now
    records = Journal(path).read().records  # the next command: it settles, then reads
    assert path.read_bytes() == base
    assert len(records) == len(parse(base, path, Journal(path).kind)[0].records)
    said = capsys.readouterr().err
    assert "was cut short" in said and "`matlog import " in said
    [saved] = (paths.state_dir() / "rescued").iterdir()
    assert saved.name.startswith("rescued-cut-short-")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    [rescued] = load_file(saved).records
    assert rescued.note == "cut-0"
    assert _lock(path).stat().st_size == 0  # settled once, never again
    Journal(path).append([sessions(1, start=NEW, tag="after")[0]])
    assert [r.note for r in Journal(path).read().records][-1] == "after-0"


def test_a_writer_settles_it_before_its_own_append(journal: tuple[Path, bytes]) -> None:
    path, base = journal
    _killed_mid_append(path, keep=0.3)
    Journal(path).append([sessions(1, start=NEW, tag="next")[0]])
    data = path.read_bytes()
    assert data.startswith(base)
    contents, problems = parse(data, path, Journal(path).kind)
    assert problems == [] and contents.records[-1].note == "next-0"
    assert not any(r.note == "cut-0" for r in contents.records)


def test_check_and_stats_through_the_cli_settle_it_too(journal: tuple[Path, bytes]) -> None:
    path, base = journal
    _killed_mid_append(path, keep=0.5)
    env = {**os.environ, "MATLOG_JOURNAL": str(path)}
    check = subprocess.run(
        [sys.executable, "-m", "matlog", "check"], capture_output=True, text=True, env=env
    )
    assert check.returncode == 0, check.stderr
    assert "was cut short" in check.stderr
    assert path.read_bytes() == base


def test_an_append_that_landed_whole_is_kept(journal: tuple[Path, bytes]) -> None:
    """Killed after its write but before it cleared its intent: the record is whole."""
    path, base = journal
    journal_obj = Journal(path)
    record = sessions(1, start=NEW, tag="whole")[0]
    journal_obj.append([record])
    appended = path.read_bytes()
    # Put back the intent as the killed writer would have left it.
    fd = os.open(_lock(path), os.O_RDWR)
    try:
        intent.declare(fd, len(base), appended[len(base) :])
    finally:
        os.close(fd)
    assert Journal(path).read().records[-1].note == "whole-0"
    Journal(path).append([sessions(1, start=NEW, tag="next")[0]])
    notes = [r.note for r in Journal(path).read().records]
    assert notes[-2:] == ["whole-0", "next-0"]
    assert not (paths.state_dir() / "rescued").exists()


def test_an_intent_cut_short_itself_changes_nothing(journal: tuple[Path, bytes]) -> None:
    """The writer died writing its intent, so before its append began."""
    path, base = journal
    fd = os.open(_lock(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        intent.declare(fd, len(base), b"[[session]]\nid = 'x'\n")
        os.ftruncate(fd, os.fstat(fd).st_size - 3)
    finally:
        os.close(fd)
    Journal(path).append([sessions(1, start=NEW, tag="next")[0]])
    assert path.read_bytes().startswith(base)
    assert Journal(path).read().records[-1].note == "next-0"


def test_a_journal_broken_by_hand_is_never_cut(journal: tuple[Path, bytes]) -> None:
    """Without an intent left by a dead writer, a broken end is the user's: reported, kept."""
    path, base = journal
    path.write_bytes(base + b"[[session]\n")
    with pytest.raises(JournalError, match="not valid"):
        Journal(path).read()
    assert path.read_bytes() == base + b"[[session]\n"


def test_a_reader_that_cannot_take_the_lock_reports_the_problem(
    journal: tuple[Path, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only folder, say: the reader says what is wrong and changes nothing."""
    path, _ = journal
    _killed_mid_append(path, keep=0.5)
    torn = path.read_bytes()

    def refused(self: Journal) -> None:
        raise JournalWriteError(f"cannot write beside {path}: Read-only file system", "")

    monkeypatch.setattr(Journal, "locked", refused)
    with pytest.raises(JournalError, match=r"journal\.\w+:\d+: "):
        Journal(path).read()
    assert path.read_bytes() == torn


def test_records_match_after_settling(journal: tuple[Path, bytes]) -> None:
    path, base = journal
    before = [json_line(r) for r in parse(base, path, Journal(path).kind)[0].records]
    _killed_mid_append(path, keep=0.99)
    assert [json_line(r) for r in Journal(path).read().records] == before
