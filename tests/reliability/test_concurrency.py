"""Many processes appending at once: every record present once, ids unique, file valid."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from rel_util import CET, HERE, figure, scale, sessions, write_journal

from matlog.env import Env
from matlog.journal import Journal, json_line, serialise
from matlog.records import Session, Sleep


def matlog_command() -> list[str]:
    script = Path(sys.executable).parent / "matlog"
    return [str(script)] if script.exists() else [sys.executable, "-m", "matlog"]


def _start(path: Path, jobs: list[tuple[int, str, tuple[str, ...]]]) -> list[subprocess.Popen[str]]:
    """Start one writer per (count, tag, mode), wait until all are up, then let them go."""
    writers = [
        subprocess.Popen(
            [sys.executable, str(HERE / "appender.py"), str(path), str(count), tag, *mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for count, tag, mode in jobs
    ]
    for writer in writers:  # every writer is up before any starts: they overlap
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    return writers


@pytest.mark.parametrize("suffix", ["toml", "jsonl"])
def test_many_processes_append_at_once(tmp_path: Path, suffix: str) -> None:
    processes, appends = scale(8, 16), scale(25, 100)
    path = tmp_path / f"journal.{suffix}"
    base = sessions(200 if suffix == "jsonl" else 100)
    write_journal(path, base)
    began = time.perf_counter()
    writers = _start(path, [(appends, f"w{n}", ()) for n in range(processes)])
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    took = time.perf_counter() - began

    assert Journal(path).check() == []
    records = Journal(path).read().records
    notes = Counter(r.note for r in records[len(base) :])
    expected = {f"w{n}-{i}" for n in range(processes) for i in range(appends)}
    lost = expected - set(notes)
    assert not lost, f"{len(lost)} records lost"
    assert all(count == 1 for count in notes.values()), "a record was written twice"
    assert len(records) == len(base) + processes * appends
    ids = [r.id for r in records]
    assert len(set(ids)) == len(ids)
    # Each writer's own records keep their order.
    for n in range(processes):
        mine = [r.note for r in records if r.note and r.note.startswith(f"w{n}-")]
        assert mine == [f"w{n}-{i}" for i in range(appends)]
    figure(
        f"concurrency {suffix}: {processes} processes x {appends} appends = "
        f"{processes * appends} records, lost {len(lost)}, duplicated 0, in {took:.2f}s"
    )


def test_undo_while_others_append_loses_no_appended_record(tmp_path: Path) -> None:
    """`undo` rewrites the whole file: without the lock, a session appended meanwhile
    would vanish with the old copy."""
    path = tmp_path / "journal.toml"
    undos, appends = scale(15, 60), scale(15, 60)
    base = sessions(100)
    future = sessions(undos, start=datetime(2031, 1, 1, 22, 0, tzinfo=CET), tag="undoable")
    write_journal(path, [*base, *future])
    writers = _start(
        path,
        [(appends, f"w{n}", ()) for n in range(3)] + [(undos, "undo", ("undo",))],
    )
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    notes = [r.note for r in Journal(path).read().records]
    assert not any(n and n.startswith("undoable") for n in notes)  # all undone
    appended = [n for n in notes if n and n.startswith("w")]
    assert sorted(appended) == sorted(f"w{n}-{i}" for n in range(3) for i in range(appends))


def _four_imports_at_once(path: Path, other: Path, home: Path) -> list[tuple[str, str]]:
    """`matlog import other` four times, started together; their (stdout, stderr), each
    having exited 0."""
    env = {"MATLOG_JOURNAL": str(path), "HOME": str(home), "PATH": "/usr/bin:/bin"}
    runs = [
        subprocess.Popen(
            [*matlog_command(), "import", str(other)],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    return outputs


def test_two_imports_of_one_file_at_once_add_it_once(tmp_path: Path) -> None:
    """Four `matlog import` of the same sync-conflict copy, started together."""
    path = tmp_path / "journal.toml"
    write_journal(path, sessions(50))
    other = tmp_path / "conflict.jsonl"
    incoming = sessions(30, tag="theirs")
    write_journal(other, incoming)
    outputs = _four_imports_at_once(path, other, tmp_path)
    # The copy's sleep records fall on nights the journal has rated the same: present.
    rated = {r.night for r in Journal(path).read().sleeps}
    new = [r for r in incoming if not (isinstance(r, Sleep) and r.night in rated)]
    records = Journal(path).read().records
    ids = [r.id for r in records]
    assert len(ids) == len(set(ids)) == 50 + 5 + len(new)  # 50 sessions + 5 nights
    imported = sum(int(out.split()[1]) for out, _ in outputs)
    assert imported == len(new)


def test_import_checks_again_under_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, invoke, journal_path: Path
) -> None:
    """Deterministic version of the race above: another import lands between the
    moment `import` reads the journal and the moment it appends."""
    other = tmp_path / "other.toml"
    incoming = sessions(5, tag="theirs")
    write_journal(other, incoming)
    real = Env.read_journal

    def read_then_another_terminal_imports(self: Env):
        contents = real(self)
        Journal(self.journal_path).append(incoming)
        return contents

    monkeypatch.setattr(Env, "read_journal", read_then_another_terminal_imports)
    result = invoke("import", str(other))
    assert result.exit_code == 0, result.output
    assert "Imported 0 records" in result.stdout
    assert serialise(Journal(journal_path).read().records, "jsonl") == serialise(incoming, "jsonl")


def test_four_imports_of_a_rated_copy_at_once_merge_it_once(tmp_path: Path) -> None:
    """Ratings given in a sync-conflict copy, imported by four terminals together: each
    rated session is merged once, in place, and nothing is added twice."""
    from matlog.lightclass import replace

    path = tmp_path / "journal.toml"
    base = sessions(40)
    write_journal(path, base)
    other = tmp_path / "conflict.jsonl"
    rated = [
        replace(r, after={**r.after, "mood": 7}) if isinstance(r, Session) and i % 3 == 0 else r
        for i, r in enumerate(base)
    ]
    incoming = [*rated, *sessions(10, tag="theirs", start=datetime(2021, 1, 1, 22, 0, tzinfo=CET))]
    write_journal(other, incoming)
    outputs = _four_imports_at_once(path, other, tmp_path)
    records = Journal(path).read().records
    assert [r.id for r in records] == [r.id for r in incoming]  # in place, then the new ones
    assert [json_line(r) for r in records] == [json_line(r) for r in incoming]
    merged = sum(int(out.split(", ")[1].split()[0]) for out, _ in outputs)
    assert merged == sum(1 for old, new in zip(base, rated, strict=True) if old is not new)
