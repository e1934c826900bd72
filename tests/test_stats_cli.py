"""`matlog stats` through the CLI: the display's wording, plain output, JSON, errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import make_session
from journal_factory import SPEC_KEYS, realistic_journal
from rich.console import Console

from matlog.journal import Journal
from matlog.records import Session
from matlog.stats_display import sentence, show, sparkline, verdict

CET = timezone(timedelta(hours=1))


def write(journal_path: Path, sessions: list[Session]) -> None:
    Journal(journal_path).append(sessions)


def rated_sessions(changes: list[int], metric: str = "pain", start: int = 6) -> list[Session]:
    first = datetime(2026, 10, 1, 22, 0, tzinfo=CET)
    return [
        make_session(
            first + timedelta(days=i), before={metric: start}, after={metric: start + change}
        )
        for i, change in enumerate(changes)
    ]


def test_empty_journal_is_a_friendly_message_and_exit_0(invoke, journal_path: Path) -> None:
    result = invoke("stats")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())
    assert out.startswith(f"No sessions yet in {journal_path}.")
    assert "Start one with `matlog start`" in out
    data = json.loads(invoke("stats", "--json").stdout)
    assert data["sessions"] == 0
    assert data["mean_seconds"] is None


def test_tiny_journal_says_there_is_too_little_data(invoke, journal_path: Path) -> None:
    write(journal_path, rated_sessions([-2, -3, -1]))
    result = invoke("stats")
    assert result.exit_code == 0, result.output
    assert "too little data (n=3)" in result.stdout
    assert "Only 3 sessions so far" in result.stdout
    assert "fell by" not in result.stdout


def test_a_clear_fall_is_worded_with_its_interval_and_n(invoke, journal_path: Path) -> None:
    write(journal_path, rated_sessions([-2, -3, -1, -2, -2, -3]))
    result = invoke("stats")
    assert result.exit_code == 0, result.output
    out = " ".join(result.stdout.split())  # undo wrapping
    assert "pain fell by 2.2 points on average (95% CI 1.4 to 3.0, n=6)" in out
    assert "it moved the better way in 6 of 6 sessions" in out
    assert "↓ better" in out


def test_an_interval_across_zero_is_no_clear_change(invoke, journal_path: Path) -> None:
    write(journal_path, rated_sessions([-2, 1, 0, 2, -1, -1]))
    result = invoke("stats")
    out = " ".join(result.stdout.split())
    assert "pain: no clear change (−0.2 on average, 95% CI −1.7 to +1.4, n=6)" in out
    assert "↓ better" not in out


def test_realistic_journal_display(invoke, journal_path: Path) -> None:
    Journal(journal_path).append(realistic_journal())
    result = invoke("stats")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("60 sessions from ")
    assert "streak:" in out
    assert "last 28 days:" in out
    assert "The last 30 sessions (blank: not rated)" in out
    assert "oldest → newest" in out
    assert any(block in out for block in "▁▂▃▄▅▆▇█")
    assert "Sleep:" in out and "on nights without" in out
    assert "Mean change by group" in out
    assert "not a controlled trial" in out
    assert "\x1b" not in out  # not a terminal: plain text
    padded = [line for line in out.splitlines() if line != line.rstrip()]
    assert padded == []  # `matlog stats > week.txt`: no line ends in spaces
    lowered = out.lower()
    for claim in ("works", "helps", "effective", "caused by the mat"):
        assert claim not in lowered


def test_json_is_valid_json_with_the_spec_keys(invoke, journal_path: Path) -> None:
    Journal(journal_path).append(realistic_journal())
    result = invoke("stats", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= SPEC_KEYS
    assert data["sessions"] == 60
    assert set(data["metrics"]) == {"pain", "stress", "mood"}
    stress = data["metrics"]["stress"]
    low, high = stress["change_ci95"]
    assert low < stress["change_mean"] < high
    assert 0 <= stress["improved_share"] <= 1


def test_filters_narrow_and_are_echoed(invoke, journal_path: Path) -> None:
    write(
        journal_path,
        [
            make_session(datetime(2026, 11, 1, 22, tzinfo=CET), tags=["bedtime"]),
            make_session(datetime(2026, 11, 20, 22, tzinfo=CET), tags=["bedtime"], area="neck"),
            make_session(datetime(2026, 11, 21, 13, tzinfo=CET), tags=["lunch"]),
        ],
    )
    data = json.loads(invoke("stats", "--json", "--last", "2w", "--tag", "bedtime").stdout)
    assert data["sessions"] == 1
    assert data["filters"]["since"] == "2026-11-10"
    assert data["filters"]["tags"] == ["bedtime"]
    result = invoke("stats", "--since", "2026-11-20", "--area", "neck")
    assert result.exit_code == 0
    assert "only sessions since 2026-11-20, on the neck" in result.stdout
    assert "Only 1 session here: too little data" in " ".join(result.stdout.split())
    nothing = invoke("stats", "--until", "2026-10-01")
    assert nothing.exit_code == 0
    assert "No sessions until 2026-10-01." in nothing.stdout
    assert "all 3 sessions" in nothing.stdout


@pytest.mark.parametrize(
    "args",
    [("--since", "last week"), ("--last", "forever"), ("--since", "2026-11-02", "--last", "3d")],
)
def test_bad_filters_are_usage_errors(invoke, args: tuple[str, ...]) -> None:
    result = invoke("stats", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("matlog: ")


def _render(stats_json: dict[str, object]) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100, highlight=False)
    show(console, stats_json, Path("journal.toml"))
    return buffer.getvalue()


def test_no_escape_codes_with_no_color_even_on_a_terminal(
    invoke, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Journal(journal_path).append(realistic_journal())
    data = json.loads(invoke("stats", "--json").stdout)
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b[" in _render(data)  # a terminal without NO_COLOR does get styles...
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _render(data)
    assert "\x1b" not in plain  # ...and with NO_COLOR, none at all
    assert "↓ better" in plain  # the meaning is in words and arrows, not colour


def test_verdict_and_sentence_wording() -> None:
    few = {"n": 4, "change_mean": -3.0, "change_ci95": [-5.0, -1.0], "improved_share": 1.0}
    assert verdict({**few, "better": "lower"}) == ("too little data (n=4)", "dim")
    assert sentence("pain", {**few, "better": "lower"}) == "pain: too little data (n=4)"
    worse = {"n": 9, "change_mean": 1.5, "change_ci95": [0.5, 2.5], "improved_share": 0.1}
    assert verdict({**worse, "better": "lower"}) == ("↑ worse", "red")
    assert verdict({**worse, "better": "higher"}) == ("↑ better", "green")
    assert verdict({**worse, "better": None}) == ("↑ higher", "")
    assert sentence("mood", {**worse, "better": "higher"}) == (
        "mood rose by 1.5 points on average (95% CI 0.5 to 2.5, n=9); "
        "it moved the better way in 1 of 9 sessions"
    )
    unclear = {"n": 9, "change_mean": 0.2, "change_ci95": [-0.1, 0.5], "better": "higher"}
    assert verdict(unclear) == ("no clear change", "")


def test_sparkline_scales_and_leaves_gaps() -> None:
    assert sparkline([0, 7, None, 3.5]) == "▁█ ▅"
    assert sparkline([2, 2]) == "▄▄"
    assert sparkline([None]) == " "


def test_json_path_does_not_import_rich(tmp_path: Path) -> None:
    journal = tmp_path / "j.toml"
    write(journal, rated_sessions([-1, -2]))
    code = (
        "import sys; from matlog.cli import run; rc = run(); "
        "sys.stdout.flush(); assert 'rich' not in sys.modules, 'rich imported'; sys.exit(rc)"
    )
    env = {**os.environ, "MATLOG_JOURNAL": str(journal)}
    done = subprocess.run(
        [sys.executable, "-c", code, "stats", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    # run() reads sys.argv; -c leaves the extra arguments there.
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sessions"] == 2


def test_a_narrow_terminal_keeps_the_verdict(invoke, journal_path: Path) -> None:
    write(journal_path, rated_sessions([-2, -3, -1, -2, -2, -3]))
    data = json.loads(invoke("stats", "--json").stdout)
    buffer = io.StringIO()
    show(Console(file=buffer, width=60), data, journal_path)
    out = buffer.getvalue()
    assert "before→after" not in out  # dropped to make room...
    assert "↓ better" in out  # ...so the verdict is whole
    assert max(len(line) for line in out.splitlines()) <= 60


def test_sessions_without_ratings_say_how_to_rate(invoke, journal_path: Path) -> None:
    write(journal_path, [make_session(datetime(2026, 11, 22, 22, tzinfo=CET))])
    result = invoke("stats")
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    assert "No session has ratings both before and after yet" in out
    assert "rating n" not in out  # no empty table


def test_a_short_total_is_said_exactly(invoke) -> None:  # type: ignore[no-untyped-def]
    assert invoke("start", "3s", "--settle", "0").exit_code == 0
    result = invoke("stats")
    assert "3s on the mat, 3s on average" in result.stdout


# -- Words on the screen (issue #12, item 5) -----------------------------------------------


def test_every_column_of_the_metric_table_says_what_it_holds(invoke, journal_path) -> None:  # type: ignore[no-untyped-def]
    write(journal_path, rated_sessions([-2, -3, -1, -2, -2, -3]))
    lines = invoke("stats").stdout.splitlines()  # COLUMNS=120: the wide table
    at = next(i for i, line in enumerate(lines) if line.startswith("rating"))
    first, header, row = lines[at - 1], lines[at], lines[at + 2]
    assert first.split() == ["moved", "the"]  # a two-line header, over a narrow column
    assert header.split() == [
        *["rating", "n", "before→after", "change", "(95%", "CI)", "better", "way", "verdict"]
    ]
    # Each cell sits under its own header: "6 of 6" (right-aligned) under "moved the
    # better way", the words under "verdict".
    better_ends = header.index("better way") + len("better way")
    assert first[:better_ends].endswith("moved the")
    assert row[:better_ends].endswith(" 6 of 6")
    assert row[header.index("verdict") :].strip() == "↓ better"


def sparkline_row(out: str, label: str) -> str:
    line = next(line for line in out.splitlines() if line.startswith(label))
    return line[len(label) :].strip().split("  ")[0]


def test_a_taller_bar_is_better_for_every_rating(invoke, journal_path) -> None:  # type: ignore[no-untyped-def]
    """Pain (lower is better) and mood (higher is better) both improve most in session 1
    and worsen most in session 2: both draw session 1 tallest and session 2 lowest."""
    first = datetime(2026, 10, 1, 22, 0, tzinfo=CET)
    pain = [-4, 2, -1, 0]
    mood = [4, -2, 1, 0]
    write(
        journal_path,
        [
            make_session(
                first + timedelta(days=i),
                before={"pain": 5, "mood": 5},
                after={"pain": 5 + p, "mood": 5 + m},
            )
            for i, (p, m) in enumerate(zip(pain, mood, strict=True))
        ],
    )
    out = invoke("stats").stdout
    assert sparkline_row(out, "pain change")[:2] == "█▁"
    assert sparkline_row(out, "mood change")[:2] == "█▁"
    # The range reads from the shortest bar to the tallest: for pain, a rise to a fall.
    assert "+2.0 → −4.0" in next(x for x in out.splitlines() if x.startswith("pain change"))
    assert "−2.0 → +4.0" in next(x for x in out.splitlines() if x.startswith("mood change"))
    flat = " ".join(out.split())
    assert "A taller bar is a longer session, or a change the better way (for pain: a fall)" in flat


def test_a_rating_without_a_better_direction_says_so_on_its_line(invoke, journal_path) -> None:  # type: ignore[no-untyped-def]
    write(journal_path, rated_sessions([1, -1, 2], metric="energy"))
    out = invoke("stats").stdout
    assert sparkline_row(out, "energy change (taller: higher)") == "▆▁█"


def test_last_needs_a_unit_and_the_header_says_days(invoke, journal_path) -> None:  # type: ignore[no-untyped-def]
    write(journal_path, [make_session(datetime(2026, 11, 20, 22, tzinfo=CET))])
    result = invoke("stats", "--last", "30")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "--last '30' needs a unit" in result.stderr and "e.g. --last 30d" in result.stderr
    days = invoke("stats", "--last", "30d")
    assert days.exit_code == 0
    assert "only sessions in the last 30 days (since 2026-10-25)" in days.stdout
    weeks = invoke("stats", "--last", "1w")
    assert "only sessions in the last 1 week (since 2026-11-17)" in weeks.stdout
