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


# -- What is not a dead writer's to cut (from an adversarial pass) ---------------------------


def _leave_intent(path: Path, start: int, chunk: bytes) -> None:
    """The lock file as a writer killed after its intent (and maybe its append) leaves it."""
    fd = os.open(_lock(path), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        intent.declare(fd, start, chunk)
    finally:
        os.close(fd)


def _record_text(path: Path, tag: str) -> bytes:
    from matlog.journal.parse import serialise

    return serialise([sessions(1, start=NEW, tag=tag)[0]], Journal(path).kind).encode()


def test_an_append_through_another_name_is_never_cut(
    journal: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, base = journal
    other = tmp_path / f"other{path.suffix}"
    os.link(path, other)  # one journal, two names, two lock files
    _leave_intent(path, len(base), _record_text(path, "dead") * 3)  # killed before its write
    Journal(other).append([sessions(1, start=NEW, tag="via-other")[0]])
    Journal(path).append([sessions(1, start=NEW, tag="next")[0]])
    notes = [r.note for r in Journal(path).read().records]
    assert notes[-2:] == ["via-other-0", "next-0"]


def test_a_record_added_by_hand_after_a_kill_is_never_cut(journal: tuple[Path, bytes]) -> None:
    path, base = journal
    _leave_intent(path, len(base), _record_text(path, "dead") * 3)
    by_hand = _record_text(path, "by-hand")
    path.write_bytes(base + by_hand)
    Journal(path).append([sessions(1, start=NEW, tag="next")[0]])
    assert path.read_bytes().startswith(base + by_hand)
    assert [r.note for r in Journal(path).read().records][-2:] == ["by-hand-0", "next-0"]


def test_an_edit_that_shortens_the_journal_after_a_whole_append_cuts_nothing(
    journal: tuple[Path, bytes],
) -> None:
    path, base = journal
    Journal(path).append([sessions(1, start=NEW, tag="whole")[0]])
    appended = path.read_bytes()
    _leave_intent(path, len(base), appended[len(base) :])  # killed before clearing it
    edited = appended.replace(b'area = "back"\n', b"", 1).replace(b', "area": "back"', b"", 1)
    assert len(base) < len(edited) < len(appended)
    path.write_bytes(edited)
    Journal(path).append([sessions(1, start=NEW, tag="next")[0]])
    assert path.read_bytes().startswith(edited)
    assert [r.note for r in Journal(path).read().records][-2:] == ["whole-0", "next-0"]


@pytest.mark.parametrize(
    "junk",
    [
        b"garbage\n",
        b"matlog append 1\n12 5\nab",  # an intent cut short itself
        b"matlog append 1\n-3 2\nab",
        b"matlog append 1\n" + b"9" * 30 + b" 3\nabc",  # an offset past any file
        b"matlog append 1\n0 0\n",
    ],
)
def test_a_lock_file_of_junk_and_a_broken_journal_is_one_located_error(
    journal: tuple[Path, bytes], junk: bytes
) -> None:
    path, base = journal
    path.write_bytes(base + b"[[session]\n")
    _lock(path).write_bytes(junk)
    for _ in range(2):  # and never a loop of settling: every reader says the same
        with pytest.raises(JournalError, match="not valid"):
            Journal(path).read()
    assert Journal(path).check()
    assert path.read_bytes() == base + b"[[session]\n"
    assert _lock(path).stat().st_size == 0  # emptied: the lock file is matlog's own


def test_a_huge_lock_file_is_not_read_whole(journal: tuple[Path, bytes]) -> None:
    path, _ = journal
    _lock(path).write_bytes(b"matlog append 1\n")
    os.truncate(_lock(path), 1 << 40)  # sparse: a terabyte that is not there
    Journal(path).append([sessions(1, start=NEW, tag="next")[0]])
    assert Journal(path).read().records[-1].note == "next-0"
    assert _lock(path).stat().st_size == 0


def test_a_link_planted_as_the_lock_file_is_never_written_through(
    journal: tuple[Path, bytes], tmp_path: Path
) -> None:
    path, base = journal
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"keep me\n")
    for target in (victim, path):
        _lock(path).unlink(missing_ok=True)
        _lock(path).symlink_to(target)
        with pytest.raises(JournalWriteError, match="its lock file is a symbolic link"):
            Journal(path).append([sessions(1, start=NEW, tag="next")[0]])
        assert victim.read_bytes() == b"keep me\n" and path.read_bytes() == base


def test_edit_gets_a_settled_copy_not_the_part_record(journal: tuple[Path, bytes]) -> None:
    path, base = journal
    _killed_mid_append(path, keep=0.5)
    assert Journal(path).raw_bytes() == base
