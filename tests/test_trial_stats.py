"""A trial's control sessions are not mat sessions: `stats` leaves them out of every figure
and says how many; the plan ignores them; their night counts as one without a session."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from conftest import CET, make_session

from matlog.config import Config, PlanConfig
from matlog.journal import Journal
from matlog.plan import advise
from matlog.records import Sleep
from matlog.stats import Filters, StatsFolder, compute, report

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=CET)
DAY = datetime(2026, 12, 1, 22, 0, tzinfo=CET)


def records() -> list:
    mat = [
        make_session(DAY + timedelta(days=i), before={"stress": 6}, after={"stress": 3})
        for i in range(3)
    ]
    control = [
        make_session(
            DAY + timedelta(days=3 + i),
            minutes=20,
            before={"stress": 6},
            after={"stress": 6},
            trial="T1",
            condition="control",
            tags=["bedtime"],
        )
        for i in range(2)
    ]
    sleeps = [Sleep(night=date(2026, 12, 1 + i), rating=4 + i, line=100 + i) for i in range(5)]
    return [*mat, *control, *sleeps]


def test_stats_leave_control_sessions_out_of_every_figure_and_count_them() -> None:
    all_records = records()
    sessions = [r for r in all_records if not isinstance(r, Sleep)]
    sleeps = [r for r in all_records if isinstance(r, Sleep)]
    mat_only = [s for s in sessions if s.condition != "control"]
    with_control = compute(sessions, sleeps, Config(), NOW, Filters())
    without = compute(mat_only, sleeps, Config(), NOW, Filters())
    assert with_control["control_sessions"] == 2
    assert without["control_sessions"] == 0
    for key in ("sessions", "total_seconds", "metrics", "streak", "per_week", "comparisons"):
        assert with_control[key] == without[key], key
    assert with_control["metrics"]["stress"]["n"] == 3
    # Nights 4 and 5 had only a control session: nights without a session for sleep.
    assert with_control["sleep"] == {
        "with_session": {"n": 3, "mean": 5.0},
        "without_session": {"n": 2, "mean": 7.5},
    }


def test_the_cached_fold_agrees_and_knows_the_count(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    store = Journal(path)
    store.append(records())
    config = Config()
    first = report(store, config, NOW)
    again = report(store, config, NOW)  # from the fold cache
    contents = store.read()
    fresh = compute(contents.sessions, contents.sleeps, config, NOW)
    assert first == again == fresh
    assert again["control_sessions"] == 2
    assert store.fold(StatsFolder(config)) is not None


def test_the_plan_ignores_control_sessions() -> None:
    finished = [make_session(DAY + timedelta(days=i), minutes=5 + i) for i in range(3)]
    # A 30-minute control session, finished: on the mat it would be a step up.
    control = make_session(DAY + timedelta(days=3), minutes=30, trial="T1", condition="control")
    now = DAY + timedelta(days=4)
    assert advise([*finished, control], PlanConfig(), now) == advise(finished, PlanConfig(), now)
    # Nor do they keep a gap from counting: 20 days of control sessions only.
    late = DAY + timedelta(days=22)
    controls = [
        make_session(DAY + timedelta(days=3 + i), trial="T1", condition="control")
        for i in range(18)
    ]
    advice = advise([*finished, *controls], PlanConfig(), late)
    assert "days since the session before" in advice.why
