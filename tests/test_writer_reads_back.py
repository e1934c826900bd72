"""The writer never appends what its own reader would refuse (issue #10, item 8).

A record whose text would not parse back to the same record, or a journal that cannot take
one more `[[session]]` block, sends the record to a rescue file with the journal unchanged.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import CET, make_session

from matlog.clock import FakeClock, SystemClock
from matlog.errors import JournalError, RecordRescued
from matlog.journal import Journal, Sleep
from matlog.journal.rescue import append_or_rescue

MATLOG = str(Path(sys.executable).parent / "matlog")
ODD = timezone(timedelta(hours=5, minutes=30, seconds=15))
INLINE = (
    "format = 1\n"
    'session = [{ id = "a", started = 2026-01-01T10:00:00Z, planned_seconds = 60, '
    'actual_seconds = 60, ended = "finished" }]\n'
)


@pytest.fixture
def odd_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "ABC-05:30:15")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


# -- the offset with seconds -------------------------------------------------------------


def test_the_system_clock_gives_a_whole_minute_offset_under_a_zone_with_seconds(
    odd_zone: None,
) -> None:
    assert datetime.now().astimezone().utcoffset() == timedelta(hours=5, minutes=30, seconds=15)
    now = SystemClock().now()
    offset = now.utcoffset()
    assert offset == timedelta(hours=5, minutes=30)  # rounded to the nearest minute
    assert abs(now.timestamp() - time.time()) < 60  # the same instant, said another way


def test_a_fake_clock_in_such_a_zone_does_the_same() -> None:
    clock = FakeClock(start=datetime(2026, 11, 23, 22, 0, 40, tzinfo=ODD))
    now = clock.now()
    assert now.utcoffset() == timedelta(hours=5, minutes=30)
    assert now == datetime(2026, 11, 23, 22, 0, 40, tzinfo=ODD)  # the same instant


@pytest.mark.parametrize("name", ["journal.toml", "journal.jsonl"])
def test_a_record_that_would_not_read_back_is_never_appended(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    Journal(path).append([make_session(note="kept")])
    before = path.read_bytes()
    odd = make_session(datetime(2026, 11, 23, 22, 0, tzinfo=ODD), note="odd")
    with pytest.raises(RecordRescued) as info:
        append_or_rescue(Journal(path), [odd])
    assert path.read_bytes() == before
    assert "would not read back" in info.value.message
    assert info.value.saved is not None and info.value.saved.exists()
    assert [s.note for s in Journal(path).read().sessions] == ["kept"]


def test_check_explains_a_hand_written_offset_with_seconds(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    path.write_text(
        "format = 1\n\n[[session]]\nstarted = 2026-12-02T18:15:18+05:30:15\n"
        'planned_seconds = 60\nactual_seconds = 60\nended = "finished"\n'
    )
    problems = Journal(path).check()
    assert len(problems) == 1
    assert problems[0].line == 4
    assert "UTC offset with seconds (+05:30:15)" in problems[0].message
    assert "+05:30" in problems[0].message


# -- a journal that cannot take a [[session]] block --------------------------------------


def test_a_journal_with_an_inline_session_array_passes_check_and_refuses_a_session(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.toml"
    path.write_text(INLINE)
    assert Journal(path).check() == []
    with pytest.raises(RecordRescued) as info:
        append_or_rescue(Journal(path), [make_session(note="new")])
    assert path.read_text() == INLINE
    assert "cannot take a new [[session]]" in info.value.message
    assert info.value.hint is not None and "matlog import" in info.value.hint
    assert len(Journal(path).read().sessions) == 1


def test_such_a_journal_still_takes_a_sleep_rating(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    path.write_text(INLINE)
    Journal(path).append([Sleep(night=datetime(2026, 1, 1).date(), rating=7)])
    contents = Journal(path).read()
    assert len(contents.sessions) == 1 and [s.rating for s in contents.sleeps] == [7]


def test_the_append_refusal_is_a_journal_error_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    path.write_text(INLINE)
    with pytest.raises(JournalError, match=str(path)):
        Journal(path).append([make_session()])
    assert path.read_text() == INLINE


# -- through the installed matlog --------------------------------------------------------


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MATLOG, *args], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip


@pytest.fixture
def real_env(tmp_path: Path, isolated_home: Path) -> dict[str, str]:
    return {**os.environ, "MATLOG_JOURNAL": str(tmp_path / "journal.toml")}


@pytest.mark.slow
def test_start_under_a_zone_with_seconds_then_every_command_works(
    real_env: dict[str, str],
) -> None:
    env = {**real_env, "TZ": "ABC-05:30:15"}
    started = _run(["start", "1s", "--settle", "0", "--no-ratings"], env)
    assert started.returncode == 0, started.stderr
    assert "not valid TOML" not in started.stderr
    text = Path(env["MATLOG_JOURNAL"]).read_text()
    assert "+05:30\n" in text and "+05:30:15" not in text
    for args in (["check"], ["log"], ["stats", "--json"], ["plan"]):
        result = _run(args, env)
        assert result.returncode == 0, (args, result.stderr)


@pytest.mark.slow
def test_start_on_a_journal_with_an_inline_session_array_rescues_the_record(
    real_env: dict[str, str],
) -> None:
    path = Path(real_env["MATLOG_JOURNAL"])
    path.write_text(INLINE)
    result = _run(["start", "1s", "--settle", "0", "--no-ratings", "--note", "saved"], real_env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("matlog: ")]
    assert len(errors) == 1 and "cannot take a new [[session]]" in errors[0], result.stderr
    assert "matlog import" in errors[0]
    assert path.read_text() == INLINE
    assert _run(["check"], real_env).returncode == 0
    rescued = list((Path(real_env["XDG_STATE_HOME"]) / "matlog" / "rescued").glob("*.toml"))
    assert len(rescued) == 1 and 'note = "saved"' in rescued[0].read_text()


# -- odd offsets and extreme dates in stats and the plan ---------------------------------


@pytest.mark.parametrize(
    "started",
    ["0001-01-01T00:00:00+05:00", "0001-01-01T01:00:00-23:59", "9999-12-31T23:59:59+23:59"],
)
def test_a_date_at_the_ends_of_the_calendar_is_a_located_problem_not_a_crash(
    tmp_path: Path, started: str
) -> None:
    from typer.testing import CliRunner

    from matlog.cli import app
    from matlog.env import Env

    path = tmp_path / "journal.toml"
    path.write_text(
        f"format = 1\n\n[[session]]\nstarted = {started}\n"
        'planned_seconds = 60\nactual_seconds = 60\nended = "finished"\n'
    )
    problems = Journal(path).check()
    assert [p.line for p in problems] == [4] and "year" in problems[0].message
    for args in (["stats"], ["stats", "--json"], ["plan"], ["log"]):
        env = Env(journal_path=path, clock=FakeClock(), interactive=False)
        result = CliRunner().invoke(app, args, obj=env)
        assert result.exit_code == 1, (args, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.stderr.startswith(f"matlog: {path}:4: session: `started`")


@pytest.mark.parametrize("offset", ["+23:59", "-23:59", "+14:00", "-12:00", "+05:45"])
def test_stats_take_any_whole_minute_offset(tmp_path: Path, offset: str) -> None:
    from matlog import stats
    from matlog.config import Config

    path = tmp_path / "journal.toml"
    path.write_text(
        f"format = 1\n\n[[session]]\nstarted = 2026-11-20T00:30:00{offset}\n"
        'planned_seconds = 60\nactual_seconds = 60\nended = "finished"\n'
    )
    result = stats.report(Journal(path), Config(), datetime(2026, 11, 23, 9, 0, tzinfo=CET))
    assert result["sessions"] == 1
    assert stats.day_of(Journal(path).read().sessions[0].started, Config().day_starts).day == 19
