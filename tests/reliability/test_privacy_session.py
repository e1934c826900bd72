"""A real `matlog start` creates nothing another user can read; the sound command and the
editor run without a shell.

Every run here uses umask 000, the worst case: a file or folder is private only because
matlog asked for 0600/0700 itself. The journal, its folder and lock, the state folder with
the heartbeat, the pending-rating and notice files, and a rescue file are checked; an existing
journal (0640, behind a symlink) keeps its mode and stays a symlink.
"""

from __future__ import annotations

import ast
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from matlog import paths, session
from matlog.config import load_config
from matlog.journal import Journal, load_file

MATLOG = str(Path(sys.executable).parent / "matlog")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def matlog(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MATLOG, *args],
        env={**os.environ, **env},
        cwd=cwd,
        umask=0,
        capture_output=True,
        text=True,
        timeout=30,
    )


def matlog_folders() -> list[Path]:
    return [paths.data_dir(), paths.state_dir(), paths.cache_dir()]


def everything_in(folders: list[Path]) -> Iterator[Path]:
    for folder in folders:
        if folder.exists():
            yield folder
            yield from folder.rglob("*")


def assert_private(found: list[Path]) -> None:
    loose = {
        str(p): oct(mode(p))
        for p in found
        if mode(p) != (0o700 if p.is_dir() and not p.is_symlink() else 0o600)
    }
    assert loose == {}


@pytest.mark.e2e
def test_a_real_session_creates_only_private_files(tmp_path: Path) -> None:
    # Interactive, so that every state file appears: the heartbeat during the session, then
    # the rating owed after nobody answered the after-ratings (asleep on the mat).
    config = tmp_path / "config.toml"
    config.write_text('after_timeout = "1s"\nbell = false\n')  # no 0.7 s of bells
    seen: dict[str, int] = {}
    child = pexpect.spawn(
        MATLOG,
        ["start", "1s", "--settle", "0", "-b", "pain=5"],
        env={**os.environ, "MATLOG_CONFIG": str(config), "TERM": "xterm"},
        encoding="utf-8",
        timeout=15,
        preexec_fn=lambda: os.umask(0),
    )
    child.expect("After — pain")
    [heartbeat] = paths.state_dir().glob("running-*.json")
    seen[heartbeat.name] = mode(heartbeat)
    child.expect("No answer to the after-ratings")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert seen == {heartbeat.name: 0o600}
    state = paths.state_dir()
    assert (state / "pending-rating.json").exists() and (state / "seen-safety").exists()
    journal = paths.data_dir() / "journal.toml"
    assert len(Journal(journal).read().sessions) == 1
    found = list(everything_in(matlog_folders()))
    assert {journal, journal.parent, state, state / "pending-rating.json"} <= set(found)
    assert_private(found)


