"""Words in messages: counts agree with their nouns, articles with their words (issue #12,
item 8), and a piped `log` prints clean lines."""

from __future__ import annotations

import ast
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import CET, make_session

from matlog.config import PlanConfig
from matlog.journal import Journal
from matlog.plan import advise
from matlog.records import Sleep
from matlog.words import article, noun, plural

SRC = Path(__file__).resolve().parent.parent / "src" / "matlog"


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [
        (0, "night", "0 nights"),
        (1, "night", "1 night"),
        (2, "night", "2 nights"),
        (-1, "day", "-1 days"),
        ("1", "point", "1 point"),
        ("1.5", "point", "1.5 points"),
        ("0.5", "point", "0.5 points"),
        ("1.0", "point", "1.0 points"),
    ],
)
def test_plural(count: int | str, word: str, expected: str) -> None:
    assert plural(count, word) == expected


def test_an_irregular_plural_is_given() -> None:
    assert [plural(n, "entry", "entries") for n in (1, 3)] == ["1 entry", "3 entries"]


def test_noun_and_article() -> None:
    assert [noun(1, "record"), noun(2, "record")] == ["record", "records"]
    assert [article(w) for w in ("stopped", "interrupted", "finished", "area", "Ended")] == [
        "a stopped",
        "an interrupted",
        "a finished",
        "an area",
        "an Ended",
    ]


def test_no_message_in_the_code_hedges_a_plural() -> None:
    """`problem(s)` and its kin, in any string of the code (words.py names them)."""
    hedged = [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "words.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"[a-z]\(s\)", node.value)
    ]
    assert hedged == []


def test_the_plan_says_an_interrupted_session() -> None:
    start = datetime(2026, 11, 1, 22, 0, tzinfo=CET)
    history = [make_session(start, minutes=5, ended="interrupted")]
    advice = advise(history, PlanConfig(), start + timedelta(days=1))
    assert advice.why == "unchanged after an interrupted session"
    history = [make_session(start, minutes=5, ended="stopped")]
    assert advise(history, PlanConfig(), start + timedelta(days=1)).why.endswith(
        "after a stopped session"
    )


def test_check_counts_one_session_and_one_night(invoke, journal_path: Path) -> None:
    Journal(journal_path).append(
        [make_session(datetime(2026, 11, 20, 22, 0, tzinfo=CET)), Sleep(night=_day(), rating=7)]
    )
    result = invoke("check")
    assert result.exit_code == 0
    assert result.stdout == f"{journal_path}: 1 session, 1 night, no problems\n"


def _day():  # type: ignore[no-untyped-def]
    return datetime(2026, 11, 20).date()


def test_import_and_export_count_one_record(invoke, journal_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    Journal(other).append([make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET))])
    result = invoke("import", str(other))
    assert result.exit_code == 0
    assert result.stdout.startswith("Imported 1 record from ")
    out = tmp_path / "out.csv"
    result = invoke("export", "-o", str(out))
    assert result.exit_code == 0
    assert result.stderr == f"Wrote 1 record to {out}\n"


def test_an_edit_with_one_problem_says_one_problem(
    invoke, journal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Journal(journal_path).append([make_session(datetime(2026, 11, 20, 22, 0, tzinfo=CET))])
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\nfrom pathlib import Path\np = Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('ended = \"finished\"', 'ended = \"napped\"'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    result = invoke("edit")
    assert result.exit_code == 1
    assert "the edited journal has 1 problem;" in result.stderr


def test_piped_log_prints_clean_lines(
    invoke, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not a terminal: no blank line first, no trailing spaces, one line per session
    (even at COLUMNS=40), so grep and cut see whole rows."""
    start = datetime(2026, 11, 20, 22, 0, tzinfo=CET)
    Journal(journal_path).append(
        [
            make_session(
                start + timedelta(days=i),
                minutes=12,
                ended="interrupted" if i else "finished",
                tags=["bedtime"],
                note="a long note that would wrap at forty columns" if i == 1 else None,
                before={"pain": 6, "stress": 7},
                after={"pain": 3, "stress": 2},
            )
            for i in range(3)
        ]
    )
    for columns in ("120", "40"):
        monkeypatch.setenv("COLUMNS", columns)
        result = invoke("log")
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert lines[0].split() == [
            "started",
            "time",
            "ended",
            "area",
            "ratings",
            "tags",
            "/",
            "note",
        ]
        assert set(lines[1]) == {"─"}
        assert [line for line in lines if line != line.rstrip()] == []
        assert len(lines) == 2 + 3
        assert "Sun 2026-11-22 22:00" in lines[2] and "interrupted" in lines[2]
        assert "a long note that would wrap at forty columns" in lines[3]


def test_piped_log_without_sessions_is_one_line(invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    result = invoke("log")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1 and result.stdout.startswith("No sessions yet in ")
