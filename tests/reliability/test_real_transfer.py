"""Import and export through the installed `matlog`, in real processes, as a user runs them.

The data-safety cases of issue #10 (items 6, 7, 9) and #12 (item 7): edits made on another
device, several files at once, leftovers, and export onto another name of the journal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MATLOG = Path(sys.executable).parent / "matlog"


@pytest.fixture
def run(tmp_path: Path, isolated_home: Path):  # type: ignore[no-untyped-def]
    """run("import", "x.toml", journal=...) -> CompletedProcess, in `tmp_path`."""
    if not MATLOG.exists():
        pytest.skip("needs the installed matlog script (pip install -e .)")

    def go(
        *args: str, journal: Path | None = None, **extra: str
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MATLOG_JOURNAL": str(journal or tmp_path / "journal.toml"), **extra}
        return subprocess.run(
            [str(MATLOG), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            check=False,
            timeout=60,
        )

    return go


def one_line_error(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("matlog: "), done.stderr
    return lines[0]


def a_session(run, journal: Path) -> None:  # type: ignore[no-untyped-def]
    done = run("start", "1s", "--settle", "0", "--no-ratings", "--rate-later", journal=journal)
    assert done.returncode == 0, done.stderr


# -- export onto another name of the journal -------------------------------------------


def test_export_onto_a_hard_link_of_the_journal_is_refused(run, tmp_path: Path) -> None:
    journal = tmp_path / "journal.toml"
    a_session(run, journal)
    before = journal.read_bytes()
    os.link(journal, tmp_path / "backup.csv")
    line = one_line_error(run("export", "-o", "backup.csv"), 2)
    assert "is the journal itself" in line
    assert journal.read_bytes() == before
    assert run("check").returncode == 0


# -- unknown fields: a field named `type`, a JSON null, deep nesting -----------------------


def test_a_type_field_and_a_null_through_the_installed_matlog(run, tmp_path: Path) -> None:
    typed = tmp_path / "typed.toml"
    typed.write_text(
        'format = 1\n\n[[session]]\nid = "T1"\nstarted = 2026-11-20T22:00:00+01:00\n'
        'planned_seconds = 600\nactual_seconds = 600\nended = "finished"\ntype = "evening"\n'
    )
    line = one_line_error(run("export", "-f", "jsonl", journal=typed), 1)
    assert line.startswith(f"matlog: {typed}:9: session: `type` is reserved")
    journal = tmp_path / "journal.toml"
    a_session(run, journal)
    before = journal.read_bytes()
    nulls = tmp_path / "nulls.jsonl"
    nulls.write_text(
        '{"type": "session", "id": "N1", "started": "2026-11-20T22:00:00+01:00", '
        '"planned_seconds": 600, "actual_seconds": 600, "ended": "finished", "gone": null}\n'
    )
    line = one_line_error(run("import", str(nulls), journal=journal), 1)
    assert line.startswith(f"matlog: {nulls}:1: session: `gone` is null")
    assert journal.read_bytes() == before
    fresh = tmp_path / "fresh.jsonl"  # JSON Lines keeps it, untouched
    assert run("import", str(nulls), journal=fresh).returncode == 0
    assert '"gone": null' in fresh.read_text()


# -- import: edits from another device, several files, leftovers ----------------------------


def test_the_readmes_sync_conflict_example(run, tmp_path: Path) -> None:
    """Rate a session in a sync-conflict copy, import the copy: the ratings arrive."""
    journal = tmp_path / "journal.toml"
    a_session(run, journal)
    copy = tmp_path / "journal.sync-conflict-20261123-ABCD.toml"
    copy.write_bytes(journal.read_bytes())
    assert run("rate", "pain=3", "stress=2", journal=copy).returncode == 0
    done = run("import", str(copy), journal=journal)
    assert done.returncode == 0, done.stderr
    assert "(0 already present, 1 merged, 0 conflicts)" in done.stdout
    log = run("log", "--json", journal=journal)
    import json

    [session] = json.loads(log.stdout)
    assert session["after"] == {"pain": 3, "stress": 2}
    assert run("check", journal=journal).returncode == 0


def test_a_conflict_through_the_installed_matlog(run, tmp_path: Path, isolated_home) -> None:
    journal = tmp_path / "journal.toml"
    a_session(run, journal)
    copy = tmp_path / "copy.toml"
    copy.write_bytes(journal.read_bytes())
    assert run("rate", "pain=3", journal=copy).returncode == 0
    assert run("rate", "pain=5", journal=journal).returncode == 0
    before = journal.read_bytes()
    done = run("import", str(copy), journal=journal)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "differs from the journal's in after.pain" in done.stderr
    assert journal.read_bytes() == before
    rescued = isolated_home / ".local/state/matlog/rescued"
    [kept] = rescued.glob("conflicts-*.toml")
    assert str(kept) in done.stderr


def test_import_takes_every_rescue_file_and_removes_them(run, tmp_path, isolated_home) -> None:
    journal = tmp_path / "journal.toml"
    a_session(run, journal)
    rescued = isolated_home / ".local/state/matlog/rescued"
    rescued.mkdir(parents=True)
    for n in range(3):
        (rescued / f"rescued-R{n}-00aa{n}.toml").write_text(
            f'format = 1\n\n[[session]]\nid = "R{n}"\nstarted = 2026-11-2{n}T22:00:00+01:00\n'
            'planned_seconds = 600\nactual_seconds = 600\nended = "finished"\n'
        )
    files = sorted(str(p) for p in rescued.glob("rescued-*.toml"))  # what the shell gives
    done = run("import", *files, journal=journal)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Imported 1 record from") == 3
    assert done.stdout.count("(all its records are in the journal)") == 3
    assert list(rescued.iterdir()) == []
    assert run("check", journal=journal).stdout.endswith("4 sessions, 0 nights, no problems\n")


# -- abandoned `matlog edit` copies ---------------------------------------------------------


def test_an_open_edit_keeps_its_copy_until_matlog_and_its_editor_are_gone(
    run, tmp_path: Path
) -> None:
    """A real `matlog edit` with its editor open, then killed (kill -9) with the editor still
    open, then the editor gone: only then does the next `matlog edit` remove the copy."""
    import select
    import signal

    journal = tmp_path / "journal.toml"
    a_session(run, journal)
    ready, go = tmp_path / "ready", tmp_path / "go"
    os.mkfifo(ready)
    os.mkfifo(go)
    editor = tmp_path / "editor.py"
    editor.write_text(  # says it is open, then waits for the test: no sleeping anywhere
        f"open({str(ready)!r}, 'w').write('open')\nopen({str(go)!r}).read()\n"
    )
    env = {**os.environ, "MATLOG_JOURNAL": str(journal), "EDITOR": f"{sys.executable} {editor}"}
    # O_RDWR on a FIFO never blocks (Linux): nothing here can hang if the editor never runs.
    ready_fd = os.open(ready, os.O_RDWR)
    go_fd = os.open(go, os.O_RDWR)  # held from the start: "done" is never lost
    first = subprocess.Popen(
        [str(MATLOG), "edit"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        while not select.select([ready_fd], [], [], 1.0)[0]:  # until the editor is open
            assert first.poll() is None, first.communicate()
        assert os.read(ready_fd, 16) == b"open"
        [copy] = tmp_path.glob(".journal.edit-*.toml")
        assert copy.name == f".journal.edit-{first.pid}.toml"
        done = run("edit", journal=journal, EDITOR="true")
        assert done.returncode == 0, done.stderr
        assert copy.exists()  # its matlog is alive
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        done = run("edit", journal=journal, EDITOR="true")
        assert done.returncode == 0, done.stderr
        assert copy.exists()  # matlog is gone, but its editor still holds the lock
    finally:
        os.close(ready_fd)
        os.write(go_fd, b"done")
        os.close(go_fd)  # the editor reads to the end and exits
        if first.poll() is None:
            first.kill()
            first.wait(timeout=30)
    # The editor has exited (it read `go`); wait for its lock to go, without sleeping: the
    # lock file's exclusive lock is free once no process holds it.
    import fcntl

    lock = os.open(tmp_path / ".journal.toml.editing", os.O_RDWR)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # blocks until the orphaned editor has exited
        fcntl.flock(lock, fcntl.LOCK_UN)
    finally:
        os.close(lock)
    done = run("edit", journal=journal, EDITOR="true")
    assert done.returncode == 0, done.stderr
    assert not copy.exists()
    assert f"Removed {copy}" in done.stderr
