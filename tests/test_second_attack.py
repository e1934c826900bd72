"""What a second adversarial attack on the fixed build found (issue #10's closing round).

Each test failed on the build the attacker had; see CHANGELOG, "Fixed".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_session

from matlog.completion import tags
from matlog.env import Env
from matlog.journal import Journal

MATLOG = shutil.which("matlog", path=str(Path(sys.executable).parent))


def one_line(result, code: int) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    [line] = result.stderr.strip().splitlines()
    return line


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_import_refuses_a_device_or_a_fifo_before_reading(
    invoke, journal_path: Path, tmp_path: Path, special: str
) -> None:
    Journal(journal_path).append([make_session()])
    source = special
    if special == "fifo":
        source = str(tmp_path / "fifo")
        os.mkfifo(source)  # no writer: a plain read would wait for ever
    line = one_line(invoke("import", source), 1)
    assert "a device" in line or "a named pipe" in line


def test_import_never_removes_the_journal_even_named_like_a_rescue_file(
    tmp_path: Path, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from matlog.cli import app

    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the temporary folder is a rescue folder
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    journal = tmp_path / "rescued-j.toml"
    Journal(journal).append([make_session()])
    env = Env(journal_path=journal, clock=clock, interactive=False)
    result = CliRunner().invoke(app, ["import", str(journal)], obj=env)
    assert result.exit_code == 2, result.output  # the journal itself: refused before all
    assert journal.exists() and len(Journal(journal).read().sessions) == 1
    assert "Removed" not in result.output


def test_a_trial_whose_nights_run_past_the_calendar_is_refused(invoke, journal_path: Path) -> None:
    assert invoke("sleep", "5").exit_code == 0
    line = one_line(
        invoke("trial", "start", "--yes", "--pairs", "60", "--first-night", "9999-12-01"), 2
    )
    assert "past the year 9998" in line
    text = journal_path.read_text()
    journal_path.write_text(
        text + '\n[[trial]]\nid = "T9"\ncreated = 2026-12-01T20:00:00+01:00\n'
        'first_night = 9999-12-28\nschedule = ["mat", "control", "control", "mat", '
        '"mat", "control", "control", "mat"]\nseed = 1\noutcome = "stress"\n'
        'worthwhile = 1.0\ncontrol = "rest"\nseconds = 99999999999\n'
    )
    checked = invoke("check")
    assert checked.exit_code == 1
    assert "first_night" in checked.stdout or "seconds" in checked.stdout
    assert "Traceback" not in checked.output


def test_a_trial_longer_than_three_hours_a_night_is_a_located_problem(
    invoke, journal_path: Path
) -> None:
    journal_path.write_text(
        'format = 1\n\n[[trial]]\nid = "T9"\ncreated = 2026-12-01T20:00:00+01:00\n'
        'first_night = 2026-12-02\nschedule = ["mat", "control", "control", "mat", '
        '"mat", "control", "control", "mat"]\nseed = 1\noutcome = "stress"\n'
        'worthwhile = 1.0\ncontrol = "rest"\nseconds = 36000\n'
    )
    checked = invoke("check")
    assert checked.exit_code == 1
    assert ":12: trial: `seconds` must be from 1 to 10800, got 36000" in checked.stdout


def test_numbers_toml_cannot_hold_are_refused(invoke, journal_path: Path, tmp_path: Path) -> None:
    assert invoke("sleep", "5").exit_code == 0
    line = one_line(invoke("trial", "start", "--yes", "--outcome", "sleep", "--seed", "9" * 26), 2)
    assert "--seed" in line
    copy = tmp_path / "c.jsonl"
    copy.write_text(
        '{"id":"T6","type":"session","started":"2026-12-01T10:00:00+00:00",'
        '"ended":"finished","area":"back","planned_seconds":60,'
        '"actual_seconds":99999999999999999999999}\n'
    )
    before = journal_path.read_bytes()
    assert "actual_seconds" in one_line(invoke("import", str(copy)), 1)
    assert journal_path.read_bytes() == before


def test_log_shows_control_characters_in_notes_and_tags_written_out(
    invoke, journal_path: Path
) -> None:
    Journal(journal_path).append(
        [make_session(note="hi\x1b]0;PWN\x07\x1b[2Jx", tags=["t\x1b[31mred", "[/]"])]
    )
    result = invoke("log")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b]0;PWN\\x07" in result.stdout and "#[/]" in result.stdout


def test_tags_that_the_shell_would_read_as_syntax_are_not_offered(
    journal_path: Path, clock
) -> None:
    Journal(journal_path).append(
        [make_session(tags=["x;touch /tmp/PWNED", "two\nlines", "a b", "bedtime", "$(id)"])]
    )
    env = Env(journal_path=journal_path, clock=clock, interactive=False)
    assert tags(env, "") == ["bedtime"]


@pytest.mark.skipif(MATLOG is None, reason="needs the installed matlog beside this Python")
@pytest.mark.slow  # real processes, one per command
def test_a_closed_standard_output_never_gives_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "MATLOG_JOURNAL": str(tmp_path / "j.toml"), "HOME": str(tmp_path)}
    for command in ("--version", "log", "start 1s --settle 0 --no-ratings"):
        run = subprocess.run(
            ["sh", "-c", f'"{MATLOG}" {command} >&-'],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        assert "Traceback" not in run.stderr, (command, run.stderr)
        assert run.returncode == 0, (command, run.stderr)
    assert len(Journal(tmp_path / "j.toml").read().sessions) == 1
