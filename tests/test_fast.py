"""The Typer-free path for `plan --json` and `stats --json` answers exactly as Typer does."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_session
from typer.testing import CliRunner

from matlog import fast
from matlog.cli import app
from matlog.journal import Journal

FORMS = [
    ["plan", "--json"],
    ["stats", "--json"],
    ["stats", "--json", "--since", "2026-11-01", "--until", "2026-11-20"],
    ["stats", "--since=2026-11-01", "--json"],
    ["stats", "--json", "--last", "30d"],
    ["stats", "--json", "--tag", "bedtime", "-t", "sore"],
    ["stats", "--json", "--area=neck"],
    ["stats", "--json", "--since", "yesterday"],  # a usage error: exit 2, one line
    ["stats", "--json", "--last", "30d", "--since", "2026-11-01"],
]


def journal_with_sessions(path: Path) -> None:
    now = datetime.now().astimezone()
    Journal(path).append(
        [
            make_session(
                now - timedelta(days=d),
                minutes=5 + d % 4,
                tags=["bedtime"] if d % 2 else [],
                area="neck" if d % 3 == 0 else "back",
                before={"pain": 6},
                after={"pain": 3 + d % 3},
            )
            for d in range(1, 12)
        ]
    )


def both(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[tuple, tuple]:
    code = fast.run(args)
    captured = capsys.readouterr()
    assert code is not None, f"{args} should take the fast path"
    via_fast = (code, captured.out, captured.err)
    result = CliRunner().invoke(app, args)
    via_typer = (result.exit_code, result.stdout, result.stderr)
    return via_fast, via_typer


@pytest.mark.parametrize("state", ["none", "sessions", "empty file", "broken"])
@pytest.mark.parametrize("args", FORMS, ids=" ".join)
def test_same_answer_both_ways(
    args: list[str],
    state: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "journal.toml"
    if state == "sessions":
        journal_with_sessions(path)
    elif state == "empty file":
        path.write_bytes(b"")
    elif state == "broken":
        path.write_text("format = 1\n[[session]]\nstarted = 2026-11-01T22:00:00\n")
    monkeypatch.setenv("MATLOG_JOURNAL", str(path))
    via_fast, via_typer = both(args, capsys)
    assert via_fast == via_typer
    if state == "broken" and via_fast[0] != 2:  # usage errors come before reading
        assert via_fast[0] == 1 and f"{path}:2: session: `ended` is missing" in via_fast[2]


def test_the_journal_option_both_spellings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "other.jsonl"
    journal_with_sessions(path)
    for args in (
        ["--journal", str(path), "plan", "--json"],
        [f"--journal={path}", "stats", "--json"],
    ):
        via_fast, via_typer = both(args, capsys)
        assert via_fast == via_typer and via_fast[0] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["plan"],
        ["plan", "--json", "--help"],
        ["stats"],
        ["stats", "--json", "--bogus"],
        ["stats", "--json", "--since"],
        ["stats", "--json", "-t"],
        ["stats", "--json", "-tx"],
        ["stats", "--json", "-t=bedtime"],  # click's tag is "=bedtime"
        ["stats", "--json", "--since="],
        ["stats", "--json", "--tag", "-x"],
        ["stats", "--json", "--"],
        ["stats", "--json", "-h"],
        ["--journal=", "plan", "--json"],  # click's journal is "." (a folder)
        ["--journal", "", "stats", "--json"],
        ["--journal", "-h", "plan", "--json"],
        ["--journal"],
        ["log", "--json"],
        [],
    ],
)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert fast.run(args) is None
