"""Time on the mat is measured on a clock that neither jumps with the wall clock nor stops
for suspend; days in stats are read on each session's own clock.

- The wall clock set forward or back by an hour (NTP, a user, a zone change) mid-session
  changes neither `actual_seconds` nor when the session ends.
- A suspend counts as time on the mat: the boot-time clock runs on, the session ends on time,
  and never counts more than it planned.
- DST changes and travel across zones break no streak, and a 00:30 (or 02:30 in Tokyo)
  session belongs to the evening before on the clock it was logged with.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import make_session
from test_session import make_runner
from typer.testing import CliRunner

from matlog import clock as clock_module
from matlog import session
from matlog.cli import app
from matlog.clock import FakeClock, SystemClock
from matlog.config import Config
from matlog.env import Env
from matlog.journal import Journal
from matlog.records import Session
from matlog.stats import Filters, compute

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))
NEW_YORK = timezone(timedelta(hours=-5))
TOKYO = timezone(timedelta(hours=9))
START = datetime(2026, 11, 23, 22, 0, tzinfo=CET)
HOUR = 3600


Event = str | tuple[str, float]  # a key, or ("wall", seconds) / ("suspend", seconds)


class Events:
    """timer.Keys: time passes tick by tick; at given seconds into the countdown a key is
    pressed, the wall clock jumps, or the machine is suspended for a while."""

    def __init__(self, clock: FakeClock, events: dict[float, Event]) -> None:
        self.clock = clock
        self.origin = clock.monotonic()
        self.events = dict(sorted(events.items()))

    def elapsed(self) -> float:
        return self.clock.monotonic() - self.origin

    def wait(self, timeout: float | None) -> str | None:
        step = 1.0 if timeout is None else timeout
        due = [t for t in self.events if t <= self.elapsed() + step + 1e-9]
        if not due:
            self.clock.advance(step)
            return None
        self.clock.advance(max(0.0, due[0] - self.elapsed()))
        event = self.events.pop(due[0])
        if isinstance(event, str):
            return event
        kind, seconds = event
        if kind == "wall":
            self.clock.jump_wall(seconds)
        else:
            self.clock.advance(seconds)  # asleep: the boot-time clock counts on
        return None


def wall(seconds: float) -> Event:
    return ("wall", seconds)


def suspend(seconds: float) -> Event:
    return ("suspend", seconds)


def run(
    tmp_path: Path,
    planned: int,
    events: dict[float, Event],
    bell_every: int | None = None,
) -> tuple[Session, FakeClock, list[str], float]:
    """A session with the countdown starting at once; returns the record, the clock, the
    bells and when (monotonic seconds after the start) the session ended."""
    clock = FakeClock(start=START)
    runner = make_runner(tmp_path, clock)
    keys = Events(clock, events)
    runner.keys = keys
    session.run_session(
        session.SessionPlan(
            planned_seconds=planned, area="back", settle_seconds=0, bell_every=bell_every
        ),
        runner,
    )
    [logged] = runner.journal.read().sessions
    return logged, clock, runner.bells.rung, keys.elapsed()  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------
# Wall-clock jumps


@pytest.mark.parametrize("jump", [HOUR, -HOUR, 2 * HOUR, -24 * HOUR], ids=str)
def test_a_wall_clock_jump_changes_neither_the_time_on_the_mat_nor_the_end(
    tmp_path: Path, jump: int
) -> None:
    logged, clock, bells, ended_after = run(tmp_path, 600, {100: wall(jump)})
    assert (logged.ended, logged.actual_seconds) == ("finished", 600)
    assert ended_after == pytest.approx(600, abs=0.01)  # on time on the monotonic clock
    assert logged.started == START  # read once, when the countdown began
    assert bells == ["start", "end"]
    assert clock.now() == START + timedelta(seconds=600 + jump)  # the jump did happen


@pytest.mark.parametrize("jump", [HOUR, -HOUR], ids=str)
def test_a_wall_clock_jump_during_a_pause_or_before_a_stop(tmp_path: Path, jump: int) -> None:
    # Paused 100-250 with the jump in the middle, then stopped at 400: 250 s on the mat.
    logged, *_ = run(tmp_path, 600, {100: " ", 150: wall(jump), 250: " ", 400: "q"})
    assert (logged.ended, logged.actual_seconds) == ("stopped", 250)


@pytest.mark.parametrize("jump", [HOUR, -HOUR], ids=str)
def test_the_heartbeat_counts_mat_time_not_wall_time(tmp_path: Path, jump: int) -> None:
    # What kill -9 would leave 203 s in, with the wall clock moved at 100 s.
    clock = FakeClock(start=START)
    runner = make_runner(tmp_path, clock)
    seen: list[int] = []

    class Peek(Events):
        def wait(self, timeout: float | None) -> str | None:
            if self.elapsed() >= 203 and not seen:
                [path] = runner.state_dir.glob("running-*.json")
                data = json.loads(path.read_text())
                seen.append(data["actual_seconds"])
            return super().wait(timeout)

    runner.keys = Peek(clock, {100: wall(jump)})
    session.run_session(
        session.SessionPlan(planned_seconds=300, area="back", settle_seconds=0), runner
    )
    assert seen == [200]


def test_the_cli_logs_mat_time_whatever_the_wall_clock_does(tmp_path: Path) -> None:
    # The whole `matlog start` (no terminal: plain lines), the wall clock back an hour at 60 s.
    class JumpyClock(FakeClock):
        def sleep(self, seconds: float) -> None:
            before = self.monotonic()
            super().sleep(seconds)
            if before < self._mono0 + 60 <= self.monotonic():
                self.jump_wall(-HOUR)

    clock = JumpyClock(start=START)
    journal = tmp_path / "journal.toml"
    result = CliRunner().invoke(
        app, ["start", "3", "--settle", "0"], obj=Env(journal_path=journal, clock=clock)
    )
    assert result.exit_code == 0, result.output
    [logged] = Journal(journal).read().sessions
    assert (logged.ended, logged.actual_seconds, logged.started) == ("finished", 180, START)


# ---------------------------------------------------------------------------------------
# Suspend


def test_a_suspend_counts_as_time_on_the_mat_and_the_end_is_on_time(tmp_path: Path) -> None:
    logged, _, bells, ended_after = run(tmp_path, 600, {100: suspend(300)})
    assert (logged.ended, logged.actual_seconds) == ("finished", 600)
    assert ended_after == pytest.approx(600, abs=0.01)  # not 900: the suspend counted
    assert bells == ["start", "end"]


def test_waking_after_the_end_finishes_at_once_without_counting_more(tmp_path: Path) -> None:
    # Asleep from 100 s to 1000 s of a 600 s session with bells every 60 s: on waking, the
    # end bells (three) ring once; the seven interval bells slept through do not burst out.
    logged, _, bells, ended_after = run(tmp_path, 600, {100: suspend(900)}, bell_every=60)
    assert (logged.ended, logged.actual_seconds) == ("finished", 600)
    assert ended_after == pytest.approx(1000, abs=0.01)
    assert bells == ["start", "interval", "end"]


def test_a_suspend_while_paused_is_part_of_the_pause(tmp_path: Path) -> None:
    logged, _, _, ended_after = run(tmp_path, 600, {100: " ", 150: suspend(HOUR), 200: " "})
    assert (logged.ended, logged.actual_seconds) == ("finished", 600)
    # Paused at 100, asleep at 150 for an hour, resumed on waking: all of it is the pause.
    assert ended_after == pytest.approx(600 + (150 - 100) + HOUR, abs=0.01)


def test_the_system_clock_is_the_boot_time_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # CLOCK_MONOTONIC stops during suspend; CLOCK_BOOTTIME does not. Told apart by a fake.
    boottime = getattr(time, "CLOCK_BOOTTIME", None)
    if boottime is None:
        pytest.skip("no CLOCK_BOOTTIME here (not Linux): monotonic is the best there is")
    readings = {boottime: 5000.0, time.CLOCK_MONOTONIC: 10.0}
    monkeypatch.setattr(clock_module.time, "clock_gettime", lambda which: readings[which])
    monkeypatch.setattr(clock_module.time, "monotonic", lambda: 10.0)
    assert SystemClock().monotonic() == 5000.0


def test_the_system_clock_is_monotonic_and_aware() -> None:
    system = SystemClock()
    a = system.monotonic()
    system.sleep(0.01)
    assert system.monotonic() - a >= 0.01
    assert system.now().utcoffset() is not None


# ---------------------------------------------------------------------------------------
# Days in stats: DST and travel

CONFIG = Config()


def days_and_streak(sessions: list[Session], now: datetime) -> tuple[int, dict[str, int]]:
    result = compute(sessions, [], CONFIG, now, Filters())
    return result["days_with_session"], result["streak"]


def test_a_streak_across_the_start_of_daylight_saving_time() -> None:
    # 03:30 every night, Mar 23 to Apr 3, 2026; Berlin moves to +02:00 at 02:00 on Mar 29.
    # Each is the evening before's. Read on a +02:00 clock, the +01:00 ones would be 04:30:
    # a day later, two sessions on Mar 28 and one day fewer in the streak.
    sessions = []
    for offset in range(12):
        day = date(2026, 3, 23) + timedelta(days=offset)
        zone = CET if day < date(2026, 3, 29) else CEST
        sessions.append(make_session(datetime(day.year, day.month, day.day, 3, 30, tzinfo=zone)))
    now = datetime(2026, 4, 3, 20, 0, tzinfo=CEST)
    assert days_and_streak(sessions, now) == (12, {"current_days": 12, "longest_days": 12})
    # From Mar 28: the sessions of the mornings of Mar 29 to Apr 3, each the evening before's.
    assert compute(sessions, [], CONFIG, now, Filters(since=date(2026, 3, 28)))["sessions"] == 6


# A week of travel: Berlin, New York, Tokyo and home; one session a day on the local clock.
# On UTC (even with the 04:00 rule) or on the reader's +01:00 clock, Nov 2 and Nov 4 would
# land on Nov 3: three sessions one day, none on two others, and a broken streak.
TRAVEL = [
    datetime(2026, 11, 1, 22, 0, tzinfo=CET),  # Berlin
    datetime(2026, 11, 2, 23, 30, tzinfo=NEW_YORK),  # 04:30 UTC on Nov 3
    datetime(2026, 11, 3, 21, 0, tzinfo=NEW_YORK),
    datetime(2026, 11, 4, 7, 0, tzinfo=TOKYO),  # 22:00 UTC on Nov 3
    datetime(2026, 11, 6, 2, 30, tzinfo=TOKYO),  # 02:30: the evening of Nov 5, in Tokyo
    datetime(2026, 11, 6, 22, 0, tzinfo=TOKYO),
    datetime(2026, 11, 7, 22, 0, tzinfo=CET),  # home
]


def test_a_week_of_travel_across_zones_keeps_the_streak() -> None:
    sessions = [make_session(when) for when in TRAVEL]
    home = datetime(2026, 11, 7, 23, 0, tzinfo=CET)
    assert days_and_streak(sessions, home) == (7, {"current_days": 7, "longest_days": 7})
    # Read the next morning in Tokyo: Nov 8 there; yesterday's session keeps it alive.
    tokyo_morning = datetime(2026, 11, 8, 9, 0, tzinfo=TOKYO)
    assert days_and_streak(sessions, tokyo_morning)[1]["current_days"] == 7
    # Each naive-UTC or reader's-clock reading would not give this: the test can tell.
    utc_days = {(s.started.astimezone(UTC) - timedelta(hours=4)).date() for s in sessions}
    assert len(utc_days) < 7


def test_the_0400_rule_is_on_the_travellers_own_clock() -> None:
    sessions = [make_session(when) for when in TRAVEL]
    home = datetime(2026, 11, 7, 23, 0, tzinfo=CET)

    def on(day: int) -> list[str | None]:
        picked = compute(
            sessions,
            [],
            CONFIG,
            home,
            Filters(since=date(2026, 11, day), until=date(2026, 11, day)),
        )
        return [picked["first"], picked["last"]] if picked["sessions"] == 1 else []

    # 02:30 in Tokyo on Nov 6 belongs to Nov 5; 07:00 in Tokyo on Nov 4 to Nov 4, although
    # it was still Nov 3 in Berlin and in UTC; 23:30 in New York to Nov 2.
    assert on(5) == ["2026-11-06T02:30:00+09:00"] * 2
    assert on(4) == ["2026-11-04T07:00:00+09:00"] * 2
    assert on(2) == ["2026-11-02T23:30:00-05:00"] * 2


def test_travel_through_the_journal_and_the_cli(tmp_path: Path) -> None:
    # Offsets survive the file (TOML offset date-times) and `stats --json` reads them so.
    journal = tmp_path / "journal.toml"
    Journal(journal).append([make_session(when) for when in TRAVEL])
    clock = FakeClock(start=datetime(2026, 11, 7, 23, 0, tzinfo=CET))
    result = CliRunner().invoke(app, ["stats", "--json"], obj=Env(journal, clock=clock))
    assert result.exit_code == 0, result.output
    numbers = json.loads(result.stdout)
    assert numbers["streak"] == {"current_days": 7, "longest_days": 7}
    assert numbers["days_with_session"] == 7
    assert numbers["first"] == "2026-11-01T22:00:00+01:00"
    assert numbers["last"] == "2026-11-07T22:00:00+01:00"
