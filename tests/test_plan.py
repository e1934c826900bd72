"""The plan's ladder, rule by rule (SPEC: "The plan")."""

from __future__ import annotations

from datetime import datetime, timedelta

from conftest import CET, make_session

from matlog.config import PlanConfig
from matlog.plan import advise

DAY0 = datetime(2026, 11, 1, 22, 0, tzinfo=CET)
NOW = DAY0 + timedelta(days=60)


def sessions(*specs: tuple[float, str], gap_days: float = 1, start: datetime = DAY0) -> list:
    out = []
    for i, (minutes, ended) in enumerate(specs):
        out.append(make_session(start + timedelta(days=i * gap_days), minutes=minutes, ended=ended))
    return out


def next_minutes(history: list, now: datetime | None = None, **plan: int) -> float:
    now = now or (history[-1].started + timedelta(days=1) if history else DAY0)
    return advise(history, PlanConfig(**plan), now).next_seconds / 60


def test_first_session_is_five_minutes() -> None:
    advice = advise([], PlanConfig(), DAY0)
    assert advice.next_seconds == 300
    assert "begin" in advice.why


def test_each_finished_session_at_the_level_adds_a_step() -> None:
    history = sessions((5, "finished"), (6, "finished"), (7, "finished"))
    assert next_minutes(history) == 8


def test_never_above_the_target() -> None:
    history = sessions(*[(m, "finished") for m in range(5, 30)])
    assert next_minutes(history) == 20
    assert next_minutes(history, target_minutes=12) == 12


def test_shorter_than_the_level_stopped_or_interrupted_keep_the_level() -> None:
    history = sessions((5, "finished"), (3, "finished"), (6, "stopped"), (6, "interrupted"))
    assert next_minutes(history) == 6


def test_discomfort_drops_two_steps_not_below_start() -> None:
    history = sessions((5, "finished"), (6, "finished"), (7, "finished"), (8, "discomfort"))
    assert next_minutes(history) == 6
    assert next_minutes(sessions((5, "discomfort"))) == 5


def test_a_gap_of_more_than_14_days_drops_three_steps() -> None:
    climb = sessions(*[(m, "finished") for m in range(5, 12)])  # level 12
    later = make_session(climb[-1].started + timedelta(days=15), minutes=9, ended="finished")
    # 12 -> 9 for the gap, then the 9-minute session finishes at the level -> 10.
    assert next_minutes([*climb, later]) == 10


def test_exactly_14_days_is_not_a_gap() -> None:
    climb = sessions(*[(m, "finished") for m in range(5, 12)])
    now = climb[-1].started + timedelta(days=14)
    assert next_minutes(climb, now=now) == 12


def test_the_gap_up_to_now_counts_for_the_next_suggestion() -> None:
    climb = sessions(*[(m, "finished") for m in range(5, 12)])
    advice = advise(climb, PlanConfig(), climb[-1].started + timedelta(days=20))
    assert advice.next_seconds == 9 * 60
    assert "20 days" in advice.why


def test_custom_start_and_step() -> None:
    history = sessions((10, "finished"), (12, "finished"))
    assert next_minutes(history, start_minutes=10, step_minutes=2, target_minutes=30) == 14


def test_order_is_by_start_time_not_file_order() -> None:
    history = sessions((5, "finished"), (6, "finished"), (7, "discomfort"))
    assert next_minutes(list(reversed(history))) == next_minutes(history)


def test_warning_threshold_is_one_and_a_half_times_the_plan() -> None:
    assert advise([], PlanConfig(), DAY0).warn_above_seconds == 450
