"""ENOSPC, EIO and EROFS at every step of writing: the journal stays byte-identical.

The steps are found by tracing a successful append (or undo) through the `os` and `fcntl`
of `matlog.journal.store` and its private-file writer; then each call in the trace is made
to fail in turn, with each errno.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rel_util import figure, journal_writes_through, sessions, write_journal

import matlog.journal.store as jmod
from matlog import paths
from matlog.env import Env
from matlog.errors import DataError, JournalError, JournalWriteError
from matlog.journal import Journal, remove_last_session

ERRNOS = (errno.ENOSPC, errno.EIO, errno.EROFS)
STEPS = {
    "os": ("open", "fstat", "pread", "write", "fsync", "ftruncate", "stat", "fchmod", "replace"),
    "fcntl": ("flock",),
}
SHORT = "short write"


class Faulty:
    """Stands in for a module: traces calls to STEPS, and fails the `fail_at`-th one."""

    def __init__(self, real: Any, names: tuple[str, ...], trace: list[str]) -> None:
        self._real, self._names, self._trace = real, names, trace
        self.fail_at: int | None = None
        self.error: int | str = errno.EIO

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._real, name)
        if name not in self._names:
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            index = len(self._trace)
            self._trace.append(name)
            if index == self.fail_at:
                if self.error == SHORT:  # the disk filled up part-way through the record
                    fd, data = args
                    return value(fd, bytes(data)[: len(data) // 2])
                raise OSError(self.error, os.strerror(self.error))
            return value(*args, **kwargs)

        return call


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Callable[[int | None, int | str], list[str]]:
    trace: list[str] = []
    fake_os = Faulty(os, STEPS["os"], trace)
    fake_fcntl = Faulty(fcntl, STEPS["fcntl"], trace)
    for name in ("os", "replace_atomically", "fsync_dir"):  # put back after the test
        monkeypatch.setattr(jmod, name, getattr(jmod, name))
    journal_writes_through(fake_os, jmod)
    monkeypatch.setattr(jmod, "fcntl", fake_fcntl)

    def arm(fail_at: int | None, error: int | str = errno.EIO) -> list[str]:
        trace.clear()
        for fake in (fake_os, fake_fcntl):
            fake.fail_at, fake.error = fail_at, error
        return trace

    return arm


def traced_steps(arm, operation: Callable[[], object], reset: Callable[[], None]) -> list[str]:
    trace = arm(None)
    operation()
    steps = list(trace)
    reset()
    return steps


@pytest.mark.parametrize("start", ["existing", "new"])
@pytest.mark.parametrize("suffix", ["toml", "jsonl"])
def test_append_faults_leave_the_journal_byte_identical(
    tmp_path: Path, faults, suffix: str, start: str
) -> None:
    path = tmp_path / f"journal.{suffix}"
    base = write_journal(path, sessions(20)) if start == "existing" else None
    record = sessions(1, tag="new")[0]

    def reset() -> None:
        if base is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(base)

    steps = traced_steps(faults, lambda: Journal(path).append([record]), reset)
    assert {"open", "flock", "write", "fsync"} <= set(steps)
    injected = failed = 0
    for index, step in enumerate(steps):
        errors: list[int | str] = [*ERRNOS, SHORT] if step == "write" else list(ERRNOS)
        for error in errors:
            faults(index, error)
            injected += 1
            try:
                Journal(path).append([record])
            except JournalWriteError as exc:
                failed += 1
                assert exc.record_text and record.note in exc.record_text
                assert str(path) in exc.message
                faults(None)
                if base is None:
                    assert not path.exists(), f"{step}: an empty journal was left behind"
                else:
                    assert path.read_bytes() == base, f"{step} ({error}) changed the journal"
            else:  # only the new file's folder's fsync (its open, its fsync) may fail quietly
                faults(None)
                assert start == "new" and index >= len(steps) - 2, f"{step} failed quietly"
                assert [r.note for r in Journal(path).read().records] == ["new-0"]
            reset()
    figure(
        f"I/O faults, append to {'an existing' if start == 'existing' else 'a new'} {suffix} "
        f"journal: {injected} injected at {len(steps)} steps, {failed} refused with the "
        "journal byte-identical"
    )


def test_undo_faults_leave_the_journal_byte_identical(tmp_path: Path, faults) -> None:
    path = tmp_path / "journal.toml"
    base = write_journal(path, sessions(20))
    steps = traced_steps(
        faults, lambda: Journal(path).rewrite(remove_last_session), lambda: path.write_bytes(base)
    )
    assert {"stat", "open", "write", "fsync", "replace"} <= set(steps)
    injected = 0
    for index, step in enumerate(steps):
        for error in ERRNOS:
            faults(index, error)
            injected += 1
            try:
                Journal(path).rewrite(remove_last_session)
            except (JournalWriteError, JournalError):  # JournalError: it could not be read
                faults(None)
                assert path.read_bytes() == base, f"{step} ({error}) changed the journal"
            else:  # only the folder's fsync (its open, its fsync) may fail quietly
                faults(None)
                assert index >= len(steps) - 2, f"{step} failed quietly"
                path.write_bytes(base)
            assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [
                ".journal.toml.lock"
            ], f"{step}: a temporary file was left behind"
    figure(f"I/O faults, undo: {injected} injected at {len(steps)} steps, journal byte-identical")


@pytest.mark.parametrize("error", ERRNOS)
def test_a_refused_record_is_printed_saved_and_imported_back(
    tmp_path: Path, faults, invoke, journal_path: Path, capsys, error: int
) -> None:
    base = write_journal(journal_path, sessions(3))
    record = sessions(1, tag="rescued")[0]
    steps = traced_steps(
        faults,
        lambda: Journal(journal_path).append([record]),
        lambda: journal_path.write_bytes(base),
    )
    faults(steps.index("write"), error)
    with pytest.raises(DataError) as info:
        Env(journal_path=journal_path).append([record])
    faults(None)
    assert journal_path.read_bytes() == base
    message = info.value.message
    assert os.strerror(error) in message and "The record was not lost: it is saved to " in message
    printed = capsys.readouterr().err
    assert f'note = "{record.note}"' in printed and f'id = "{record.id}"' in printed
    [rescued] = (paths.state_dir() / "rescued").iterdir()
    assert str(rescued) in message and str(rescued) in (info.value.hint or "")
    assert oct(rescued.stat().st_mode & 0o777) == oct(0o600)
    result = invoke("import", str(rescued))
    assert result.exit_code == 0, result.output
    assert "Imported 1 record " in result.stdout
    assert Journal(journal_path).read().records[-1].note == record.note


# -- real filesystems ------------------------------------------------------------------


@pytest.fixture
def tiny_fs(tmp_path: Path):
    """A 64 KiB tmpfs (needs root and a kernel that allows it; skipped otherwise)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small filesystem needs root and mount(8)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_for_real(tiny_fs: Path, invoke, capsys) -> None:
    path = tiny_fs / "journal.toml"
    base = write_journal(path, sessions(60))
    fd = os.open(tiny_fs / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 512):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    many = sessions(40, tag="big")  # more than the last page can hold
    with pytest.raises(DataError, match="No space left on device"):
        Env(journal_path=path).append(many)
    assert path.read_bytes() == base
    assert "big-39" in capsys.readouterr().err
    (tiny_fs / "filler").unlink()
    [rescued] = (paths.state_dir() / "rescued").iterdir()
    result = invoke("--journal", str(path), "import", str(rescued))
    assert result.exit_code == 0, result.output
    assert Journal(path).read().records[-1].note == "big-39"


def test_a_read_only_filesystem_for_real(tiny_fs: Path) -> None:
    path = tiny_fs / "journal.jsonl"
    base = write_journal(path, sessions(10))
    Journal(path).append(sessions(1, tag="first"))  # the lock file exists from here on
    base = path.read_bytes()
    done = subprocess.run(["mount", "-o", "remount,ro", str(tiny_fs)], check=False)
    if done.returncode != 0:
        pytest.skip("cannot remount read-only")
    with pytest.raises(DataError, match="Read-only file system"):
        Env(journal_path=path).append(sessions(1, tag="late"))
    assert path.read_bytes() == base
    assert list((paths.state_dir() / "rescued").iterdir())


def test_a_read_only_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes to read-only files; the EROFS cases above cover it")
    path = tmp_path / "journal.toml"
    base = write_journal(path, sessions(3))
    path.chmod(0o444)
    with pytest.raises(DataError, match="Permission denied"):
        Env(journal_path=path).append(sessions(1, tag="late"))
    assert path.read_bytes() == base
