"""The installed `matlog` in a real pseudo-terminal: keys pressed, the journal read back.

These run for real time (a few seconds each), so they are few.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pexpect
import pytest
from conftest import CET, make_session

from matlog.journal import Journal, serialise

pytestmark = pytest.mark.e2e

MATLOG = str(Path(sys.executable).parent / "matlog")


@pytest.fixture
def env(tmp_path: Path, isolated_home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MATLOG_JOURNAL": str(tmp_path / "journal.toml"),
        "TERM": "xterm-256color",
        "COLUMNS": "80",
        "LINES": "30",
    }


def spawn(args: list[str], env: dict[str, str]) -> pexpect.spawn:
    return pexpect.spawn(MATLOG, args, env=env, encoding="utf-8", timeout=15, dimensions=(30, 80))


def sessions(env: dict[str, str]):  # type: ignore[no-untyped-def]
    return Journal(Path(env["MATLOG_JOURNAL"])).read().sessions


def test_rate_pause_stop_and_rate_again(env: dict[str, str]) -> None:
    child = spawn(["start", "30s", "--settle", "0"], env)
    child.expect("Before — pain")
    child.sendline("6")
    child.expect("Before — stress")
    child.sendline("")
    child.expect("Before — mood")
    child.sendline("x")  # a bad value asks again
    child.expect("Before — mood")
    child.sendline("")
    child.expect("ends at")
    child.expect("space pause")
    time.sleep(1.5)
    child.send(" ")
    child.expect("PAUSED")
    time.sleep(1.5)
    child.send(" ")
    child.expect("ends at")
    child.send("z")  # ignored
    child.send("q")
    child.expect("After — pain")
    child.sendline("3")
    child.expect("After — stress")
    child.sendline("")
    child.expect("After — mood")
    child.sendline("")
    child.expect(r"Stopped after \d+s\. pain 6→3 \(-3\)\.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    [s] = sessions(env)
    assert s.ended == "stopped"
    assert s.before == {"pain": 6} and s.after == {"pain": 3}
    assert 1 <= s.actual_seconds <= 3  # the pause is not counted


def test_discomfort_key(env: dict[str, str]) -> None:
    child = spawn(["start", "30s", "--settle", "0", "--no-ratings"], env)
    child.expect("ends at")
    child.send("d")
    child.expect("Stopped for discomfort")
    child.expect(pexpect.EOF)
    [s] = sessions(env)
    assert s.ended == "discomfort"


def test_a_finished_session_rings_one_bell_then_three(env: dict[str, str]) -> None:
    child = spawn(["start", "2s", "--settle", "0", "--no-ratings"], env)
    child.expect(pexpect.EOF)
    assert child.before.count("\a") == 4
    [s] = sessions(env)
    assert (s.ended, s.actual_seconds) == ("finished", 2)


def test_closing_the_terminal_logs_interrupted(env: dict[str, str]) -> None:
    child = spawn(["start", "60s", "--settle", "0", "--no-ratings"], env)
    child.expect("ends at")
    time.sleep(2)
    child.kill(signal.SIGHUP)
    child.expect(pexpect.EOF)
    child.close()
    [s] = sessions(env)
    assert s.ended == "interrupted"
    assert 1 <= s.actual_seconds <= 4


def test_kill_9_is_recovered_by_the_next_command(env: dict[str, str]) -> None:
    child = spawn(["start", "60s", "--settle", "0", "--no-ratings"], env)
    child.expect("ends at")
    time.sleep(6)  # past the first 5-second heartbeat
    child.kill(signal.SIGKILL)
    child.close(force=True)
    assert sessions(env) == []
    log = pexpect.run(f"{MATLOG} log", env=env, encoding="utf-8")
    assert "did not end normally" in log
    [s] = sessions(env)
    assert s.ended == "interrupted" and 4 <= s.actual_seconds <= 7
    again = pexpect.run(f"{MATLOG} log", env=env, encoding="utf-8")
    assert "did not end normally" not in again
    assert len(sessions(env)) == 1


def test_asleep_at_the_after_prompt_then_offered_at_the_next_command(
    env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('after_timeout = "2s"\n')
    env = {**env, "MATLOG_CONFIG": str(config)}
    child = spawn(["start", "2s", "--settle", "0", "-b", "pain=6"], env)
    child.expect("After — pain")  # ... and nobody answers
    child.expect("No answer to the after-ratings")
    child.expect(pexpect.EOF)
    [s] = sessions(env)
    assert s.after == {} and s.before == {"pain": 6}

    child = spawn(["log"], env)
    child.expect(r"has no after-ratings\. Rate it now\? \[Y/n\]")
    child.sendline("")
    child.expect("After — pain")
    child.sendline("2")
    child.expect("After — stress")
    child.sendline("")
    child.expect("After — mood")
    child.sendline("")
    child.expect(pexpect.EOF)
    [s] = sessions(env)
    assert s.after == {"pain": 2}

    child = spawn(["log"], env)
    child.expect(pexpect.EOF)
    assert "Rate it now" not in child.before


def test_undo_removes_the_session_it_showed_while_another_process_appends(
    env: dict[str, str],
) -> None:
    """Issue #10, item 5: a session appended while `undo` waits at its prompt stays."""
    journal_path = Path(env["MATLOG_JOURNAL"])
    shown = make_session(datetime(2026, 11, 20, 22, 0, tzinfo=CET), note="shown")
    journal_path.write_text(serialise([shown], "toml", whole_file=True))
    child = spawn(["undo"], env)
    child.expect(r"Remove this session\? \[y/N\]")
    assert shown.id in child.before
    # Another terminal logs a session while the user reads the prompt.
    other = subprocess.run(
        [MATLOG, "start", "1s", "--settle", "0", "--no-ratings", "--note", "meanwhile"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert other.returncode == 0, other.stderr
    child.sendline("y")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert [s.note for s in sessions(env)] == ["meanwhile"]
