"""`matlog stats` through its cache says exactly what a fresh count of the journal says.

Each test compares `stats.report` (the cached fold) with `stats.compute` over a full parse
of the file as it is now, after the kind of change a journal meets: appends by matlog or by
a sync tool, a hand edit, truncation, older sessions imported, another config. Each runs
unfiltered and with filters (which keep folds of their own).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest
from conftest import CET, make_session
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from matlog import journal, paths, stats
from matlog.config import Config
from matlog.errors import JournalError
from matlog.journal import Journal, parse, serialise
from matlog.lightclass import replace
from matlog.records import Sleep

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=CET)
CONFIG = Config()


FILTERS = {
    "none": None,
    "tag": stats.Filters(tags=("bedtime",)),
    "area": stats.Filters(area="neck"),
    "last": stats.parse_filters(last="30d", today=stats.day_of(NOW, CONFIG.day_starts)),
    "both": stats.Filters(
        since=(NOW - timedelta(days=20)).date(), until=NOW.date(), tags=("sore", "bedtime")
    ),
}


# The inner loop runs "none" and "both" (dates and tags at once); CI runs each alone too.
FAST_FILTERS = ("none", "both")


@pytest.fixture(
    params=[
        name if name in FAST_FILTERS else pytest.param(name, marks=pytest.mark.slow)
        for name in FILTERS
    ],
    autouse=True,
)
def filters(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with each of FILTERS in `fresh` and `cached`."""
    monkeypatch.setitem(CURRENT, "filters", FILTERS[request.param])


CURRENT: dict[str, stats.Filters | None] = {"filters": None}


def fresh(path: Path, config: Config = CONFIG) -> dict:
    contents, problems = parse(path.read_bytes(), path, journal.kind_of(path))
    assert not problems
    return stats.compute(contents.sessions, contents.sleeps, config, NOW, CURRENT["filters"])


def cached(path: Path, config: Config = CONFIG) -> dict:
    return stats.report(Journal(path), config, NOW, CURRENT["filters"])


def fold_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "home" / ".cache" / "matlog").glob("stats-*.cache"))


def history(days: int, start: datetime | None = None) -> list:
    start = start or NOW - timedelta(days=days + 1)
    out = []
    for day in range(days):
        out.append(
            make_session(
                start + timedelta(days=day, hours=13),
                minutes=5 + day % 9,
                ended="finished" if day % 7 else "stopped",
                before={"pain": 6, "stress": day % 10},
                after={"pain": 4 + day % 3, "stress": 3},
                tags=[["bedtime"], [], ["sore", "bedtime"]][day % 3],
                area=["back", "neck"][day % 4 == 0],
            )
        )
        if day % 3 == 0:
            out.append(Sleep(night=(start + timedelta(days=day)).date(), rating=day % 11))
    return out


@pytest.fixture(params=["journal.toml", "journal.jsonl"])
def path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    p = tmp_path / request.param
    Journal(p).append(history(40))
    return p


def test_first_run_then_cached_then_appended(path: Path, tmp_path: Path) -> None:
    import json

    assert cached(path) == fresh(path)
    # Also as printed: the same keys in the same order.
    assert json.dumps(cached(path)) == json.dumps(fresh(path))
    assert len(fold_files(tmp_path)) == 1
    assert cached(path) == fresh(path)
    Journal(path).append(
        [make_session(NOW - timedelta(hours=10), minutes=12, before={"pain": 7}, after={"pain": 2})]
    )
    assert cached(path) == fresh(path)


def test_a_tail_written_by_another_device_through_a_sync_tool(path: Path) -> None:
    cached(path)
    more = history(3, start=NOW - timedelta(hours=20))
    kind = journal.kind_of(path)
    text = serialise(more, kind)
    with path.open("a") as handle:
        handle.write(("\n" if kind == "toml" else "") + text)
    assert cached(path) == fresh(path)


def test_older_sessions_imported_at_the_end_refold_the_plan(path: Path) -> None:
    cached(path)
    # Sessions from before the journal's start, appended (as `import` does): the ladder
    # cannot simply continue, so the whole journal is folded again.
    older = history(5, start=NOW - timedelta(days=300))
    Journal(path).append(older)
    assert cached(path) == fresh(path)


