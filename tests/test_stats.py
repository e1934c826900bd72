"""stats.compute on small journals whose answers are known by hand."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone

import pytest
from conftest import make_session
from journal_factory import SPEC_KEYS, realistic_journal

from matlog.config import Config
from matlog.errors import UsageError
from matlog.records import Session, Sleep
from matlog.stats import Filters, compute, day_of, parse_filters, summarise, t_critical

CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))
NOW = datetime(2026, 11, 23, 22, 0, tzinfo=CET)
CONFIG = Config()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def rated(started: str, before: dict[str, int], after: dict[str, int], **fields: object) -> Session:
    return make_session(at(started), before=before, after=after, **fields)


def stats_of(
    sessions: list[Session],
    sleeps: list[Sleep] | None = None,
    now: datetime = NOW,
    config: Config = CONFIG,
    **filters: object,
) -> dict[str, object]:
    return compute(sessions, sleeps or [], config, now, Filters(**filters))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# The t-quantile


@pytest.mark.parametrize(
    ("df", "table"),
    [
        (1, 12.706),
        (2, 4.303),
        (3, 3.182),
        (5, 2.571),
        (10, 2.228),
        (20, 2.086),
        (30, 2.042),
        (100, 1.984),
        (1000, 1.962),
        (1_000_000, 1.960),
    ],
)
def test_t_critical_matches_the_tables(df: int, table: float) -> None:
    assert round(t_critical(df), 3) == table


def test_t_critical_other_levels_and_exact_cases() -> None:
    assert round(t_critical(10, 0.99), 3) == 3.169
    assert round(t_critical(4, 0.90), 3) == 2.132
    # df = 1 is the Cauchy distribution: the quantile is tan(pi * 0.475) exactly.
    assert t_critical(1) == pytest.approx(math.tan(math.pi * 0.475), rel=1e-9)
    # df = 2 has a closed form too: t = (2p - 1) / sqrt(2p(1 - p)) with p = 0.975.
    assert t_critical(2) == pytest.approx(0.95 / math.sqrt(2 * 0.975 * 0.025), rel=1e-9)


# ---------------------------------------------------------------------------------------
# Metrics: means, the interval, the improved share


def test_change_interval_is_the_student_t_interval_of_the_mean_change() -> None:
    # pain changes -1, -2, -3, -2, -2: mean -2, sd sqrt(0.5), t(4) = 2.776
    sessions = [
        rated(f"2026-11-{10 + i}T22:00+01:00", {"pain": 6}, {"pain": 6 + d})
        for i, d in enumerate([-1, -2, -3, -2, -2])
    ]
    pain = stats_of(sessions)["metrics"]["pain"]  # type: ignore[index]
    half = 2.7764451 * math.sqrt(0.5) / math.sqrt(5)
    assert pain["n"] == 5
    assert pain["before_mean"] == 6
    assert pain["after_mean"] == 4
    assert pain["change_mean"] == -2
    assert pain["change_ci95"] == pytest.approx([-2 - half, -2 + half], abs=1e-3)
    assert pain["improved_share"] == 1.0
    assert pain["better"] == "lower"


def test_improved_share_follows_each_metric_direction_and_ties_are_not_improvements() -> None:
    sessions = [
        rated("2026-11-10T22:00+01:00", {"pain": 6, "mood": 4}, {"pain": 3, "mood": 6}),
        rated("2026-11-11T22:00+01:00", {"pain": 5, "mood": 6}, {"pain": 5, "mood": 6}),
        rated("2026-11-12T22:00+01:00", {"pain": 4, "mood": 7}, {"pain": 6, "mood": 5}),
        rated("2026-11-13T22:00+01:00", {"pain": 7, "mood": 3}, {"pain": 2, "mood": 8}),
    ]
    metrics = stats_of(sessions)["metrics"]
    # pain (lower is better) fell in sessions 1 and 4; mood (higher is better) rose in 1 and 4.
    assert metrics["pain"]["improved_share"] == 0.5  # type: ignore[index]
    assert metrics["mood"]["improved_share"] == 0.5  # type: ignore[index]
    assert metrics["mood"]["better"] == "higher"  # type: ignore[index]
    # The same numbers read the other way round: a config that says pain is higher-better.
    flipped = Config(metrics={"pain": "higher"})
    assert stats_of(sessions, config=flipped)["metrics"]["pain"]["improved_share"] == 0.25  # type: ignore[index]


def test_only_sessions_with_both_ratings_count_and_small_n_has_no_interval() -> None:
    sessions = [
        rated("2026-11-10T22:00+01:00", {"pain": 6}, {"pain": 4}),
        rated("2026-11-11T22:00+01:00", {"pain": 6}, {}),  # rated before only
        rated("2026-11-12T22:00+01:00", {}, {"pain": 1}),  # rated after only
    ]
    metrics = stats_of(sessions)["metrics"]
    assert metrics["pain"]["n"] == 1  # type: ignore[index]
    assert metrics["pain"]["change_mean"] == -2  # type: ignore[index]
    assert metrics["pain"]["change_ci95"] is None  # type: ignore[index]
    # A configured metric nobody rated is there with n = 0 and null means.
    assert metrics["stress"] == {  # type: ignore[index]
        "n": 0,
        "before_mean": None,
        "after_mean": None,
        "change_mean": None,
        "change_ci95": None,
        "improved_share": None,
        "better": "lower",
    }


def test_unconfigured_metrics_are_reported_without_a_better_direction() -> None:
    sessions = [rated("2026-11-10T22:00+01:00", {"energy": 3}, {"energy": 5})]
    result = stats_of(sessions)
    assert list(result["metrics"]) == ["pain", "stress", "mood", "energy"]  # type: ignore[call-overload]
    energy = result["metrics"]["energy"]  # type: ignore[index]
    assert energy["change_mean"] == 2
    assert energy["better"] is None
    assert energy["improved_share"] is None


def test_constant_change_gives_a_zero_width_interval() -> None:
    sessions = [
        rated(f"2026-11-{10 + i}T22:00+01:00", {"stress": 7}, {"stress": 5}) for i in range(3)
    ]
    assert stats_of(sessions)["metrics"]["stress"]["change_ci95"] == [-2, -2]  # type: ignore[index]


def test_summarise_counts_weighted_pairs() -> None:
    # Three sessions 6->4 and one 6->8: the same as listing them one by one.
    change = summarise([(6, 4, 3), (6, 8, 1)], "lower")
    assert change.n == 4
    assert change.change_mean == -1
    assert change.improved_share == 0.75
    assert change.change_ci95 is not None
    sd = math.sqrt((3 * 1 + 9) / 3)  # deviations -1,-1,-1,+3 from the mean -1
    half = 3.1824463 * sd / 2
    assert change.change_ci95 == pytest.approx((-1 - half, -1 + half), abs=1e-6)


# ---------------------------------------------------------------------------------------
# Days, streaks and nights


def test_a_session_at_0030_belongs_to_the_evening_before() -> None:
    sessions = [
        make_session(at("2026-11-20T22:00+01:00")),
        make_session(at("2026-11-21T00:30+01:00")),
    ]
    result = stats_of(sessions)
    assert result["days_with_session"] == 1
    assert result["streak"] == {"current_days": 0, "longest_days": 1}
    assert day_of(at("2026-11-21T00:30+01:00"), time(4, 0)) == date(2026, 11, 20)
    assert day_of(at("2026-11-21T04:00+01:00"), time(4, 0)) == date(2026, 11, 21)


def test_day_starts_is_configurable() -> None:
    sessions = [
        make_session(at("2026-11-20T22:00+01:00")),
        make_session(at("2026-11-21T00:30+01:00")),
    ]
    midnight = Config(day_starts=time(0, 0))
    assert stats_of(sessions, config=midnight)["days_with_session"] == 2


def test_streak_across_the_end_of_daylight_saving_time() -> None:
    # 04:30 every morning from Oct 19 to Nov 1, 2026; Berlin leaves +02:00 on Oct 25.
    # Read from +01:00 wall clocks, the +02:00 sessions would be at 03:30 and slip a day.
    sessions = []
    for offset in range(14):
        day = date(2026, 10, 19) + timedelta(days=offset)
        zone = CEST if day < date(2026, 10, 25) else CET
        sessions.append(make_session(datetime(day.year, day.month, day.day, 4, 30, tzinfo=zone)))
    result = stats_of(sessions, now=at("2026-11-01T20:00+01:00"))
    assert result["days_with_session"] == 14
    assert result["streak"] == {"current_days": 14, "longest_days": 14}


def test_a_session_keeps_its_own_offset_when_read_in_another_timezone() -> None:
    # 03:30 at +02:00 is June 30 by the 04:00 rule, although it is 2026-07-01 10:30 in Tokyo
    # and 2026-06-30 20:30 in New York: only the session's own clock counts.
    session = make_session(at("2026-07-01T03:30+02:00"))
    tokyo = at("2026-07-01T12:00+09:00")
    result = stats_of([session], now=tokyo, since=date(2026, 6, 30), until=date(2026, 6, 30))
    assert result["sessions"] == 1
    assert result["first"] == "2026-07-01T03:30:00+02:00"
    # "Today" is the reader's: July 1 in Tokyo, so June 30 is yesterday and the streak is alive.
    assert result["streak"]["current_days"] == 1  # type: ignore[index]
    # A second session at +02:00 10:00 the same morning is July 1, another day.
    later = make_session(at("2026-07-01T10:00+02:00"))
    assert stats_of([session, later], now=tokyo)["streak"] == {
        "current_days": 2,
        "longest_days": 2,
    }


def test_current_streak_ends_today_or_yesterday_else_it_is_zero() -> None:
    days = [at(f"2026-11-{d}T21:00+01:00") for d in (14, 15, 16, 18, 19, 20, 21, 22)]
    sessions = [make_session(d) for d in days]
    # now is Nov 23, 22:00: nothing today yet, so the streak runs to yesterday (18-22).
    assert stats_of(sessions)["streak"] == {"current_days": 5, "longest_days": 5}
    two_days_on = at("2026-11-24T22:00+01:00")
    assert stats_of(sessions, now=two_days_on)["streak"]["current_days"] == 0  # type: ignore[index]
    # Before 04:00 it is still "yesterday": 02:00 on Nov 23 belongs to Nov 22.
    small_hours = at("2026-11-23T02:00+01:00")
    assert stats_of(sessions, now=small_hours)["streak"]["current_days"] == 5  # type: ignore[index]


def test_per_week_counts_the_last_28_days() -> None:
    sessions = [
        make_session(at("2026-10-26T21:00+01:00")),  # today - 28: outside
        make_session(at("2026-10-27T21:00+01:00")),  # today - 27: inside
        make_session(at("2026-11-10T21:00+01:00")),
        make_session(at("2026-11-23T21:00+01:00")),  # today
    ]
    result = stats_of(sessions)
    assert result["per_week"] == 0.75
    assert result["recent"]["per_day_28"][0] == 1  # type: ignore[index]
    assert result["recent"]["per_day_28"][-1] == 1  # type: ignore[index]
    assert sum(result["recent"]["per_day_28"]) == 3  # type: ignore[index]


def test_sleep_on_nights_with_and_without_a_session() -> None:
    sessions = [
        make_session(at("2026-11-20T22:00+01:00")),
        make_session(at("2026-11-22T00:40+01:00")),  # after midnight: the night of the 21st
    ]
    sleeps = [
        Sleep(night=date(2026, 11, 19), rating=5, line=1),
        Sleep(night=date(2026, 11, 20), rating=8, line=2),
        Sleep(night=date(2026, 11, 21), rating=6, line=3),
        Sleep(night=date(2026, 11, 22), rating=4, line=4),
        Sleep(night=date(2026, 11, 22), rating=6, line=5),  # re-rated: the later one counts
    ]
    assert stats_of(sessions, sleeps)["sleep"] == {
        "with_session": {"n": 2, "mean": 7.0},
        "without_session": {"n": 2, "mean": 5.5},
    }
    # Date filters narrow the nights too.
    assert stats_of(sessions, sleeps, since=date(2026, 11, 21))["sleep"] == {
        "with_session": {"n": 1, "mean": 6.0},
        "without_session": {"n": 1, "mean": 6.0},
    }


def test_with_a_tag_filter_nights_with_other_sessions_are_in_neither_group() -> None:
    sessions = [
        make_session(at("2026-11-20T22:00+01:00"), tags=["bedtime"]),
        make_session(at("2026-11-21T13:00+01:00"), tags=["lunch"]),
    ]
    sleeps = [
        Sleep(night=date(2026, 11, 20), rating=8, line=1),
        Sleep(night=date(2026, 11, 21), rating=3, line=2),
        Sleep(night=date(2026, 11, 22), rating=5, line=3),
    ]
    assert stats_of(sessions, sleeps, tags=("bedtime",))["sleep"] == {
        "with_session": {"n": 1, "mean": 8.0},
        "without_session": {"n": 1, "mean": 5.0},
    }


# ---------------------------------------------------------------------------------------
# Counts, filters, the empty journal


def test_the_empty_journal_has_zeros_and_nulls() -> None:
    result = stats_of([])
    assert result["sessions"] == 0
    assert result["total_seconds"] == 0
    assert result["mean_seconds"] is None
    assert result["ended"] == {"finished": 0, "stopped": 0, "discomfort": 0, "interrupted": 0}
    assert result["first"] is None and result["last"] is None
    assert result["streak"] == {"current_days": 0, "longest_days": 0}
    assert result["per_week"] == 0
    assert all(m["n"] == 0 and m["change_mean"] is None for m in result["metrics"].values())  # type: ignore[attr-defined]
    assert result["sleep"] == {
        "with_session": {"n": 0, "mean": None},
        "without_session": {"n": 0, "mean": None},
    }
    assert result["plan"] == {"next_seconds": 300}
    assert result["comparisons"] == {}


def test_totals_endings_and_first_last_by_instant_not_by_file_order() -> None:
    sessions = [
        make_session(at("2026-11-22T21:00+01:00"), minutes=12, ended="stopped"),
        # Earlier as an instant than the +01:00 one below, though later on its own clock.
        make_session(at("2026-11-10T23:30+05:00"), minutes=10),
        make_session(at("2026-11-10T20:00+01:00"), minutes=8, ended="discomfort"),
    ]
    result = stats_of(sessions)
    assert result["sessions"] == 3
    assert result["total_seconds"] == 30 * 60
    assert result["mean_seconds"] == 600
    assert result["ended"] == {"finished": 1, "stopped": 1, "discomfort": 1, "interrupted": 0}
    assert result["first"] == "2026-11-10T23:30:00+05:00"
    assert result["last"] == "2026-11-22T21:00:00+01:00"
    assert result["recent"]["seconds"] == [600, 480, 720]  # type: ignore[index]


def test_spec_keys_are_all_there() -> None:
    result = stats_of([make_session()])
    assert set(result) >= SPEC_KEYS
    assert set(result["metrics"]["pain"]) == {  # type: ignore[index]
        "n",
        "before_mean",
        "after_mean",
        "change_mean",
        "change_ci95",
        "improved_share",
        "better",
    }


def test_filters_by_tag_any_of_case_insensitive_area_and_dates() -> None:
    sessions = [
        make_session(at("2026-11-01T22:00+01:00"), tags=["Bedtime"], area="back"),
        make_session(at("2026-11-05T13:00+01:00"), tags=["lunch"], area="neck"),
        make_session(at("2026-11-10T22:00+01:00"), tags=[], area="back"),
        make_session(at("2026-11-20T22:00+01:00"), tags=["bedtime", "sore"], area="feet"),
    ]
    assert stats_of(sessions, tags=("bedtime",))["sessions"] == 2
    assert stats_of(sessions, tags=("sore", "lunch"))["sessions"] == 2
    assert stats_of(sessions, area="BACK")["sessions"] == 2
    assert stats_of(sessions, since=date(2026, 11, 5), until=date(2026, 11, 10))["sessions"] == 2
    filtered = stats_of(sessions, tags=("bedtime",), area="back")
    assert filtered["sessions"] == 1
    assert filtered["journal_sessions"] == 4


def test_plan_uses_the_whole_journal_not_the_filtered_part() -> None:
    sessions = [make_session(at(f"2026-11-{d}T22:00+01:00"), minutes=20) for d in (20, 21, 22)]
    assert stats_of(sessions, area="neck")["plan"] == {"next_seconds": 8 * 60}


def test_parse_filters() -> None:
    today = date(2026, 11, 23)
    assert parse_filters(last="30d", today=today).since == date(2026, 10, 25)
    assert parse_filters(last="2w", today=today).since == date(2026, 11, 10)
    assert parse_filters(last=" 7D ", today=today).since == date(2026, 11, 17)
    assert parse_filters(last=" 7D ", today=today).last == "7d"
    both = parse_filters(since="2026-11-01", until="2026-11-02", tags=["#sore"], today=today)
    assert (both.since, both.until, both.tags) == (date(2026, 11, 1), date(2026, 11, 2), ("sore",))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"since": "yesterday"}, "--since must be a date YYYY-MM-DD"),
        ({"until": "2026-13-01"}, "--until must be a date YYYY-MM-DD"),
        ({"last": "30m"}, "--last '30m' is not a number of days or weeks"),
        ({"last": "0d"}, "--last must be at least 1 day, got '0d'"),
        ({"last": "30"}, "--last '30' needs a unit: d for days or w for weeks"),
        ({"since": "2026-11-01", "last": "30d"}, "use --since or --last, not both"),
        ({"since": "2026-11-10", "until": "2026-11-01"}, "--since 2026-11-10 is after --until"),
        ({"tags": [" "]}, "--tag must not be empty"),
    ],
)
def test_parse_filters_rejects_what_cannot_be_meant(
    options: dict[str, object], message: str
) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        parse_filters(today=date(2026, 11, 23), **options)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Comparisons


def test_comparisons_need_two_groups_and_always_carry_n() -> None:
    sessions = [
        rated("2026-11-10T22:00+01:00", {"pain": 6}, {"pain": 4}, layer="shirt", minutes=5),
        rated("2026-11-11T22:00+01:00", {"pain": 6}, {"pain": 5}, layer="shirt", minutes=6),
        rated("2026-11-12T22:00+01:00", {"pain": 6}, {"pain": 2}, layer="bare", minutes=10),
        make_session(at("2026-11-13T22:00+01:00"), layer="bare", minutes=12),
    ]
    comparisons = stats_of(sessions)["comparisons"]
    assert set(comparisons) == {"layer", "length"}  # type: ignore[arg-type]  # one area, no tags
    layer = comparisons["layer"]  # type: ignore[index]
    assert list(layer) == ["shirt", "bare"] or list(layer) == ["bare", "shirt"]
    assert layer["shirt"]["sessions"] == 2
    assert layer["shirt"]["metrics"]["pain"]["n"] == 2
    assert layer["shirt"]["metrics"]["pain"]["change_mean"] == -1.5
    assert layer["bare"]["sessions"] == 2
    assert layer["bare"]["metrics"]["pain"]["n"] == 1
    # The split is at the upper median of 5, 6, 10, 12 minutes: short is under 10 minutes.
    length = comparisons["length"]  # type: ignore[index]
    assert list(length) == ["< 10m", "≥ 10m"]
    assert length["< 10m"]["sessions"] == 2
    assert length["≥ 10m"]["mean_seconds"] == 660


def test_tags_compare_each_tag_and_the_untagged() -> None:
    sessions = [
        make_session(at("2026-11-10T22:00+01:00"), tags=["bedtime", "sore"]),
        make_session(at("2026-11-11T22:00+01:00"), tags=["bedtime"]),
        make_session(at("2026-11-12T22:00+01:00")),
    ]
    tag = stats_of(sessions)["comparisons"]["tag"]  # type: ignore[index]
    assert {k: v["sessions"] for k, v in tag.items()} == {
        "bedtime": 2,
        "sore": 1,
        "(not set)": 1,
    }


# ---------------------------------------------------------------------------------------
# The realistic journal


def test_realistic_journal_is_deterministic_and_sane() -> None:
    records = realistic_journal()
    assert records == realistic_journal()
    sessions = [r for r in records if isinstance(r, Session)]
    sleeps = [r for r in records if isinstance(r, Sleep)]
    result = compute(sessions, sleeps, CONFIG, NOW, None)
    assert result["sessions"] == 60
    assert result["ended"]["discomfort"] == 1  # type: ignore[index]
    assert result["ended"]["interrupted"] == 1  # type: ignore[index]
    offsets = {s.started.utcoffset() for s in sessions}
    assert offsets == {timedelta(hours=2), timedelta(hours=1)}  # across the end of DST
    assert result["metrics"]["stress"]["n"] >= 40  # type: ignore[index]
    assert result["streak"]["current_days"] >= 1  # type: ignore[index]
    assert result["sleep"]["without_session"]["n"] > 0  # type: ignore[index]


def test_identical_sessions_do_not_trip_the_ordering() -> None:
    same = [rated("2026-11-20T22:00:00+01:00", {"pain": 5}, {"pain": 3}) for _ in range(40)]
    assert stats_of(same)["sessions"] == 40


def test_a_fold_fed_in_pieces_and_restored_equals_one_pass() -> None:
    from matlog.stats import Fold

    records = realistic_journal()
    sessions = [r for r in records if isinstance(r, Session)]
    sleeps = [r for r in records if isinstance(r, Sleep)]
    whole = Fold(CONFIG.day_starts)
    whole.add(sessions, sleeps)
    pieces = Fold(CONFIG.day_starts)
    pieces.add(sessions[:25], sleeps[:10])
    restored = Fold.from_state(CONFIG.day_starts, pieces.to_state())
    restored.add(sessions[25:], sleeps[10:])
    assert restored.summary(CONFIG, NOW, 600) == whole.summary(CONFIG, NOW, 600)
