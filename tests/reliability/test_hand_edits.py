"""A corpus of journals broken by hand: each gives `PATH:LINE: message`, no traceback, and
no command writes to the broken file (a session that ends is saved elsewhere)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rel_util import figure

from matlog import paths
from matlog.env import Env
from matlog.errors import DataError
from matlog.journal import Journal
from matlog.records import Session

TOML = """\
format = 1

[[session]]
id = "01A"
started = 2026-11-20T22:15:03+01:00
planned_seconds = 600
actual_seconds = 600
ended = "finished"
before = { pain = 6, stress = 7 }

[[session]]
id = "01B"
started = 2026-11-21T22:15:03+01:00
planned_seconds = 600
actual_seconds = 540
ended = "stopped"
after = { pain = 3 }
note = "second"
"""
J1 = (
    '{"type": "session", "id": "01A", "started": "2026-11-20T22:15:03+01:00", '
    '"planned_seconds": 600, "actual_seconds": 600, "ended": "finished", "before": {"pain": 6}}'
)
J2 = '{"type": "sleep", "id": "01S", "night": "2026-11-20", "rating": 7}'
J3 = (
    '{"type": "session", "id": "01B", "started": "2026-11-21T22:15:03+01:00", '
    '"planned_seconds": 600, "actual_seconds": 540, "ended": "stopped", "note": "second"}'
)
JSONL = f"{J1}\n{J2}\n{J3}\n"


def _t(old: str, new: str) -> bytes:
    assert old in TOML
    return TOML.replace(old, new, 1).encode()


def _j(old: str, new: str) -> bytes:
    assert old in JSONL
    return JSONL.replace(old, new, 1).encode()


# (case, suffix, the file's bytes, the line the error must name, words the message must hold)
BROKEN: list[tuple[str, str, bytes, int, str]] = [
    ("bom", "toml", b"\xef\xbb\xbf" + TOML.encode(), 1, "byte-order mark"),
    ("lone CR", "toml", _t('"01B"\n', '"01B"\rstarted = 1\n'), 12, "not valid TOML"),
    ("truncated mid-line", "toml", TOML.encode()[:-12], 18, "not valid TOML"),
    (
        "truncated record",
        "toml",
        TOML.encode()[: TOML.index("actual_seconds = 540")],
        11,
        "`ended` is missing",
    ),
    (
        "duplicate key",
        "toml",
        _t('note = "second"\n', 'note = "second"\nnote = "x"\n'),
        19,
        "not valid TOML",
    ),
    (
        "conflict markers",
        "toml",
        _t('[[session]]\nid = "01B"', '<<<<<<< HEAD\n[[session]]\nid = "01B"'),
        11,
        "merge conflict",
    ),
    (
        "conflict middle",
        "toml",
        _t('note = "second"\n', 'note = "second"\n=======\n'),
        19,
        "merge conflict",
    ),
    ("rating seven", "toml", _t("pain = 6", 'pain = "seven"'), 9, "`before.pain` must be"),
    ("rating 11", "toml", _t("pain = 3", "pain = 11"), 17, "from 0 to 10, got 11"),
    ("rating true", "toml", _t("pain = 3", "pain = true"), 17, "`after.pain` must be"),
    (
        "missing field",
        "toml",
        _t("planned_seconds = 600\nactual_seconds = 540\n", "actual_seconds = 540\n"),
        11,
        "`planned_seconds` is missing",
    ),
    (
        "no offset",
        "toml",
        _t("2026-11-21T22:15:03+01:00", "2026-11-21T22:15:03"),
        13,
        "no UTC offset",
    ),
    ("NUL in a string", "toml", _t('"second"', '"sec\0ond"'), 18, "not valid TOML"),
    ("NUL at the end", "toml", TOML.encode() + b"\0\0\0", 19, "not valid TOML"),
    (
        "invalid UTF-8",
        "toml",
        _t('"second"', '"sec@@ond"').replace(b"@@", b"\xff"),
        18,
        "not UTF-8",
    ),
    ("latin-1", "toml", _t('"second"', '"caf\xe9"').replace(b"\xc3\xa9", b"\xe9"), 18, "not UTF-8"),
    ("ended unknown", "toml", _t('"stopped"', '"napped"'), 16, "`ended` must be one of"),
    (
        "negative seconds",
        "toml",
        _t("actual_seconds = 540", "actual_seconds = -5"),
        15,
        "at least 0",
    ),
    ("tags not a list", "toml", _t('note = "second"', 'tags = "bedtime"'), 18, "`tags` must be"),
    ("format 2", "toml", _t("format = 1", "format = 2"), 1, "format = 2"),
    ("single table", "toml", b'format = 1\n[session]\nid = "x"\n', 2, "[[session]]"),
    (
        "huge number",
        "toml",
        _t("planned_seconds = 600", "planned_seconds = " + "9" * 5000),
        6,
        "too long",
    ),
    ("deep nesting", "toml", _t('note = "second"', "note = " + "[" * 3000), 18, "nested"),
    ("bom", "jsonl", b"\xef\xbb\xbf" + JSONL.encode(), 1, "byte-order mark"),
    ("lone CR", "jsonl", _j(f"{J2}\n", f"{J2}\r"), 2, "not valid JSON"),
    ("truncated last record", "jsonl", JSONL.encode()[:-20], 3, "not valid JSON"),
    (
        "duplicate key",
        "jsonl",
        _j('"rating": 7', '"rating": 7, "rating": 2'),
        2,
        "`rating` appears twice",
    ),
    (
        "conflict markers",
        "jsonl",
        f"{J1}\n<<<<<<< HEAD\n{J2}\n=======\n{J3}\n>>>>>>> x\n".encode(),
        2,
        "merge conflict",
    ),
    ("rating seven", "jsonl", _j('"rating": 7', '"rating": "seven"'), 2, "`rating` must be"),
    ("rating 11", "jsonl", _j('"rating": 7', '"rating": 11'), 2, "from 0 to 10, got 11"),
    ("missing field", "jsonl", _j('"ended": "stopped", ', ""), 3, "`ended` is missing"),
    (
        "no offset",
        "jsonl",
        _j("2026-11-21T22:15:03+01:00", "2026-11-21T22:15:03"),
        3,
        "no UTC offset",
    ),
    ("bad date-time", "jsonl", _j("2026-11-21T22:15:03+01:00", "yesterday"), 3, "not an ISO"),
    ("NUL in a string", "jsonl", _j('"second"', '"sec\0ond"'), 3, "not valid JSON"),
    (
        "invalid UTF-8",
        "jsonl",
        _j('"second"', '"sec@@ond"').replace(b"@@", b"\xff"),
        3,
        "not UTF-8",
    ),
    ("no type", "jsonl", _j('"type": "sleep", ', ""), 2, '"type" must be'),
    ("not an object", "jsonl", _j(f"{J2}\n", "[1, 2]\n"), 2, "JSON object"),
    ("huge number", "jsonl", _j('"rating": 7', '"rating": ' + "7" * 5000), 2, "too long"),
    ("deep nesting", "jsonl", _j('"rating": 7', '"x": ' + "[" * 3000), 2, "nested"),
    ("NaN rating", "jsonl", _j('"rating": 7', '"rating": NaN'), 2, "`rating` must be"),
]
IDS = [f"{suffix}-{case}" for case, suffix, *_ in BROKEN]


@pytest.fixture(params=BROKEN, ids=IDS)
def broken(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, bytes, int, str]:
    _case, suffix, data, line, words = request.param
    path = tmp_path / "journals" / f"journal.{suffix}"
    path.parent.mkdir()
    path.write_bytes(data)
    return path, data, line, words


def _untouched(path: Path, data: bytes) -> None:
    assert path.read_bytes() == data
    assert [p.name for p in path.parent.iterdir() if p.name != f".{path.name}.lock"] == [path.name]


def test_check_names_the_line(invoke, broken) -> None:
    path, data, line, words = broken
    result = invoke("--journal", str(path), "check")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"{path}:{line}: "), first
    assert words in first
    _untouched(path, data)


COMMANDS = [
    ["log"],
    ["log", "--json"],
    ["export", "--format", "jsonl"],
    ["undo", "--yes"],
    ["stats", "--json"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_refuses_with_the_line_and_writes_nothing(invoke, broken, command):
    path, data, line, words = broken
    result = invoke("--journal", str(path), *command)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    [error] = result.stderr.splitlines()
    assert error.startswith(f"matlog: {path}:{line}: ") and words in error, error
    _untouched(path, data)


def test_start_runs_the_session_and_rescues_its_record(invoke, broken) -> None:
    # SPEC, "Promises about data": the one exception. A countdown never depends on the
    # journal: the session runs, its record goes to a rescue file, exit 1 with the line.
    path, data, line, words = broken
    result = invoke("--journal", str(path), "start", "1m", "--settle", "0", "--no-ratings")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout.startswith("Started 1m")
    errors = [e for e in result.stderr.splitlines() if e.startswith("matlog: ")]
    assert len(errors) == 2, result.stderr
    assert errors[0].startswith(f"matlog: {path}:{line}: ") and words in errors[0]
    assert "the session runs anyway" in errors[0]
    [rescued] = (paths.state_dir() / "rescued").iterdir()
    assert errors[1].startswith(f"matlog: {path}:{line}: ") and str(rescued) in errors[1]
    [record] = Journal(rescued).read().sessions
    assert (record.ended, record.actual_seconds) == ("finished", 60)
    _untouched(path, data)


def test_import_into_it_writes_nothing(invoke, broken, tmp_path: Path) -> None:
    path, data, line, _ = broken
    other = tmp_path / "other.jsonl"
    other.write_text(JSONL.replace("01", "02"))
    result = invoke("--journal", str(path), "import", str(other))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"matlog: {path}:{line}: ")
    _untouched(path, data)


def test_importing_it_names_its_line(invoke, broken, tmp_path: Path, journal_path: Path) -> None:
    path, _, line, words = broken
    result = invoke("import", str(path))
    assert result.exit_code == 1
    [error] = result.stderr.splitlines()
    assert error.startswith(f"matlog: {path}:{line}: ") and words in error
    assert not journal_path.exists()


def test_a_session_ending_meanwhile_is_saved_elsewhere(broken, capsys) -> None:
    path, data, line, _ = broken
    from conftest import make_session

    record: Session = make_session(note="on the mat while the file was broken")
    with pytest.raises(DataError) as info:
        Env(journal_path=path).append([record])
    assert f"{path}:{line}: " in info.value.message
    [rescued] = (paths.state_dir() / "rescued").iterdir()
    assert [r.id for r in Journal(rescued).read().records] == [record.id]
    assert record.id in capsys.readouterr().err
    _untouched(path, data)


def test_figure() -> None:
    cases = len(BROKEN)
    figure(
        f"hand edits: {cases} broken journals x {len(COMMANDS) + 4} commands, each with a "
        f"located PATH:LINE error and the file untouched; `start` on each runs the session "
        f"and rescues its record"
    )


# -- odd but valid ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["toml", "jsonl"])
def test_crlf_is_read_and_kept(invoke, tmp_path: Path, suffix: str) -> None:
    text = TOML if suffix == "toml" else JSONL
    path = tmp_path / f"journal.{suffix}"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    result = invoke("--journal", str(path), "check")
    assert result.exit_code == 0, result.output
    from conftest import make_session

    Journal(path).append([make_session(note="new")])
    data = path.read_bytes()
    assert data.startswith(text.replace("\n", "\r\n").encode())
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert Journal(path).read().records[-1].note == "new"


@pytest.mark.parametrize("suffix", ["toml", "jsonl"])
def test_an_unknown_field_is_kept_not_an_error(invoke, tmp_path: Path, suffix: str) -> None:
    if suffix == "toml":
        data = _t('note = "second"', 'note = "second"\nmood_note = "sunny"')
    else:
        data = _j('"note": "second"', '"note": "second", "mood_note": "sunny"')
    path = tmp_path / f"journal.{suffix}"
    path.write_bytes(data)
    assert invoke("--journal", str(path), "check").exit_code == 0
    result = invoke("--journal", str(path), "export", "--format", "jsonl")
    assert '"mood_note": "sunny"' in result.stdout


@pytest.mark.parametrize("suffix", ["toml", "jsonl"])
def test_an_empty_file_is_read_as_empty_and_said(invoke, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"journal.{suffix}"
    path.write_bytes(b"")
    for command in (["check"], ["log"], ["stats", "--json"]):
        result = invoke("--journal", str(path), *command)
        assert result.exit_code == 0, (command, result.output)
        assert "is empty (0 bytes)" in result.stderr
    assert path.read_bytes() == b""
