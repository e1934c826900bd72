"""The Typer-free path for `plan --json` and `stats --json` answers exactly as Typer does."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_session
from hypothesis import example, given, settings
from hypothesis import strategies as st
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
    ["stats", "--json", "--last", "30"],  # a usage error: the unit is needed
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


def fast_answer(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple | None:
    """(exit code, stdout, stderr) from the fast path, or None if it hands `args` back."""
    capsys.readouterr()
    code = fast.run(args)
    captured = capsys.readouterr()
    return None if code is None else (code, captured.out, captured.err)


def typer_answer(args: list[str]) -> tuple:
    result = CliRunner().invoke(app, args)
    return (result.exit_code, result.stdout, result.stderr)


def both(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[tuple, tuple]:
    via_fast = fast_answer(args, capsys)
    assert via_fast is not None, f"{args} should take the fast path"
    return via_fast, typer_answer(args)


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


# Any argv the fast path takes, it answers as Typer does. Each argv is a spelling the fast
# path may take (values valid or not), then perhaps a near miss or two put in: empty and
# dash-led values, `=` on short options, glued short values, `--`, help, positionals,
# doubled options, `--journal` out of place.
DATES = ["2026-11-01", "2020-01-01", "2099-12-31", "2026-13-01", "yesterday", "=2026-11-01"]
TAGS = ["bedtime", "sore", "=bedtime", "a b", "ä"]
VALUES = {
    "--since": DATES,
    "--until": DATES,
    "--last": ["30d", "12w", "0d", "30", "bad"],
    "--area": ["neck", "back", "=neck"],
    "--tag": TAGS,
    "-t": TAGS,
}
JOURNALS = ["other.jsonl", "missing.toml", ".", "plan", "", "-"]
ODD = [
    *["", "-", "-1", "--", "-h", "--help", "--version", "--bogus", "--sin", "x", "plan"],
    *["--json", "--json=1", "--json=", "--since", "--since=", "--tag=", "-t", "-t=", "-tt"],
    *["-t=bedtime", "-tbedtime", "--journal", "--journal=", "--journal=other.jsonl"],
]


@st.composite
def option(draw: st.DrawFn) -> list[str]:
    name = draw(st.sampled_from(sorted(VALUES)))
    value = draw(st.sampled_from(VALUES[name]))
    form = draw(st.sampled_from(["apart", "equals", "glued"]))
    if form == "apart":
        return [name, value]
    return [f"{name}={value}" if form == "equals" else name + value]


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    where = draw(st.sampled_from(JOURNALS))
    before = draw(st.sampled_from([[], [], ["--journal", where], [f"--journal={where}"]]))
    command = draw(st.sampled_from(["plan", "stats", "stats"]))
    pieces = draw(st.lists(st.one_of(option(), option(), st.just(["--json"])), max_size=4))
    args = [*before, command, "--json", *(token for piece in pieces for token in piece)]
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        odd = draw(st.sampled_from(ODD))
        at = draw(st.integers(0, len(args)))
        if draw(st.booleans()):
            args.insert(at, odd)
        else:
            args[min(at, len(args) - 1)] = odd
    return args


def test_whatever_the_fast_path_takes_it_answers_as_typer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now().astimezone()
    # Every tag on a different number of sessions: a tag misread changes the answer.
    tagged = [
        make_session(now - timedelta(days=20 + i, hours=n), tags=[tag])
        for i, tag in enumerate(TAGS)
        for n in range(i + 1)
    ]
    for name in ("journal.toml", "other.jsonl"):
        journal_with_sessions(tmp_path / name)
        Journal(tmp_path / name).append(tagged)
    Journal(tmp_path / "other.jsonl").append([make_session(now - timedelta(days=2))])
    monkeypatch.setenv("MATLOG_JOURNAL", str(tmp_path / "journal.toml"))
    monkeypatch.chdir(tmp_path)  # the relative names in JOURNALS
    taken: list[list[str]] = []

    @settings(max_examples=200, deadline=None, derandomize=True, database=None)
    @given(argvs())
    @example(["stats", "--json", "-t=bedtime"])  # click's tag: "=bedtime"
    @example(["--journal=", "plan", "--json"])  # click's journal: "." (a folder)
    def agrees(args: list[str]) -> None:
        via_fast = fast_answer(args, capsys)
        if via_fast is not None:
            taken.append(args)
            assert via_fast == typer_answer(args), args

    agrees()
    assert len(taken) >= 30, "the argv should reach the fast path often enough to test it"
