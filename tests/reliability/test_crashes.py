"""SIGKILL at random moments while appending to (or undoing in) a large journal.

Each trial forks a writer that appends session after session (or removes the last one)
and kills it with SIGKILL after a random delay, or at the very moment it calls write() or
fsync(). Then, once the next matlog has opened it: the file parses, holds the old records
plus only whole new ones, no temporary file outlives the next writer, and the dead writer's
lock blocks no one.
"""

from __future__ import annotations

import fcntl
import os
import random
import signal
import time
from datetime import datetime
from pathlib import Path

import pytest
from rel_util import CET, figure, journal_writes_through, scale, sessions, write_journal

import matlog.journal.store as jmod
from matlog.journal import Journal, json_line, kind_of, parse, remove_last_session

MODES = ("random", "at-write", "at-fsync")


def _writer(path: Path, mode: str, job: str, signal_fd: int) -> None:
    """The child: loop forever appending (or undoing); tell the parent before each write."""
    real_write, real_fsync = os.write, os.fsync

    def announcing(real, step: str):
        def call(fd: int, *args):
            if mode == step and fd != signal_fd:
                real_write(signal_fd, b"!")
                time.sleep(0.0001)  # let the parent's kill land here or in the call
            return real(fd, *args)

        return call

    class Os:
        def __getattr__(self, name: str):
            return getattr(os, name)

    fake = Os()
    fake.write = announcing(real_write, "at-write")  # type: ignore[attr-defined]
    fake.fsync = announcing(real_fsync, "at-fsync")  # type: ignore[attr-defined]
    journal_writes_through(fake, jmod)
    journal = Journal(path)
    i = 0
    while True:
        if job == "append":
            when = datetime(2030, 1, 1, 22, 0, tzinfo=CET)
            journal.append([sessions(1, start=when, tag=f"new{i}")[0]])
        else:
            journal.rewrite(remove_last_session)
        i += 1


def _trial(path: Path, base: bytes, mode: str, job: str, cycle: float, rng: random.Random):
    path.write_bytes(base)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        try:
            os.close(read_fd)
            _writer(path, mode, job, write_fd)
        finally:
            os._exit(0)
    os.close(write_fd)
    try:
        if mode == "random":
            time.sleep(rng.uniform(0, cycle))
        else:
            # Let it do a few whole writes first, then kill it as it starts one.
            for _ in range(rng.randint(1, 2)):
                os.read(read_fd, 1)
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    finally:
        os.close(read_fd)


def _verify(path: Path, base: bytes, old: list[str], job: str) -> int:
    """The file is whole once the next matlog opens it (a write cut short by the kill is
    settled then: see test_cut_short.py); returns how many records the killed writer added
    (or removed)."""
    Journal(path).check()
    data = path.read_bytes()
    contents, problems = parse(data, path, kind_of(path))
    assert problems == [], problems
    if job == "append":
        assert data.startswith(base)  # the old records, byte for byte
        added = contents.records[len(old) :]
        assert all(r.note and r.note.startswith("new") for r in added)
        return len(added)
    # undo: some of the last sessions are gone, nothing else changed
    now = [json_line(r) for r in contents.records]
    assert len(now) <= len(old)
    assert [line for line in old if line in set(now)] == now
    return len(old) - len(now)


def _next_writer_is_not_blocked(path: Path) -> None:
    lock = path.parent / f".{path.name}.lock"
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if a dead writer held it
    finally:
        os.close(fd)
    before = Journal(path).read().records
    Journal(path).append([sessions(1, tag="after")[0]])
    assert len(Journal(path).read().records) == len(before) + 1
    leftovers = sorted(p.name for p in path.parent.iterdir() if p.name.startswith("."))
    assert leftovers == [f".{path.name}.lock"], leftovers  # the temp copy is cleaned


@pytest.mark.parametrize(
    ("suffix", "job", "size", "trials"),
    [
        ("jsonl", "append", 2000, scale(80, 600)),
        ("toml", "append", 800, scale(40, 300)),
        ("toml", "undo", 400, scale(30, 200)),
    ],
)
def test_sigkill_never_corrupts_the_journal(
    tmp_path: Path, suffix: str, job: str, size: int, trials: int
) -> None:
    path = tmp_path / f"journal.{suffix}"
    base_records = sessions(size)
    base = write_journal(path, base_records)
    began = time.perf_counter()
    Journal(path).read()
    cycle = (time.perf_counter() - began) * 1.5  # about one append, plus start-up
    old = [json_line(r) for r in base_records]
    rng = random.Random(f"{suffix}{job}{size}")
    changed = 0
    began = time.perf_counter()
    for n in range(trials):
        mode = MODES[n % len(MODES)]
        _trial(path, base, mode, job, cycle, rng)
        changed += _verify(path, base, old, job) > 0
        if n % 10 == 0:
            _next_writer_is_not_blocked(path)
    figure(
        f"kill -9 {job} {suffix}: {trials} trials on {size} sessions "
        f"({len(base) // 1024} KiB), 0 corrupt, {changed} with a whole new change, "
        f"in {time.perf_counter() - began:.1f}s"
    )
