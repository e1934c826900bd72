"""`matlog log` through its cached "latest sessions" says exactly what a fresh read says.

Each test prints `log -n N` (the table and `--json`) through the cache, then again with the
cache folder deleted (a full parse of the file as it is now), after the kind of change a
journal meets: appends by matlog or a sync tool, sessions imported out of order, sessions
at the same instant, hand edits (one of the same size), an undo.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import CET, make_session

from matlog import journal
from matlog.journal import Journal, serialise
from matlog.journal.summaries import LATEST_KEPT, LatestFolder

START = datetime(2026, 9, 1, 22, 0, tzinfo=CET)


def history(days: int, start: datetime = START) -> list:
    return [
        make_session(
            start + timedelta(days=day, minutes=day % 50),
            minutes=5 + day % 9,
            ended="finished" if day % 7 else "stopped",
            before={"pain": 6},
            after={"pain": day % 5},
            tags=["bedtime"] if day % 2 else [],
            note=f"day {day}",
        )
        for day in range(days)
    ]


@pytest.fixture(params=["journal.toml", "journal.jsonl"])
def path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    p = tmp_path / request.param
    Journal(p).append(history(40))
    return p


def cache_dir(path: Path) -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "matlog"


def shown(invoke, *args: str) -> tuple[str, str]:
    """`log ARGS` as printed, and as JSON."""
    table = invoke("log", *args)
    as_json = invoke("log", *args, "--json")
    assert table.exit_code == 0 and as_json.exit_code == 0, table.output + as_json.output
    return table.stdout, as_json.stdout


def by_hand(path: Path, count: int) -> list:
    """`log`'s sessions worked out without the summary: sort a full read, newest first (a
    stable sort, so sessions at the same instant stay in file order)."""
    sessions = Journal(path).read().sessions
    return sorted(sessions, key=lambda s: s.started, reverse=True)[:count]


def assert_cached_is_fresh(invoke, path: Path, *counts: int) -> None:
    for count in counts or (1, 5, 10):
        args = ("-n", str(count))
        cached = shown(invoke, *args)
        assert list(cache_dir(path).glob("latest-*.cache")), "the cache was not used"
        shutil.rmtree(cache_dir(path))
        assert shown(invoke, *args) == cached, args
        expected = [json.loads(journal.json_line(s)) for s in by_hand(path, count)]
        assert json.loads(cached[1]) == expected


@pytest.fixture
def invoke_on(invoke, journal_path: Path, path: Path, monkeypatch: pytest.MonkeyPatch):
    """`invoke` on `path` (the fixture's journal, TOML or JSON Lines)."""

    def run(*args: str):
        return invoke("--journal", str(path), *args)

    return run


def test_first_run_then_cached_then_appended(invoke_on, path: Path) -> None:
    assert_cached_is_fresh(invoke_on, path)
    assert_cached_is_fresh(invoke_on, path)
    Journal(path).append([make_session(START + timedelta(days=60), note="newest")])
    out, _ = shown(invoke_on, "-n", "1")
    assert "newest" in out
    assert_cached_is_fresh(invoke_on, path)


def test_a_tail_written_by_a_sync_tool(invoke_on, path: Path) -> None:
    shown(invoke_on, "-n", "3")
    kind = journal.kind_of(path)
    with path.open("a") as handle:
        handle.write(
            ("\n" if kind == "toml" else "") + serialise(history(3, START.replace(year=2027)), kind)
        )
    assert_cached_is_fresh(invoke_on, path)


def test_sessions_appended_out_of_order_and_at_the_same_instant(invoke_on, path: Path) -> None:
    shown(invoke_on, "-n", "5")
    newest = START + timedelta(days=39, minutes=39)
    same_instant = [
        make_session(newest, note="same instant, earlier in the file"),
        make_session(
            newest.astimezone(timezone(timedelta(hours=-5))), note="same instant, other offset"
        ),
        make_session(START - timedelta(days=300), note="an old one, imported"),
        make_session(newest - timedelta(minutes=1), note="a minute before the newest"),
    ]
    Journal(path).append(same_instant)
    assert_cached_is_fresh(invoke_on, path)
    out, _ = shown(invoke_on, "-n", "3")
    assert out.index("earlier in the file") < out.index("other offset")


def test_a_hand_edit_of_the_same_size(invoke_on, path: Path) -> None:
    shown(invoke_on, "-n", "5")
    data = path.read_bytes()
    edited = data.replace(b"day 39", b"day 93", 1)
    assert len(edited) == len(data) and edited != data
    stat = path.stat()
    path.write_bytes(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    out, _ = shown(invoke_on, "-n", "1")
    assert "day 93" in out
    assert_cached_is_fresh(invoke_on, path)


def test_undo_and_rate_rewrite_the_file(invoke_on, path: Path) -> None:
    shown(invoke_on, "-n", "5")
    assert invoke_on("undo", "--yes").exit_code == 0
    assert_cached_is_fresh(invoke_on, path)
    Journal(path).append([make_session(START + timedelta(days=50), note="to rate")])
    shown(invoke_on, "-n", "5")
    assert invoke_on("rate", "pain=1").exit_code == 0
    out, _ = shown(invoke_on, "-n", "1")
    assert "pain –→1" in out
    assert_cached_is_fresh(invoke_on, path)


def test_more_than_the_cache_keeps(invoke_on, path: Path) -> None:
    Journal(path).append(history(LATEST_KEPT + 10, START.replace(year=2025)))
    assert_cached_is_fresh(invoke_on, path, LATEST_KEPT)
    big = LATEST_KEPT + 20  # beyond what the summary keeps: the journal is read in full
    out, as_json = shown(invoke_on, "-n", str(big))
    shutil.rmtree(cache_dir(path), ignore_errors=True)
    assert shown(invoke_on, "-n", str(big)) == (out, as_json)


def test_the_summary_is_the_newest_of_a_full_read(path: Path) -> None:
    Journal(path).append(history(5, START + timedelta(days=10, hours=1)))
    latest = Journal(path).fold(LatestFolder())
    assert latest is not None
    expected = by_hand(path, LATEST_KEPT)
    assert [journal.json_line(s) for s in latest] == [journal.json_line(s) for s in expected]
    assert [s.line for s in latest] == [s.line for s in expected]


def test_an_empty_and_a_broken_journal_say_what_they_said(invoke, journal_path: Path) -> None:
    journal_path.write_bytes(b"")
    result = invoke("log", "-n", "5")
    assert result.exit_code == 0 and "is empty" in result.stderr
    journal_path.write_text("format = 1\n\n[[session]]\nplanned_seconds = 5\n")
    result = invoke("log", "-n", "5")
    assert result.exit_code == 1 and ":3:" in result.stderr