@pytest.mark.e2e
def test_the_rescue_file_of_a_real_session_is_private(tmp_path: Path) -> None:
    # The journal is broken by hand while the session runs: the record goes to a rescue file.
    journal = tmp_path / "journal.toml"
    child = subprocess.Popen(
        [MATLOG, "start", "1s", "--settle", "0"],
        env={**os.environ, "MATLOG_JOURNAL": str(journal)},
        umask=0,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().startswith("Started 1s")
    journal.write_text("format = 1\n[[session]]\nid = \n")
    _, err = child.communicate(timeout=20)
    assert child.returncode == 1, err
    [rescued] = (paths.state_dir() / "rescued").iterdir()
    assert str(rescued) in err and "was not lost" in err
    [record] = load_file(rescued).sessions
    assert (record.ended, record.actual_seconds) == ("finished", 1)
    assert (mode(rescued), mode(rescued.parent)) == (0o600, 0o700)
    assert_private(list(everything_in([paths.state_dir()])))


@pytest.mark.e2e
def test_an_existing_journal_keeps_its_mode_and_its_symlink(tmp_path: Path) -> None:
    real = tmp_path / "sync" / "journal.toml"
    real.parent.mkdir()
    real.write_text("format = 1\n")
    real.chmod(0o640)
    link = tmp_path / "journal.toml"
    link.symlink_to(real)
    started = matlog("start", "1s", "--settle", "0", MATLOG_JOURNAL=str(link))
    assert started.returncode == 0, started.stderr
    assert link.is_symlink() and mode(real) == 0o640
    assert len(Journal(real).read().sessions) == 1
    undone = matlog("undo", "--yes", MATLOG_JOURNAL=str(link))  # a rewrite, not an append
    assert undone.returncode == 0, undone.stderr
    assert link.is_symlink() and mode(real) == 0o640
    assert Journal(real).read().sessions == []
    assert [p.name for p in real.parent.iterdir() if not p.name.startswith(".")] == [real.name]


def player(tmp_path: Path) -> tuple[Path, Path]:
    """A sound player that logs what it was given, and the log."""
    log = tmp_path / "bells.log"
    script = tmp_path / "player"
    script.write_text(
        f'#!/bin/sh\nprintf "%s|%s|%s|%s\\n" "$MATLOG_EVENT" "$MATLOG_BELLS" "$1" "$2" >> {log}\n'
    )
    script.chmod(0o700)
    return script, log


def played(log: Path, count: int) -> list[str]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return lines
        time.sleep(0.05)  # the last bell's player may still be starting
    return lines


HOSTILE = ["; touch pwned", "$(touch pwned2)"]


@pytest.mark.e2e
def test_the_sound_command_runs_without_a_shell(tmp_path: Path) -> None:
    script, log = player(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(f'sound_command = ["{script}", "{HOSTILE[0]}", "{HOSTILE[1]}"]\n')
    run = matlog(
        "start",
        "1s",
        "--settle",
        "0",
        cwd=tmp_path,
        MATLOG_CONFIG=str(config),
        MATLOG_JOURNAL=str(tmp_path / "j.toml"),
    )
    assert run.returncode == 0, run.stderr
    # Once per bell: one at the start, three at the end.
    assert sorted(played(log, 4)) == sorted(
        [f"start|1|{HOSTILE[0]}|{HOSTILE[1]}"] + [f"end|3|{HOSTILE[0]}|{HOSTILE[1]}"] * 3
    )
    assert not list(tmp_path.rglob("pwned*")) and not list(Path.home().rglob("pwned*"))


def test_a_sound_command_written_as_a_string_is_split_into_words_not_run_by_a_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, log = player(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(f"sound_command = \"{script} '{HOSTILE[0]}' '{HOSTILE[1]}'\"\n")
    monkeypatch.chdir(tmp_path)
    bells = session.Bells(sound_command=load_config(config).sound_command)
    bells.ring("interval")
    for child in bells.children:
        child.wait(5)
    assert played(log, 2) == [f"interval|2|{HOSTILE[0]}|{HOSTILE[1]}"] * 2
    assert not list(tmp_path.rglob("pwned*"))


def test_the_editor_runs_without_a_shell(tmp_path: Path) -> None:
    journal = tmp_path / "journal.toml"
    journal.write_text("format = 1\n")
    report = tmp_path / "editor.report"
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import os, stat, sys\n"
        "copy = sys.argv[-1]\n"
        "mode = oct(stat.S_IMODE(os.stat(copy).st_mode))\n"
        f"open({str(report)!r}, 'w').write(repr((sys.argv[1:-1], mode)))\n"
    )
    command = f"{sys.executable} {editor} --flag $(touch pwned) `touch pwned2` ';touch pwned3' |x"
    run = matlog("edit", cwd=tmp_path, MATLOG_JOURNAL=str(journal), EDITOR=command)
    assert run.returncode == 0, run.stderr
    assert "No changes" in run.stdout
    args, copy_mode = ast.literal_eval(report.read_text())
    assert args == ["--flag", "$(touch", "pwned)", "`touch", "pwned2`", ";touch pwned3", "|x"]
    assert copy_mode == "0o600"
    assert not list(tmp_path.rglob("pwned*")) and not list(Path.home().rglob("pwned*"))
    locks = (".journal.toml.lock", ".journal.toml.editing")  # empty, and kept: harmless
    left = sorted(p.name for p in tmp_path.iterdir() if p.name not in locks)
    assert left == ["editor.py", "editor.report", "home", "journal.toml"]  # no copy left