def test_a_hand_edit_in_the_middle_of_the_same_size(path: Path) -> None:
    cached(path)
    data = path.read_bytes()
    target = b"actual_seconds = 300" if path.suffix == ".toml" else b'"actual_seconds": 300'
    assert target in data
    edited = data.replace(target, target[:-3] + b"299", 1)
    assert len(edited) == len(data)
    stat = path.stat()
    path.write_bytes(edited)
    import os

    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    result = cached(path)
    assert result == fresh(path)
    assert result["total_seconds"] == fresh(path)["total_seconds"]


def test_truncated_and_broken_journals_are_not_summarised_from_the_cache(path: Path) -> None:
    cached(path)
    data = path.read_bytes()
    middle_of_a_record = data.rindex(b"\n", 0, len(data) // 2) + 10
    path.write_bytes(data[:middle_of_a_record])
    with pytest.raises(JournalError):
        Journal(path).read()
    with pytest.raises(JournalError):
        cached(path)


def test_a_deleted_or_damaged_cache_costs_only_time(path: Path, tmp_path: Path) -> None:
    cached(path)
    [file] = fold_files(tmp_path)
    file.write_bytes(file.read_bytes()[:-7])
    assert cached(path) == fresh(path)
    file.unlink()
    assert cached(path) == fresh(path)


def test_another_day_start_or_plan_is_counted_afresh(path: Path) -> None:
    cached(path)
    late = replace(CONFIG, day_starts=time(14, 0))
    assert cached(path, late) == fresh(path, late)
    plan = replace(CONFIG, plan=replace(CONFIG.plan, target_minutes=10))
    assert cached(path, plan) == fresh(path, plan)


def test_each_filter_keeps_a_fold_of_its_own(path: Path, tmp_path: Path) -> None:
    for filters in FILTERS.values():
        contents = Journal(path).read()
        expected = stats.compute(contents.sessions, contents.sleeps, CONFIG, NOW, filters)
        assert stats.report(Journal(path), CONFIG, NOW, filters) == expected
        assert stats.report(Journal(path), CONFIG, NOW, filters) == expected
    assert len(fold_files(tmp_path)) == len(FILTERS)


def test_last_30d_tomorrow_replaces_todays_fold(path: Path, tmp_path: Path) -> None:
    for day in range(3):
        now = NOW + timedelta(days=day)
        filters = stats.parse_filters(last="30d", today=stats.day_of(now, CONFIG.day_starts))
        contents = Journal(path).read()
        expected = stats.compute(contents.sessions, contents.sleeps, CONFIG, now, filters)
        assert stats.report(Journal(path), CONFIG, now, filters) == expected
    assert len([f for f in fold_files(tmp_path) if "filtered" in f.name]) == 1


def test_no_journal_and_an_empty_journal(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    assert cached(missing)["sessions"] == 0
    empty = tmp_path / "empty.toml"
    empty.write_bytes(b"")
    assert cached(empty)["sessions"] == 0


# -- ties: one total order for warm and cold (issue #10, item 13) -----------------------


def _tied(second: int, index: int, offset_hours: int) -> object:
    # Few distinct seconds, so many sessions share one; offsets that name one instant two ways.
    started = (datetime(2026, 11, 26, 21, 0, tzinfo=CET) + timedelta(seconds=second)).astimezone(
        timezone(timedelta(hours=offset_hours))
    )
    return make_session(
        started, minutes=1 + index % 50, before={"pain": index % 11}, after={"pain": index % 7}
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batches=st.lists(
        st.lists(st.tuples(st.integers(0, 1), st.sampled_from([1, 0, -5])), max_size=70),
        min_size=1,
        max_size=4,
    ),
    kind=st.sampled_from(["toml", "jsonl"]),
)
@example(batches=[[(0, 1)] * 30, [(0, 0)] * 2], kind="toml")  # more ties than sparkline slots
def test_stats_json_is_the_same_warm_and_cold_with_many_sessions_at_one_second(
    batches: list[list[tuple[int, int]]], kind: str
) -> None:
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"journal.{kind}"
        index = 0
        for batch in batches:
            records = []
            for second, offset in batch:
                records.append(_tied(second, index, offset))
                index += 1
            Journal(path).append(records)
            if not path.exists():
                continue
            warm = json.dumps(cached(path))
            assert warm == json.dumps(fresh(path))
            for cache in paths.cache_dir().glob("*.cache"):
                cache.unlink()
            assert json.dumps(cached(path)) == warm  # cold: no cache at all
