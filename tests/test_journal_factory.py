"""The demo journal's documented command works with a bare Python and writes only the past."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

from journal_factory import BERLIN, journal_text, realistic_journal

from matlog.journal import load_file, serialise

ROOT = Path(__file__).resolve().parent.parent
# -S: no site-packages, so neither matlog (installed or editable) nor tomli-w is importable;
# -I: no PYTHONPATH, no user site, no script folder on sys.path.
BARE = [sys.executable, "-I", "-S"]


def run_factory(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BARE, "tests/journal_factory.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_bare_python_really_cannot_import_matlog_or_tomli_w() -> None:
    for module in ("matlog", "tomli_w"):
        probe = subprocess.run([*BARE, "-c", f"import {module}"], capture_output=True, check=False)
        assert probe.returncode != 0, module


def test_the_documented_command_writes_a_journal_that_is_all_in_the_past(tmp_path: Path) -> None:
    out = tmp_path / "stats60.toml"
    result = run_factory(str(out))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    contents = load_file(out)
    assert len(contents.sessions) == 60
    now = datetime.now(BERLIN)
    for session in contents.sessions:
        assert session.started + timedelta(seconds=session.actual_seconds) < now, session
    assert all(sleep.night < now.date() for sleep in contents.sleeps)


def test_end_keeps_working_and_gives_the_same_journal_every_time(tmp_path: Path) -> None:
    out = tmp_path / "j.toml"
    assert run_factory(str(out), "--end", "2026-11-23", "--seed", "7").returncode == 0
    assert out.read_text() == journal_text(realistic_journal(end=date(2026, 11, 23), seed=7))
    assert run_factory(str(out)).returncode == 1  # not overwritten


def test_an_end_that_has_not_passed_is_refused(tmp_path: Path) -> None:
    today = datetime.now(BERLIN).date()
    result = run_factory(str(tmp_path / "j.toml"), "--end", today.isoformat())
    assert result.returncode == 2
    assert "has not passed yet" in result.stderr
    assert not (tmp_path / "j.toml").exists()


def test_the_factory_writes_what_matlog_writes() -> None:
    records = realistic_journal()
    assert journal_text(records) == serialise(records, "toml", whole_file=True)


def test_the_trial_option_writes_a_finished_trial_with_the_planted_effect(tmp_path: Path) -> None:
    from datetime import time

    from journal_factory import trial_journal

    from matlog.config import DEFAULT_METRICS
    from matlog.trial import analyse, collect_nights

    out = tmp_path / "trial.toml"
    result = run_factory(str(out), "--trial", "--end", "2026-11-30")
    assert result.returncode == 0, result.stderr
    assert out.read_text() == journal_text(trial_journal(end=date(2026, 11, 30)))
    contents = load_file(out)
    (trial,) = contents.trials
    assert trial.pairs == 14 and trial.last_night == date(2026, 11, 30)
    nights = collect_nights(trial, contents.sessions, contents.sleeps, time(4, 0))
    report = analyse(trial, nights, date(2026, 12, 1), DEFAULT_METRICS)
    assert report["over"] and report["nights"]["missed"] == 1
    assert report["nights"]["deviations"] == 1
    stress = report["outcomes"]["stress"]
    assert stress["effect"] is not None and -1.5 < stress["effect"] < -0.5
    assert stress["p_randomisation"] is not None and stress["p_randomisation"] < 0.05
