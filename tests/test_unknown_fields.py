"""Unknown fields are kept untouched, and never change what a record is (issue #10 items 9, 10).

The kind of a record is matlog's: in JSON Lines it is `"type"`, so a TOML field named `type`
cannot be kept there and is refused where it stands. TOML has no null: a JSON null in an
unknown field stays in JSON Lines and is refused, located, on the way to TOML. A field nested
absurdly deep is refused where it stands. Everything else round-trips through both formats.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_journal import one_error_line

from matlog.journal import Journal, json_line, load_file

SESSION_TOML = """\
format = 1

[[session]]
id = "T1"
started = 2026-11-20T22:00:00+01:00
planned_seconds = 600
actual_seconds = 600
ended = "finished"
{extra}
"""


def session_json(record_id: str = "N1", **extra: object) -> str:
    item = {
        "type": "session",
        "id": record_id,
        "started": "2026-11-20T22:00:00+01:00",
        "planned_seconds": 600,
        "actual_seconds": 600,
        "ended": "finished",
        **extra,
    }
    return json.dumps(item) + "\n"


def comparable(path: Path) -> list[str]:
    return [json_line(r) for r in Journal(path).read().records]


# -- a field named `type` ---------------------------------------------------------------


@pytest.mark.parametrize("value", ['"evening"', '"sleep"', '"session"', "3"])
def test_a_toml_field_named_type_is_a_located_error(invoke, tmp_path: Path, value: str) -> None:
    path = tmp_path / "journal.toml"
    path.write_text(SESSION_TOML.format(extra=f'note = "x"\ntype = {value}'))
    result = invoke("--journal", str(path), "check")
    assert result.exit_code == 1
    [problem] = result.stdout.splitlines()
    assert problem.startswith(f"{path}:10: session: `type` is reserved")
    assert "rename" in problem


def test_a_type_field_never_reaches_json_output(invoke, tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    path.write_text(SESSION_TOML.format(extra='type = "evening"'))
    before = path.read_bytes()
    for command in (["export", "-f", "jsonl"], ["log", "--json"], ["export"]):
        line = one_error_line(invoke("--journal", str(path), *command), 1)
        assert line.startswith(f"matlog: {path}:9: session: `type` is reserved")
        assert path.read_bytes() == before


def test_a_file_with_a_type_field_is_not_imported(invoke, journal_path, tmp_path) -> None:
    other = tmp_path / "other.toml"
    other.write_text(SESSION_TOML.format(extra='type = "sleep"'))
    line = one_error_line(invoke("import", str(other)), 1)
    assert line.startswith(f"matlog: {other}:9: session: `type` is reserved")
    assert not journal_path.exists()


# -- hostile unknown fields round-trip ---------------------------------------------------

HOSTILE_TOML = """\
Type = "evening"
ID = "forged"
id_ = "01FORGED"
"type " = "sleep"
"" = "empty key"
meta = { type = "sleep", id = "X", started = "never", deep = [[1, 2], { a = [] }] }
when = 2026-11-20
"""


@pytest.mark.parametrize("first", ["toml", "jsonl"])
@pytest.mark.parametrize("second", ["toml", "jsonl"])
def test_hostile_unknown_fields_round_trip_export_then_import(
    invoke, tmp_path: Path, first: str, second: str
) -> None:
    source = tmp_path / "source.toml"
    source.write_text(SESSION_TOML.format(extra=HOSTILE_TOML))
    assert invoke("--journal", str(source), "check").exit_code == 0
    exported = tmp_path / f"export.{first}"
    result = invoke("--journal", str(source), "export", "-f", first, "-o", str(exported))
    assert result.exit_code == 0, result.output
    fresh = tmp_path / f"fresh.{second}"
    result = invoke("--journal", str(fresh), "import", str(exported))
    assert result.exit_code == 0, result.output
    [record] = Journal(fresh).read().sessions
    [original] = Journal(source).read().sessions
    assert record.id == "T1" and record.ended == "finished"
    expected = dict(original.extra)
    if "jsonl" in (first, second):  # JSON has no dates: a TOML date becomes its ISO text
        expected["when"] = "2026-11-20"
    assert record.extra == expected
    assert json.loads(json_line(record))["type"] == "session"


def test_nulls_round_trip_through_json_lines(invoke, tmp_path: Path) -> None:
    source = tmp_path / "source.jsonl"
    source.write_text(session_json(gone=None, meta={"x": None, "type": "sleep"}, list=[1, None]))
    exported = tmp_path / "export.jsonl"
    assert (
        invoke("--journal", str(source), "export", "-f", "jsonl", "-o", str(exported)).exit_code
        == 0
    )
    fresh = tmp_path / "fresh.jsonl"
    result = invoke("--journal", str(fresh), "import", str(exported))
    assert result.exit_code == 0, result.output
    [record] = Journal(fresh).read().sessions
    assert record.extra == {"gone": None, "meta": {"x": None, "type": "sleep"}, "list": [1, None]}


# -- null on the way to TOML -------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "where"),
    [({"gone": None}, "`gone`"), ({"meta": {"x": None}}, "`meta.x`"), ({"l": [1, None]}, "`l[1]`")],
)
def test_importing_a_json_null_into_a_toml_journal_is_refused_located(
    invoke, journal_path: Path, tmp_path: Path, extra: dict, where: str
) -> None:
    Journal(journal_path).append([load_file_record(tmp_path, "MINE")])
    before = journal_path.read_bytes()
    other = tmp_path / "other.jsonl"
    other.write_text(session_json("OK1") + session_json("N1", **extra))
    line = one_error_line(invoke("import", str(other)), 1)
    assert line.startswith(f"matlog: {other}:2: session: {where} is null")
    assert "TOML" in line and "nothing was imported" in line
    assert journal_path.read_bytes() == before


def load_file_record(tmp_path: Path, record_id: str):  # type: ignore[no-untyped-def]
    path = tmp_path / f"{record_id}.jsonl"
    path.write_text(session_json(record_id).replace("22:00", "21:00"))
    [record] = load_file(path).records
    return record


def test_exporting_a_null_as_toml_is_refused_located(invoke, tmp_path: Path) -> None:
    source = tmp_path / "journal.jsonl"
    source.write_text(session_json("OK1") + session_json("N1", gone=None))
    out = tmp_path / "backup.toml"
    line = one_error_line(
        invoke("--journal", str(source), "export", "-f", "toml", "-o", str(out)), 1
    )
    assert line.startswith(f"matlog: {source}:2: session: `gone` is null")
    assert not out.exists()
    stdout = invoke("--journal", str(source), "export", "-f", "toml")
    assert stdout.exit_code == 1 and stdout.stdout == ""


def test_undo_of_a_json_lines_session_with_a_null_prints_it_as_json(invoke, tmp_path) -> None:
    source = tmp_path / "journal.jsonl"
    source.write_text(session_json("OK1").replace("22:00", "21:00") + session_json("N1", gone=None))
    result = invoke("--journal", str(source), "undo", "--yes")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    printed = result.stdout.splitlines()[-1]
    assert json.loads(printed) == json.loads(session_json("N1", gone=None))
    [kept] = Journal(source).read().sessions
    assert kept.id == "OK1"


# -- nested too deep ---------------------------------------------------------------------


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("suffix", ["toml", "jsonl"])
def test_an_unknown_field_nested_450_deep_is_one_located_line(invoke, tmp_path, suffix) -> None:
    journal = tmp_path / f"journal.{suffix}"
    Journal(journal).append([load_file_record(tmp_path, "MINE")])
    before = journal.read_bytes()
    other = tmp_path / "deep.jsonl"
    other.write_text(session_json("OK1") + session_json("D1", deep=nested(450)))
    line = one_error_line(invoke("--journal", str(journal), "import", str(other)), 1)
    assert line.startswith(f"matlog: {other}:2: session: `deep` is nested too deeply")
    assert journal.read_bytes() == before


def test_a_journal_with_a_field_nested_450_deep_is_located(invoke, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    journal.write_text(session_json("OK1") + session_json("D1", deep=nested(450)))
    result = invoke("--journal", str(journal), "check")
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{journal}:2: session: `deep` is nested too deeply")
    one_error_line(invoke("--journal", str(journal), "export", "-f", "toml"), 1)


@pytest.mark.parametrize("suffix", ["toml", "jsonl"])
def test_nesting_up_to_the_limit_round_trips(tmp_path: Path, suffix: str) -> None:
    from matlog.journal.fields import MAX_NESTING

    other = tmp_path / "deep.jsonl"
    other.write_text(session_json("D1", deep=nested(MAX_NESTING)))
    records = load_file(other).records
    journal = Journal(tmp_path / f"journal.{suffix}")
    journal.append(records)
    assert [json_line(r) for r in journal.read().records] == [json_line(r) for r in records]
    assert [json_line(r) for r in Journal(journal.path).read().records] == [
        json_line(r) for r in records
    ]  # from the cache, this time


def test_a_record_toml_cannot_hold_is_rescued_as_json_lines(tmp_path: Path) -> None:
    from matlog.journal import save_rescue

    other = tmp_path / "other.jsonl"
    other.write_text(session_json("N1", gone=None))
    records = load_file(other).records
    saved = save_rescue(records, [tmp_path / "rescued"])
    assert saved is not None and saved.suffix == ".jsonl"
    assert [json_line(r) for r in load_file(saved).records] == [json_line(r) for r in records]
