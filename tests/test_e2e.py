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

    # Into a pipe (`log | grep`, `stats --json | jq`) nobody reads a question: none is asked.
    piped = pexpect.spawn(
        "bash",
        ["-c", f"{MATLOG} log | cat; {MATLOG} stats --json | head -c 1; echo; echo DONE"],
        env=env,
        encoding="utf-8",
        timeout=15,
    )
    piped.expect("DONE")
    shown = piped.before
    piped.expect(pexpect.EOF)
    assert "Rate it now" not in shown and "{" in shown

    child = spawn(["log"], env)
    child.expect(r"has no after-ratings\. Rate it now\? \[Y/n\]")
    child.sendline("")
    child.expect("After — pain")
    child.sendline("2")
    child.expect("After — stress")
    child.sendline("")
    child.expect("After — mood")
    child.sendline("")
    child.expect(r"Saved the after-ratings of the latest session \(\w{3} [-\d]+ [:\d]+\): pain 2\.")
    child.expect(pexpect.EOF)
    [s] = sessions(env)
    assert s.after == {"pain": 2}

    child = spawn(["log"], env)
    child.expect(pexpect.EOF)
    assert "Rate it now" not in child.before


def test_a_resize_redraws_the_countdown_at_the_new_size(env: dict[str, str]) -> None:
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}  # the pty's size
    child = spawn(["start", "5m", "--settle", "0", "--no-ratings"], env)
    child.expect("ends at")
    child.setwinsize(12, 40)  # rows, columns: SIGWINCH
    child.expect("╭─────────────── matlog ───────────────╮")  # the frame, 40 wide
    child.setwinsize(12, 20)
    child.expect("╭───── matlog ─────╮")  # the compact form, 20 wide
    child.expect("space · q · d")
    child.send("q")
    child.expect(r"Stopped after \d+s\.")
    child.expect(pexpect.EOF)
    [s] = sessions(env)
    assert s.ended == "stopped"


@pytest.mark.parametrize("ending", ["rated", "SIGHUP at the after-ratings"])
def test_time_is_up_is_said_exactly_once(env: dict[str, str], ending: str) -> None:
    import io

    child = spawn(["start", "1s", "--settle", "0", "-b", "pain=6"], env)
    child.logfile_read = transcript = io.StringIO()  # everything the terminal showed
    child.expect("After — pain")
    if ending == "rated":
        child.sendline("3")
        child.sendline("")
        child.sendline("")
    else:
        child.kill(signal.SIGHUP)
    child.expect(pexpect.EOF)
    child.close()
    assert transcript.getvalue().count("Time is up") == 1
    assert "Time is up after 1s." in transcript.getvalue()
    [s] = sessions(env)
    assert s.ended == "finished"


def test_a_trial_night_and_a_finished_trials_report(env: dict[str, str], tmp_path: Path) -> None:
    """The installed matlog: `trial start`, a trial night's countdown with its condition in
    the frame, then `trial report --json` on a back-dated, finished trial."""
    import json
    import subprocess
    from datetime import datetime, timedelta
    from datetime import time as clock_time

    from matlog.records import Session, Sleep, Trial, new_id
    from matlog.stats import day_of
    from matlog.trial import draw_schedule

    started = subprocess.run(
        [MATLOG, "trial", "start", "--pairs", "4", "--seed", "3", "--minutes", "2s", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    assert "Fingerprint of this design:" in started.stdout
    drawn = draw_schedule(4, 3)[0]
    child = spawn(["start", "--settle", "0", "-b", "stress=6", "-a", "stress=4"], env)
    child.expect("Trial night 1 of 8")
    child.expect(f"trial night 1/8: {drawn}")  # in the countdown's frame
    child.expect("Next planned")
    child.expect(pexpect.EOF)
    (session,) = sessions(env)
    assert (session.condition, session.planned_seconds) == (drawn, 2)

    # A finished trial, written back-dated by matlog's own writer: 4 pairs ending 3 nights ago.
    now = datetime.now().astimezone().replace(microsecond=0)
    today = day_of(now, clock_time(4, 0))
    first = today - timedelta(days=10)
    created = datetime.combine(first, clock_time(20, 0), now.tzinfo)
    schedule = draw_schedule(4, 11)
    trial = Trial(
        id=new_id(created),
        created=created,
        first_night=first,
        schedule=schedule,
        seed=11,
        outcome="stress",
        worthwhile=1.0,
        control="rest",
        seconds=1200,
    )
    records: list[object] = [trial]
    mat_changes = iter([-3, -2, -3, -4])  # d = -2, -1, -2, -3 against control's -1
    for index, condition in enumerate(schedule):
        night = first + timedelta(days=index)
        at = datetime.combine(night, clock_time(22, 0), now.tzinfo)
        change = next(mat_changes) if condition == "mat" else -1
        records.append(
            Session(
                id=new_id(at),
                started=at,
                planned_seconds=1200,
                actual_seconds=1200,
                ended="finished",
                before={"stress": 6},
                after={"stress": 6 + change},
                trial=trial.id,
                condition=condition,
            )
        )
        records.append(Sleep(night=night, rating=7 if condition == "mat" else 6, id=new_id(at)))
    finished = tmp_path / "finished.jsonl"
    Journal(finished).append(records)  # type: ignore[arg-type]
    report = subprocess.run(
        [MATLOG, "--journal", str(finished), "trial", "report", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    assert data["trial"]["id"] == trial.id and data["over"] is True
    assert data["nights"]["done"] == 8 and data["nights"]["complete_pairs"] == 4
    stress = data["outcomes"]["stress"]
    assert stress["effect"] == -2.0
    assert stress["p_randomisation"] == 0.125
    assert data["outcomes"]["sleep"]["effect"] == 1.0


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
