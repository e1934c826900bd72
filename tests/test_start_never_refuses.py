"""Never stand between a user and the mat (issue #10, item 15; SPEC "Promises about data").

A broken journal or a config problem does not stop `start`: the countdown runs. A broken
journal's record goes to a rescue file and `start` ends with exit 1, naming the journal's
problem line and the rescue file; a config problem is named in one line and the built-in
value used for that key. Every other command still stops with the located error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from matlog import paths
from matlog.clock import FakeClock
from matlog.journal import load_file

BROKEN = "format = 1\n\n[[session]]\nid = \n"  # line 4 is not TOML


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("MATLOG_CONFIG", str(path))
    return path


@pytest.mark.parametrize("duration", [["90s"], []], ids=["DURATION", "no-DURATION"])
def test_a_broken_journal_does_not_stop_start(
    invoke, journal_path: Path, duration: list[str]
) -> None:
    journal_path.write_text(BROKEN)
    result = invoke("start", *duration, "--settle", "0", "-b", "pain=6")
    assert result.exit_code == 1, result.output
    [rescued] = (paths.state_dir() / "rescued").iterdir()
    [record] = load_file(rescued).sessions
    assert record.ended == "finished" and record.before == {"pain": 6}
    assert record.planned_seconds == (90 if duration else 300)  # the plan's start: 5m
    errors = [line for line in result.stderr.splitlines() if line.startswith("matlog: ")]
    first, last = errors[0], errors[-1]
    assert f"{journal_path}:4:" in first and "the session runs anyway" in first
    if not duration:
        assert "5m, the plan's start" in first
    assert f"{journal_path}:4:" in last and str(rescued) in last
    assert journal_path.read_text() == BROKEN  # nothing written to it
    assert "Traceback" not in result.output


def test_other_commands_still_stop_at_a_broken_journal(invoke, journal_path: Path) -> None:
    journal_path.write_text(BROKEN)
    for command in (["plan"], ["log"], ["stats"]):
        result = invoke(*command)
        assert result.exit_code == 1 and f"{journal_path}:4:" in result.stderr


def test_config_problems_are_named_and_the_built_in_values_used(
    invoke, journal_path: Path, config: Path, clock: FakeClock
) -> None:
    began = clock.now()
    config.write_text('colour = "blue"\nsettle = "soon"\narea = "neck"\n[plan]\nstart_minute = 3\n')
    result = invoke("start", "1m")
    assert result.exit_code == 0, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("matlog: ")]
    assert len(errors) == 3, result.stderr
    for key in ("colour", "settle", "plan.start_minute"):
        assert sum(f"{config}: {key}:" in line for line in errors) == 1
    assert all("built-in value" in line for line in errors)
    [session] = load_file(journal_path).sessions
    assert session.area == "neck"  # the keys without a problem are used
    # settle fell back to the built-in 10 s: the countdown began 10 s after the command.
    assert (session.started - began).total_seconds() == 10
    plan = invoke("plan")
    assert plan.exit_code == 1 and f"{config}: colour:" in plan.stderr


def test_a_config_that_is_not_toml_gives_the_built_in_config(
    invoke, journal_path: Path, config: Path
) -> None:
    config.write_text("area = \n")
    result = invoke("start", "1m", "--settle", "0")
    assert result.exit_code == 0, result.output
    assert "not valid TOML" in result.stderr
    assert len(load_file(journal_path).sessions) == 1
